/**
 * Inputs of the versioned-cells chunk core (circuits/zkvm/chunk2.circom, `Chunk2Core`; issue 12,
 * the network's since 2026-12-02) for one chunk record.
 *
 * The chunk comes from a word-mode run (`chunk2Limits`: whole-buffer I/O, cut by K steps and by
 * the NC − 32 memory words a chunk pages). Its steps are planned as for today's chunk
 * (witness.ts's `planSteps`: the same slots, values and writes) except reads and writes,
 * which are SYSA then one SYSB per transfer step (`planSteps2`), with memory named as Step2
 * names it: a word inside the code range is the code cell CODE + w, every other word the data
 * cell 32 + w. A cell's in-chunk time starts at 0 when it is paged in; each slot access reads
 * at its last time and writes at tNow = 1 + 5k + slot, so the distances are those of today's
 * chunk. The paged cells are the registers (slots 0..31)
 * and every memory cell the chunk touches, in increasing order; each carries its value at the
 * chunk's start and end, its last in-chunk time, and its version time in the job (`tin`: from
 * the versioned executor, or 0 for the image).
 *
 * The lookup multiplicities depend on values only the circuit computes (the adder's sum, the
 * product window, the quotient), so they are counted from a first witness of a build without
 * its constraints (`countLookups`), as a prover would.
 */
import type { Poseidon } from "circomlibjs";
import {
  hash,
  imageIdOf,
  MemoryTree,
  pageWords,
  SYS_READ,
  type ImageOpening,
  type ChunkRecord,
  type ProgramImage,
  type StepRecord,
  type VmState,
} from "../executor/index.ts";
import { A0, A1, A2, A7, planSteps, wordCell, WitnessError, type PlannedStep } from "./witness.ts";

/** A step as Step2 takes it: the slots as today's planner names them, and a SYSB's I/O. */
interface Planned2 extends Pick<PlannedStep, "cells" | "writes"> {
  /** SYSB: bytes moved; the word after it when the call transfers (else 0). */
  ioN: number;
  ioNew: number;
}

const u32 = (v: number): number => v >>> 0;

/**
 * Step2's steps for one record of a word-mode run (executeChunked with io: "word"): a read or
 * write ecall's first transfer step is SYSA then SYSB, every later one a SYSB; other records
 * as today's planner plans them.
 */
export function planSteps2(r: StepRecord, regs: (cell: number) => number): Planned2[] {
  if (!r.io) return planSteps(r, regs).map((s) => ({ ...s, ioN: 0, ioNew: 0 }));
  const { io } = r;
  const fetch = wordCell(r.pc);
  const moved = io.n > 0; // only a call that transfers moves bytes
  const sysB: Planned2 = {
    cells: [fetch, A1, A2, moved ? wordCell(r.memory!.wordAddress) : 0, A0],
    writes: [
      null,
      null,
      null,
      moved ? u32(r.memory!.after) : null,
      io.last ? u32(r.rdValue) : null,
    ],
    ioN: io.n,
    ioNew: moved ? u32(r.memory!.after) : 0,
  };
  if (io.done > 0) return [sysB];
  const sysA: Planned2 = {
    cells: [fetch, A7, A2, 0, A0],
    writes: [null, null, null, null, null],
    ioN: 0,
    ioNew: 0,
  };
  return [sysA, sysB];
}

/** Step2's io state in a state: zeros, or the transfer a chunk boundary falls inside. */
export function ioState(s: VmState): number[] {
  const done = s.ioDone ?? 0;
  if (done === 0) return [0, 0, 0, 0, 0, 0];
  const regs = s.registers;
  const read = regs[A7] === SYS_READ ? 1 : 0;
  return [1, read, 1, 1, read === 0 && regs[A0] === 1 ? 1 : 0, done];
}

/**
 * How the orchestrator cuts a job for this chunk: K circuit steps, whole-buffer I/O, at most
 * NC − 32 distinct memory words (the paged cells beside the 32 registers; every instruction
 * fetch and data access pages its word), no page or I/O limit. A step pages at most 2 words,
 * so K ≤ (NC − 32) / 2 never cuts by cells (the test configuration); at K = 1,024, NC = 256 a
 * chunk that reads a buffer ends after 224 words. A chunk that ends inside a transfer ends on
 * its last step; the steps after a job's exit are idle.
 */
