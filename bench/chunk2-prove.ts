/**
 * `npm run bench:prove2 [-- --circuit <name>] [--runs 3] [--guest sha256] [--guests]`
 *
 * The production chunk (issue 12: circuits/circuits.json's `production` Chunk2, the full chunk
 * with its state digests and public inputs) proven with Groth16 on this machine, against item
 * 2's limits (one chunk proof ≤ 120 s and ≤ 4 GB, keys ≤ 25 min). Prints:
 *
 * - the keys' build: `npm run setup -- --production` builds the same artifacts (compile, then
 *   the development circuit key from the ceremony's known τ, dev-zkey.ts); this bench builds
 *   them if the cache lacks them and prints the manifest's build time either way;
 * - a real chunk of the guest (word-mode run; the chunk, not the last, with the most paged
 *   cells), prepared as a prover does (round 1: lookup counts, commitment; round 2 at a fixed
 *   challenge: the proving work does not depend on its value), then the snarkjs CLI's witness
 *   and Groth16 proof, each in its own process under /usr/bin/time, so wall time and peak RSS
 *   are the prover's alone (medians and max of --runs), and the proof verified;
 * - with --guests (item 4): one chunk of every guest's bench workload (bench/lib.ts; the chunk
 *   with the most paged cells), proven in turn with a bare circuit of the same size (a
 *   Poseidon chain, poseidon_chain_N2280) in every run: each guest's proven cycles per second
 *   (its job's cycles per chunk ÷ its median seconds a chunk), their mean, and each chunk's
 *   time over the bare circuit's.
 *
 * Run it through npm: the script raises Node's heap limit (a 2^20 key's scalars do not fit in
 * Node's default heap).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs, promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { getPoseidon, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadRegistry, REPO_ROOT } from "../prover/setup/registry.ts";
import { Job2Prover, loadChunk2Probe, ROUND1_GAMMA } from "../prover/zkvm/job2.ts";
import { loadWitnessCalculator } from "../prover/zkvm/mutation.ts";
import type { Chunk2CoreConfig } from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";
import { BENCH_WORKLOADS, median } from "./lib.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const production = loadRegistry().find((c) => c.production && c.template === "Chunk2");
const { values } = parseArgs({
  options: {
    circuit: { type: "string", default: production?.name },
    runs: { type: "string", default: "3" },
    guest: { type: "string", default: "sha256" },
    guests: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
/** A bare circuit of the production chunk's size: a Poseidon(2) chain (240 constraints each). */
const BARE = "poseidon_chain_N2280";
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: not a positive integer");
const input = GUEST_INPUTS[values.guest];
if (!input) throw new Error(`--guest: no committed guest ${values.guest}`);
const entry = loadRegistry().find((c) => c.name === values.circuit);
if (!entry || entry.template !== "Chunk2")
  throw new Error(`--circuit: ${values.circuit} is not a registered Chunk2 circuit`);
