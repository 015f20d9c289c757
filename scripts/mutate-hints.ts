/**
 * The mutation harness's three layers against missing constraints
 * (`npm run mutate:hints [-- <circuit>] [--variant no-rsign] [--guests a,b] [--layers …]`):
 *
 * 1. hint overrides: every `<--` hint of every step (Num2Bits bits: lowest and highest of
 *    each, `--bits all` for every bit) and of the chunk (on the first chunk of each guest;
 *    `--chunk-hints none|sample|all`) replaced by what a cheating prover would pick, judged
 *    on the coherent chunk built around the forged step (prover/zkvm/mutation-hints.ts), on
 *    the chunks of the committed guests that show every hint behaviour (`hintBehaviour`) and
 *    every chunk of the hand-assembled edge guest (`edgeGuest`; `--no-edges` leaves it out);
 * 2. R1CS wires: every wire of the compiled constraint system perturbed alone on the honest
 *    witnesses of those chunks (prover/zkvm/mutation-r1cs.ts);
 * 3. wrong executors: coherent wrong executions the circuit must refuse
 *    (prover/zkvm/mutation-wrong.ts), on every guest where each changes something.
 *
 * `--rows <regex>` tries only the layer-1 rows (hint sites) it matches, e.g. `--rows "q, r"`.
 * Prints a table per layer; exits 1 on a survivor, an unconstrained wire or an accepted wrong
 * execution. `--variant` runs it against a circuit variant (see CIRCUIT_VARIANTS), e.g.
 * `no-rsign`, which deletes `signedDiv * rSign === 0`. `--shard i/n` runs every n-th chunk of
 * layer 1 (layers 2 and 3 run in shard 1 only). Variants compile to .cache/mutation.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  execute,
  executeChunked,
  imageOpening,
  loadElf,
  type ChunkRecord,
} from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { coveringChunks } from "../prover/zkvm/mutation.ts";
import {
  edgeGuest,
  emptyHintReport,
  hintBehaviour,
  loadHintCircuits,
  runHintOverrides,
  stepHintInputs,
} from "../prover/zkvm/mutation-hints.ts";
import { loadR1csCircuit, WireCheck } from "../prover/zkvm/mutation-r1cs.ts";
import { chunkAccepts, chunkContext } from "../prover/zkvm/mutation-replay.ts";
import { CIRCUIT_VARIANTS } from "../prover/zkvm/mutation-variants.ts";
import { runWrongExecutors, type GuestRun } from "../prover/zkvm/mutation-wrong.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "../test/helpers/guests.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: {
    variant: { type: "string", default: "unchanged" },
    guests: { type: "string" },
    layers: { type: "string", default: "hints,r1cs,wrong" },
    "chunk-hints": { type: "string", default: "sample" },
    bits: { type: "string", default: "sample" },
    rows: { type: "string" },
    edges: { type: "boolean", default: true },
    shard: { type: "string", default: "1/1" },
  },
});
const variant = CIRCUIT_VARIANTS[values.variant];
if (!variant) throw new Error(`--variant: one of ${Object.keys(CIRCUIT_VARIANTS).join(", ")}`);
const rowFilter = values.rows ? new RegExp(values.rows) : null;
const bits = values.bits;
if (bits !== "sample" && bits !== "all") throw new Error("--bits: sample or all");
const chunkHints = values["chunk-hints"];
if (chunkHints !== "none" && chunkHints !== "sample" && chunkHints !== "all")
  throw new Error("--chunk-hints: none, sample or all");
const shard = /^(\d+)\/(\d+)$/.exec(values.shard);
if (!shard || Number(shard[1]) < 1 || Number(shard[1]) > Number(shard[2]))
  throw new Error(`--shard: expected i/n with 1 <= i <= n, got ${values.shard}`);
const [shardIndex, shardCount] = [Number(shard[1]) - 1, Number(shard[2])];
const layers = new Set(values.layers.split(","));
const config = chunkCircuitConfig(positionals[0] ?? "rv32im_K8_P4_IO4_M20");
const cacheDir = defaultCacheDir();
const log = (m: string) => console.error(m);
// allinsn first: it shows the most behaviours, which the other guests then need not repeat.
const names = values.guests
  ? values.guests.split(",")
  : Object.keys(GUEST_INPUTS).sort((x, y) => Number(y === "allinsn") - Number(x === "allinsn"));
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
let failed = false;

const table = (head: string[], rows: (string | number)[][]) => {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const numeric = head.map((_, i) => rows.every((r) => typeof r[i] === "number"));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(
    `| ${width.map((w, i) => (numeric[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ")} |`,
  );
  for (const r of cells.slice(1)) console.log(line(r));
};

// Guests, and the chunks that show every hint behaviour.
const guests: (GuestRun & { chunks: ChunkRecord[]; picked: number[] })[] = [];
const covered = new Set<string>();
for (const g of names) {
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`)));
  const input = GUEST_INPUTS[g]!;
  const opening = await imageOpening(image);
  const exec = await executeChunked(image, input, chunkLimits(config));
  const picked = coveringChunks(exec.chunks, covered, { behaviour: hintBehaviour(opening) });
  guests.push({
    name: g,
    image,
    input,
    opening,
    cycles: execute(image, input).cycles,
    chunks: exec.chunks,
    picked,
  });
}
// The edge guest: every chunk (divisions on edge values, accesses at the code's boundaries).
if (values.edges) {
  const e = edgeGuest();
  const exec = await executeChunked(e.image, e.input, chunkLimits(config));
  guests.push({
    ...e,
    opening: await imageOpening(e.image),
    cycles: execute(e.image, e.input).cycles,
    chunks: exec.chunks,
    picked: exec.chunks.map((_, i) => i),
  });
}
const work = guests.flatMap((g) => g.picked.map((i) => ({ g, i })));
console.log(
  `circuit ${config.name}, variant ${values.variant} (${variant.description}); ` +
    `chunks: ${guests.map((g) => `${g.name} ${g.picked.length}`).join(", ")} (${work.length})`,
);

const circuits = await loadHintCircuits(config, variant.edits, { cacheDir, log });

if (layers.has("hints")) {
  const report = emptyHintReport();
  const mine = work.filter((_, n) => n % shardCount === shardIndex);
  const firstOfGuest = new Set(guests.map((g) => `${g.name}#${g.picked[0]}`));
  for (const [n, { g, i }] of mine.entries()) {
    const label = `${g.name}#${i}`;
    const ctx = await chunkContext(
      config,
      g.opening,
      g.image,
      g.input,
      g.chunks[i]!,
      circuits.step,
    );
    await runHintOverrides({
      label,
      ctx,
      step: circuits.step,
      stepSites: circuits.stepSites,
      chunk: circuits.chunk,
      // The chunk's own hints are slow to try (a whole chunk each): the first chunk per guest.
      chunkSites: firstOfGuest.has(label) ? chunkHints : "none",
      bits,
      ...(rowFilter ? { select: (row: string) => rowFilter.test(row) } : {}),
      report,
    });
    const s = report.survivors.length;
    console.error(`[${n + 1}/${mine.length}] ${label}: ${s} survivors so far (${elapsed()})`);
  }
  const rows = [...report.rows.values()];
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
  console.log(`\nLayer 1: hint overrides (${mine.length} chunks, shard ${values.shard})`);
  table(
    [
      "hint site",
      "alternatives",
      "chunks",
      "refused by step",
      "refused by chunk",
      "free",
      "unfit",
      "survivors",
    ],
    [
      ...rows.map((r) => [
        r.row,
        r.tried,
        r.chunks.size,
        r.refusedByStep,
        r.refusedByChunk,
        r.free,
        r.unfit,
        r.survivors,
      ]),
      [
        "total",
        sum((r) => r.tried),
        mine.length,
        sum((r) => r.refusedByStep),
        sum((r) => r.refusedByChunk),
        sum((r) => r.free),
        sum((r) => r.unfit),
        sum((r) => r.survivors),
      ],
    ],
  );
  for (const s of report.survivors) {
    const o = s.overrides.map((x) => `${x.name} ${x.from} -> ${x.to}`).join(", ");
    console.log(
      `  SURVIVOR ${s.chunk} step ${s.step} (instruction 0x${(s.instruction >>> 0).toString(16)}): ${o}; ${s.detail}`,
    );
  }
  if (report.survivors.length) failed = true;
}

if (layers.has("r1cs") && shardIndex === 0) {
  const c = await loadR1csCircuit(config, { cacheDir, log });
  log(`layer 2: ${c.r1cs.constraints.length} constraints loaded (${elapsed()})`);
  const check = new WireCheck(c);
  for (const { g, i } of work)
    check.add(
      await c.wc.calculateWitness(chunkWitness(config, g.opening, g.chunks[i]!, 0xc0ffeen), true),
    );
  const r = check.report();
  console.log(
    `\nLayer 2: R1CS wires (${r.wires} wires, ${r.constraints} constraints, ${r.witnesses} honest ` +
      `witnesses): ${r.unconstrained.length} unconstrained, ${r.violated} constraints violated`,
  );
  for (const u of r.unconstrained)
    console.log(`  UNCONSTRAINED wire ${u.wire}: ${u.names.join(", ")}`);
  console.log("Free at some witnesses only (a different witness of the same statement):");
  table(
    ["signal", "wires", "free (wire, witness) pairs"],
    [...r.sometimesFree].map(([p, e]) => [p, e.wires, e.cases]),
  );
  if (r.unconstrained.length || r.violated) failed = true;
}

if (layers.has("wrong") && shardIndex === 0) {
  log(`layer 3 (${elapsed()})`);
  const { outcomes, neverFired } = await runWrongExecutors(
    config,
    guests,
    // The wrong step's hints as a cheating prover gives them (the division's q and r).
    (w) => chunkAccepts(circuits.chunk.wc, w.witness!, stepHintInputs(circuits, w.step, w.hints)),
    { allGuests: true },
  );
  const refused = outcomes.filter((o) => o.refused).length;
  console.log(`\nLayer 3: wrong executors (${refused} of ${outcomes.length} wrong chunks refused)`);
  table(
    ["wrong executor", "guest", "chunk", "step", "refused"],
    outcomes.map((o) => [o.wrong, o.guest, o.chunk, o.step, o.refused ? "yes" : "NO: ACCEPTED"]),
  );
  if (neverFired.length) console.log(`  changed nothing in any guest: ${neverFired.join(", ")}`);
  if (refused < outcomes.length) failed = true;
}
console.log(`\n${failed ? "FAILED" : "ok"} (${elapsed()})`);
process.exitCode = failed ? 1 : 0;