export const chunk2Limits = (cfg: { K: number; NC: number }) => {
  if (!Number.isInteger(cfg.NC) || cfg.NC < 34)
    throw new RangeError(`NC must be >= 34, got ${cfg.NC}`);
  return {
    chunkSize: cfg.K,
    maxCells: cfg.NC - 32,
    circuitAccounting: true,
    io: "word",
    // memory crosses chunks as versioned cells: no Merkle tree, no chunk-circuit digests
    merkle: false,
  } as const;
};

/** The public output bytes written before a state (word mode only). */
function outputPosition(s: VmState): number {
  const p = s.outputPosition;
  if (p === undefined) throw new WitnessError("not a word-mode state (chunk2Limits)");
  return p;
}

/**
 * The fields of a versioned-cells chunk's state digest (Chunk2's sIn, sOut), in order: image,
 * version time t of the chunk that starts in it, cycles, pc, halted, exit code, io state,
 * input and output positions. Memory and registers are not in it: they are versioned cells.
 */
export function state2Fields(s: VmState, t: number): bigint[] {
  return [
    s.imageId,
    BigInt(t),
    BigInt(s.cycles),
    BigInt(s.pc >>> 0),
    s.halted ? 1n : 0n,
    BigInt(s.exitCode >>> 0),
    ...ioState(s).map(BigInt),
    BigInt(s.inputPosition),
    BigInt(outputPosition(s)),
  ];
}

/**
 * Chunk2's state digest of its 14 fields (`state2Fields`), in hashes a contract computes
 * (circomlibjs's Poseidon contracts take at most 6 inputs): Poseidon(Poseidon(image, t,
 * cycles, pc, halted, exit), Poseidon(io state), input position, output position).
 */
export function digestOfState2Fields(p: Poseidon, f: readonly bigint[]): bigint {
  if (f.length !== 14) throw new WitnessError(`a state digest has 14 fields, got ${f.length}`);
  const io = f.slice(6, 12);
  return hash(p, [hash(p, f.slice(0, 6)), ioDigest(p, io), f[12]!, f[13]!]);
}

/** Poseidon of the io state; outside a transfer (all zeros, most boundaries) computed once. */
const zeroIo = new WeakMap<Poseidon, bigint>();
function ioDigest(p: Poseidon, io: bigint[]): bigint {
  if (io.some((v) => v !== 0n)) return hash(p, io);
  let h = zeroIo.get(p);
  if (h === undefined) zeroIo.set(p, (h = hash(p, io)));
  return h;
}

/** Chunk2's state digest of a state (`digestOfState2Fields` over `state2Fields`). */
export const state2Digest = (p: Poseidon, s: VmState, t: number): bigint =>
  digestOfState2Fields(p, state2Fields(s, t));

/** Step2's NIB lookups a step makes (nibbles.circom's NPLAIN(TB)); 8 AND tuples beside them. */
export const nPlain = (TB: number): number => 52 + 5 * Math.floor(TB / 4);

/** The cell of code word w. */
export const CODE_CELL = 1 << 23;

export interface Chunk2CoreConfig {
  K: number;
  /** Paged cell slots (32 registers included). */
  NC: number;
  /** Bits of an in-chunk time (5K < 2^TB). */
  TB: number;
  /** log2 of the memory size. */
  M: number;
  /** Bits of a NIB count; nibbles of an AND count. */
  MB: number;
  NM: number;
}

export interface CodeRange {
  codeStart: number;
  codeEnd: number;
}

const dec = (v: number | bigint) => BigInt(v).toString();
/** A stand-in for the verifier's job-wide challenge when none is given (tests, benches). */
const DEV_GAMMA = 0x1d6b2f04_93c8e57a_206f4b19_c3e8d275_5a0f9c63_e1b74d28_8c35f0a1_6d2e9b47n;

/**
 * The core's inputs for `chunk`, with every multiplicity 0 (see `countLookups`).
 * @throws WitnessError when the chunk needs more steps or cells than the configuration has.
 */
