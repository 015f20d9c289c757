/**
 * The zkVM's commitments, shared by the executor and (later) the chunk circuit.
 * All hashes are circomlib Poseidon over BN254; every value below is a field element.
 *
 * Encoding (stable; changing any of it changes every image ID and state digest):
 * - Memory commitment: a binary Merkle tree over the 32-bit little-endian words of guest
 *   memory [0, memorySize), padded with zero words to 2^depth leaves (depth =
 *   ceil(log2(memorySize / 4))). A leaf is the word's unsigned value (not hashed); an inner
 *   node is Poseidon(left, right). Empty subtrees use precomputed zero hashes.
 * - Input digest (a reverse chain, so that reading a byte opens the digest of what is left):
 *   for input bytes b_0..b_{n-1}, D_n = 0 and D_i = Poseidon(b_i, D_{i+1}); the job's input
 *   digest is D_0. A state after `pos` bytes were read holds inputRemaining = D_pos.
 * - Output digest (a forward chain, extended as the guest writes): d_0 = 0,
 *   d_{i+1} = Poseidon(d_i, byte_i); a state holds the digest of the output written so far.
 * - Image ID = Poseidon(1, entry, memorySize, codeStart, codeEnd, memoryRoot(initial memory)).
 * - Registers hash = Poseidon(Poseidon(x1..x16), Poseidon(x17..x31)), registers unsigned.
 * - State digest = Poseidon(2, imageId, inputRemaining, pc, registersHash, memoryRoot,
 *   inputPosition, outputDigest, cycles, halted (0/1), exitCode as unsigned 32-bit).
 * - S_0 = the state digest at the entry: pc = entry, sp = memorySize, other registers 0,
 *   memory = initial image, inputRemaining = D_0 (the input digest), positions, cycles and
 *   flags 0, output digest 0; so it is a function of (image ID, input digest) only.
 */
import { buildPoseidon, type Poseidon } from "circomlibjs";
import type { ProgramImage } from "./elf.ts";

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

/** Incremental sparse Poseidon Merkle tree over memory words. */
export class MemoryTree {
  readonly depth: number;
  private readonly zeros: bigint[];
  private readonly levels: Map<number, bigint>[];

  constructor(
    private readonly p: Poseidon,
    memorySize: number,
  ) {
    this.depth = Math.max(1, Math.ceil(Math.log2(memorySize / 4)));
    this.zeros = [0n];
    for (let i = 1; i <= this.depth; i++) {
      const z = this.zeros[i - 1]!;
      this.zeros.push(hash(p, [z, z]));
    }
    this.levels = Array.from({ length: this.depth + 1 }, () => new Map());
  }

  /** Builds the tree of a memory image (only non-zero words cost hashes). */
  static fromMemory(p: Poseidon, memory: Uint8Array): MemoryTree {
    const t = new MemoryTree(p, memory.length);
    const w = new Uint32Array(memory.buffer, memory.byteOffset, memory.length >>> 2);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) t.levels[0]!.set(i, BigInt(w[i]!));
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

  /** Sets word `index` (unsigned value) and recomputes its path. */
  update(index: number, value: number): void {
    const v = BigInt(value >>> 0);
    if (this.node(0, index) === v) return;
    this.levels[0]!.set(index, v);
    for (let l = 1, i = index >>> 1; l <= this.depth; l++, i >>>= 1) {
      this.levels[l]!.set(i, hash(this.p, [this.node(l - 1, 2 * i), this.node(l - 1, 2 * i + 1)]));
    }
  }

  /** The Merkle root. */
  root(): bigint {
    return this.node(this.depth, 0);
  }
}

/** The image ID of a loaded program. */
export async function imageId(image: ProgramImage): Promise<ImageId> {
  const p = await getPoseidon();
  const root = MemoryTree.fromMemory(p, image.memory).root();
  return hash(p, [
    1n,
    BigInt(image.entry),
    BigInt(image.memorySize),
    BigInt(image.codeStart),
    BigInt(image.codeEnd),
    root,
  ]);
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
}

/** Poseidon(Poseidon(x1..x16), Poseidon(x17..x31)) over unsigned register values. */
export function registersHash(p: Poseidon, x: Int32Array): bigint {
  const r = Array.from(x, (v) => BigInt(v >>> 0));
  return hash(p, [hash(p, r.slice(1, 17)), hash(p, r.slice(17, 32))]);
}

/** The state digest of a VM state (see the module doc for the encoding). */
export function stateDigest(p: Poseidon, s: VmState): StateDigest {
  return hash(p, [
    2n,
    s.imageId,
    s.inputRemaining,
    BigInt(s.pc >>> 0),
    registersHash(p, s.registers),
    s.memoryRoot,
    BigInt(s.inputPosition),
    s.outputDigest,
    BigInt(s.cycles),
    s.halted ? 1n : 0n,
    BigInt(s.exitCode >>> 0),
  ]);
}
