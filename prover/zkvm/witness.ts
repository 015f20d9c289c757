/**
 * Witness inputs of the RV32IM chunk circuit (circuits/zkvm/chunk.circom) from the
 * executor's chunk records.
 *
 * The circuit computes almost everything itself (decoding, ALU, addresses, the Fiat–Shamir
 * challenge); the prover supplies what only an execution knows: per step the five values
 * the access slots read and how long ago each was written, the pages opened against the
 * state's memory root, the final values and write times of every touched cell, and the
 * input/output bytes of the chunk. This module replays the chunk's accesses on a small
 * memory model and cross-checks every value against the executor's records, so a witness
 * that disagrees with the executor is never produced silently.
 */
import type { ChunkRecord, ImageOpening, StepRecord, VmState } from "../executor/index.ts";
import { getCircuit } from "../setup/registry.ts";

/** Parameters of a chunk circuit configuration (they appear in its registry name). */
export interface ChunkCircuitConfig {
  name: string;
  /** Steps per chunk. */
  K: number;
  /** Memory pages (64 bytes) a chunk may touch. */
  P: number;
  /** Input reads and output bytes per chunk. */
  IO: number;
  /** log2 of the guest memory size. */
  M: number;
}

/** Reads K, P, IO and M of a registered chunk circuit. */
export function chunkCircuitConfig(name: string): ChunkCircuitConfig {
  const c = getCircuit(name);
  const { K, P, IO, M } = c.params;
  if (c.template !== "Chunk" || K === undefined || P === undefined || IO === undefined || !M)
    throw new Error(`${name} is not an RV32IM chunk circuit`);
  return { name, K, P, IO, M };
}

const ECALL_WORD = 0x73;
/** The registers an ecall names: a0 (fd, result), a1 (buffer), a2 (length), a7 (call). */
export const A0 = 10,
  A1 = 11,
  A2 = 12,
  A7 = 17;

/** One planned circuit step: the cell each slot accesses and what it writes (null: same). */
export interface PlannedStep {
  cells: [number, number, number, number, number];
  writes: (number | null)[];
  /** Input queue value for a read ecall's second step (byte + 256 * valid), else 0. */
  inVal: number;
  /** This step consumes an input queue entry (a read ecall on fd 0 with len > 0). */
  inEvent: boolean;
  /** Byte appended to the public output by this step, or null. */
  outByte: number | null;
  /** When set: the value expected at this slot (cross-check with the executor's record). */
  expect: (number | undefined)[];
}

/** An error in a chunk record that makes it unprovable by this circuit configuration. */
export class WitnessError extends Error {
  override readonly name = "WitnessError";
}

const u32 = (v: number): number => v >>> 0;
/** The memory cell (today's naming) of the word holding a byte address. */
export const wordCell = (byteAddress: number): number => 32 + (byteAddress >>> 2);

/** Circuit steps of one retired instruction (two for a read/write ecall). */
export function planSteps(r: StepRecord, regs: (cell: number) => number): PlannedStep[] {
  const fetch = wordCell(r.pc);
  if (u32(r.instruction) === ECALL_WORD) {
    const a7 = regs(A7);
    if (!r.io) {
      if (a7 !== 93) throw new WitnessError(`ecall a7=${a7} at pc 0x${r.pc.toString(16)}`);
      return [
        {
          cells: [fetch, A7, 0, 0, A0],
          writes: [null, null, null, null, null],
          inVal: 0,
          inEvent: false,
          outByte: null,
          expect: [ECALL_WORD],
        },
      ];
    }
    const io = r.io;
    if (io.n > 1 || !io.last)
      throw new WitnessError(
        `ecall at pc 0x${r.pc.toString(16)}: word-mode I/O (execute's io: "word") is not what this chunk proves`,
      );
    const fd = regs(A0);
    const len = regs(A2);
    const sysA: PlannedStep = {
      cells: [fetch, A7, A2, 0, A0],
      writes: [null, null, null, null, null],
      inVal: 0,
      inEvent: false,
      outByte: null,
      expect: [ECALL_WORD],
    };
    const moved = io.n === 1;
    const readEvent = io.kind === "read" && fd === 0 && len !== 0;
    const outEvent = io.kind === "write" && fd === 1 && len !== 0;
    const sysB: PlannedStep = {
      cells: [fetch, A1, 0, moved ? wordCell(io.address) : 0, A0],
      writes: [
        null,
        null,
        null,
        moved && io.kind === "read" ? u32(r.memory!.after) : null,
        u32(r.rdValue),
      ],
      inVal: readEvent ? io.byte + 256 * io.n : 0,
      inEvent: readEvent,
      outByte: outEvent ? io.byte : null,
      expect: [ECALL_WORD, u32(io.address)],
    };
    return [sysA, sysB];
  }
  const mem = r.memory;
  return [
    {
      cells: [fetch, r.rs1, r.rs2, mem ? wordCell(mem.wordAddress) : 0, r.rd],
      writes: [null, null, null, mem?.write ? u32(mem.after) : null, r.rd ? u32(r.rdValue) : null],
      inVal: 0,
      inEvent: false,
      outByte: null,
      expect: [
        u32(r.instruction),
        u32(r.rs1Value),
        u32(r.rs2Value),
        mem ? u32(mem.before) : undefined,
      ],
    },
  ];
}

