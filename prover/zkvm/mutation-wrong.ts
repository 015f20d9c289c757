/**
 * Coherent wrong executions: the mutation harness's layer for the step semantics themselves.
 *
 * A wrong executor changes what one instruction does (DIV rounding toward −∞, SRA shifting in
 * zeros, SLTU comparing signed, SB writing the wrong byte lane, a read returning one byte
 * more, …) through the executor's `stepFault` hook (prover/executor/chunks.ts), at the first
 * step where that changes anything. Everything downstream is then computed from the wrong
 * execution as it would be from a right one: the chunk's step records, page contents and
 * Merkle paths, input and output digests, every state digest and so the transcript. The
 * witness of the chunk holding the wrong step is built by witness.ts like any other; the
 * circuit must refuse it. No hash can catch such a chunk (every hash is recomputed), only the
 * step's constraints.
 */
import {
  decode,
  executeChunked,
  mulh,
  mulhu,
  Trap,
  type ChunkRecord,
  type ImageOpening,
  type IoMode,
  type Machine,
  type ProgramImage,
  type StepRecord,
} from "../executor/index.ts";
import { chunkLimits } from "./run.ts";
import { chunk2Limits } from "./witness2.ts";
import {
  chunkWitness,
  circuitStepCount,
  WitnessError,
  type ChunkCircuitConfig,
  type ChunkWitnessInput,
} from "./witness.ts";

/** What a step does under a wrong semantics, where that differs from what it did. */
export interface WrongEffect {
  /** Value written to rd. */
  rd?: number;
  /** The memory word the step accessed, after it. */
  word?: number;
  pc?: number;
  /** The byte a write syscall appended to the public output. */
  outputByte?: number;
  exitCode?: number;
}

/**
 * A wrong semantics for one instruction: its effect, or null where it agrees with RV32IM; and
 * the hints of the Step a cheating prover would give for it (the division's q and r), since
 * the circuit's own hints follow the right semantics.
 */
export interface WrongExecutor {
  name: string;
  wrong: (r: StepRecord, m: Machine) => WrongEffect | null;
  hints?: (r: StepRecord, e: WrongEffect) => Record<string, bigint>;
}

/** q and r (unsigned 32-bit) with a = q·b + r, for a quotient q of a / b. */
const division = (a: number, b: number, q: number) => ({
  q: BigInt(q >>> 0),
  r: BigInt((a - q * b) >>> 0),
});

const opcode = (w: number) => w & 0x7f;
const f3 = (w: number) => (w >>> 12) & 7;
const f7 = (w: number) => w >>> 25;
const isR = (w: number, a: number, b: number) => opcode(w) === 0x33 && f3(w) === a && f7(w) === b;
const isI = (w: number, a: number) => opcode(w) === 0x13 && f3(w) === a;
const rd = (r: StepRecord, v: number): WrongEffect | null =>
  r.rd !== 0 && (v | 0) !== r.rdValue ? { rd: v | 0 } : null;
const word = (r: StepRecord, v: number): WrongEffect | null =>
  r.memory && (v | 0) !== r.memory.after ? { word: v | 0 } : null;

/** Applies an effect to the machine after the step, and returns the step's new record. */
function applyEffect(r: StepRecord, m: Machine, e: WrongEffect): StepRecord {
  const out = { ...r };
  if (e.rd !== undefined) {
    m.x[r.rd] = e.rd;
    out.rdValue = e.rd;
  }
  if (e.word !== undefined) {
    const mem = r.memory!;
    new DataView(m.mem.buffer).setInt32(mem.wordAddress, e.word, true);
    m.dirty?.add(mem.wordAddress >>> 6);
    out.memory = { ...mem, after: e.word };
  }
  if (e.pc !== undefined) {
    m.pc = e.pc;
    out.nextPc = e.pc;
  }
  if (e.outputByte !== undefined) {
    // the step's last byte (its only one in byte mode)
    m.output.buf[m.output.len - 1] = e.outputByte;
    const bytes = [...r.io!.bytes.slice(0, -1), e.outputByte];
    out.io = { ...r.io!, bytes, byte: bytes[0]! };
  }
  if (e.exitCode !== undefined) m.exitCode = e.exitCode;
  return out;
}

