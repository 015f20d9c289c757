/**
 * Hint overrides: the mutation harness's layer against missing constraints on `<--` hints. Every hint of the chunk circuit (the kind flags f, the division's q and r, isRead,
 * inv12, side, inUsed/outUsed, and circomlib's Num2Bits bits and IsZero inverses) is replaced,
 * one at a time, by the values a cheating prover would pick instead, in an instrumented
 * variant of the circuit (mutation-variants.ts):
 * - kind flags: the one-hot moved to every other kind;
 * - q and r: other quotient/remainder pairs, (q ± 1, r ∓ b) and (q + 2, r − 2b) (a = q·b + r
 *   still) and (q − 1, r − b), in the division's signed or unsigned reading, wrapped to 32
 *   bits; and alone q ± 1, p − q, 0, 2^32 − 1, r ± b, r ± 2^32, p − r, r + 1;
 * - booleans (isRead, side, bits, inUsed/outUsed): the other branch (and for inUsed/outUsed
 *   the used prefix moved by one);
 * - inverses: 0 and another value;
 * - any other hint: ±1, 0 and 1.
 *
 * A step-level override is judged on the chunk a cheating prover would build around it
 * (mutation-replay.ts): the forged step with the same inputs as the honest one, everything
 * after it made coherent. Outcomes:
 * - refused: the Step's constraints fail on the forged step, or the chunk's on the forged chunk;
 * - free: accepted, and the statement (sIn, sOut, cycles) is still true: the hint is not
 *   pinned where it does not matter (IsZero's inverse of 0, inv12 when no memory is accessed),
 *   a different witness of the same execution;
 * - SURVIVOR: the chunk circuit accepts a chunk whose sOut is not the state honest execution
 *   reaches: a forgery;
 * - unfit: the forged execution leaves the chunk's memory, pages or I/O slots.
 * Chunk-level hints (inUsed, outUsed, the chunk's own Num2Bits) are tried on the honest inputs.
 */
import { createHash } from "node:crypto";
import type { WitnessCalculator } from "circom_runtime";
import { getCircuit } from "../setup/registry.ts";
import {
  decode,
  loadElf,
  type ImageOpening,
  type ProgramImage,
  type StepRecord,
} from "../executor/index.ts";
import { buildElf, ECALL, encI, encR, encS, li, words } from "../executor/testing.ts";
import { loadWitnessCalculator, stepBehaviour } from "./mutation.ts";
import {
  compileVariant,
  PATH_BASE,
  readSymbols,
  SITE_STRIDE,
  type CompiledVariant,
  type SourceEdit,
} from "./mutation-variants.ts";
import {
  chunkAccepts,
  FIELD,
  NO_OVERRIDE,
  replay,
  statementHolds,
  StepCircuit,
  type ChunkContext,
} from "./mutation-replay.ts";
import type { ChunkCircuitConfig } from "./witness.ts";

const TWO32 = 1n << 32n;

/** One hint of one component instance. */
export interface HintSite {
  /** Report row: where the hint is, indices as *, e.g. "step: ab.out (Num2Bits)". */
  row: string;
  /** Signal name below the main component, e.g. "ab.out[3]". */
  name: string;
  template: string;
  signal: string;
  /** Path of its component from the main one (see mutation-variants.ts), and its site. */
  path: bigint;
  site: number;
  /** Index in the variant's witness. */
  index: number;
}

/** An override of one or two hints of the same step (or of the chunk). */
export interface Alternative {
  row: string;
  overrides: { site: HintSite; value: bigint }[];
}

const mod = (x: bigint) => ((x % FIELD) + FIELD) % FIELD;

/**
 * The hint sites of a variant, from its symbols; `skip` leaves out names (the chunk's steps,
 * which the step-level replay covers).
 */
