/**
 * `npm run bench:circuit2 [-- --circuit <name>]`
 *
 * Constraints per proven cycle of the versioned-cells chunk (issue 12, item 1) at the
 * production configuration (circuits/circuits.json's `production` Chunk2, unless named), on
 * every committed guest: the chunk's constraints × the chunks a word-mode run is cut into
 * (K steps each) ÷ the cycles the run retires. Two input sets:
 *
 * - the test inputs (test/helpers/guests.ts): tiny runs, most shorter than one chunk, so the
 *   figure is the whole chunk's cost over a few dozen cycles;
 * - the bench workloads (bench/lib.ts): each guest on an input that runs it over several chunks, the
 *   per-cycle cost of jobs the network exists for.
 *
 * And the breakdown of one chunk: K steps (Step2, compiled alone), the paging of its NC cells
 * (CellVersions + CellCommitment, alone), the rest (the in-chunk memory check, the lookups,
 * the transcript, the moved bytes, the state digests). Each part compiled with --O2 on its own,
 * so the parts need not add up to the whole exactly; the rest is the whole minus the two.
 *
 * Counting needs the production chunk's r1cs: built (with its keys) on first use, as
 * `npm run setup -- --production` does (about 8 minutes: 479.7 s on 2026-12-02).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { executeChunked, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { loadRegistry, REPO_ROOT } from "../prover/setup/registry.ts";
import { compileVariant } from "../prover/zkvm/mutation-variants.ts";
import { chunk2Limits } from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";
import { BENCH_WORKLOADS } from "./lib.ts";

const production = loadRegistry().find((c) => c.production && c.template === "Chunk2");
const { values } = parseArgs({
  options: { circuit: { type: "string", default: production?.name } },
});
const entry = loadRegistry().find((c) => c.name === values.circuit);
if (!entry || entry.template !== "Chunk2")
  throw new Error(`--circuit: ${values.circuit} is not a registered Chunk2 circuit`);
const { K, NC, TB, M } = entry.params as Record<string, number>;
const cacheDir = defaultCacheDir();
const log = (m: string) => console.error(`  ${m}`);

const a = await getCircuitArtifacts(entry.name, { cacheDir, log });
const total = a.nConstraints;
console.log(
  `${entry.name}: ${total.toLocaleString("en")} constraints a chunk of ${K} steps (${(total / K!).toFixed(1)} a step, everything included)`,
);

/** Constraints of a template compiled alone (--O2). */
async function alone(template: string, file: string, params: number[]): Promise<number> {
  const v = await compileVariant(
    { label: `count-${template}`, file, template, params, r1cs: true, optimization: "O2" },
    { cacheDir, log },
  );
  return ((await snarkjs.r1cs.info(v.r1csPath!)) as { nConstraints: number }).nConstraints;
}
const step = await alone("Step2", "circuits/zkvm/step2.circom", [M!, TB!]);
const paging =
  (await alone("CellVersions", "circuits/zkvm/versions.circom", [NC!, 24, 24, 0])) +
  (await alone("CellCommitment", "circuits/zkvm/versions.circom", [NC!, 24]));
const rest = total - K! * step - paging;
const pct = (x: number) => `${((100 * x) / total).toFixed(1)} %`;
console.log(`breakdown of one chunk (each part compiled alone):`);
console.log(`  steps     ${K} × ${step} = ${(K! * step).toLocaleString("en")} (${pct(K! * step)})`);
console.log(
  `  paging    ${NC} cells: ${paging.toLocaleString("en")} (${pct(paging)}; ${(paging / NC!).toFixed(0)} a cell)`,
);
console.log(
  `  the rest  ${rest.toLocaleString("en")} (${pct(rest)}; ${(rest / K!).toFixed(1)} a step)`,
);

for (const [label, inputs] of [
  ["test inputs", GUEST_INPUTS],
  ["bench workloads", BENCH_WORKLOADS],
] as const) {
  console.log(`\n${label}:`);
  console.log("  guest        cycles   chunks   constraints/cycle");
  const perCycle: number[] = [];
  for (const [guest, input] of Object.entries(inputs)) {
    const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${guest}.elf`)));
    const { chunks } = await executeChunked(image, input, chunk2Limits({ K: K!, NC: NC! }));
    const cycles = chunks[chunks.length - 1]!.stateOut.cycles;
    const c = (total * chunks.length) / cycles;
    perCycle.push(c);
    console.log(
      `  ${guest.padEnd(10)} ${String(cycles).padStart(8)} ${String(chunks.length).padStart(8)} ${c.toFixed(1).padStart(19)}`,
    );
  }
  const mean = perCycle.reduce((x, y) => x + y, 0) / perCycle.length;
  console.log(`  mean ${mean.toFixed(1)}, max ${Math.max(...perCycle).toFixed(1)}`);
}
process.exit(0);