/** Circuit steps needed by a chunk record (read/write ecalls take two). */
export function circuitStepCount(records: readonly StepRecord[]): number {
  let n = 0;
  // a read/write ecall: SYSA and SYSB (word mode: SYSA only on a call's first transfer step)
  for (const r of records) n += u32(r.instruction) === ECALL_WORD && r.io?.done === 0 ? 2 : 1;
  return n;
}

type Signal = string | Signal[];
/** The circuit's input signals (decimal strings), ready for snarkjs. */
export type ChunkWitnessInput = Record<string, Signal>;

const dec = (v: bigint | number | boolean): string =>
  typeof v === "boolean" ? (v ? "1" : "0") : BigInt(v).toString();

function stateSignals(s: VmState) {
  return {
    pc: dec(u32(s.pc)),
    regs: Array.from(s.registers, (v) => dec(u32(v))),
    memRoot: dec(s.memoryRoot),
    inRem: dec(s.inputRemaining),
    inPos: dec(s.inputPosition),
    outDig: dec(s.outputDigest),
    cycles: dec(s.cycles),
    halted: dec(s.halted),
    exit: dec(u32(s.exitCode)),
  };
}

/**
 * The circuit inputs proving `chunk` for `prover` (a 20-byte address as a bigint).
 * @throws WitnessError when the chunk does not fit the configuration (too many steps,
 *   pages or I/O bytes) or its records are inconsistent.
 */
