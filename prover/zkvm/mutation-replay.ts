/**
 * A second witness generator for the chunk circuit, driven by the circuit's own Step template:
 * the mutation harness's model of a cheating prover who changes one hint of one step and then
 * makes everything after it coherent.
 *
 * The chunk is replayed step by step with the Step template's witness calculator as the
 * transition function, over a memory model (registers, every word of memory at the chunk's
 * start, last write times): each step reads the cells its slots name and the replay feeds it
 * what those cells hold, the distances to their last writes and the next input byte; it then
 * applies the step's writes, input and output events, pc, halted flag, exit code and cycles.
 * A step's cells depend on what it reads (the fetched word names rs1, rs1's value the data
 * address), so each step is first run on a copy of the Step without its `===` (a probe) until
 * its cells and values agree, then on the real Step, whose constraints decide. After the last
 * step the chunk's remaining inputs follow: final registers and times, the touched pages
 * before and after with Merkle siblings for the sequential update, input and output slots,
 * and sOut from the final state.
 *
 * Without an override the replay reproduces witness.ts's witness exactly (checked every time
 * a chunk context is made). With an override at step k (a hint of step k replaced, see
 * mutation-variants.ts), the steps after k follow from the forged step with honest hints; a
 * later step the circuit refuses ends the chunk there (the rest idle), which is the best a
 * cheating prover can do, and so does a step that would exceed the chunk's page or I/O slots.
 */
import type { WitnessCalculator } from "circom_runtime";
import type { Poseidon } from "circomlibjs";
import {
  createMachine,
  extendOutputDigest,
  getPoseidon,
  hash,
  inputSuffixDigests,
  MemoryTree,
  runSteps,
  stateDigest,
  type ChunkRecord,
  type ImageOpening,
  type ProgramImage,
} from "../executor/index.ts";
import { accepts, witnessOrNull } from "./mutation.ts";
import { chunkWitness, type ChunkCircuitConfig, type ChunkWitnessInput } from "./witness.ts";

/** BN254 scalar field order r. */
export const FIELD = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

/** The outputs of one Step, in the template's declaration order. */
export const STEP_OUTPUTS = [
  "nextPc",
  "nextHalted",
  "nextExit",
  "cycInc",
  "cell[0]",
  "cell[1]",
  "cell[2]",
  "cell[3]",
  "cell[4]",
  "newVal[0]",
  "newVal[1]",
  "newVal[2]",
  "newVal[3]",
  "newVal[4]",
  "e",
  "inEvent",
  "outEvent",
  "outByte",
  "sysA",
  "isRead",
  "go",
  "fdOk",
  "fd1",
] as const;
const OUTPUTS = STEP_OUTPUTS;
type OutputName = (typeof OUTPUTS)[number];
export type StepOutputs = Record<OutputName, bigint>;

/** The inputs of one Step (hov: the hint overrides, all zero for the honest step). */
export interface StepInputs {
  t0: bigint;
  codeStart: bigint;
  codeEnd: bigint;
  pc: bigint;
  halted: bigint;
  exitIn: bigint;
  prevSysA: bigint;
  prevIsRead: bigint;
  prevGo: bigint;
  prevFdOk: bigint;
  prevFd1: bigint;
  val: bigint[];
  d: bigint[];
  inVal: bigint;
  hov: bigint[];
}

export const NO_OVERRIDE: readonly bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];

/** The Step template's two witness calculators: with its constraints and without (probe). */
export class StepCircuit {
  private readonly checkOut: number[];
  private readonly probeOut: number[];
  constructor(
    private readonly check: WitnessCalculator,
    checkSym: Map<string, number>,
    private readonly probe: WitnessCalculator,
    probeSym: Map<string, number>,
    /** Signal name (`main.q`, `main.ab.out[3]`) -> index in a checked step's witness. */
    readonly symbols: Map<string, number> = checkSym,
  ) {
    const idx = (sym: Map<string, number>, n: string) => {
      const i = sym.get(`main.${n}`);
      if (i === undefined) throw new Error(`Step has no output ${n}`);
      return i;
    };
    this.checkOut = OUTPUTS.map((n) => idx(checkSym, n));
    this.probeOut = OUTPUTS.map((n) => idx(probeSym, n));
  }

