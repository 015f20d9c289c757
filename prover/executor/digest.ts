/**
 * The zkVM's commitments, shared by the executor and (later) the chunk circuit.
 * All hashes are circomlib Poseidon over BN254; every value below is a field element.
 *
 * Encoding (stable; changing any of it changes every image ID and state digest):
 * - Memory commitment: a binary Merkle tree over the pages of guest memory [0, memorySize).
 *   A page is PAGE_WORDS = 16 words (64 bytes); word i of page g is the little-endian
 *   32-bit word at byte 64g + 4i, taken unsigned. The leaf of page g is
 *   Poseidon(w_0, ..., w_15) (16 inputs); an inner node is Poseidon(left, right); depth =
 *   log2(memorySize / 64), memorySize a power of two of at least 128 bytes. Leaf g is at
 *   position g from the left: bit l of g chooses the side at level l (0 = left). Empty
 *   subtrees use precomputed zero hashes (zero page leaf = Poseidon of 16 zeros).
 * - Input digest (a reverse chain, so that reading a byte opens the digest of what is left):
 *   for input bytes b_0..b_{n-1}, D_n = 0 and D_i = Poseidon(b_i, D_{i+1}); the job's input
 *   digest is D_0. A state after `pos` bytes were read holds inputRemaining = D_pos.
 * - Output digest (a forward chain, extended as the guest writes): d_0 = 0,
 *   d_{i+1} = Poseidon(d_i, byte_i); a state holds the digest of the output written so far.
 * - Image ID = Poseidon(1, entry, memorySize, codeStart, codeEnd, memoryRoot(initial memory)).
 * - Registers hash = Poseidon(Poseidon(x1..x16), Poseidon(x17..x31)), registers unsigned.
 * - State digest = Poseidon(core, outputDigest, status) with
 *   core = Poseidon(imageId, inputRemaining, pc, registersHash, memoryRoot, inputPosition)
 *   and status = halted (0/1) + 2·exitCode (unsigned 32-bit) + 2^33·cycles (cycles < 2^40).
 *   A contract opens a final state's result (output digest, exit code, cycles) with one
 *   Poseidon(3) over (core, outputDigest, status) and never needs the machine fields. The image
 *   ID and a core are both 6-input hashes, kept apart by the image ID's tag 1 where a core has
 *   an image ID; every hash a contract computes has at most 6 inputs (circomlibjs's Poseidon
 *   contract generator fails above that).
 * - S_0 = the state digest at the entry: pc = entry, sp = memorySize, other registers 0,
 *   memory = initial image, inputRemaining = D_0 (the input digest), positions, cycles and
 *   flags 0, output digest 0; so it is a function of (image ID, input digest) only.
 */
import { buildPoseidon, type Poseidon } from "circomlibjs";
import { PAGE_BYTES, PAGE_WORDS, type ProgramImage } from "./elf.ts";

export { PAGE_BYTES, PAGE_SHIFT, PAGE_WORDS } from "./elf.ts";

/** A field element committing to a VM state. */
export type StateDigest = bigint;
/** A field element committing to a loaded program. */
export type ImageId = bigint;

let poseidonPromise: Promise<Poseidon> | undefined;
/** The shared Poseidon instance (built once). */
export function getPoseidon(): Promise<Poseidon> {
  poseidonPromise ??= buildPoseidon();
  return poseidonPromise;
}

/** Poseidon of field elements, as a bigint. */
export function hash(p: Poseidon, inputs: bigint[]): bigint {
  return p.F.toObject(p(inputs));
}

/**
 * Extends an output digest by `bytes` (the forward chain): d = Poseidon(d, byte) per byte.
 * The output digest of nothing is 0.
 */
export function extendOutputDigest(p: Poseidon, d: bigint, bytes: Uint8Array): bigint {
  for (const b of bytes) d = hash(p, [d, BigInt(b)]);
  return d;
}

/** The output digest of a whole byte string: d_0 = 0, d_{i+1} = Poseidon(d_i, byte_i). */
export async function outputDigest(bytes: Uint8Array): Promise<bigint> {
  return extendOutputDigest(await getPoseidon(), 0n, bytes);
}

/**
 * Every suffix digest of an input (the reverse chain): for bytes b_0..b_{n-1}, returns
 * [D_0, ..., D_n] with D_n = 0 and D_i = Poseidon(b_i, D_{i+1}). D_pos commits to the input
 * not yet read after `pos` bytes; a read of b_pos opens D_pos as Poseidon(b_pos, D_{pos+1}).
 */
export function inputSuffixDigests(p: Poseidon, bytes: Uint8Array): bigint[] {
  const d = new Array<bigint>(bytes.length + 1);
  d[bytes.length] = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) d[i] = hash(p, [BigInt(bytes[i]!), d[i + 1]!]);
  return d;
}

/** The input digest of a job: D_0 of the reverse chain ({@link inputSuffixDigests}). */
export async function inputDigest(bytes: Uint8Array): Promise<bigint> {
  return inputSuffixDigests(await getPoseidon(), bytes)[0]!;
}