export function chunkWitness(
  config: ChunkCircuitConfig,
  opening: ImageOpening,
  chunk: ChunkRecord,
  prover: bigint,
): ChunkWitnessInput {
  const { K, P, IO, M } = config;
  const D = M - 6;
  if (opening.memorySize !== 2 ** M)
    throw new WitnessError(`memory size ${opening.memorySize} does not match ${config.name}`);
  if (chunk.stepRecords.length !== chunk.steps)
    throw new WitnessError(`chunk ${chunk.index} has no step records (records: false?)`);
  if (chunk.pages.length > P)
    throw new WitnessError(`chunk ${chunk.index} touches ${chunk.pages.length} pages > P=${P}`);

  // The chunk's memory: registers and the words of its pages, with last write times.
  const value = new Map<number, number>();
  const time = new Map<number, number>();
  chunk.stateIn.registers.forEach((v, c) => value.set(c, u32(v)));
  for (let c = 0; c < 32; c++) time.set(c, 0);
  for (const pg of chunk.pages) {
    for (let i = 0; i < 16; i++) {
      value.set(32 + 16 * pg.index + i, pg.before[i]!);
      time.set(32 + 16 * pg.index + i, 0);
    }
  }
  const read = (cell: number): number => {
    const v = value.get(cell);
    if (v === undefined)
      throw new WitnessError(`chunk ${chunk.index}: cell ${cell} is outside its pages`);
    return v;
  };

  const val: string[][] = [];
  const d: string[][] = [];
  const inVal: string[] = [];
  const inSlot: number[] = [];
  const outSlot: number[] = [];
  const pushStep = (s: PlannedStep) => {
    const k = val.length;
    if (k >= K) throw new WitnessError(`chunk ${chunk.index} needs more than K=${K} steps`);
    const vs: string[] = [];
    const ds: string[] = [];
    for (let slot = 0; slot < 5; slot++) {
      const cell = s.cells[slot]!;
      const tNow = 1 + 5 * k + slot;
      const v = read(cell);
      const exp = s.expect[slot];
      if (exp !== undefined && exp !== v)
        throw new WitnessError(
          `chunk ${chunk.index} step ${k} slot ${slot}: cell ${cell} holds ${v}, the executor saw ${exp}`,
        );
      vs.push(dec(v));
      ds.push(dec(tNow - 1 - time.get(cell)!));
      const w = s.writes[slot];
      if (w !== null && w !== undefined && cell !== 0) value.set(cell, w);
      time.set(cell, tNow);
    }
    val.push(vs);
    d.push(ds);
    inVal.push(dec(s.inVal));
    if (s.inEvent) inSlot.push(s.inVal);
    if (s.outByte !== null) outSlot.push(s.outByte);
  };
  for (const r of chunk.stepRecords) {
    for (const s of planSteps(r, read)) {
      pushStep(s);
    }
  }
  // Padding: idle steps access x0 only.
  while (val.length < K)
    pushStep({
      cells: [0, 0, 0, 0, 0],
      writes: [null, null, null, null, null],
      inVal: 0,
      inEvent: false,
      outByte: null,
      expect: [],
    });

  // Final values must be the executor's.
  const regsOut = Array.from({ length: 32 }, (_, c) => read(c));
  chunk.stateOut.registers.forEach((v, c) => {
    if (u32(v) !== regsOut[c])
      throw new WitnessError(`chunk ${chunk.index}: x${c} ends at ${regsOut[c]}, executor ${v}`);
  });
  for (const pg of chunk.pages) {
    for (let i = 0; i < 16; i++) {
      const cell = 32 + 16 * pg.index + i;
      if (read(cell) !== pg.after[i])
        throw new WitnessError(`chunk ${chunk.index}: word ${cell - 32} differs from the executor`);
    }
  }
  if (inSlot.length > IO || outSlot.length > IO)
    throw new WitnessError(
      `chunk ${chunk.index}: ${inSlot.length} input reads / ${outSlot.length} output bytes > IO=${IO}`,
    );

  const sin = stateSignals(chunk.stateIn);
  const sout = stateSignals(chunk.stateOut);
  const zeros16 = Array<string>(16).fill("0");
  const pages = Array.from({ length: P }, (_, s) => chunk.pages[s]);
  return {
    sIn: dec(chunk.sIn),
    sOut: dec(chunk.sOut),
    imageId: dec(chunk.stateIn.imageId),
    prover: dec(prover),
    cyclesRetired: dec(chunk.stateOut.cycles - chunk.stateIn.cycles),
    entry: dec(opening.entry),
    codeStart: dec(opening.codeStart),
    codeEnd: dec(opening.codeEnd),
    initRoot: dec(opening.initRoot),
    pcIn: sin.pc,
    regsIn: sin.regs,
    memRootIn: sin.memRoot,
    inRemIn: sin.inRem,
    inPosIn: sin.inPos,
    outDigIn: sin.outDig,
    cyclesIn: sin.cycles,
    haltedIn: sin.halted,
    exitIn: sin.exit,
    regsOut: regsOut.map(dec),
    regsTF: Array.from({ length: 32 }, (_, c) => dec(time.get(c)!)),
    inRemOut: sout.inRem,
    pageUsed: pages.map((pg) => dec(pg ? 1 : 0)),
    pageIndex: pages.map((pg) => dec(pg ? pg.index : 0)),
    pageBefore: pages.map((pg) => (pg ? Array.from(pg.before, dec) : zeros16)),
    pageAfter: pages.map((pg) => (pg ? Array.from(pg.after, dec) : zeros16)),
    pageTF: pages.map((pg) =>
      pg ? Array.from({ length: 16 }, (_, i) => dec(time.get(32 + 16 * pg.index + i)!)) : zeros16,
    ),
    pageSib: pages.map((pg) => (pg ? pg.siblings.map(dec) : Array<string>(D).fill("0"))),
    val,
    d,
    inVal,
    inSlot: Array.from({ length: IO }, (_, j) => dec(inSlot[j] ?? 0)),
    outSlot: Array.from({ length: IO }, (_, j) => dec(outSlot[j] ?? 0)),
  };
}