  private static outputs(w: bigint[], at: number[]): StepOutputs {
    return Object.fromEntries(OUTPUTS.map((n, i) => [n, w[at[i]!]!])) as StepOutputs;
  }

  /** What the Step's code computes from `inputs`, unchecked. */
  async compute(inputs: StepInputs): Promise<StepOutputs> {
    const w = await this.probe.calculateWitness(inputs as never, true);
    return StepCircuit.outputs(w, this.probeOut);
  }

  /** The Step's witness, or null when a constraint fails. */
  async run(inputs: StepInputs): Promise<{ witness: bigint[]; outputs: StepOutputs } | null> {
    const w = await witnessOrNull(this.check, inputs);
    return w && { witness: w, outputs: StepCircuit.outputs(w, this.checkOut) };
  }
}

/** Everything about one chunk that its replays share. */
export interface ChunkContext {
  config: ChunkCircuitConfig;
  opening: ImageOpening;
  image: ProgramImage;
  input: Uint8Array;
  chunk: ChunkRecord;
  /** The honest witness (witness.ts). */
  honest: ChunkWitnessInput;
  /** Memory at the chunk's start and its tree. */
  memory: Uint8Array;
  tree: MemoryTree;
  suffix: bigint[];
  p: Poseidon;
  /** The honest replay: each step's inputs and checked witness, and the state before it. */
  steps: StepTrace[];
  before: ReplayState[];
}

export interface StepTrace {
  inputs: StepInputs;
  witness: bigint[];
  outputs: StepOutputs;
}

/** The replay's memory model and machine registers between two steps. */
export class ReplayState {
  values = new Map<number, bigint>();
  times = new Map<number, number>();
  pages = new Set<number>();
  inSlots: bigint[] = [];
  outBytes: bigint[] = [];
  inPos = 0;
  pc = 0n;
  halted = 0n;
  exit = 0n;
  cycles = 0n;
  /** sysA, isRead, go, fdOk, fd1 of the previous step. */
  prev: bigint[] = [0n, 0n, 0n, 0n, 0n];

  clone(): ReplayState {
    const s = new ReplayState();
    s.values = new Map(this.values);
    s.times = new Map(this.times);
    s.pages = new Set(this.pages);
    s.inSlots = [...this.inSlots];
    s.outBytes = [...this.outBytes];
    s.inPos = this.inPos;
    s.pc = this.pc;
    s.halted = this.halted;
    s.exit = this.exit;
    s.cycles = this.cycles;
    s.prev = [...this.prev];
    return s;
  }
}

const word = (mem: Uint8Array, byte: number): bigint =>
  BigInt(
    (mem[byte]! | (mem[byte + 1]! << 8) | (mem[byte + 2]! << 16) | (mem[byte + 3]! << 24)) >>> 0,
  );

/** The value of a cell at the chunk's start (null: outside memory). */
function initial(ctx: ChunkContext, cell: number): bigint | null {
  if (cell < 32) return BigInt(ctx.chunk.stateIn.registers[cell]! >>> 0);
  const byte = 4 * (cell - 32);
  return byte + 4 <= ctx.memory.length ? word(ctx.memory, byte) : null;
}

function read(ctx: ChunkContext, s: ReplayState, cell: number): bigint | null {
  return s.values.get(cell) ?? initial(ctx, cell);
}

/** The result of one replay. */
export type ReplayResult =
  | { outcome: "refused" | "unfit"; detail: string }
  | {
      outcome: "ok";
      witness: ChunkWitnessInput;
      /** The overridden step's outputs equal the honest ones (the rest is then honest too). */
      unchanged: boolean;
      sOut: bigint;
      cyclesRetired: bigint;
      /** The overridden step, checked. */
      step: StepTrace | null;
    };

type StepResult =
  { ok: true; trace: StepTrace; cells: number[] } | { ok: false; unfit: boolean; detail: string };