/** The leaf of a memory page: Poseidon over its PAGE_WORDS words as unsigned 32-bit values. */
export function pageHash(p: Poseidon, words: ArrayLike<number>): bigint {
  if (words.length !== PAGE_WORDS)
    throw new RangeError(`a page has ${PAGE_WORDS} words, got ${words.length}`);
  return hash(
    p,
    Array.from(words, (w) => BigInt(w >>> 0)),
  );
}

/** A copy of the PAGE_WORDS little-endian words of page `pageIndex` of a memory image. */
export function pageWords(memory: Uint8Array, pageIndex: number): Uint32Array {
  const words = new Uint32Array(PAGE_WORDS);
  const base = pageIndex * PAGE_BYTES;
  for (let i = 0; i < PAGE_WORDS; i++) {
    const a = base + 4 * i;
    words[i] =
      (memory[a]! | (memory[a + 1]! << 8) | (memory[a + 2]! << 16) | (memory[a + 3]! << 24)) >>> 0;
  }
  return words;
}

/**
 * The root a Merkle path leads to: `leaf` at position `index`, hashed with `siblings` from
 * the leaf level upward (bit l of index set: the sibling is on the left at level l).
 */
export function merkleRootFromPath(
  p: Poseidon,
  leaf: bigint,
  index: number,
  siblings: readonly bigint[],
): bigint {
  let h = leaf;
  for (let l = 0; l < siblings.length; l++) {
    const s = siblings[l]!;
    h = Math.floor(index / 2 ** l) % 2 === 0 ? hash(p, [h, s]) : hash(p, [s, h]);
  }
  return h;
}

/**
 * The memory commitment (see the module doc): an incremental sparse Poseidon Merkle tree
 * over 64-byte pages. Only non-zero pages and their paths are stored.
 */
export class MemoryTree {
  /** Levels above the leaves: log2(pageCount). */
  readonly depth: number;
  /** Pages (leaves): memorySize / 64. */
  readonly pageCount: number;
  /** zeros[l]: the root of an all-zero subtree of height l. */
  private readonly zeros: bigint[];
  /** levels[l]: the nodes at height l that differ from zeros[l], by position. */
  private readonly levels: Map<number, bigint>[];

  /**
   * An all-zero memory of `memorySize` bytes.
   * @throws RangeError unless memorySize is a power of two of at least 128 (two pages).
   */
  constructor(
    private readonly p: Poseidon,
    memorySize: number,
  ) {
    if (
      !Number.isSafeInteger(memorySize) ||
      memorySize < 2 * PAGE_BYTES ||
      2 ** Math.round(Math.log2(memorySize)) !== memorySize
    ) {
      throw new RangeError(
        `memory size must be a power of two of at least ${2 * PAGE_BYTES} bytes, got ${memorySize}`,
      );
    }
    this.pageCount = memorySize / PAGE_BYTES;
    this.depth = Math.round(Math.log2(this.pageCount));
    this.zeros = [pageHash(p, new Uint32Array(PAGE_WORDS))];
    for (let l = 1; l <= this.depth; l++) {
      const z = this.zeros[l - 1]!;
      this.zeros.push(hash(p, [z, z]));
    }
    this.levels = Array.from({ length: this.depth + 1 }, () => new Map());
  }

  /** Builds the tree of a memory image (only non-zero pages cost hashes). */
  static fromMemory(p: Poseidon, memory: Uint8Array): MemoryTree {
    const t = new MemoryTree(p, memory.length);
    for (let g = 0; g < t.pageCount; g++) {
      const base = g * PAGE_BYTES;
      let a = base;
      while (a < base + PAGE_BYTES && memory[a] === 0) a++;
      if (a < base + PAGE_BYTES) t.levels[0]!.set(g, pageHash(p, pageWords(memory, g)));
    }
    for (let l = 1; l <= t.depth; l++) {
      const parents = new Set<number>();
      for (const i of t.levels[l - 1]!.keys()) parents.add(i >>> 1);
      for (const i of parents)
        t.levels[l]!.set(i, hash(p, [t.node(l - 1, 2 * i), t.node(l - 1, 2 * i + 1)]));
    }
    return t;
  }

  private node(level: number, index: number): bigint {
    return this.levels[level]!.get(index) ?? this.zeros[level]!;
  }

  private checkPage(pageIndex: number): void {
    if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= this.pageCount)
      throw new RangeError(`page ${pageIndex} outside [0, ${this.pageCount})`);
  }

  /** The leaf of page `pageIndex` (its {@link pageHash}). */
  leaf(pageIndex: number): bigint {
    this.checkPage(pageIndex);
    return this.node(0, pageIndex);
  }

  /** Sets the PAGE_WORDS words of page `pageIndex` and recomputes its path. */
  updatePage(pageIndex: number, words: ArrayLike<number>): void {
    this.checkPage(pageIndex);
    const leaf = pageHash(this.p, words);
    if (this.node(0, pageIndex) === leaf) return;
    this.levels[0]!.set(pageIndex, leaf);
    for (let l = 1, i = pageIndex >>> 1; l <= this.depth; l++, i >>>= 1) {
      this.levels[l]!.set(i, hash(this.p, [this.node(l - 1, 2 * i), this.node(l - 1, 2 * i + 1)]));
    }
  }

  /** The Merkle siblings of page `pageIndex`: `depth` nodes, from the leaf level upward. */
  siblings(pageIndex: number): bigint[] {
    this.checkPage(pageIndex);
    const out: bigint[] = [];
    for (let l = 0, i = pageIndex; l < this.depth; l++, i >>>= 1) out.push(this.node(l, i ^ 1));
    return out;
  }

  /** The Merkle root. */
  root(): bigint {
    return this.node(this.depth, 0);
  }
}