export function hintSites(
  v: CompiledVariant,
  sym: Map<string, number>,
  level: "step" | "chunk",
  skip: (name: string) => boolean = () => false,
): HintSite[] {
  const sites: HintSite[] = [];
  for (const [full, index] of sym) {
    const name = full.replace(/^main\./, "");
    if (skip(name)) continue;
    const segs = name.split(".");
    let tmpl = v.main;
    const codes: bigint[] = [];
    let ok = true;
    for (const seg of segs.slice(0, -1)) {
      const m = /^(\w+)((?:\[\d+\])*)$/.exec(seg)!;
      const comp = v.templates[tmpl]?.components[m[1]!];
      if (!comp?.template) {
        ok = false;
        break;
      }
      const idx = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => BigInt(x[1]!));
      codes.push(2n + BigInt(comp.decl) + 64n * (idx[0] ?? 0n) + 16384n * (idx[1] ?? 0n));
      tmpl = comp.template;
    }
    if (!ok) continue;
    const last = /^(\w+)(?:\[(\d+)\])?$/.exec(segs.at(-1)!);
    if (!last) continue;
    const stmt = v.templates[tmpl]?.hints[last[1]!];
    if (stmt === undefined) continue;
    let path = 1n;
    for (let i = codes.length - 1; i >= 0; i--) path = path * PATH_BASE + codes[i]!;
    const where = segs
      .slice(0, -1)
      .map((s) => s.replace(/\[\d+\]/g, "[*]"))
      .join(".");
    const row =
      segs.length === 1
        ? `${level}: ${last[1] === "q" || last[1] === "r" ? "q, r" : last[1]}`
        : `${level}: ${where}.${last[1]} (${tmpl})`;
    sites.push({
      row,
      name,
      template: tmpl,
      signal: last[1]!,
      path,
      site: stmt * SITE_STRIDE + Number(last[2] ?? 0),
      index,
    });
  }
  return sites;
}

/** The override inputs (`hov`) of an alternative; `prefix` routes it into a component. */
export function overrideInputs(a: Alternative, prefix?: bigint): bigint[] {
  const hov = [...NO_OVERRIDE];
  a.overrides.forEach(({ site, value }, i) => {
    hov[3 * i] = prefix === undefined ? site.path : prefix + PATH_BASE * site.path;
    hov[3 * i + 1] = BigInt(site.site);
    hov[3 * i + 2] = mod(value);
  });
  return hov;
}

/**
 * The alternatives a cheating prover would pick for `site`, given the honest witness `w` of
 * its step (or chunk) and the other sites of the same component instance.
 */
export function alternatives(
  site: HintSite,
  w: readonly bigint[],
  siblings: (signal: string) => HintSite | undefined,
  value: (name: string) => bigint | undefined,
): Alternative[] {
  const h = w[site.index]!;
  const row = site.row;
  const one = (v: bigint) => ({ row, overrides: [{ site, value: mod(v) }] });
  const distinct = (vs: bigint[]) =>
    [...new Set(vs.map(mod))].filter((v) => v !== h).map((v) => one(v));
  const key = `${site.template}.${site.signal}`;
  switch (key) {
    case "Step.f": {
      // The one-hot moved to every other kind.
      if (h !== 1n) return [];
      const out: Alternative[] = [];
      for (let k = 0; k < 50; k++) {
        const other = siblings(`f[${k}]`);
        if (!other || other === site) continue;
        out.push({
          row,
          overrides: [
            { site, value: 0n },
            { site: other, value: 1n },
          ],
        });
      }
      return out;
    }
    case "Step.q": {
      const r = siblings("r")!;
      const rv = w[r.index]!;
      const b = value("b") ?? 0n;
      const signed = (value("f[42]") ?? 0n) + (value("f[44]") ?? 0n) === 1n;
      const s = (x: bigint) => (signed && x >= 1n << 31n ? x - TWO32 : x);
      const u = (x: bigint) => ((x % TWO32) + TWO32) % TWO32;
      const [qS, rS, bS] = [s(h), s(rv), s(b)];
      const pairs: [bigint, bigint][] = [
        [u(qS + 1n), u(rS - bS)],
        [u(qS - 1n), u(rS + bS)],
        [u(qS + 2n), u(rS - 2n * bS)],
        [u(qS - 1n), u(rS - bS)],
      ];
      const out: Alternative[] = [];
      const seen = new Set<string>();
      for (const [q, rr] of pairs) {
        if ((q === h && rr === rv) || seen.has(`${q},${rr}`)) continue;
        seen.add(`${q},${rr}`);
        out.push({
          row,
          overrides: [
            { site, value: q },
            { site: r, value: rr },
          ],
        });
      }
      return [...out, ...distinct([h + 1n, h - 1n, -h, TWO32 - 1n, 0n])];
    }
    case "Step.r": {
      const b = value("b") ?? 0n;
      return distinct([h + b, h - b, h + TWO32, h - TWO32, -h, h + 1n]);
    }
    case "IsZero.inv":
    case "Step.inv12":
      return distinct([0n, h + 1n]);
    case "Step.isRead":
    case "Step.side":
    case "Num2Bits.out":
    case "Num2BitsNeg.out":
      return distinct([1n - h]);
    case "Chunk.inUsed":
    case "Chunk.outUsed": {
      const out = distinct([1n - h]);
      // The used prefix moved by one: flip this slot and the next one when they differ.
      const j = Number(/\[(\d+)\]$/.exec(site.name)![1]);
      const next = siblings(`${site.signal}[${j + 1}]`);
      if (next && w[next.index] !== h)
        out.push({
          row,
          overrides: [
            { site, value: 1n - h },
            { site: next, value: 1n - w[next.index]! },
          ],
        });
      return out;
    }
    default:
      return distinct([h + 1n, h - 1n, 0n, 1n]);
  }
}

