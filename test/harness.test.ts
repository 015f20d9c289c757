/**
 * The mutation harness's layers against missing constraints, on the test configuration:
 * hint overrides judged on coherent forged chunks (prover/zkvm/mutation-hints.ts), R1CS wire
 * perturbation (mutation-r1cs.ts) and coherent wrong executions (mutation-wrong.ts). Each must
 * see `signedDiv * rSign === 0` deleted from step.circom (or a constraint deleted from the
 * r1cs), and find nothing on the committed circuit. A sample: `npm run mutate:hints` runs all.
 * Variants compile once into .cache/mutation (about 2 minutes the first time).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decode,
  execute,
  executeChunked,
  imageOpening,
  loadElf,
  type ChunkRecord,
  type StepRecord,
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
  type HintCircuits,
  type HintReport,
} from "../prover/zkvm/mutation-hints.ts";
import {
  loadR1csCircuit,
  WireCheck,
  wireIndex,
  withoutConstraints,
  type R1csCircuit,
} from "../prover/zkvm/mutation-r1cs.ts";
import { chunkAccepts, chunkContext } from "../prover/zkvm/mutation-replay.ts";
import { CIRCUIT_VARIANTS } from "../prover/zkvm/mutation-variants.ts";
import {
  runWrongExecutors,
  WRONG_EXECUTORS,
  type GuestRun,
  type WrongChunk,
} from "../prover/zkvm/mutation-wrong.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const config = chunkCircuitConfig("rv32im_K8_P4_IO4_M20");
const cacheDir = defaultCacheDir();
type Guest = GuestRun & { chunks: ChunkRecord[] };
const guests: Record<string, Guest> = {};
let unchanged: HintCircuits;
let noRsign: HintCircuits;

async function guest(name: string): Promise<Guest> {
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${name}.elf`)));
  const input = GUEST_INPUTS[name]!;
  const { chunks } = await executeChunked(image, input, chunkLimits(config));
  const cycles = execute(image, input).cycles;
  return { name, image, input, opening: await imageOpening(image), cycles, chunks };
}

const DIVISIONS = new Set([43, 44, 45, 46]); // DIV, DIVU, REM, REMU (executor op codes)
const isDivision = (s: StepRecord) => DIVISIONS.has(decode(s.instruction)[0]);
/** Chunks of a guest that show every behaviour of `pick` steps (others ignored). */
const covering = (g: Guest, pick: (s: StepRecord) => boolean) => {
  const tag = hintBehaviour(g.opening);
  return coveringChunks(g.chunks, new Set(), {
    endpoints: false,
    behaviour: (s) => (pick(s) ? tag(s) : "other"),
  }).filter((i) => g.chunks[i]!.stepRecords.some(pick));
};

async function hintRun(
  c: HintCircuits,
  g: Guest,
  indices: number[],
  options: Pick<Parameters<typeof runHintOverrides>[0], "select" | "chunkSites"> = {},
  report: HintReport = emptyHintReport(),
): Promise<HintReport> {
  for (const i of indices) {
    const ctx = await chunkContext(config, g.opening, g.image, g.input, g.chunks[i]!, c.step);
    await runHintOverrides({
      label: `${g.name}#${i}`,
      ctx,
      step: c.step,
      stepSites: c.stepSites,
      chunk: c.chunk,
      report,
      ...options,
    });
  }
  return report;
}

beforeAll(async () => {
  for (const g of ["allinsn", "sort", "ledger"]) guests[g] = await guest(g);
  const e = edgeGuest();
  const { chunks } = await executeChunked(e.image, e.input, chunkLimits(config));
  const cycles = execute(e.image, e.input).cycles;
  guests.edges = { ...e, opening: await imageOpening(e.image), cycles, chunks };
  unchanged = await loadHintCircuits(config, [], { cacheDir });
  noRsign = await loadHintCircuits(config, CIRCUIT_VARIANTS["no-rsign"]!.edits, { cacheDir });
});