/** The wrong executors the harness runs. */
export const WRONG_EXECUTORS: readonly WrongExecutor[] = [
  {
    name: "DIV rounds toward -inf",
    wrong: (r) => {
      const [a, b] = [r.rs1Value, r.rs2Value];
      if (!isR(r.instruction, 4, 1) || b === 0 || (a === -0x80000000 && b === -1)) return null;
      return rd(r, Math.floor(a / b));
    },
    hints: (r) => division(r.rs1Value, r.rs2Value, Math.floor(r.rs1Value / r.rs2Value)),
  },
  {
    name: "REM takes the divisor's sign",
    wrong: (r) => {
      const [a, b] = [r.rs1Value, r.rs2Value];
      if (!isR(r.instruction, 6, 1) || b === 0 || (a === -0x80000000 && b === -1)) return null;
      return rd(r, a - Math.floor(a / b) * b);
    },
    hints: (r) => division(r.rs1Value, r.rs2Value, Math.floor(r.rs1Value / r.rs2Value)),
  },
  {
    name: "DIVU rounds up",
    wrong: (r) => {
      const [a, b] = [r.rs1Value >>> 0, r.rs2Value >>> 0];
      return isR(r.instruction, 5, 1) && b !== 0 ? rd(r, Math.ceil(a / b)) : null;
    },
    hints: (r) => {
      const [a, b] = [r.rs1Value >>> 0, r.rs2Value >>> 0];
      return division(a, b, Math.ceil(a / b));
    },
  },
  {
    name: "SRA/SRAI as SRL/SRLI",
    wrong: (r) => {
      const w = r.instruction;
      if (isR(w, 5, 0x20)) return rd(r, r.rs1Value >>> (r.rs2Value & 31));
      if (isI(w, 5) && f7(w) === 0x20) return rd(r, r.rs1Value >>> (decode(w)[4] & 31));
      return null;
    },
  },
  {
    name: "SLL shifts by rs2 mod 64",
    wrong: (r) => (isR(r.instruction, 1, 0) && r.rs2Value & 32 ? rd(r, 0) : null),
  },
  {
    name: "SLTU/SLTIU compare signed",
    wrong: (r) => {
      const w = r.instruction;
      if (isR(w, 3, 0)) return rd(r, r.rs1Value < r.rs2Value ? 1 : 0);
      if (isI(w, 3)) return rd(r, r.rs1Value < decode(w)[4] ? 1 : 0);
      return null;
    },
  },
  {
    name: "MULH as MULHU",
    wrong: (r) => (isR(r.instruction, 1, 1) ? rd(r, mulhu(r.rs1Value, r.rs2Value)) : null),
  },
  {
    name: "MULHSU as MULH",
    wrong: (r) => (isR(r.instruction, 2, 1) ? rd(r, mulh(r.rs1Value, r.rs2Value)) : null),
  },
  {
    name: "LBU sign-extends",
    wrong: (r) =>
      opcode(r.instruction) === 0x03 && f3(r.instruction) === 4
        ? rd(r, (r.rdValue << 24) >> 24)
        : null,
  },
  {
    name: "BGE as BGEU",
    wrong: (r) => {
      const w = r.instruction;
      if (opcode(w) !== 0x63 || f3(w) !== 5) return null;
      const taken = r.rs1Value >>> 0 >= r.rs2Value >>> 0;
      const next = (taken ? r.pc + decode(w)[4] : r.pc + 4) >>> 0;
      return next !== r.nextPc ? { pc: next } : null;
    },
  },
  {
    name: "SB writes the neighbouring byte lane",
    wrong: (r) => {
      const w = r.instruction;
      if (opcode(w) !== 0x23 || f3(w) !== 0) return null;
      const other = (r.memory!.address & 3) ^ 1;
      const mask = 0xff << (8 * other);
      return word(r, (r.memory!.before & ~mask) | ((r.rs2Value & 0xff) << (8 * other)));
    },
  },
  {
    name: "SW stores rs2 + 1",
    wrong: (r) =>
      opcode(r.instruction) === 0x23 && f3(r.instruction) === 2 ? word(r, r.rs2Value + 1) : null,
  },
  {
    name: "read returns one byte more",
    wrong: (r) => (r.io?.kind === "read" && r.io.last && r.io.n > 0 ? rd(r, r.rdValue + 1) : null),
  },
  {
    name: "write emits another byte",
    wrong: (r) =>
      r.io?.kind === "write" && r.io.n > 0 && r.io.fd === 1
        ? { outputByte: r.io.bytes[r.io.n - 1]! ^ 1 }
        : null,
  },
  {
    name: "exit takes its code from a1",
    wrong: (r, m) =>
      r.instruction === 0x73 && !r.io && m.halted && m.x[11] !== m.exitCode
        ? { exitCode: m.x[11]! }
        : null,
  },
];

