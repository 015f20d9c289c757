/**
 * `npm run bench:circuit [-- --circuits a,b] [--runs 5] [--constraints-only]`
 *
 * The RV32IM chunk circuit's cost, for every registered configuration (or those named):
 *
 * 1. Constraints per cycle on each committed guest: the configuration's constraint count ×
 *    the chunks the executor cuts the run into (with the circuit's limits: K steps, P pages,
 *    IO bytes) ÷ the run's cycles; and their mean over the guests.
 * 2. Proving seconds per chunk (median of --runs): a real chunk of the sha256 guest, our
 *    witness generation included, against raw snarkjs Groth16 (`groth16.fullProve`) on a bare
 *    circuit of the same size (a Poseidon chain with as many constraints, same ptau power),
 *    the two measured alternately in this run; their ratio; and proven cycles per second
 *    (cycles ÷ chunks ÷ median seconds per chunk) on sha256 and averaged on the guests.
 *
 * Keys are built on first use (minutes per configuration; cached like `npm run setup`).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { buildPoseidon } from "circomlibjs";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadRegistry, REPO_ROOT, type CircuitEntry } from "../prover/setup/registry.ts";
import { Groth16ChunkProver, verifyChunk } from "../prover/zkvm/prover.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";
import { median } from "./lib.ts";

const { values } = parseArgs({
  options: {
    circuits: { type: "string" },
    runs: { type: "string", default: "5" },
    "constraints-only": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a positive integer`);
const cacheDir = defaultCacheDir();
const names = values.circuits
  ? values.circuits.split(",")
  : loadRegistry()
      .filter((c) => c.template === "Chunk")
      .map((c) => c.name);
const guests = Object.keys(GUEST_INPUTS);
const images = new Map(
  guests.map((g) => [g, loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`)))]),
);
/** Constraints of one Poseidon(2) in circomlib, compiled with --O2 (poseidon_chain_N4: 960). */
const POSEIDON2_CONSTRAINTS = 240;
const log = (m: string) => console.error(`  ${m}`);

interface Row {
  name: string;
  K: number;
  constraints: number;
  /** per guest: cycles and chunks */
  runs: Map<string, { cycles: number; chunks: number }>;
}

const rows: Row[] = [];
for (const name of names) {
  const config = chunkCircuitConfig(name);
  console.error(`${name}: keys`);
  const a = await getCircuitArtifacts(name, { cacheDir, log });
  const row: Row = { name, K: config.K, constraints: a.nConstraints, runs: new Map() };
  for (const g of guests) {
    const r = await executeChunked(images.get(g)!, GUEST_INPUTS[g]!, {
      ...chunkLimits(config),
      records: false,
    });
    row.runs.set(g, { cycles: r.cycles, chunks: r.chunks.length });
  }
  rows.push(row);
}

const perCycle = (r: Row, g: string) => {
  const x = r.runs.get(g)!;
  return (r.constraints * x.chunks) / x.cycles;
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

console.log("\nConstraints per cycle (configuration constraints × chunks ÷ cycles):\n");
console.log(`| circuit | constraints | ${guests.join(" | ")} | mean |`);
console.log(`|---|---:|${guests.map(() => "---:").join("|")}|---:|`);
for (const r of rows) {
  const cells = guests.map((g) => {
    const x = r.runs.get(g)!;
    return `${fmt(perCycle(r, g))} (${x.cycles} cyc, ${x.chunks} ch)`;
  });
  console.log(
    `| ${r.name} | ${fmt(r.constraints)} | ${cells.join(" | ")} | **${fmt(mean(guests.map((g) => perCycle(r, g))))}** |`,
  );
}
if (values["constraints-only"]) process.exit(0);

console.log(
  `\nProving, seconds per chunk (median of ${runs}, alternating with the bare circuit; sha256 chunks):\n`,
);
console.log(
  "| circuit | chunk: witness + Groth16 | bare Poseidon chain, same size | ratio | proven cycles/s, sha256 | proven cycles/s, guest mean |",
);
console.log("|---|---:|---:|---:|---:|---:|");
const poseidon = await buildPoseidon();
for (const r of rows) {
  const config = chunkCircuitConfig(r.name);
  const a = await getCircuitArtifacts(r.name, { cacheDir, log });
  const N = Math.round(r.constraints / POSEIDON2_CONSTRAINTS);
  const bareEntry: CircuitEntry = {
    name: `poseidon_chain_N${N}`,
    file: "circuits/test/poseidon_chain.circom",
    template: "PoseidonChain",
    params: { N },
    publicInputs: ["seed", "tag", "digest"],
    test: false,
    production: false,
    description: `benchmark baseline for ${r.name}`,
  };
  console.error(`${r.name}: baseline ${bareEntry.name}`);
  const bare = await getCircuitArtifacts(bareEntry.name, { cacheDir, log, entry: bareEntry });
  let digest = 1n;
  for (let i = 0; i < N; i++) digest = poseidon.F.toObject(poseidon([digest, 7n]));
  const bareInput = { seed: 1n, tag: 7n, digest };

  const image = images.get("sha256")!;
  const exec = await executeChunked(image, GUEST_INPUTS.sha256!, chunkLimits(config));
  const ctx = { config, opening: await imageOpening(image) };
  const prover = new Groth16ChunkProver(a);
  const address = "0x00000000000000000000000000000000c0ffee01";
  // Chunks from the middle of the run (the hash rounds), spread out; one warm-up each.
  const picks = Array.from({ length: runs + 1 }, (_, i) =>
    Math.floor(((i + 1) * exec.chunks.length) / (runs + 2)),
  );
  const tChunk: number[] = [];
  const tBare: number[] = [];
  for (const [i, idx] of picks.entries()) {
    let t = performance.now();
    const p = await prover.proveChunk(ctx, exec.chunks[idx]!, address);
    const chunkMs = performance.now() - t;
    if (!(await verifyChunk(a.vkey, p))) throw new Error(`${r.name}: chunk ${idx} does not verify`);
    t = performance.now();
    await snarkjs.groth16.fullProve(bareInput, bare.wasmPath, bare.zkeyPath);
    const bareMs = performance.now() - t;
    if (i === 0) continue; // warm-up
    tChunk.push(chunkMs / 1000);
    tBare.push(bareMs / 1000);
  }
  const sChunk = median(tChunk);
  const sBare = median(tBare);
  const cps = (g: string) => {
    const x = r.runs.get(g)!;
    return x.cycles / (x.chunks * sChunk);
  };
  console.log(
    `| ${r.name} (${fmt(r.constraints)}; bare ${fmt(bare.nConstraints)}) | ${fmt(sChunk, 2)} | ${fmt(sBare, 2)} | ${fmt(sChunk / sBare, 2)}× | ${fmt(cps("sha256"), 2)} | ${fmt(mean(guests.map(cps)), 2)} |`,
  );
}
// snarkjs leaves its curve worker threads alive.
process.exit(0);
