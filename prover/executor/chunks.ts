/**
 * Continuations: a run cut into chunks of at most K instructions, each with the states
 * before and after it (S_in, S_out) and, optionally, what witness generation for the chunk
 * circuit needs: per-step records, the memory pages the chunk touches with their Merkle
 * paths, and the input and output bytes it moves. Plain {@link execute} never pays for any
 * of this.
 *
 * Chunk limits. Besides K steps, a chunk may be bounded in the distinct memory pages it
 * touches (`maxPages`) and the bytes it reads from the input or writes to the public output
 * (`maxInputBytes`, `maxOutputBytes`), so that it fits a circuit of fixed capacity. A chunk
 * ends before the first step whose execution would exceed a limit, so it may have fewer
 * than K steps without having halted. The pages a step touches are decided before it runs:
 * the page of its pc (instruction fetch), for a load or store the page of the accessed word
 * (aligned accesses never straddle pages), and for a read or write syscall that moves a byte
 * the page of that byte: at most two pages per step.
 *
 * Page records. For each chunk, the touched pages in ascending index order, each with its
 * contents at the chunk's start and end and its Merkle siblings for a sequential update:
 * starting from the tree at the chunk's start (root stateIn.memoryRoot), page s's siblings
 * are taken in the tree where every earlier page of the chunk already holds its `after`
 * contents, and then page s is set to `after`. Checking each page's `before` leaf against
 * the running root and moving the root with its `after` leaf ends at stateOut.memoryRoot.
 */
import { PAGE_SHIFT, type ProgramImage } from "./elf.ts";
import {
  entryState,
  extendOutputDigest,
  getPoseidon,
  imageId as computeImageId,
  imageOpening,
  inputSuffixDigests,
  MemoryTree,
  pageWords,
  stateDigest,
  type ImageId,
  type StateDigest,
  type VmState,
} from "./digest.ts";
import {
  createMachine,
  decode,
  machineResult,
  runSteps,
  SYS_READ,
  SYS_WRITE,
  type ExecuteOptions,
  type ExecutionResult,
  type Machine,
  type WordTouch,
} from "./execute.ts";

/**
 * One memory word access: of a load or store, or of the byte a read or write syscall moved
 * (the aligned word containing the accessed bytes, whole-word signed 32-bit values).
 */
export interface MemoryAccess {
  /** Address of the accessed byte(s), unsigned. */
  address: number;
  /** The aligned 32-bit word containing them, before and after the instruction. */
  wordAddress: number;
  before: number;
  after: number;
  /** True for stores and for a read syscall that stored a byte. */
  write: boolean;
}

/** What a read or write syscall did (present on every such ecall, even a refused one). */
export interface SyscallIo {
  kind: "read" | "write";
  /** The fd passed in a0 (signed 32-bit). */
  fd: number;
  /** The buffer address passed in a1 (unsigned). */
  address: number;
  /** The byte transferred, or 0 when nothing was (word mode: the first byte moved). */
  byte: number;
  /**
   * Bytes transferred by this step: at most one per call in byte mode, at most one word's in
   * word mode (0 for len 0, end of input or a refused fd).
   */
  n: number;
  /** Word mode: bytes the call had moved before this step (byte mode: 0). */
  done: number;
  /** The bytes moved by this step, in order (n of them). */
  bytes: number[];
  /** This step ends the call: it writes a0 and retires the ecall (byte mode: always). */
  last: boolean;
  /** A read that moved fewer bytes than it asked for: it found the input's end. */
  ended: boolean;
}

/** What one retired instruction read and wrote. Register values are signed 32-bit. */
export interface StepRecord {
  pc: number;
  instruction: number;
  rs1: number;
  rs1Value: number;
  rs2: number;
  rs2Value: number;
  /**
   * Destination register and its value after the step: 0 (value 0) for branches, stores,
   * fence, exit and any instruction whose rd field is 0; 10 (a0, the return value) for read
   * and write syscalls.
   */
  rd: number;
  rdValue: number;
  nextPc: number;
  /** Present for loads, stores, and read/write syscalls that moved a byte. */
  memory?: MemoryAccess;
  /** Present for read and write syscalls. */
  io?: SyscallIo;
}

