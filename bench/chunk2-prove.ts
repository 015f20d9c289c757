/**
 * `npm run bench:prove2 [-- --K 1024] [--NC 256] [--runs 3] [--guest sha256]`
 *
 * One chunk of the versioned-cells core (circuits/zkvm/chunk2.circom, `Chunk2Core`; issue 12,
 * not the full chunk yet: no state digests) at a production size, proven with Groth16 on this
 * machine, to see what item 2's limits (one chunk proof ≤ 120 s and ≤ 4 GB, keys ≤ 25 min)
 * leave. Prints:
 *
 * - constraints, and per step beyond the fixed part (the chunk's constraints / K);
 * - the keys' build time: circom --O2, then the development circuit key computed from the
 *   ceremony's known τ (dev-zkey.ts: the key `snarkjs zkey new` + `zkey beacon` would write on
 *   the development ptau, byte for byte, without the ptau);
 * - a real chunk of the guest (word-mode run, the chunk with the most paged cells): our input
 *   preparation, then the snarkjs CLI's witness and Groth16 proof, each in its own process
 *   under /usr/bin/time, so wall time and peak RSS are the prover's alone (medians and max of
 *   --runs), and the proof verified.
 *
 * Build outputs go to .cache/bench-chunk2 (kept between runs). Run it through npm: the script
 * raises Node's heap limit (a 2^20 circuit key's scalars do not fit in the default 4 GB).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs, promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, requiredPtauPower } from "../prover/setup/artifacts.ts";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "../prover/setup/ceremony.ts";
import { makeDevZKey } from "../prover/setup/dev-zkey.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator } from "../prover/zkvm/mutation.ts";
import { compileVariant, readSymbols } from "../prover/zkvm/mutation-variants.ts";
import {
  chunk2CoreInputs,
  chunk2Limits,
  countLookups,
  nPlain,
  type Chunk2CoreConfig,
} from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";
import { median } from "./lib.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    K: { type: "string", default: "1024" },
    NC: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    guest: { type: "string", default: "sha256" },
  },
});
const K = Number(values.K);
const NC = Number(values.NC);
const runs = Number(values.runs);
for (const [n, v] of [
  ["K", K],
  ["NC", NC],
  ["runs", runs],
] as const)
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${n}: not a positive integer`);
const input = GUEST_INPUTS[values.guest];
if (!input) throw new Error(`--guest: no committed guest ${values.guest}`);

// in-chunk times below 2^TB (5K slots), counts: NIB keys below 2^MB, AND counts in NM nibbles
const TB = Math.ceil(Math.log2(5 * K + 1));
const NPLAIN = nPlain(TB);
const nibKeys = K * (8 + NPLAIN) + NC * (8 + Math.floor(TB / 4)) + 256 * 8;
const cfg: Chunk2CoreConfig = {
  K,
  NC,
  TB,
  M: 20,
  MB: Math.ceil(Math.log2(nibKeys + 1)),
  NM: Math.ceil(Math.ceil(Math.log2(8 * K + 1)) / 4),
};
const params = [cfg.K, cfg.NC, cfg.TB, cfg.M, cfg.MB, cfg.NM];
const cacheDir = defaultCacheDir();
const dir = join(cacheDir, "bench-chunk2", params.join("_"));
await mkdir(dir, { recursive: true });
const log = (m: string) => console.error(`  ${m}`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;
// the package's bin (its exports do not list the file)
/** The heap the key build and the provers get: a 2^20 ceremony needs more than Node's 4 GB. */
const HEAP_MB = 16_384;
const snarkjsCli = join(dirname(require.resolve("snarkjs")), "cli.cjs");