export interface WrongOutcome {
  wrong: string;
  guest: string;
  /** The chunk holding the wrong step, the step's cycle and its index among the circuit's steps. */
  chunk: number;
  cycle: number;
  step: number;
  /** What the circuit did with that chunk. */
  refused: boolean;
}

export interface GuestRun {
  name: string;
  image: ProgramImage;
  input: Uint8Array;
  opening: ImageOpening;
  /** Cycles of the honest run (bounds the wrong one). */
  cycles: number;
}

/** The chunk of a wrong execution that holds its wrong step. */
export interface WrongChunk {
  chunk: ChunkRecord;
  cycle: number;
  /** Index of the wrong step among the chunk circuit's steps. */
  step: number;
  /** Hints of that step a cheating prover gives (Step signal name -> value). */
  hints: Record<string, bigint>;
  /** Today's chunk witness (null for a word-mode run: today's chunk does not prove those). */
  witness: ChunkWitnessInput | null;
}

/**
 * Runs `guest` with `wrong` changing the n-th step where it differs (n = 1, 2, … up to
 * `tries`, until a wrong run neither traps nor loops), and returns the chunk holding that step
 * with its witness; null when it never differs, or every try traps.
 */
export async function wrongChunk(
  config: ChunkCircuitConfig,
  guest: GuestRun,
  wrong: WrongExecutor,
  tries = 8,
  io: IoMode = "byte",
): Promise<WrongChunk | null> {
  for (let n = 1; n <= tries; n++) {
    let seen = 0;
    let cycle = -1;
    let faulted: StepRecord | null = null;
    let hints: Record<string, bigint> = {};
    const stepFault = (r: StepRecord, m: Machine): StepRecord => {
      if (cycle >= 0) return r;
      const e = wrong.wrong(r, m);
      if (!e || ++seen < n) return r;
      cycle = m.cycles - 1;
      hints = wrong.hints?.(r, e) ?? {};
      faulted = applyEffect(r, m, e);
      return faulted;
    };
    let chunks: ChunkRecord[];
    try {
      ({ chunks } = await executeChunked(guest.image, guest.input, {
        // word mode: cut by K only (2 words a step never exceed NC − 32 = 2K)
        ...(io === "word"
          ? chunk2Limits({ K: config.K, NC: 32 + 2 * config.K })
          : chunkLimits(config)),
        maxCycles: 2 * guest.cycles + 10_000,
        stepFault,
      }));
    } catch (e) {
      if (e instanceof Trap && cycle >= 0) continue;
      throw e;
    }
    if (cycle < 0) return null;
    const chunk = chunks.find((c) => c.stepRecords.includes(faulted!))!;
    const step = circuitStepCount(chunk.stepRecords.slice(0, chunk.stepRecords.indexOf(faulted!)));
    if (io === "word") return { chunk, cycle, step, hints, witness: null };
    try {
      const witness = chunkWitness(config, guest.opening, chunk, 0xc0ffeen);
      return { chunk, cycle, step, hints, witness };
    } catch (e) {
      if (e instanceof WitnessError) throw new Error(`${wrong.name}: ${e.message}`);
      throw e;
    }
  }
  return null;
}

/**
 * Every wrong executor on the guests (in order; `allGuests` false: the first guest where it
 * fires), judged by `accepts` (the chunk circuit's witness calculator, given the wrong step's
 * hints).
 */
export async function runWrongExecutors(
  config: ChunkCircuitConfig,
  guests: readonly GuestRun[],
  accepts: (c: WrongChunk) => Promise<boolean>,
  {
    wrongs = WRONG_EXECUTORS,
    allGuests = false,
    io = "byte",
  }: { wrongs?: readonly WrongExecutor[]; allGuests?: boolean; io?: IoMode } = {},
): Promise<{ outcomes: WrongOutcome[]; neverFired: string[] }> {
  const outcomes: WrongOutcome[] = [];
  const neverFired: string[] = [];
  for (const wrong of wrongs) {
    let fired = false;
    for (const g of guests) {
      const c = await wrongChunk(config, g, wrong, 8, io);
      if (!c) continue;
      fired = true;
      outcomes.push({
        wrong: wrong.name,
        guest: g.name,
        chunk: c.chunk.index,
        cycle: c.cycle,
        step: c.step,
        refused: !(await accepts(c)),
      });
      if (!allGuests) break;
    }
    if (!fired) neverFired.push(wrong.name);
  }
  return { outcomes, neverFired };
}