/** A memory page touched by a chunk (see the module doc for the sequential update). */
export interface PageRecord {
  /** Page index: the page holds bytes [64 * index, 64 * index + 64). */
  index: number;
  /** The page's 16 words at the chunk's start and end. */
  before: Uint32Array;
  after: Uint32Array;
  /** Merkle siblings (leaf level upward) in the tree where earlier pages hold `after`. */
  siblings: bigint[];
}

/** One chunk of a run: the states around it and, with records, its witness data. */
export interface ChunkRecord {
  index: number;
  /** Cycle count at the start of the chunk. */
  startCycle: number;
  /** Instructions retired in this chunk: at most chunkSize, fewer if a limit cut it short. */
  steps: number;
  sIn: StateDigest;
  sOut: StateDigest;
  /** The states committed by sIn and sOut (registers copied). */
  stateIn: VmState;
  stateOut: VmState;
  /** Pages touched, by ascending index (empty when `records: false`). */
  pages: PageRecord[];
  /** Bytes read from the input and written to the public output (fd 1) in this chunk. */
  inputBytes: number[];
  outputBytes: number[];
  /** Per-step data (empty when `records: false`). */
  stepRecords: StepRecord[];
  /** Reads of fd 0 in this chunk that found the input ended (moved nothing, len > 0). */
  inputEnds?: number;
  /**
   * The memory words (byte address / 4) the chunk touches, instruction fetches included, in
   * increasing order: present when `maxCells` limits the chunk (the versioned-cells chunk
   * pages each as a cell), whether or not it is recorded.
   */
  cells?: number[];
}

/** Options for {@link executeChunked}. */
export interface ChunkOptions extends ExecuteOptions {
  /** Instructions per chunk (K), at least 1. */
  chunkSize: number;
  /**
   * Record per-step data and page records (default true); a function records only the chunks
   * (by index) it returns true for (a delegator rebuilding its own chunk).
   */
  records?: boolean | ((index: number) => boolean);
  /**
   * Without the Merkle memory tree and the chunk circuit's digests (default true): a
   * versioned-cells run (chunk2), whose memory crosses chunks as versioned cells and whose
   * state digest (prover/zkvm/witness2.ts's state2Digest) holds neither. The states'
   * memoryRoot, inputRemaining and outputDigest, the chunks' sIn and sOut, and the run's
   * inputDigest, outputDigest and memoryRoot are then 0, and page records carry no siblings.
   */
  merkle?: boolean;
  /** The image ID, when the caller has it (else computed: a Merkle root of the image). */
  imageId?: ImageId;
  /**
   * Stop once the chunk of this index is cut: the run's result is then the machine where it
   * stopped (not halted, exit code 0), and its chunks end there.
   */
  stopAfter?: number;
  /** Distinct memory pages one chunk may touch: an integer >= 2 (default Infinity). */
  maxPages?: number;
  /**
   * Distinct memory words one chunk may touch, instruction fetches included: an integer >= 2
   * (default Infinity). The versioned-cells chunk pages each such word as a cell.
   */
  maxCells?: number;
  /** Bytes one chunk may read from the input: an integer >= 1 (default Infinity). */
  maxInputBytes?: number;
  /** Bytes one chunk may write to the public output (fd 1): an integer >= 1 (default Infinity). */
  maxOutputBytes?: number;
  /**
   * Account as the RV32IM chunk circuit does: a read/write ecall takes two of the chunkSize
   * steps, and every read of fd 0 with len > 0 (also one at the end of the input, which
   * moves nothing) takes one of the maxInputBytes slots.
   */
  circuitAccounting?: boolean;
  /**
   * A deliberately wrong execution, for the mutation harness only (see StepFault). Needs
   * `records`.
   */
  stepFault?: StepFault;
  /**
   * The most chunks the run may take: past it execution stops with a RangeError (a job whose
   * chunk bound is spent costs no more than that bound; default unlimited).
   */
  maxChunks?: number;
}

/**
 * Changes what one step did, after it ran: called with the step's record and the machine, it
 * may change the machine's registers, pc, input position, output, or the memory word the
 * step accessed (adding its page to `m.dirty`), and returns the record of what the step now
 * did. The chunk's states, pages and digests follow the changed machine, so a wrong
 * execution yields chunk records as coherent as a right one (prover/zkvm/mutation-wrong.ts
 * uses this to check that the circuit refuses them).
 */