/** Runs the snarkjs CLI under /usr/bin/time: wall seconds and peak RSS in MB. */
async function timed(args: string[]): Promise<{ s: number; mb: number }> {
  const { stderr } = await run(
    "/usr/bin/time",
    ["-f", "TIME %e %M", process.execPath, `--max-old-space-size=${HEAP_MB}`, snarkjsCli, ...args],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${stderr.slice(-300)}`);
  return { s: Number(m[1]), mb: Number(m[2]) / 1024 };
}

console.log(`Chunk2Core(${params.join(", ")}): K = ${K}, NC = ${NC}, TB = ${TB}`);
let t = performance.now();
const build = await compileVariant(
  {
    file: "circuits/zkvm/chunk2.circom",
    template: "Chunk2Core",
    params,
    publicInputs: ["gammaJob"],
    label: `bench-chunk2-${K}`,
    r1cs: true,
    optimization: "O2",
  },
  { cacheDir, log },
);
const compileS = seconds(t);
const info = (await snarkjs.r1cs.info(build.r1csPath!)) as {
  nConstraints: number;
  nPubInputs: number;
  nOutputs: number;
};
const power = requiredPtauPower(info.nConstraints, info.nPubInputs, info.nOutputs);
console.log(
  `constraints ${info.nConstraints.toLocaleString("en")} (${(info.nConstraints / K).toFixed(1)} per step, fixed part included); ptau 2^${power}; compile ${compileS.toFixed(0)} s (0 when cached)`,
);

const zkey = join(dir, "core.zkey");
t = performance.now();
if (!existsSync(zkey)) {
  await makeDevZKey({
    r1csPath: build.r1csPath!,
    outPath: `${zkey}.tmp`,
    ptauBeaconHex: DEV_BEACON_HASH,
    ptauIterationsExp: DEV_BEACON_ITERATIONS_EXP,
    beaconName: "concentric-dev-phase2 (INSECURE)",
    beaconHex: DEV_BEACON_HASH,
    beaconIterationsExp: DEV_BEACON_ITERATIONS_EXP,
    log,
  });
  await rename(`${zkey}.tmp`, zkey);
}
const zkeyS = seconds(t);
const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
console.log(
  `keys: development circuit key from the known tau ${zkeyS.toFixed(0)} s (0 when cached)`,
);

// a real chunk: the one with the most paged cells
const image = loadElf(
  new Uint8Array(await readFile(join(REPO_ROOT, "guests", "elf", `${values.guest}.elf`))),
);
const opening = await imageOpening(image);
const { chunks } = await executeChunked(image, input, chunk2Limits(K));
const chunk = chunks
  .slice(0, -1)
  .reduce((a, c) => (c.pages.length > a.pages.length ? c : a), chunks[0]!);
t = performance.now();
const inputs0 = chunk2CoreInputs(cfg, opening, chunk);
const cells = (inputs0.used as string[]).filter((u) => u === "1").length;
// the lookup counts, from a first witness of a build without its constraints (as a prover)
const probe = await compileVariant(
  {
    file: "circuits/zkvm/chunk2.circom",
    template: "Chunk2Core",
    params,
    publicInputs: ["gammaJob"],
    label: `bench-chunk2-probe-${K}`,
    sym: true,
    noAsserts: true,
  },
  { cacheDir, log },
);
const probeWc = await loadWitnessCalculator(probe.wasmPath);
const sym = await readSymbols(probe.symPath!);
const w0 = await probeWc.calculateWitness(inputs0 as never, true);
const m = countLookups(cfg, NPLAIN, (n) => w0[sym.get(`main.${n}`)!]!);
const prepS = seconds(t);
const inputPath = join(dir, "input.json");
await writeFile(inputPath, JSON.stringify({ ...inputs0, m }));
console.log(
  `chunk ${chunk.index} of ${values.guest} (${chunk.steps} cycles, ${cells} paged cells): inputs and counts ${prepS.toFixed(1)} s (the probe build's compile included on first run)`,
);

const wtns = join(dir, "w.wtns");
const proof = join(dir, "proof.json");
const pub = join(dir, "public.json");
const wit: { s: number; mb: number }[] = [];
const prf: { s: number; mb: number }[] = [];
for (let i = 0; i < runs; i++) {
  wit.push(await timed(["wtns", "calculate", build.wasmPath, inputPath, wtns]));
  prf.push(await timed(["groth16", "prove", zkey, wtns, proof, pub]));
  log(`run ${i + 1}: witness ${wit[i]!.s} s, proof ${prf[i]!.s} s, ${prf[i]!.mb.toFixed(0)} MB`);
}
const ok = await snarkjs.groth16.verify(
  vkey,
  JSON.parse(await readFile(pub, "utf8")),
  JSON.parse(await readFile(proof, "utf8")),
);
if (!ok) throw new Error("the proof does not verify");
const ws = median(wit.map((x) => x.s));
const ps = median(prf.map((x) => x.s));
const peak = Math.max(...wit.map((x) => x.mb), ...prf.map((x) => x.mb));
console.log(
  `witness ${ws.toFixed(1)} s + Groth16 ${ps.toFixed(1)} s = ${(ws + ps).toFixed(1)} s per chunk (medians of ${runs}); peak RSS ${peak.toFixed(0)} MB; proof verified`,
);
console.log(`proven cycles per second at ${K} cycles a chunk: ${(K / (ws + ps)).toFixed(1)}`);
process.exit(0);