export function chunk2CoreInputs(
  cfg: Chunk2CoreConfig,
  code: CodeRange,
  chunk: ChunkRecord,
  version: { t: number; tin: (cell: number) => number; gammaJob?: bigint } = {
    t: 1,
    tin: () => 0,
  },
): Record<string, unknown> {
  const { K, NC } = cfg;
  const rename = (old: number): number => {
    if (old < 32) return old;
    const w = old - 32;
    return w * 4 >= code.codeStart && w * 4 < code.codeEnd ? CODE_CELL + w : old;
  };
  // values by the planner's (old) cell names; times and first values by the new names
  const value = new Map<number, number>();
  chunk.stateIn.registers.forEach((v, c) => value.set(c, v >>> 0));
  for (const pg of chunk.pages)
    for (let i = 0; i < 16; i++) value.set(32 + 16 * pg.index + i, pg.before[i]!);
  const read = (cell: number): number => {
    const v = value.get(cell);
    if (v === undefined) throw new WitnessError(`chunk ${chunk.index}: cell ${cell} not paged`);
    return v;
  };
  const first = new Map<number, number>(); // new cell -> value at the chunk's start
  const time = new Map<number, number>(); // new cell -> last in-chunk time
  for (let c = 0; c < 32; c++) {
    first.set(c, read(c));
    time.set(c, 0);
  }

  const val: string[][] = [];
  const d: string[][] = [];
  const ioN: string[] = [];
  const ioNew: string[] = [];
  const isCodeLoad: string[] = [];
  const push = (s: Planned2) => {
    const k = val.length;
    if (k >= K) throw new WitnessError(`chunk ${chunk.index} needs more than K=${K} steps`);
    const vs: string[] = [];
    const ds: string[] = [];
    for (let slot = 0; slot < 5; slot++) {
      const old = s.cells[slot]!;
      const cell = rename(old);
      const v = read(old);
      if (!first.has(cell)) {
        first.set(cell, v);
        time.set(cell, 0);
      }
      const tNow = 1 + 5 * k + slot;
      vs.push(dec(v));
      ds.push(dec(tNow - 1 - time.get(cell)!));
      const w = s.writes[slot];
      if (w !== null && w !== undefined && old !== 0) value.set(old, w);
      time.set(cell, tNow);
    }
    val.push(vs);
    d.push(ds);
    ioN.push(dec(s.ioN));
    ioNew.push(dec(s.ioNew));
    isCodeLoad.push(dec(rename(s.cells[3]!) >= CODE_CELL ? 1 : 0));
  };
  for (const r of chunk.stepRecords) for (const s of planSteps2(r, read)) push(s);
  while (val.length < K)
    push({ cells: [0, 0, 0, 0, 0], writes: [null, null, null, null, null], ioN: 0, ioNew: 0 });

  const old = (cell: number) => (cell >= CODE_CELL ? 32 + cell - CODE_CELL : cell);
  const memory = [...first.keys()].filter((c) => c >= 32).sort((a, b) => a - b);
  if (32 + memory.length > NC)
    throw new WitnessError(
      `chunk ${chunk.index} touches ${memory.length} memory cells > ${NC - 32}`,
    );
  const cells = [...Array(32).keys(), ...memory];
  const slot = (i: number) => cells[i];
  const pad = <T>(f: (c: number) => T, none: T) =>
    Array.from({ length: NC }, (_, i) => (slot(i) === undefined ? none : f(slot(i)!)));
  return {
    gammaJob: dec(version.gammaJob ?? DEV_GAMMA),
    t: dec(version.t),
    pcIn: dec(chunk.stateIn.pc >>> 0),
    haltedIn: dec(chunk.stateIn.halted ? 1 : 0),
    exitIn: dec(chunk.stateIn.exitCode >>> 0),
    ioIn: ioState(chunk.stateIn).map(dec),
    inPosIn: dec(chunk.stateIn.inputPosition),
    outPosIn: dec(outputPosition(chunk.stateIn)),
    val,
    d,
    ioN,
    ioNew,
    isCodeLoad,
    used: pad(() => "1", "0"),
    cell: pad((c) => dec(c), "0"),
    vin: pad((c) => dec(first.get(c)!), "0"),
    tin: pad((c) => dec(version.tin(c)), "0"),
    vout: pad((c) => dec(read(old(c))), "0"),
    tlast: pad((c) => dec(time.get(c)!), "0"),
    m: Array<string>(272).fill("0"),
  };
}