export type StepFault = (record: StepRecord, m: Machine) => StepRecord;

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

const ECALL_WORD = 0x00000073;
const OPCODE_LOAD = 0x03;
const OPCODE_STORE = 0x23;

/** The bytes a read or write syscall step at the machine's pc will move, if it is one. */
interface PendingSyscall {
  kind: "read" | "write";
  fd: number;
  /** The buffer (a1). */
  address: number;
  /** Where this step's bytes start: address + done. */
  at: number;
  done: number;
  n: number;
  last: boolean;
  ended: boolean;
}

/** Decides, before an ecall runs, whether it is a read/write and whether it moves a byte. */
function pendingSyscall(m: Machine): PendingSyscall | undefined {
  const num = m.x[17]!;
  if (num !== SYS_READ && num !== SYS_WRITE) return undefined;
  const fd = m.x[10]!;
  const address = m.x[11]! >>> 0;
  const len = m.x[12]! >>> 0;
  const kind = num === SYS_READ ? "read" : "write";
  const ok = kind === "read" ? fd === 0 : fd === 1 || fd === 2;
  const left = m.input.length - m.inputPos;
  if (m.io === "byte") {
    const n = ok && len > 0 && (kind === "write" || left > 0) ? 1 : 0;
    const ended = kind === "read" && ok && len > 0 && n === 0;
    return { kind, fd, address, at: address, done: 0, n, last: true, ended };
  }
  // word mode (execute's doc): the bytes of one word, from address + done
  const done = m.ioDone;
  const at = (address + done) >>> 0;
  if (!ok || len === 0) return { kind, fd, address, at, done, n: 0, last: true, ended: false };
  const want = Math.min(4 - (at & 3), len - done);
  const n = kind === "read" ? Math.min(want, left) : want;
  return { kind, fd, address, at, done, n, last: n < want || done + n === len, ended: n < want };
}

/** The instruction word at the machine's pc (0 outside memory: the step will trap). */
function fetch(m: Machine, view: DataView): number {
  return m.pc + 4 <= view.byteLength ? view.getInt32(m.pc, true) : 0;
}

/** What the next step will touch: its pages (1 or 2) and input/output bytes (0 or 1). */
interface Footprint {
  pages: number[];
  /** The data word's address (byte address / 4) if the step accesses memory, else null. */
  dataWord: number | null;
  inputBytes: number;
  outputBytes: number;
  /** Circuit steps (2 for a read/write ecall) and input-queue slots (reads of fd 0, len > 0). */
  circuitSteps: number;
  inputReads: number;
  /** 1 for a read of fd 0 that finds the input ended (moves nothing, len > 0). */
  inputEnds: number;
}

/** The next step's footprint, decided from pc, registers and the instruction before it runs. */
function footprint(m: Machine, view: DataView): Footprint {
  const w = fetch(m, view);
  const opcode = w & 0x7f;
  const pcPage = m.pc >>> PAGE_SHIFT;
  let dataPage = pcPage;
  let dataWord: number | null = null;
  let inputBytes = 0;
  let outputBytes = 0;
  let circuitSteps = 1;
  let inputReads = 0;
  let inputEnds = 0;
  if (opcode === OPCODE_LOAD || opcode === OPCODE_STORE) {
    const [, , rs1, , imm] = decode(w);
    const addr = (m.x[rs1]! + imm) >>> 0;
    dataPage = addr >>> PAGE_SHIFT;
    dataWord = addr >>> 2;
  } else if (w === ECALL_WORD) {
    const s = pendingSyscall(m);
    // SYSA and SYSB; word mode: SYSA once per call, then one step per transfer step
    if (s) circuitSteps = s.done === 0 ? 2 : 1;
    if (s?.kind === "read" && s.fd === 0 && m.x[12] !== 0) inputReads = m.io === "word" ? s.n : 1;
    if (s?.kind === "read" && s.ended) inputEnds = 1;
    if (s && s.n > 0) {
      dataPage = s.at >>> PAGE_SHIFT;
      dataWord = s.at >>> 2;
      if (s.kind === "read") inputBytes = s.n;
      else if (s.fd === 1) outputBytes = s.n;
    }
  }
  return {
    pages: dataPage === pcPage ? [pcPage] : [pcPage, dataPage],
    dataWord,
    inputBytes,
    outputBytes,
    circuitSteps,
    inputReads,
    inputEnds,
  };
}

