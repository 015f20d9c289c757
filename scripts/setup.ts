/**
 * `npm run setup [-- <circuit>...] [--production] [--all] [--ptau <file> --beacon <hex>] [--cache <dir>]`
 *
 * Compiles circuits with circom2 and makes their Groth16 keys, cached by a hash of their
 * sources and parameters. Without names it builds every `test: true` circuit of
 * circuits/circuits.json; with --production, every `production: true` one (the production
 * chunk: about 6 minutes from nothing on a 2-core machine, printing each stage as it goes);
 * with --all, every circuit. Without --ptau it uses an INSECURE development ceremony with a
 * known τ (keys refused on non-development chains); with --ptau it uses a prepared phase-2
 * file from a public ceremony and a public beacon for the phase-2 contribution.
 */
import { parseArgs } from "node:util";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadKeySets, loadRegistry } from "../prover/setup/registry.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import { loadChunk2Probe } from "../prover/zkvm/job2.ts";
import {
  writeBatchVerifier,
  writeMultiVerifier,
  writeSnarkjsVerifier,
} from "./lib/verifier-gen.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ptau: { type: "string" },
    beacon: { type: "string" },
    cache: { type: "string" },
    all: { type: "boolean", default: false },
    production: { type: "boolean", default: false },
  },
});

const registry = loadRegistry();
const names =
  positionals.length > 0
    ? positionals
    : registry
        .filter((c) => values.all || (values.production ? c.production : c.test))
        .map((c) => c.name);
const cacheDir = values.cache ?? defaultCacheDir();
const build = (name: string) =>
  getCircuitArtifacts(name, {
    cacheDir,
    ...(values.ptau ? { ptauPath: values.ptau } : {}),
    ...(values.beacon ? { beaconHex: values.beacon } : {}),
    log: (m) => console.log(m),
  });

for (const name of names) {
  const started = performance.now();
  const a = await build(name);
  const solPath = await writeBatchVerifier(a);
  await writeSnarkjsVerifier(a);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${name}: ${a.nConstraints} constraints, ceremony ${a.ceremony}, ptau 2^${a.ptauPower}, ` +
      `${seconds} s; verifier ${solPath}`,
  );
}
// The key sets (one pairing product for several keys) selected like the circuits (named: those
// whose circuits were all built here); their circuits not built above are built (or taken from
// the cache) first.
for (const ks of loadKeySets()) {
  const selected =
    positionals.length > 0
      ? ks.circuits.every((c) => names.includes(c))
      : values.all || (values.production ? ks.production : ks.test);
  if (!selected) continue;
  const members = [];
  for (const c of ks.circuits) members.push(await build(c));
  console.log(`key set ${ks.name}: verifier ${await writeMultiVerifier(ks.name, members)}`);
  // a versioned-cells key set's round-1 build (its chunk without asserts, with symbols): what
  // each delegator computes a chunk's commitment with, and the orchestrator checks one with
  const started = performance.now();
  const { cfg } = keySetCircuits(ks.name);
  await loadChunk2Probe(cfg, cacheDir, (m) => console.log(m));
  console.log(
    `key set ${ks.name}: round-1 build ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
// snarkjs leaves its curve worker threads alive.
process.exit(0);