/** Runs step k from state s: cells to a fixpoint on the probe, then the checked Step. */
async function evalStep(
  ctx: ChunkContext,
  sc: StepCircuit,
  s: ReplayState,
  k: number,
  guess: readonly number[],
  hov: readonly bigint[],
): Promise<StepResult> {
  let cells = [...guess];
  let writes: bigint[] | null = null;
  const [prevSysA, prevIsRead, prevGo, prevFdOk, prevFd1] = s.prev as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  let inVal = 0n;
  if (prevIsRead * prevGo === 1n)
    inVal = s.inPos < ctx.input.length ? BigInt(ctx.input[s.inPos]!) + 256n : 0n;
  for (let iter = 0; ; iter++) {
    if (iter > 8) return { ok: false, unfit: true, detail: `step ${k}: cells do not settle` };
    const local = new Map<number, bigint>();
    const localT = new Map<number, number>();
    const val: bigint[] = [];
    const d: bigint[] = [];
    for (let slot = 0; slot < 5; slot++) {
      const cell = cells[slot]!;
      const v = local.get(cell) ?? read(ctx, s, cell);
      if (v === null) return { ok: false, unfit: true, detail: `step ${k}: cell ${cell}` };
      const tNow = 1 + 5 * k + slot;
      val.push(v);
      d.push(BigInt(tNow - 1 - (localT.get(cell) ?? s.times.get(cell) ?? 0)));
      local.set(cell, writes ? writes[slot]! : v);
      localT.set(cell, tNow);
    }
    const inputs: StepInputs = {
      t0: BigInt(1 + 5 * k),
      codeStart: BigInt(ctx.opening.codeStart),
      codeEnd: BigInt(ctx.opening.codeEnd),
      pc: s.pc,
      halted: s.halted,
      exitIn: s.exit,
      prevSysA,
      prevIsRead,
      prevGo,
      prevFdOk,
      prevFd1,
      val,
      d,
      inVal,
      hov: [...hov],
    };
    const out = await sc.compute(inputs);
    const outCells = [0, 1, 2, 3, 4].map((i) => out[`cell[${i}]` as OutputName]);
    const outWrites = [0, 1, 2, 3, 4].map((i) => out[`newVal[${i}]` as OutputName]);
    if (outCells.some((c) => c >= 1n << 30n))
      return { ok: false, unfit: true, detail: `step ${k}: cell ${outCells.join(",")}` };
    const settled =
      outCells.every((c, i) => Number(c) === cells[i]) &&
      writes !== null &&
      outWrites.every((w, i) => w === writes![i]);
    if (settled) {
      const r = await sc.run(inputs);
      if (!r) return { ok: false, unfit: false, detail: `step ${k} refused` };
      return { ok: true, trace: { inputs, ...r }, cells };
    }
    cells = outCells.map(Number);
    writes = outWrites;
  }
}

/** Applies an accepted step to the state; false when it would exceed the chunk's slots. */
function apply(ctx: ChunkContext, s: ReplayState, k: number, t: StepTrace, cells: number[]) {
  const o = t.outputs;
  const pages = new Set(s.pages);
  for (const c of cells) if (c >= 32) pages.add((c - 32) >>> 4);
  const inSlots = s.inSlots.length + Number(o.inEvent);
  const outSlots = s.outBytes.length + Number(o.outEvent);
  const { P, IO } = ctx.config;
  if (pages.size > P || inSlots > IO || outSlots > IO) return false;
  s.pages = pages;
  cells.forEach((c, slot) => {
    s.values.set(c, o[`newVal[${slot}]` as OutputName]);
    s.times.set(c, 1 + 5 * k + slot);
  });
  if (o.inEvent === 1n) {
    s.inSlots.push(t.inputs.inVal);
    if (t.inputs.inVal >= 256n) s.inPos++;
  }
  if (o.outEvent === 1n) s.outBytes.push(o.outByte);
  s.pc = o.nextPc;
  s.halted = o.nextHalted;
  s.exit = o.nextExit;
  s.cycles += o.cycInc;
  s.prev = [o.sysA, o.isRead, o.go, o.fdOk, o.fd1];
  return true;
}