describe("hint overrides", () => {
  it("replays chunks step by step exactly as witness.ts builds their witnesses", async () => {
    // chunkContext throws when its honest replay differs from witness.ts in any input.
    const g = guests.sort!;
    const withRead = g.chunks.findIndex((c) => c.stepRecords.some((s) => s.io?.kind === "read"));
    for (const i of [0, withRead, g.chunks.length - 1]) {
      const ctx = await chunkContext(
        config,
        g.opening,
        g.image,
        g.input,
        g.chunks[i]!,
        unchanged.step,
      );
      expect(ctx.steps).toHaveLength(config.K);
    }
  });

  it("forges DIV 1/0x7fffffff = 1 once `signedDiv * rSign === 0` is deleted", async () => {
    const qr = { select: (row: string) => row === "step: q, r" };
    const weak = await hintRun(noRsign, guests.edges!, [0], qr);
    // q = 1, r = 1 - 0x7fffffff: a = q·b + r and |r| < |b|, but r is negative while a is not.
    expect(
      weak.survivors.some(
        (s) =>
          decode(s.instruction)[0] === 43 &&
          s.reads[1] === 1n &&
          s.reads[2] === 0x7fffffffn &&
          s.overrides.some((o) => o.name === "q" && o.to === 1n) &&
          s.overrides.some((o) => o.name === "r" && o.to === 0x80000002n),
      ),
    ).toBe(true);
    // The same alternatives on the committed circuit are refused.
    const strong = await hintRun(unchanged, guests.edges!, [0], qr);
    expect(strong.survivors).toEqual([]);
    expect(strong.rows.get("step: q, r")!.tried).toBe(weak.rows.get("step: q, r")!.tried);
  });

  it("finds forged divisions in the committed guests once `signedDiv * rSign === 0` is deleted", async () => {
    const g = guests.allinsn!;
    const weak = await hintRun(noRsign, g, covering(g, isDivision), {
      select: (row) => row === "step: q, r",
    });
    expect(weak.survivors.length).toBeGreaterThan(0);
    // Each is a signed division whose other (q, r) pair gives r the sign a does not have.
    for (const s of weak.survivors) {
      expect([43, 45]).toContain(decode(s.instruction)[0]);
      const r = s.overrides.find((o) => o.name === "r")!;
      expect(r.to).not.toBe(0n);
      expect(r.to >= 1n << 31n).not.toBe(s.reads[1]! >= 1n << 31n);
    }
  });

  it("lets no override of any hint survive on the committed circuit", async () => {
    const report = emptyHintReport();
    // Every hint of every step of the edge guest (divisions by 0, -1 and with remainders of
    // either sign; stores, loads and reads at both ends of the code) and its chunk's hints.
    const e = guests.edges!;
    const chunkRows = /^chunk: (inUsed|outUsed|exitOutBits|csb)/;
    const select = (row: string, k: number) => k >= 0 || chunkRows.test(row);
    for (const i of e.chunks.keys())
      await hintRun(unchanged, e, [i], { chunkSites: i === 5 ? "all" : "none", select }, report);
    // q and r of every division behaviour of allinsn.
    const a = guests.allinsn!;
    await hintRun(
      unchanged,
      a,
      covering(a, isDivision),
      { select: (row) => row === "step: q, r" },
      report,
    );
    expect(report.survivors).toEqual([]);
    const rows = [
      "f",
      "q, r",
      "isRead",
      "inv12",
      "side",
      "bZero.inv (IsZero)",
      "ab.out (Num2Bits)",
    ];
    for (const row of rows) expect(report.rows.get(`step: ${row}`)?.tried, row).toBeGreaterThan(0);
    for (const row of ["inUsed", "outUsed", "exitOutBits.out (Num2Bits)"])
      expect(report.rows.get(`chunk: ${row}`)?.tried, row).toBeGreaterThan(0);
    // Moving the one-hot kind is refused by the step's decoding, except to IDLE (a shorter,
    // true chunk) and kinds whose accesses leave the chunk's pages.
    const f = report.rows.get("step: f")!;
    expect(f.refusedByStep).toBeGreaterThan(f.tried * 0.9);
    expect(f.survivors).toBe(0);
  });
});

describe("R1CS wire perturbation", () => {
  let c: R1csCircuit;
  const witnesses: bigint[][] = [];
  beforeAll(async () => {
    c = await loadR1csCircuit(config, { cacheDir });
    for (const g of Object.values(guests))
      for (const i of [0, ...coveringChunks(g.chunks).slice(1, 3)])
        witnesses.push(
          await c.wc.calculateWitness(
            chunkWitness(config, g.opening, g.chunks[i]!, 0xc0ffeen),
            true,
          ),
        );
  });

  it("finds no unconstrained wire on the committed circuit", () => {
    const check = new WireCheck(c);
    for (const w of witnesses) check.add(w);
    const r = check.report();
    expect(r.violated).toBe(0);
    expect(r.unconstrained).toEqual([]);
    // What is free at some witnesses is an inverse of 0 (IsZero's, inv12), pinned elsewhere.
    for (const p of r.sometimesFree.keys()) expect(p).toMatch(/\.(inv|inv12)$/);
  });

  it("reports the public prover input once the constraint binding it is deleted", () => {
    const wire = [...c.names].find(([, n]) => n.includes("main.prover"))![0];
    const binding = c.r1cs.constraints.flatMap((lcs, i) =>
      lcs.some((l) => l.wires.includes(wire)) ? [i] : [],
    );
    expect(binding.length).toBeGreaterThan(0);
    const r1cs = withoutConstraints(c.r1cs, binding);
    const check = new WireCheck({ ...c, r1cs, index: wireIndex(r1cs) });
    for (const w of witnesses.slice(0, 2)) check.add(w);
    expect(check.report().unconstrained.map((u) => u.wire)).toContain(wire);
  });
});

describe("wrong executors", () => {
  const judge = (c: () => HintCircuits) => (w: WrongChunk) =>
    chunkAccepts(c().chunk.wc, w.witness!, stepHintInputs(c(), w.step, w.hints));
  const runs = () => ["allinsn", "sort", "ledger", "edges"].map((g) => guests[g]!);

  it("has every coherent wrong execution refused by the committed circuit", async () => {
    const { outcomes, neverFired } = await runWrongExecutors(
      config,
      runs(),
      judge(() => unchanged),
    );
    expect(neverFired).toEqual([]);
    expect(outcomes).toHaveLength(WRONG_EXECUTORS.length);
    expect(outcomes.filter((o) => !o.refused)).toEqual([]);
  });

  it("has DIV rounding toward -inf accepted once `signedDiv * rSign === 0` is deleted", async () => {
    const wrongs = WRONG_EXECUTORS.filter((w) => /^(DIV rounds toward|REM takes)/.test(w.name));
    const { outcomes } = await runWrongExecutors(
      config,
      runs(),
      judge(() => noRsign),
      { wrongs },
    );
    expect(outcomes.map((o) => o.refused)).toEqual([false, false]);
  });
});