/** Captures a step's inputs before it runs; the returned function completes the record after. */
function recordStep(m: Machine, view: DataView): () => StepRecord {
  const pc = m.pc;
  // Out-of-memory fetches and accesses trap in runSteps; read 0 here rather than throw.
  const inMem = (a: number) => a + 4 <= view.byteLength;
  const w = fetch(m, view);
  const [, decodedRd, rs1, rs2, imm] = decode(w);
  const opcode = w & 0x7f;
  const rs1Value = m.x[rs1]!;
  const rs2Value = m.x[rs2]!;
  // decode gives rd 0 for branches, stores, fence and ecall
  let rd = decodedRd;
  let memory: MemoryAccess | undefined;
  let io: SyscallIo | undefined;
  const access = (address: number, write: boolean): MemoryAccess => {
    const wordAddress = (address & ~3) >>> 0;
    const before = inMem(wordAddress) ? view.getInt32(wordAddress, true) : 0;
    return { address, wordAddress, before, after: before, write };
  };
  if (opcode === OPCODE_LOAD || opcode === OPCODE_STORE) {
    memory = access((rs1Value + imm) >>> 0, opcode === OPCODE_STORE);
  } else if (w === ECALL_WORD) {
    const s = pendingSyscall(m);
    if (s) {
      rd = 10;
      const bytes: number[] = [];
      for (let j = 0; j < s.n; j++)
        bytes.push(s.kind === "read" ? m.input[m.inputPos + j]! : (m.mem[s.at + j] ?? 0));
      const { kind, fd, address, n, done, last, ended } = s;
      io = { kind, fd, address, byte: bytes[0] ?? 0, n, done, bytes, last, ended };
      if (s.n > 0) memory = access(s.at, s.kind === "read");
    }
  }
  return () => {
    if (memory && inMem(memory.wordAddress)) memory.after = view.getInt32(memory.wordAddress, true);
    return {
      pc,
      instruction: w,
      rs1,
      rs1Value,
      rs2,
      rs2Value,
      rd,
      rdValue: m.x[rd]!,
      nextPc: m.pc,
      ...(memory ? { memory } : {}),
      ...(io ? { io } : {}),
    };
  };
}