/** State digest over field elements, as chunk.circom's StateDigest computes it. */
function digest(
  p: Poseidon,
  f: {
    imageId: bigint;
    inRem: bigint;
    pc: bigint;
    regs: bigint[];
    memRoot: bigint;
    inPos: bigint;
    outDig: bigint;
    cycles: bigint;
    halted: bigint;
    exit: bigint;
  },
): bigint {
  const rh = hash(p, [hash(p, f.regs.slice(1, 17)), hash(p, f.regs.slice(17, 32))]);
  const core = hash(p, [f.imageId, f.inRem, f.pc, rh, f.memRoot, f.inPos]);
  const status = (f.halted + 2n * f.exit + (1n << 33n) * f.cycles) % FIELD;
  return hash(p, [core, f.outDig, status]);
}

/** The chunk's inputs after its last step. */
function finish(ctx: ChunkContext, s: ReplayState, traces: StepTrace[]) {
  const { P, IO, M } = ctx.config;
  const D = M - 6;
  const h = ctx.honest;
  const p = ctx.p;
  const dec = (v: bigint | number) => BigInt(v).toString();
  const regs = Array.from({ length: 32 }, (_, c) => read(ctx, s, c)!);
  const pages = [...s.pages].sort((a, b) => a - b);
  // Sequential Merkle update from the start tree, with the changed nodes in an overlay.
  const overlay = new Map<string, bigint>();
  const node = (l: number, i: number) =>
    overlay.get(`${l}:${i}`) ?? ctx.tree.siblings(((i ^ 1) << l) >>> 0)[l]!;
  let root = BigInt(h.memRootIn as string);
  const sib: bigint[][] = [];
  for (const g of pages) {
    const path = Array.from({ length: D }, (_, l) => node(l, (g >>> l) ^ 1));
    sib.push(path);
    let x = hash(
      p,
      Array.from({ length: 16 }, (_, i) => read(ctx, s, 32 + 16 * g + i)! % FIELD),
    );
    for (let l = 0; l < D; l++) {
      overlay.set(`${l}:${g >>> l}`, x);
      x = ((g >>> l) & 1) === 0 ? hash(p, [x, path[l]!]) : hash(p, [path[l]!, x]);
    }
    root = x;
  }
  const outDig = s.outBytes.reduce((d, b) => hash(p, [d, b % FIELD]), BigInt(h.outDigIn as string));
  const inRemOut = ctx.suffix[s.inPos]!;
  const sOut = digest(p, {
    imageId: BigInt(h.imageId as string),
    inRem: inRemOut,
    pc: s.pc,
    regs,
    memRoot: root,
    inPos: BigInt(s.inPos),
    outDig,
    cycles: s.cycles,
    halted: s.halted,
    exit: s.exit,
  });
  const cyclesRetired = (s.cycles - BigInt(h.cyclesIn as string) + FIELD) % FIELD;
  const slot = (g: number | undefined, f: (g: number) => string[], n: number) =>
    g === undefined ? Array<string>(n).fill("0") : f(g);
  const witness: ChunkWitnessInput = {
    ...h,
    sOut: dec(sOut),
    cyclesRetired: dec(cyclesRetired),
    regsOut: regs.map(dec),
    regsTF: Array.from({ length: 32 }, (_, c) => dec(s.times.get(c) ?? 0)),
    inRemOut: dec(inRemOut),
    pageUsed: Array.from({ length: P }, (_, i) => (i < pages.length ? "1" : "0")),
    pageIndex: Array.from({ length: P }, (_, i) => dec(pages[i] ?? 0)),
    pageBefore: Array.from({ length: P }, (_, i) =>
      slot(
        pages[i],
        (g) => Array.from({ length: 16 }, (_, w) => dec(initial(ctx, 32 + 16 * g + w)!)),
        16,
      ),
    ),
    pageAfter: Array.from({ length: P }, (_, i) =>
      slot(
        pages[i],
        (g) => Array.from({ length: 16 }, (_, w) => dec(read(ctx, s, 32 + 16 * g + w)!)),
        16,
      ),
    ),
    pageTF: Array.from({ length: P }, (_, i) =>
      slot(
        pages[i],
        (g) => Array.from({ length: 16 }, (_, w) => dec(s.times.get(32 + 16 * g + w) ?? 0)),
        16,
      ),
    ),
    pageSib: Array.from({ length: P }, (_, i) => (sib[i] ?? Array<bigint>(D).fill(0n)).map(dec)),
    val: traces.map((t) => t.inputs.val.map(dec)),
    d: traces.map((t) => t.inputs.d.map(dec)),
    inVal: traces.map((t) => dec(t.inputs.inVal)),
    inSlot: Array.from({ length: IO }, (_, j) => dec(s.inSlots[j] ?? 0n)),
    outSlot: Array.from({ length: IO }, (_, j) => dec(s.outBytes[j] ?? 0n)),
  };
  return { witness, sOut, cyclesRetired };
}