export interface HintRow {
  row: string;
  tried: number;
  chunks: Set<string>;
  refusedByStep: number;
  refusedByChunk: number;
  free: number;
  unfit: number;
  survivors: number;
}

export interface HintSurvivor {
  chunk: string;
  /** Step index in the chunk (-1: a chunk-level hint). */
  step: number;
  instruction: number;
  /** The values the step read: instruction, rs1, rs2, memory word, old rd. */
  reads: bigint[];
  row: string;
  overrides: { name: string; from: bigint; to: bigint }[];
  detail: string;
}

export interface HintReport {
  rows: Map<string, HintRow>;
  survivors: HintSurvivor[];
}

export const emptyHintReport = (): HintReport => ({ rows: new Map(), survivors: [] });

function rowOf(report: HintReport, row: string): HintRow {
  let r = report.rows.get(row);
  if (!r) {
    r = {
      row,
      tried: 0,
      chunks: new Set(),
      refusedByStep: 0,
      refusedByChunk: 0,
      free: 0,
      unfit: 0,
      survivors: 0,
    };
    report.rows.set(row, r);
  }
  return r;
}

/** The sites with each Num2Bits instance's bits reduced to its lowest and highest. */
function sampleBits(sites: readonly HintSite[]): HintSite[] {
  const range = new Map<string, [number, number]>();
  const inst = (s: HintSite) => s.name.replace(/\[\d+\]$/, "");
  for (const s of sites) {
    if (s.template !== "Num2Bits") continue;
    const [lo, hi] = range.get(inst(s)) ?? [Infinity, -Infinity];
    range.set(inst(s), [Math.min(lo, s.site), Math.max(hi, s.site)]);
  }
  return sites.filter((s) => {
    const r = range.get(inst(s));
    return !r || s.site === r[0] || s.site === r[1];
  });
}

/** The chunk circuit's side of the harness: its calculator, symbols and hint sites. */
export interface ChunkCircuit {
  wc: WitnessCalculator;
  sym: Map<string, number>;
  variant: CompiledVariant;
  /** Chunk-level hint sites (the steps' are the StepCircuit's). */
  sites: HintSite[];
  /** The path code of step k's component. */
  stepCode: (k: number) => bigint;
}

/** The chunk side of a compiled chunk variant. */
export function chunkCircuit(
  variant: CompiledVariant,
  wc: WitnessCalculator,
  sym: Map<string, number>,
): ChunkCircuit {
  const st = variant.templates[variant.main]!.components.st;
  if (!st) throw new Error("the chunk template has no component st");
  return {
    wc,
    sym,
    variant,
    sites: hintSites(variant, sym, "chunk", (n) => n.startsWith("st[")),
    stepCode: (k) => 2n + BigInt(st.decl) + 64n * BigInt(k),
  };
}