/**
 * The lookup multiplicities of a core witness computed without constraints: the steps' AND
 * tuples by (x, y), every NIB key (the steps', vout's and tlast's nibbles) by value, then the
 * AND counts' own nibbles.
 * @param signal a signal's value in that witness by name (without `main.`)
 */
export function countLookups(
  cfg: Chunk2CoreConfig,
  nPlain: number,
  signal: (name: string) => bigint,
): string[] {
  const m = new Array<number>(272).fill(0);
  const nib = (v: bigint) => {
    if (v < 0n || v > 15n) throw new WitnessError(`a nibble of ${v}`);
    return Number(v);
  };
  for (let k = 0; k < cfg.K; k++) {
    for (let j = 0; j < 8; j++) {
      const x = nib(signal(`stp[${k}].andT[${3 * j}]`));
      const y = nib(signal(`stp[${k}].andT[${3 * j + 1}]`));
      m[16 + x + 16 * y]!++;
    }
    for (let j = 0; j < nPlain; j++) m[nib(signal(`stp[${k}].nibKey[${j}]`))]!++;
  }
  const nd = Math.floor(cfg.TB / 4);
  for (let i = 0; i < cfg.NC; i++) {
    for (let j = 0; j < 8; j++) m[nib(signal(`vn[${8 * i + j}]`))]!++;
    for (let j = 0; j < nd; j++) m[nib(signal(`tn[${nd * i + j}]`))]!++;
  }
  for (let j = 16; j < 272; j++) for (let c = 0; c < cfg.NM; c++) m[(m[j]! >> (4 * c)) & 15]!++;
  return m.map(String);
}

/** Who proves a chunk and the job-wide context it is proven in. */
export interface Chunk2Context {
  /** Its version time: its number in the job + 1. */
  t: number;
  /** The version time of the chunk that last paged a cell before it (0: the image's). */
  tin: (cell: number) => number;
  gammaJob: bigint;
  /** The reward address, as a field element. */
  prover: bigint;
}

/**
 * The full chunk's inputs (circuits/zkvm/chunk2.circom, `Chunk2`): the core's, the two state
 * digests, the image, the prover and the cycles it retires. `commitment` and `jobSum` are left
 * 0: they are the core's transcript and share, which the prover reads from a first witness
 * (round 1: the transcript does not depend on gammaJob) and fills in (`withRound1`).
 */
export function chunk2Inputs(
  p: Poseidon,
  cfg: Chunk2CoreConfig,
  code: CodeRange,
  chunk: ChunkRecord,
  ctx: Chunk2Context,
): Record<string, unknown> {
  return {
    sIn: dec(state2Digest(p, chunk.stateIn, ctx.t)),
    sOut: dec(state2Digest(p, chunk.stateOut, ctx.t + 1)),
    imageId: dec(chunk.stateIn.imageId),
    prover: dec(ctx.prover),
    cyclesRetired: dec(chunk.stateOut.cycles - chunk.stateIn.cycles),
    commitment: "0",
    jobSum: "0",
    cyclesIn: dec(chunk.stateIn.cycles),
    ...chunk2CoreInputs(cfg, code, chunk, ctx),
  };
}

/** One cell's versions across a job, as the job's boundary proof sees it. */
export interface BoundaryCell2 {
  cell: number;
  /** Its value in the image (registers: the entry's; code and data words: the image's). */
  image: number;
  /** Its last version: the value and the version time of the last chunk that paged it. */
  vlast: number;
  tlast: number;
}

/**
 * The version times of a whole word-mode job's chunks: `contexts` gives each chunk's
 * Chunk2Context (its t = index + 1, and for each cell the t of the last chunk before it that
 * paged it), computed as the chunks are prepared in order; `boundary` lists every cell the job
 * paged, in increasing order, with its image value and last version — what the boundary proof
 * produces and consumes.
 */
export class JobVersions {
  private readonly last = new Map<number, { v: number; t: number }>();
  constructor(private readonly image: ProgramImage) {}