/** The cells of an idle step: every slot on x0. */
const IDLE_CELLS = [0, 0, 0, 0, 0];

/**
 * Replays the chunk from step `from` (state `ctx.before[from]`), with `hov` overriding hints of
 * step `from` (relative to the Step; NO_OVERRIDE for none).
 */
export async function replay(
  ctx: ChunkContext,
  sc: StepCircuit,
  from: number,
  hov: readonly bigint[],
): Promise<ReplayResult> {
  const s = ctx.before[from]!.clone();
  const traces = ctx.steps.slice(0, from);
  let ended = false;
  let first: StepTrace | null = null;
  for (let k = from; k < ctx.config.K; k++) {
    const honest = ctx.steps[k]!;
    const guess = ended ? IDLE_CELLS : cellsOf(honest);
    const r = await evalStep(ctx, sc, s, k, guess, k === from ? hov : NO_OVERRIDE);
    if (r.ok && apply(ctx, s, k, r.trace, r.cells)) {
      traces.push(r.trace);
      if (k === from) {
        first = r.trace;
        if (OUTPUTS.every((n) => r.trace.outputs[n] === honest.outputs[n]))
          return {
            outcome: "ok",
            witness: ctx.honest,
            unchanged: true,
            sOut: BigInt(ctx.honest.sOut as string),
            cyclesRetired: BigInt(ctx.honest.cyclesRetired as string),
            step: first,
          };
      }
      continue;
    }
    const detail = r.ok ? `step ${k}: exceeds the chunk's pages or I/O slots` : r.detail;
    if (k === from) return { outcome: r.ok || r.unfit ? "unfit" : "refused", detail };
    if (ended) return { outcome: "refused", detail: `cannot end the chunk at ${detail}` };
    // A cheating prover ends the chunk here: the remaining steps idle.
    ended = true;
    k--;
  }
  const f = finish(ctx, s, traces);
  return { outcome: "ok", unchanged: false, step: first, ...f };
}

function cellsOf(t: StepTrace): number[] {
  return [0, 1, 2, 3, 4].map((i) => Number(t.outputs[`cell[${i}]` as OutputName]));
}

/**
 * Everything the replays of one chunk share, and its honest replay, which must reproduce
 * witness.ts's witness.
 * @throws when the replay disagrees with witness.ts (the harness would test something else).
 */
