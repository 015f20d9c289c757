/**
 * Continuations: a run cut into chunks of K instructions, each with the state digests
 * before and after it (S_in, S_out) and, optionally, per-step records for witness
 * generation. Plain {@link execute} never pays for any of this.
 */
import type { ProgramImage } from "./elf.ts";
import {
  extendOutputDigest,
  getPoseidon,
  imageId as computeImageId,
  inputSuffixDigests,
  MemoryTree,
  pageWords,
  stateDigest,
  type ImageId,
  type StateDigest,
} from "./digest.ts";
import {
  createMachine,
  decode,
  machineResult,
  runSteps,
  type ExecuteOptions,
  type ExecutionResult,
  type Machine,
} from "./execute.ts";

/** One memory word access of a load or store (word-aligned address, whole-word values). */
export interface MemoryAccess {
  /** Address of the accessed byte(s). */
  address: number;
  /** The aligned 32-bit word containing them, before and after the instruction. */
  wordAddress: number;
  before: number;
  after: number;
  write: boolean;
}

/** What one retired instruction read and wrote. Values are signed 32-bit. */
export interface StepRecord {
  pc: number;
  instruction: number;
  rs1: number;
  rs1Value: number;
  rs2: number;
  rs2Value: number;
  /** Destination register (0 when none) and its value after the step. */
  rd: number;
  rdValue: number;
  nextPc: number;
  /** Present for loads and stores; syscall buffers are not recorded per word. */
  memory?: MemoryAccess;
}

/** One chunk of a run: the state digests around it and its steps. */
export interface ChunkRecord {
  index: number;
  /** Cycle count at the start of the chunk. */
  startCycle: number;
  /** Instructions retired in this chunk (chunkSize, except possibly the last). */
  steps: number;
  sIn: StateDigest;
  sOut: StateDigest;
  /** Per-step data (empty when `records: false`). */
  stepRecords: StepRecord[];
}

/** Options for {@link executeChunked}. */
export interface ChunkOptions extends ExecuteOptions {
  /** Instructions per chunk (K), at least 1. */
  chunkSize: number;
  /** Record per-step data (default true). */
  records?: boolean;
}

/** A chunked run: the plain result plus the chain of chunk records. */
export interface ChunkedExecution extends ExecutionResult {
  imageId: ImageId;
  /** The job's input digest D_0 (reverse chain). */
  inputDigest: bigint;
  /** The digest of the whole public output (forward chain). */
  outputDigest: bigint;
  /** The final memory Merkle root (maintained incrementally). */
  memoryRoot: bigint;
  chunks: ChunkRecord[];
  /** The halted machine (final memory in `machine.mem`). */
  machine: Machine;
}

function recordStep(m: Machine, view: DataView): () => StepRecord {
  const pc = m.pc;
  // Out-of-memory fetches and accesses trap in runSteps; read 0 here rather than throw.
  const inMem = (a: number) => a + 4 <= view.byteLength;
  const w = inMem(pc) ? view.getInt32(pc, true) : 0;
  const [, rd, rs1, rs2, imm] = decode(w);
  const opcode = w & 0x7f;
  const rs1Value = m.x[rs1]!;
  const rs2Value = m.x[rs2]!;
  let memory: MemoryAccess | undefined;
  let wordAddress = 0;
  let before = 0;
  if (opcode === 0x03 || opcode === 0x23) {
    const address = (rs1Value + imm) >>> 0;
    wordAddress = address & ~3;
    before = inMem(wordAddress) ? view.getInt32(wordAddress, true) : 0;
    memory = { address, wordAddress, before, after: before, write: opcode === 0x23 };
  }
  return () => {
    if (memory && inMem(wordAddress)) memory.after = view.getInt32(wordAddress, true);
    return {
      pc,
      instruction: w,
      rs1,
      rs1Value,
      rs2,
      rs2Value,
      rd: opcode === 0x23 || opcode === 0x63 ? 0 : rd,
      rdValue: opcode === 0x23 || opcode === 0x63 ? 0 : m.x[rd]!,
      nextPc: m.pc,
      ...(memory ? { memory } : {}),
    };
  };
}

/**
 * Runs a guest in chunks of `chunkSize` instructions. The chain holds by construction:
 * chunk j's sOut is chunk j+1's sIn, chunk 0's sIn is the initial state S_0 (a function of
 * image ID and input digest), and the last sOut is a halted state. The memory root is
 * updated incrementally from the pages stored to during each chunk.
 * @throws Trap as {@link execute} does (a trapping run has no valid chain).
 */
export async function executeChunked(
  image: ProgramImage,
  input: Uint8Array,
  options: ChunkOptions,
): Promise<ChunkedExecution> {
  const K = options.chunkSize;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`chunkSize must be a positive integer, got ${K}`);
  const records = options.records ?? true;
  const p = await getPoseidon();
  const id = await computeImageId(image);
  // inputRemaining[pos] = D_pos, the digest of the input not yet read after pos bytes
  const inputRemaining = inputSuffixDigests(p, input);
  const inputDigest = inputRemaining[0]!;
  const m = createMachine(image, input, options, true);
  const view = new DataView(m.mem.buffer);
  const tree = MemoryTree.fromMemory(p, m.mem);
  let outputDigest = 0n;
  let outputLen = 0;
  const digestNow = (): StateDigest => {
    for (const g of m.dirty!) tree.updatePage(g, pageWords(m.mem, g));
    m.dirty!.clear();
    outputDigest = extendOutputDigest(
      p,
      outputDigest,
      m.output.buf.subarray(outputLen, m.output.len),
    );
    outputLen = m.output.len;
    return stateDigest(p, {
      imageId: id,
      inputRemaining: inputRemaining[m.inputPos]!,
      pc: m.pc,
      registers: m.x,
      memoryRoot: tree.root(),
      inputPosition: m.inputPos,
      outputDigest,
      cycles: m.cycles,
      halted: m.halted,
      exitCode: m.exitCode,
    });
  };
  const chunks: ChunkRecord[] = [];
  let sIn = digestNow();
  while (!m.halted) {
    const startCycle = m.cycles;
    const stepRecords: StepRecord[] = [];
    if (records) {
      for (let k = 0; k < K && !m.halted; k++) {
        const finish = recordStep(m, view);
        runSteps(m, 1);
        stepRecords.push(finish());
      }
    } else {
      runSteps(m, K);
    }
    const sOut = digestNow();
    chunks.push({
      index: chunks.length,
      startCycle,
      steps: m.cycles - startCycle,
      sIn,
      sOut,
      stepRecords,
    });
    sIn = sOut;
  }
  return {
    ...machineResult(m),
    imageId: id,
    inputDigest,
    outputDigest,
    memoryRoot: tree.root(),
    chunks,
    machine: m,
  };
}

/** S_0: the state digest of a fresh run of `image` on an input with digest `inputDigest`. */
export async function initialStateDigest(
  image: ProgramImage,
  inputDigest: bigint,
): Promise<StateDigest> {
  const p = await getPoseidon();
  const registers = new Int32Array(32);
  registers[2] = image.memorySize;
  return stateDigest(p, {
    imageId: await computeImageId(image),
    inputRemaining: inputDigest,
    pc: image.entry,
    registers,
    memoryRoot: MemoryTree.fromMemory(p, image.memory).root(),
    inputPosition: 0,
    outputDigest: 0n,
    cycles: 0,
    halted: false,
    exitCode: 0,
  });
}