/** Reads a chunk limit option: undefined means Infinity, else an integer >= min. */
function chunkLimit(name: string, value: number | undefined, min: number): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min} or Infinity, got ${value}`);
  return value;
}

/**
 * Runs a guest in chunks of at most `chunkSize` instructions, cut early by the page and I/O
 * limits (see the module doc). The chain holds by construction: chunk j's sOut is chunk
 * j+1's sIn, chunk 0's sIn is the initial state S_0 (a function of image ID and input
 * digest), and the last sOut is a halted state. The memory root is updated incrementally
 * from the pages written during each chunk. With `records: false` and no limits the chunks
 * run at interpreter speed; otherwise steps run one at a time.
 * @throws Trap as {@link execute} does (a trapping run has no valid chain).
 * @throws RangeError for a bad chunkSize or limit.
 */
export async function executeChunked(
  image: ProgramImage,
  input: Uint8Array,
  options: ChunkOptions,
): Promise<ChunkedExecution> {
  const K = options.chunkSize;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`chunkSize must be a positive integer, got ${K}`);
  // A step touches at most 2 pages and moves at most 1 byte (word mode: 4), so every chunk
  // makes progress.
  const most = options.io === "word" ? 4 : 1;
  const maxPages = chunkLimit("maxPages", options.maxPages, 2);
  const maxCells = chunkLimit("maxCells", options.maxCells, 2);
  const maxInputBytes = chunkLimit("maxInputBytes", options.maxInputBytes, most);
  const maxOutputBytes = chunkLimit("maxOutputBytes", options.maxOutputBytes, most);
  const circuit = options.circuitAccounting ?? false;
  const records = options.records ?? true;
  const recordsOf = typeof records === "function" ? records : () => records;
  const merkle = options.merkle ?? true;
  const fault = options.stepFault;
  if (fault && records !== true) throw new RangeError("stepFault needs records");
  const stepwise =
    records !== false ||
    circuit ||
    maxPages !== Infinity ||
    maxCells !== Infinity ||
    maxInputBytes !== Infinity ||
    maxOutputBytes !== Infinity;

  // the fast cutter of versioned-cells chunks (below): only the K and cell limits, no tree
  const fastCells: WordTouch | null =
    !merkle &&
    circuit &&
    !fault &&
    maxCells !== Infinity &&
    maxPages === Infinity &&
    maxInputBytes === Infinity &&
    maxOutputBytes === Infinity
      ? { stamp: new Uint32Array(image.memorySize >>> 2), id: 0, words: [], before: [] }
      : null;
  const p = await getPoseidon();
  const id = options.imageId ?? (await computeImageId(image));
  // inputRemaining[pos] = D_pos, the digest of the input not yet read after pos bytes
  const inputRemaining = merkle ? inputSuffixDigests(p, input) : null;
  const inputDigest = inputRemaining ? inputRemaining[0]! : 0n;
  const m = createMachine(image, input, options, true);
  const dirty = m.dirty!;
  const view = new DataView(m.mem.buffer);
  const tree = merkle ? MemoryTree.fromMemory(p, m.mem) : null;
  let outputDigest = 0n;

  const snapshot = (): VmState => ({
    imageId: id,
    inputRemaining: inputRemaining ? inputRemaining[m.inputPos]! : 0n,
    pc: m.pc,
    registers: m.x.slice(),
    memoryRoot: tree ? tree.root() : 0n,
    inputPosition: m.inputPos,
    outputDigest,
    cycles: m.cycles,
    halted: m.halted,
    exitCode: m.exitCode,
    ...(m.io === "word" ? { ioDone: m.ioDone, outputPosition: m.output.len } : {}),
  });

  /**
   * Brings the tree up to date with the chunk's stores. With `touched` (page -> contents at
   * the chunk's start), returns the page records of the sequential update.
   */
  const commitPages = (touched: Map<number, Uint32Array> | null): PageRecord[] => {
    const pages: PageRecord[] = [];
    if (touched === null) {
      if (tree) for (const g of dirty) tree.updatePage(g, pageWords(m.mem, g));
    } else {
      for (const g of dirty)
        if (!touched.has(g)) throw new Error(`executeChunked: page ${g} written but not predicted`);
      for (const index of [...touched.keys()].sort((a, b) => a - b)) {
        const after = pageWords(m.mem, index);
        const siblings = tree ? tree.siblings(index) : [];
        if (tree && dirty.has(index)) tree.updatePage(index, after);
        pages.push({ index, before: touched.get(index)!, after, siblings });
      }
    }
    dirty.clear();
    return pages;
  };

  const chunks: ChunkRecord[] = [];
  let stateIn = snapshot();
  const digestOf = (s: VmState): StateDigest => (merkle ? stateDigest(p, s) : 0n);
  let sIn = digestOf(stateIn);
  while (!m.halted) {
    const startCycle = m.cycles;
    const startInput = m.inputPos;
    const startOutput = m.output.len;
    const stepRecords: StepRecord[] = [];
    let pages: PageRecord[] = [];
    const recording = recordsOf(chunks.length);
    let inputEnds = 0;
    let cells: number[] | undefined;
    if (!stepwise) {
      runSteps(m, K);
      commitPages(null);
    } else if (fastCells && !recording) {
      // A versioned-cells chunk not recorded (the orchestrator's, or the chunks before a
      // delegator's own): the interpreter runs every step that is no ecall while at most
      // maxCells − 2 words are touched (such a step adds at most 2 and costs 1 of K), the rest
      // one at a time as below. The touched words are the machine's span (m.touch).
      const span = fastCells;
      m.touch = span;
      span.id++;
      span.words.length = 0;
      span.before.length = 0;
      let k = 0;
      while (k < K && !m.halted) {
        if (span.words.length <= maxCells - 2) {
          const c0 = m.cycles;
          runSteps(m, K - k, { ecall: true, words: maxCells - 2 });
          k += m.cycles - c0;
          if (k >= K || m.halted) break;
        }
        const f = footprint(m, view);
        const fetchWord = m.pc >>> 2;
        let freshWords = span.stamp[fetchWord] === span.id ? 0 : 1;
        if (f.dataWord !== null && f.dataWord !== fetchWord && span.stamp[f.dataWord] !== span.id)
          freshWords++;
        if (k + f.circuitSteps > K || span.words.length + freshWords > maxCells) break;
        k += f.circuitSteps;
        inputEnds += f.inputEnds;
        runSteps(m, 1);
      }
      if (k === 0) throw new Error("executeChunked: no step fits a chunk");
      m.touch = null;
      cells = [...span.words].sort((a, b) => a - b);
      commitPages(null);
    } else {
      // every page touched so far -> its contents at the chunk's start
      const touched = new Map<number, Uint32Array>();
      const words = new Set<number>();
      let inputBytes = 0;
      let outputBytes = 0;
      let k = 0;
      while (k < K && !m.halted) {
        const f = footprint(m, view);
        const fresh = f.pages.filter((g) => !touched.has(g));
        // the fetched word and the data word, counted only when cells are limited (hot loop)
        let freshWords = 0;
        if (maxCells !== Infinity) {
          const fetchWord = m.pc >>> 2;
          if (!words.has(fetchWord)) freshWords++;
          if (f.dataWord !== null && f.dataWord !== fetchWord && !words.has(f.dataWord))
            freshWords++;
        }
        const cost = circuit ? f.circuitSteps : 1;
        const inCost = circuit ? f.inputReads : f.inputBytes;
        if (
          k + cost > K ||
          touched.size + fresh.length > maxPages ||
          words.size + freshWords > maxCells ||
          inputBytes + inCost > maxInputBytes ||
          outputBytes + f.outputBytes > maxOutputBytes
        ) {
          break;
        }
        k += cost;
        for (const g of fresh) touched.set(g, pageWords(m.mem, g));
        if (freshWords > 0) {
          words.add(m.pc >>> 2);
          if (f.dataWord !== null) words.add(f.dataWord);
        }
        inputBytes += inCost;
        outputBytes += f.outputBytes;
        inputEnds += f.inputEnds;
        if (recording) {
          const finish = recordStep(m, view);
          runSteps(m, 1);
          stepRecords.push(fault ? fault(finish(), m) : finish());
        } else {
          runSteps(m, 1);
        }
      }
      if (k === 0) throw new Error("executeChunked: no step fits a chunk");
      const recorded = commitPages(touched);
      if (recording) pages = recorded;
      if (maxCells !== Infinity) cells = [...words].sort((a, b) => a - b);
    }
    if (merkle)
      outputDigest = extendOutputDigest(
        p,
        outputDigest,
        m.output.buf.subarray(startOutput, m.output.len),
      );
    const stateOut = snapshot();
    const sOut = digestOf(stateOut);
    chunks.push({
      index: chunks.length,
      startCycle,
      steps: m.cycles - startCycle,
      sIn,
      sOut,
      stateIn,
      stateOut,
      pages,
      inputBytes: Array.from(input.subarray(startInput, m.inputPos)),
      outputBytes: Array.from(m.output.buf.subarray(startOutput, m.output.len)),
      stepRecords,
      ...(stepwise ? { inputEnds } : {}),
      ...(cells ? { cells } : {}),
    });
    if (options.maxChunks !== undefined && chunks.length > options.maxChunks)
      throw new RangeError(`the run needs more than ${options.maxChunks} chunks`);
    stateIn = stateOut;
    sIn = sOut;
    if (options.stopAfter !== undefined && chunks.length > options.stopAfter) break;
  }
  // a run stopped early (stopAfter) reports where it stopped: exit code 0, not halted
  const result = m.halted
    ? machineResult(m)
    : {
        exitCode: 0,
        cycles: m.cycles,
        output: m.output.bytes(),
        debug: m.debug.bytes(),
        registers: m.x,
      };
  return {
    ...result,
    imageId: id,
    inputDigest,
    outputDigest,
    memoryRoot: tree ? tree.root() : 0n,
    chunks,
    machine: m,
  };
}

/** The initial state of a run of `image` on an input with digest `inputDigest` (D_0). */
export async function initialState(image: ProgramImage, inputDigest: bigint): Promise<VmState> {
  return entryState(await getPoseidon(), await imageOpening(image), inputDigest);
}

/** S_0: the state digest of a fresh run of `image` on an input with digest `inputDigest`. */
export async function initialStateDigest(
  image: ProgramImage,
  inputDigest: bigint,
): Promise<StateDigest> {
  return stateDigest(await getPoseidon(), await initialState(image, inputDigest));
}