export async function chunkContext(
  config: ChunkCircuitConfig,
  opening: ImageOpening,
  image: ProgramImage,
  input: Uint8Array,
  chunk: ChunkRecord,
  sc: StepCircuit,
): Promise<ChunkContext> {
  const p = await getPoseidon();
  const m = createMachine(image, input, {}, false);
  runSteps(m, chunk.startCycle);
  if (m.cycles !== chunk.startCycle || m.pc >>> 0 !== chunk.stateIn.pc >>> 0)
    throw new Error(`chunk ${chunk.index}: re-execution does not reach its start`);
  const honest = chunkWitness(config, opening, chunk, 0xc0ffeen);
  const ctx: ChunkContext = {
    config,
    opening,
    image,
    input,
    chunk,
    honest,
    memory: m.mem.slice(),
    tree: MemoryTree.fromMemory(p, m.mem),
    suffix: inputSuffixDigests(p, input),
    p,
    steps: [],
    before: [],
  };
  const s = new ReplayState();
  const h = honest;
  s.pc = BigInt(h.pcIn as string);
  s.halted = BigInt(h.haltedIn as string);
  s.exit = BigInt(h.exitIn as string);
  s.cycles = BigInt(h.cyclesIn as string);
  s.inPos = Number(h.inPosIn);
  const hv = h.val as string[][];
  for (let k = 0; k < config.K; k++) {
    ctx.before.push(s.clone());
    // The honest cells: what witness.ts's reads name (its values are checked below).
    const guess = k < hv.length ? await honestCells(ctx, sc, s, k) : IDLE_CELLS;
    const r = await evalStep(ctx, sc, s, k, guess, NO_OVERRIDE);
    if (!r.ok || !apply(ctx, s, k, r.trace, r.cells))
      throw new Error(`chunk ${chunk.index}: honest replay fails at step ${k}`);
    ctx.steps.push(r.trace);
  }
  const f = finish(ctx, s, ctx.steps);
  const want = JSON.stringify(honest);
  const got = JSON.stringify(f.witness);
  if (want !== got) {
    const bad = Object.keys(honest).filter(
      (key) => JSON.stringify(honest[key]) !== JSON.stringify(f.witness[key]),
    );
    throw new Error(`chunk ${chunk.index}: replay differs from witness.ts in ${bad.join(", ")}`);
  }
  return ctx;
}

/** A first guess of step k's cells: the probe's, from the honest witness's values. */
async function honestCells(
  ctx: ChunkContext,
  sc: StepCircuit,
  s: ReplayState,
  k: number,
): Promise<number[]> {
  const h = ctx.honest;
  const [prevSysA, prevIsRead, prevGo, prevFdOk, prevFd1] = s.prev as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const out = await sc.compute({
    t0: BigInt(1 + 5 * k),
    codeStart: BigInt(ctx.opening.codeStart),
    codeEnd: BigInt(ctx.opening.codeEnd),
    pc: s.pc,
    halted: s.halted,
    exitIn: s.exit,
    prevSysA,
    prevIsRead,
    prevGo,
    prevFdOk,
    prevFd1,
    val: (h.val as string[][])[k]!.map(BigInt),
    d: (h.d as string[][])[k]!.map(BigInt),
    inVal: BigInt((h.inVal as string[])[k]!),
    hov: [...NO_OVERRIDE],
  });
  return [0, 1, 2, 3, 4].map((i) => Number(out[`cell[${i}]` as OutputName]));
}

/**
 * Whether a chunk statement is true: the state digest honest execution reaches from the
 * chunk's start after `cyclesRetired` more instructions equals `sOut` (false also when the
 * run ends before).
 */
export async function statementHolds(
  ctx: ChunkContext,
  sOut: bigint,
  cyclesRetired: bigint,
): Promise<boolean> {
  if (cyclesRetired >= 1n << 40n) return false;
  const target = ctx.chunk.startCycle + Number(cyclesRetired);
  const m = createMachine(ctx.image, ctx.input, {}, false);
  runSteps(m, target);
  if (m.cycles !== target) return false;
  const p = ctx.p;
  const truth = stateDigest(p, {
    imageId: ctx.chunk.stateIn.imageId,
    inputRemaining: ctx.suffix[m.inputPos]!,
    pc: m.pc,
    registers: m.x,
    memoryRoot: MemoryTree.fromMemory(p, m.mem).root(),
    inputPosition: m.inputPos,
    outputDigest: extendOutputDigest(p, 0n, m.output.bytes()),
    cycles: m.cycles,
    halted: m.halted,
    exitCode: m.exitCode,
  });
  return truth === sOut;
}

/** The chunk circuit's verdict on a witness with hint overrides (instrumented variants). */
export async function chunkAccepts(
  wc: WitnessCalculator,
  w: ChunkWitnessInput,
  hov: readonly bigint[] = NO_OVERRIDE,
): Promise<boolean> {
  return accepts(wc, { ...w, hov: hov.map(String) });
}