const { K, NC, TB, M, MB, NM } = entry.params as Record<string, number>;
const cfg: Chunk2CoreConfig = { K: K!, NC: NC!, TB: TB!, M: M!, MB: MB!, NM: NM! };
const cacheDir = defaultCacheDir();
const dir = join(cacheDir, "bench-chunk2", entry.name);
await mkdir(dir, { recursive: true });
const log = (m: string) => console.error(`  ${m}`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;
/** The heap the provers get: a 2^20 circuit's key does not fit in Node's default. */
const HEAP_MB = 16_384;
// the package's bin (its exports do not list the file)
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

let t = performance.now();
const a = await getCircuitArtifacts(entry.name, { cacheDir, log });
console.log(
  `${entry.name}: ${a.nConstraints.toLocaleString("en")} constraints (${(a.nConstraints / cfg.K).toFixed(1)} per step, fixed part included), domain 2^${a.ptauPower}; keys built from nothing in ${a.buildSeconds.toFixed(0)} s (compile + development key; this run: ${seconds(t).toFixed(0)} s, 0 when cached)`,
);

// a real chunk, prepared as its prover does: the job's run, round 1 of every chunk
t = performance.now();
const p = await getPoseidon();
const probe = await loadChunk2Probe(cfg, cacheDir, log);
log(`round-1 probe ready in ${seconds(t).toFixed(0)} s (0 when cached)`);
// Job2Prover's boundary and I/O calculators serve `assemble`, which this bench does not call:
// the test configuration's stand in.
const io = (name: string) =>
  getCircuitArtifacts(name, { cacheDir }).then((x) => loadWitnessCalculator(x.wasmPath));
const prover = new Job2Prover(p, cfg, 8, 64, probe, {
  boundary: await io("boundary_NP8_D14"),
  input: await io("input_MAXB64"),
  output: await io("output_MAXB64"),
});
const image = loadElf(
  new Uint8Array(await readFile(join(REPO_ROOT, "guests", "elf", `${values.guest}.elf`))),
);
t = performance.now();
const job = await prover.prepare(image, input, 0x1234n);
const prepS = seconds(t);
const paged = (x: Record<string, unknown>) => (x.used as string[]).filter((u) => u === "1").length;
let best = 0;
for (let i = 0; i < job.inputs.length - 1; i++)
  if (paged(job.inputs[i]!) > paged(job.inputs[best]!)) best = i;
const x = await prover.round2(job.inputs[best]!, ROUND1_GAMMA + 1n);
const inputPath = join(dir, "input.json");
await writeFile(inputPath, JSON.stringify(x));
const retired = Number(x.cyclesRetired);
console.log(
  `chunk ${best} of ${job.inputs.length} of ${values.guest} (${job.chunks[best]!.steps} steps, ${retired} cycles retired, ${paged(x)} paged cells); the job's run and round 1 of its chunks ${prepS.toFixed(1)} s`,
);

const wtns = join(dir, "w.wtns");
const proof = join(dir, "proof.json");
const pub = join(dir, "public.json");
const wit: { s: number; mb: number }[] = [];
const prf: { s: number; mb: number }[] = [];
for (let i = 0; i < runs; i++) {
  wit.push(await timed(["wtns", "calculate", a.wasmPath, inputPath, wtns]));
  prf.push(await timed(["groth16", "prove", a.zkeyPath, wtns, proof, pub]));
  log(`run ${i + 1}: witness ${wit[i]!.s} s, proof ${prf[i]!.s} s, ${prf[i]!.mb.toFixed(0)} MB`);
}
const ok = await snarkjs.groth16.verify(
  a.vkey,
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
console.log(
  `proven cycles per second: ${(cfg.K / (ws + ps)).toFixed(1)} at ${cfg.K} cycles a chunk; ${(retired / (ws + ps)).toFixed(1)} for this chunk's ${retired}`,
);
if (!values.guests) process.exit(0);

// Item 4: every guest's bench workload (bench/lib.ts), its chunk with the most paged cells (not
// the last), one proof each per run, and a bare circuit of the same size in the same runs.
console.log(
  `\nthe guests' bench workloads and the bare circuit ${BARE}, alternately, ${runs} runs:`,
);
const bare = await getCircuitArtifacts(BARE, { cacheDir, log });
const N = bare.nConstraints > 0 ? Number(/N(\d+)$/.exec(BARE)![1]) : 0;
let acc = 7n;
for (let i = 0; i < N; i++) acc = p.F.toObject(p([acc, 0x1234n]));
const bareInput = join(dir, "bare-input.json");
await writeFile(bareInput, JSON.stringify({ seed: "7", tag: "4660", digest: acc.toString() }));
const picked: { guest: string; path: string; perChunk: number }[] = [];
for (const [guest, workload] of Object.entries(BENCH_WORKLOADS)) {
  const img = loadElf(
    new Uint8Array(await readFile(join(REPO_ROOT, "guests", "elf", `${guest}.elf`))),
  );
  const one = await prover.prepareOne(img, workload, 0x1234n, (xs) => {
    let b = 0;
    for (let i = 0; i < Math.max(1, xs.length - 1); i++) if (paged(xs[i]!) > paged(xs[b]!)) b = i;
    return b;
  });
  const path = join(dir, `input-${guest}.json`);
  await writeFile(path, JSON.stringify(await prover.round2(one.x, ROUND1_GAMMA + 1n)));
  const cycles = one.chunks[one.chunks.length - 1]!.stateOut.cycles;
  picked.push({ guest, path, perChunk: cycles / one.chunks.length });
  log(
    `${guest}: ${cycles} cycles in ${one.chunks.length} chunks; chunk ${one.index}, ${paged(one.x)} paged cells`,
  );
}
const refused = new Map<string, string>();
const times = new Map<string, number[]>(
  ["bare", ...picked.map((g) => g.guest)].map((g) => [g, []]),
);
let peakAll = 0;
for (let i = 0; i < runs; i++) {
  for (const g of [...picked, { guest: "bare", path: bareInput, perChunk: 0 }]) {
    if (refused.has(g.guest)) continue;
    const art = g.guest === "bare" ? bare : a;
    let w: { s: number; mb: number };
    try {
      w = await timed(["wtns", "calculate", art.wasmPath, g.path, wtns]);
    } catch (e) {
      // an honest chunk the circuit refuses: reported, not timed
      const why = /Error in template (\w+) line: (\d+)/.exec(String((e as Error).message));
      refused.set(g.guest, why ? `${why[1]} line ${why[2]}` : String(e).slice(0, 200));
      log(`${g.guest}: the circuit refuses this chunk's witness (${refused.get(g.guest)})`);
      continue;
    }
    const q = await timed(["groth16", "prove", art.zkeyPath, wtns, proof, pub]);
    if (
      !(await snarkjs.groth16.verify(
        art.vkey,
        JSON.parse(await readFile(pub, "utf8")),
        JSON.parse(await readFile(proof, "utf8")),
      ))
    )
      throw new Error(`${g.guest}: the proof does not verify`);
    times.get(g.guest)!.push(w.s + q.s);
    peakAll = Math.max(peakAll, w.mb, q.mb);
    log(`run ${i + 1} ${g.guest}: ${(w.s + q.s).toFixed(1)} s`);
  }
}
const bareS = median(times.get("bare")!);
console.log("  guest        cycles/chunk   s/chunk   proven cycles/s   × bare");
const rates: number[] = [];
const ratios: number[] = [];
for (const g of picked) {
  if (refused.has(g.guest)) {
    console.log(
      `  ${g.guest.padEnd(10)} ${g.perChunk.toFixed(1).padStart(14)}   refused by the circuit: ${refused.get(g.guest)}`,
    );
    continue;
  }
  const sec = median(times.get(g.guest)!);
  rates.push(g.perChunk / sec);
  ratios.push(sec / bareS);
  console.log(
    `  ${g.guest.padEnd(10)} ${g.perChunk.toFixed(1).padStart(14)} ${sec.toFixed(1).padStart(9)} ${(g.perChunk / sec).toFixed(1).padStart(17)} ${(sec / bareS).toFixed(2).padStart(8)}`,
  );
}
console.log(
  `  bare ${BARE} (${bare.nConstraints.toLocaleString("en")} constraints): ${bareS.toFixed(1)} s a proof (witness + Groth16, median of ${runs})`,
);
console.log(
  `guest mean over the ${rates.length} of ${picked.length} guests proven: ${(rates.reduce((x, y) => x + y, 0) / rates.length).toFixed(1)} proven cycles/s; overhead over the bare circuit ${(ratios.reduce((x, y) => x + y, 0) / ratios.length).toFixed(2)}× (max ${Math.max(...ratios).toFixed(2)}×); peak RSS ${peakAll.toFixed(0)} MB; every proof verified`,
);
process.exit(0);