export interface HintRunOptions {
  /** Report label of the chunk, e.g. "allinsn#12". */
  label: string;
  ctx: ChunkContext;
  step: StepCircuit;
  stepSites: HintSite[];
  chunk: ChunkCircuit;
  /** Which alternatives to try (row, step index; -1 for chunk-level hints); all by default. */
  select?: (row: string, k: number) => boolean;
  /** Chunk-level hints: none, with each Num2Bits's bits sampled as `bits` says, or all. */
  chunkSites?: "none" | "sample" | "all";
  /**
   * Num2Bits bits of the steps: the lowest and highest of each ("sample", the default: a
   * flipped bit contradicts the sum it decomposes wherever it is) or all.
   */
  bits?: "sample" | "all";
  report: HintReport;
}

/** Tries every hint override of one chunk; adds to `report`. */
export async function runHintOverrides(o: HintRunOptions): Promise<void> {
  const { ctx, report, label } = o;
  const stepSites = o.bits === "all" ? o.stepSites : sampleBits(o.stepSites);
  const bySignal = new Map<string, Map<string, HintSite>>();
  for (const s of o.stepSites) {
    const inst = s.name.replace(/\.?\w+(\[\d+\])?$/, "");
    const key = s.name.slice(inst.length).replace(/^\./, "");
    if (!bySignal.has(inst)) bySignal.set(inst, new Map());
    bySignal.get(inst)!.set(key, s);
  }
  for (let k = 0; k < ctx.config.K; k++) {
    const honest = ctx.steps[k]!;
    const w = honest.witness;
    const value = (n: string) => {
      const i = o.step.symbols.get(`main.${n}`);
      return i === undefined ? undefined : w[i];
    };
    for (const site of stepSites) {
      if (o.select && !o.select(site.row, k)) continue;
      const inst = site.name.replace(/\.?\w+(\[\d+\])?$/, "");
      const sib = (sig: string) => bySignal.get(inst)?.get(sig);
      for (const alt of alternatives(site, w, sib, value)) {
        const row = rowOf(report, alt.row);
        row.tried++;
        row.chunks.add(label);
        const hov = overrideInputs(alt);
        const r = await replay(ctx, o.step, k, hov);
        if (r.outcome !== "ok") {
          if (r.outcome === "refused") row.refusedByStep++;
          else row.unfit++;
          continue;
        }
        if (r.unchanged) {
          row.free++;
          continue;
        }
        if (
          !(await chunkAccepts(o.chunk.wc, r.witness, overrideInputs(alt, o.chunk.stepCode(k))))
        ) {
          row.refusedByChunk++;
          continue;
        }
        if (await statementHolds(ctx, r.sOut, r.cyclesRetired)) {
          row.free++;
          continue;
        }
        row.survivors++;
        report.survivors.push({
          chunk: label,
          step: k,
          instruction: Number(honest.inputs.val[0]),
          reads: [...honest.inputs.val],
          row: alt.row,
          overrides: alt.overrides.map((x) => ({
            name: x.site.name,
            from: w[x.site.index]!,
            to: x.value,
          })),
          detail:
            `accepted chunk with sOut ${r.sOut} after ${r.cyclesRetired} cycles, ` +
            `not the state honest execution reaches`,
        });
      }
    }
  }
  const mode = o.chunkSites ?? "none";
  if (mode === "none") return;
  const full = await o.chunk.wc.calculateWitness(
    { ...ctx.honest, hov: NO_OVERRIDE.map(String) },
    true,
  );
  const byInst = new Map<string, HintSite[]>();
  for (const s of o.chunk.sites) {
    const inst = s.name.replace(/\[\d+\]$/, "");
    if (!byInst.has(inst)) byInst.set(inst, []);
    byInst.get(inst)!.push(s);
  }
  const sibling = (s: HintSite) => (sig: string) =>
    o.chunk.sites.find((x) => x.name === s.name.replace(/\w+(\[\d+\])?$/, sig));
  for (const group of byInst.values()) {
    for (const site of mode === "sample" ? sampleBits(group) : group) {
      if (o.select && !o.select(site.row, -1)) continue;
      for (const alt of alternatives(site, full, sibling(site), () => undefined)) {
        const row = rowOf(report, alt.row);
        row.tried++;
        row.chunks.add(label);
        if (!(await chunkAccepts(o.chunk.wc, ctx.honest, overrideInputs(alt)))) {
          row.refusedByChunk++;
          continue;
        }
        // Same inputs, so the same statement: a different witness of the same execution.
        row.free++;
      }
    }
  }
}