/**
 * What an image ID commits to: entry pc, memory size, code range and the initial memory root.
 * Enough to recompute the image ID and S_0 without the ELF (run proofs carry it).
 */
export interface ImageOpening {
  entry: number;
  memorySize: number;
  codeStart: number;
  codeEnd: number;
  /** Memory root of the initial image. */
  initRoot: bigint;
}

/** The opening of a loaded program's image ID. */
export async function imageOpening(image: ProgramImage): Promise<ImageOpening> {
  return {
    entry: image.entry,
    memorySize: image.memorySize,
    codeStart: image.codeStart,
    codeEnd: image.codeEnd,
    initRoot: MemoryTree.fromMemory(await getPoseidon(), image.memory).root(),
  };
}

/** Image ID = Poseidon(1, entry, memorySize, codeStart, codeEnd, initRoot). */
export function imageIdOf(p: Poseidon, o: ImageOpening): ImageId {
  return hash(p, [
    1n,
    BigInt(o.entry),
    BigInt(o.memorySize),
    BigInt(o.codeStart),
    BigInt(o.codeEnd),
    o.initRoot,
  ]);
}

/** The image ID of a loaded program. */
export async function imageId(image: ProgramImage): Promise<ImageId> {
  return imageIdOf(await getPoseidon(), await imageOpening(image));
}

/** The fields a state digest commits to. */
export interface VmState {
  imageId: ImageId;
  /** Digest of the input not yet read: D_inputPosition of the reverse input chain. */
  inputRemaining: bigint;
  pc: number;
  registers: Int32Array;
  memoryRoot: bigint;
  /** Input bytes read so far. */
  inputPosition: number;
  /** Digest of the public output written so far (forward chain). */
  outputDigest: bigint;
  cycles: number;
  halted: boolean;
  exitCode: number;
  /**
   * Word-mode I/O only (execute's `io: "word"`, the versioned-cells chunk of issue 12): bytes
   * the ecall at pc has moved so far when a chunk ends inside a transfer. Not in this module's
   * digest: today's chunk proves byte mode, where it is always 0.
   */
  ioDone?: number;
  /** Word-mode I/O only, like ioDone: public output bytes written so far. */
  outputPosition?: number;
}

/** Poseidon(Poseidon(x1..x16), Poseidon(x17..x31)) over unsigned register values. */
export function registersHash(p: Poseidon, x: Int32Array): bigint {
  const r = Array.from(x, (v) => BigInt(v >>> 0));
  return hash(p, [hash(p, r.slice(1, 17)), hash(p, r.slice(17, 32))]);
}

/** Largest cycle count a state digest can hold (the circuit range-checks cycles to 40 bits). */
export const MAX_CYCLES = 2 ** 40 - 1;

/** The status word of a state digest: halted + 2·exitCode + 2^33·cycles. */
export function statusWord(halted: boolean, exitCode: number, cycles: number): bigint {
  if (!Number.isInteger(cycles) || cycles < 0 || cycles > MAX_CYCLES)
    throw new RangeError(`cycles out of range: ${cycles}`);
  return (halted ? 1n : 0n) + 2n * BigInt(exitCode >>> 0) + (1n << 33n) * BigInt(cycles);
}

/** The state's core: Poseidon(imageId, inputRemaining, pc, registersHash, memoryRoot, inputPosition). */
export function stateCore(p: Poseidon, s: VmState): bigint {
  return hash(p, [
    s.imageId,
    s.inputRemaining,
    BigInt(s.pc >>> 0),
    registersHash(p, s.registers),
    s.memoryRoot,
    BigInt(s.inputPosition),
  ]);
}

/** The state digest of a VM state (see the module doc for the encoding). */
export function stateDigest(p: Poseidon, s: VmState): StateDigest {
  return hash(p, [stateCore(p, s), s.outputDigest, statusWord(s.halted, s.exitCode, s.cycles)]);
}

/**
 * The state at the entry of a run (S_0's fields): pc = entry, sp = memorySize, other
 * registers 0, the initial memory, nothing read or written, input remaining = its digest.
 */
export function entryState(p: Poseidon, o: ImageOpening, inputDigest: bigint): VmState {
  const registers = new Int32Array(32);
  registers[2] = o.memorySize;
  return {
    imageId: imageIdOf(p, o),
    inputRemaining: inputDigest,
    pc: o.entry,
    registers,
    memoryRoot: o.initRoot,
    inputPosition: 0,
    outputDigest: 0n,
    cycles: 0,
    halted: false,
    exitCode: 0,
  };
}