  /** The context of the next chunk; `record` then takes the inputs built with it. */
  context(t: number, gammaJob: bigint, prover: bigint): Chunk2Context {
    return { t, tin: (c) => this.last.get(c)?.t ?? 0, gammaJob, prover };
  }

  /** Records the cells a chunk's inputs page and their values at its end. */
  record(inputs: Record<string, unknown>): void {
    const t = Number(inputs.t);
    const used = inputs.used as string[];
    const cell = inputs.cell as string[];
    const vout = inputs.vout as string[];
    used.forEach((u, i) => {
      if (u === "1") this.last.set(Number(cell[i]), { v: Number(vout[i]), t });
    });
  }

  boundary(): BoundaryCell2[] {
    const view = new DataView(this.image.memory.buffer, this.image.memory.byteOffset);
    const imageValue = (cell: number): number => {
      if (cell < 32) return cell === 2 ? this.image.memorySize : 0; // sp at the entry
      const w = cell >= CODE_CELL ? cell - CODE_CELL : cell - 32;
      return view.getUint32(4 * w, true);
    };
    return [...this.last.entries()]
      .sort(([a], [b]) => a - b)
      .map(([cell, { v, t }]) => ({ cell, image: imageValue(cell), vlast: v, tlast: t }));
  }
}

/** The cell's page and word: registers have none (null). */
const cellWord = (cell: number): number | null =>
  cell < 32 ? null : cell >= CODE_CELL ? cell - CODE_CELL : cell - 32;

/**
 * The boundary proof's inputs (circuits/zkvm/boundary.circom, `Boundary(NP, D)`) for a job's
 * cells (`JobVersions.boundary()`): the registers' last versions, and every page holding a
 * paged memory cell, in increasing order, with its image words, its Merkle path in the image's
 * memory tree and each word's last version (a word no chunk touched: its image value at 0).
 * @throws WitnessError when the job touches more than NP pages
 */
export function boundaryInputs(
  p: Poseidon,
  image: ProgramImage,
  opening: ImageOpening,
  cells: BoundaryCell2[],
  NP: number,
  gammaJob: bigint,
): Record<string, unknown> {
  const tree = MemoryTree.fromMemory(p, image.memory);
  const regV = Array<string>(32).fill("0");
  const regT = Array<string>(32).fill("0");
  const last = new Map<number, BoundaryCell2>(); // word -> its last version
  for (const c of cells) {
    const w = cellWord(c.cell);
    if (w === null) {
      regV[c.cell] = dec(c.vlast);
      regT[c.cell] = dec(c.tlast);
    } else last.set(w, c);
  }
  const pages = [...new Set([...last.keys()].map((w) => w >> 4))].sort((a, b) => a - b);
  if (pages.length > NP)
    throw new WitnessError(`the job touches ${pages.length} pages, the boundary proof ${NP}`);
  const slot = <T>(f: (page: number) => T, none: T) =>
    Array.from({ length: NP }, (_, i) => (i < pages.length ? f(pages[i]!) : none));
  const zeros16 = Array<string>(16).fill("0");
  const words = (g: number) => Array.from(pageWords(image.memory, g), dec);
  const lastOf = (g: number, f: (c: BoundaryCell2 | undefined, image: number) => number) => {
    const img = pageWords(image.memory, g);
    return Array.from({ length: 16 }, (_, j) => dec(f(last.get(16 * g + j), img[j]!)));
  };
  return {
    imageId: dec(imageIdOf(p, opening)),
    gammaJob: dec(gammaJob),
    entry: dec(opening.entry),
    memorySize: dec(opening.memorySize),
    codeStart: dec(opening.codeStart),
    codeEnd: dec(opening.codeEnd),
    initRoot: dec(opening.initRoot),
    regV,
    regT,
    used: slot(() => "1", "0"),
    page: slot(dec, "0"),
    words: slot(words, zeros16),
    sib: slot((g) => tree.siblings(g).map(dec), Array<string>(tree.depth).fill("0")),
    vlast: slot((g) => lastOf(g, (c, img) => (c ? c.vlast : img)), zeros16),
    tlast: slot((g) => lastOf(g, (c) => (c ? c.tlast : 0)), zeros16),
  };
}