/** The instrumented circuits layer 1 (and layer 3's hints) run on. */
export interface HintCircuits {
  step: StepCircuit;
  stepSites: HintSite[];
  chunk: ChunkCircuit;
}

const bitsFor = (x: number) => {
  let n = 0;
  while (2 ** n <= x) n++;
  return n;
};

/**
 * Compiles (or finds cached) the instrumented chunk and step circuits of a configuration with
 * `edits`, and the step probe, and loads them.
 */
export async function loadHintCircuits(
  config: ChunkCircuitConfig,
  edits: SourceEdit[],
  options: { cacheDir: string; log?: (m: string) => void },
): Promise<HintCircuits> {
  const entry = getCircuit(config.name);
  const tag = edits.length
    ? `-${createHash("sha256").update(JSON.stringify(edits)).digest("hex").slice(0, 6)}`
    : "";
  const stepParams = [config.M, bitsFor(5 * config.K)];
  const [chunkV, stepV, probeV] = await Promise.all([
    compileVariant(
      {
        label: `${config.name}-hints${tag}`,
        file: entry.file,
        template: entry.template,
        params: [config.K, config.P, config.IO, config.M],
        publicInputs: entry.publicInputs,
        edits,
        instrument: true,
        sym: true,
      },
      options,
    ),
    compileVariant(
      {
        label: `step_M${config.M}_K${config.K}-hints${tag}`,
        file: "circuits/zkvm/step.circom",
        template: "Step",
        params: stepParams,
        edits: edits.filter(
          (e) => e.file === "circuits/zkvm/step.circom" || e.file === "circuits/zkvm/kinds.circom",
        ),
        instrument: true,
        sym: true,
      },
      options,
    ),
    compileVariant(
      {
        label: `step_M${config.M}_K${config.K}-probe`,
        file: "circuits/zkvm/step.circom",
        template: "Step",
        params: stepParams,
        instrument: true,
        noAsserts: true,
        sym: true,
      },
      options,
    ),
  ]);
  const [csym, ssym, psym] = (await Promise.all(
    [chunkV, stepV, probeV].map((v) => readSymbols(v.symPath!)),
  )) as [Map<string, number>, Map<string, number>, Map<string, number>];
  const step = new StepCircuit(
    await loadWitnessCalculator(stepV.wasmPath),
    ssym,
    await loadWitnessCalculator(probeV.wasmPath),
    psym,
  );
  return {
    step,
    stepSites: hintSites(stepV, ssym, "step"),
    chunk: chunkCircuit(chunkV, await loadWitnessCalculator(chunkV.wasmPath), csym),
  };
}

/**
 * The chunk circuit's override inputs setting Step signals of step k (at most two, e.g. the
 * division's q and r) to given values.
 */
export function stepHintInputs(
  circuits: HintCircuits,
  k: number,
  values: Record<string, bigint>,
): bigint[] {
  const overrides = Object.entries(values).map(([name, value]) => {
    const site = circuits.stepSites.find((s) => s.name === name);
    if (!site) throw new Error(`Step has no hint ${name}`);
    return { site, value };
  });
  if (overrides.length > 2) throw new Error("at most two hints at once");
  return overrideInputs({ row: "", overrides }, circuits.chunk.stepCode(k));
}

/**
 * What tells steps apart for the hints: stepBehaviour (operation, operand signs, divisor 0 or
 * −1, byte lane, syscall, jump, rd = x0), plus whether a division leaves a remainder (the
 * other (q, r) pairs exist) and whether a store or read syscall lands within 64 bytes of the
 * code range (the `side` hint's boundary).
 */
export function hintBehaviour(opening: ImageOpening): (s: StepRecord) => string {
  return (s) => {
    let tag = stepBehaviour(s);
    const [op] = decode(s.instruction);
    const [a, b] = [s.rs1Value, s.rs2Value];
    if (op >= 43 && op <= 46 && b !== 0) {
      const signed = op === 43 || op === 45;
      const rem = signed ? (b === -1 ? 0 : a % b) : (a >>> 0) % (b >>> 0);
      tag += rem === 0 ? ":r0" : ":r";
    }
    const m = s.memory;
    if (m?.write) {
      const near = m.address - opening.codeEnd < 64 && m.address >= opening.codeEnd;
      const below = opening.codeStart - m.address <= 64 && m.address < opening.codeStart;
      if (near || below) tag += ":near-code";
    }
    return tag;
  };
}

/**
 * A hand-assembled guest whose steps sit on edges of the hints that the committed guests do
 * not reach: DIV and REM of 1 by 0x7fffffff (the forged DIV 1/0x7fffffff = 1 of issue 12),
 * of −7 by 2 (signed and unsigned), by 0, and of −2^31 by −1; stores, loads and read syscalls
 * on the words just below its code and just past it (the `side` hint's boundary).
 */
export function edgeGuest(): { name: string; image: ProgramImage; input: Uint8Array } {
  const CODE = 0x2000;
  const [t0, t1, t2, t3, t4, s2, s3, s4, s5, s6] = [5, 6, 7, 8, 9, 18, 19, 20, 21, 22];
  const [a0, a1, a2, a7] = [10, 11, 12, 17];
  const R = (f3: number, rd: number, rs1: number, rs2: number) => encR(1, rs2, rs1, f3, rd, 0x33);
  const [DIV, DIVU, REM, REMU] = [4, 5, 6, 7];
  const program = (codeEnd: number) => [
    ...li(t0, 1),
    ...li(t1, 0x7fffffff),
    R(DIV, t2, t0, t1),
    R(REM, t3, t0, t1),
    ...li(t4, -7),
    ...li(s2, 2),
    R(DIV, t2, t4, s2),
    R(REM, t3, t4, s2),
    R(DIVU, t2, t4, s2),
    R(REMU, t3, t4, s2),
    R(DIV, t2, t0, 0),
    R(REM, t3, t0, 0),
    R(DIVU, t2, t0, 0),
    R(REMU, t3, t0, 0),
    ...li(s3, 0x80000000),
    ...li(s4, -1),
    R(DIV, t2, s3, s4),
    R(REM, t3, s3, s4),
    // the word just below the code: SW, SB into its top byte, LW
    ...li(s5, CODE - 4),
    encS(0, t1, s5, 2),
    encS(3, t0, s5, 0),
    encI(0, s5, 2, t2, 0x03),
    // the word just past the code: SW, SH into its upper half, LBU of a byte 0xff
    ...li(s6, codeEnd),
    encS(0, t1, s6, 2),
    encS(2, t0, s6, 1),
    encI(1, s6, 4, t2, 0x03),
    // read(0, codeEnd + 5, 1), then read(0, CODE - 1, 1)
    ...li(a7, 63),
    ...li(a0, 0),
    ...li(a1, codeEnd + 5),
    ...li(a2, 1),
    ECALL,
    ...li(a0, 0),
    ...li(a1, CODE - 1),
    ECALL,
    ...li(a0, 0),
    ...li(a7, 93),
    ECALL,
  ];
  const n = program(0).length;
  const elf = buildElf([{ vaddr: CODE, data: words(program(CODE + 4 * n)), flags: 5 }], CODE);
  return { name: "edges", image: loadElf(elf), input: new TextEncoder().encode("AB") };
}
