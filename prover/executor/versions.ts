/**
 * The memory argument of the next chunk circuit (issue 12), as a reference model: versioned
 * cells checked job-wide by one log-derivative sum (circuits/zkvm/README.md, "A memory argument
 * that fits the issue"). Not yet used by the circuit or the network; it fixes what the
 * orchestrator computes (fast: no hashing per chunk), what each chunk and the job's boundary
 * proof must constrain, and what the verifier checks — and its tests attack it.
 *
 * Cells: 0..31 are the registers, 32 + w the memory word at byte address 4w (fetched code
 * words included). The chunk numbered i (0-based) in its job has version time t = i + 1 (0 is
 * the image's). For every cell it touches (all 32 registers, and every word it fetches, loads,
 * stores or moves a syscall byte through), in increasing cell order, it *consumes* the version
 * (cell, vin, tin) — the value at its start and the time of the chunk that last touched the
 * cell, tin < t — and *produces* (cell, vout, t). The job's boundary proof lists every touched
 * cell of the job once, in increasing order, producing its image version (cell, image value, 0)
 * and consuming its last version. With γ drawn after all of these are fixed:
 *
 *   Σ_produced 1/(γ − e) − Σ_consumed 1/(γ − e) = 0,   e = cell + 2^32·v + 2^64·t,
 *
 * holds for the honest run, and (with the ordering and time rules) only for it: every produced
 * element has a distinct (cell, t), so each must be consumed exactly once, and a consumer can
 * only take an element older than itself — which forces each cell's chain of versions.
 */
import type { Poseidon } from "circomlibjs";
import { hash } from "./digest.ts";
import type { ProgramImage } from "./elf.ts";
import {
  createMachine,
  machineResult,
  runSteps,
  type ExecuteOptions,
  type ExecutionResult,
  type WordTouch,
} from "./execute.ts";

/** BN254 scalar field order r (the circuit's field). */
export const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

/** One cell as a chunk sees it: consumed as (cell, vin, tin), produced as (cell, vout, t). */
export interface CellVersion {
  cell: number;
  /** Unsigned 32-bit values. */
  vin: number;
  tin: number;
  vout: number;
}

export interface VersionedChunk {
  /** The chunk's number in its job (0-based); its version time is index + 1. */
  index: number;
  /** Cycles [start, end). */
  start: number;
  end: number;
  /** In increasing cell order. */
  cells: CellVersion[];
}

/** The boundary proof's list: each touched cell once, its image value and its last version. */
export interface BoundaryCell {
  cell: number;
  image: number;
  vlast: number;
  tlast: number;
}

export interface VersionedRun {
  result: ExecutionResult;
  chunks: VersionedChunk[];
  boundary: BoundaryCell[];
}

export const REGISTERS = 32;
/**
 * A chunk's version time: its number in the job + 1 (0 is the image's). Chunk numbers, not
 * cycles: they fit in {@link TIME_BITS} bits whatever the chunk size, and so cost the circuit
 * one short range check per cell.
 */
export const versionTime = (c: VersionedChunk): number => c.index + 1;

/** Version times are below 2^TIME_BITS (16.7 M chunks a job: 17 G cycles at K = 1,024). */
export const TIME_BITS = 24;

/**
 * Executes `image` on `input` in chunks of `chunkCycles` instructions, recording for each
 * chunk the versions of the cells it touches, and the job's boundary list. Costs no hashing:
 * the orchestrator's part of the argument.
 */
export function executeVersioned(
  image: ProgramImage,
  input: Uint8Array,
  chunkCycles: number,
  options: ExecuteOptions = {},
): VersionedRun {
  const m = createMachine(image, input, options, false);
  const words = image.memorySize >>> 2;
  const touch: WordTouch = { stamp: new Uint32Array(words), id: 0, words: [], before: [] };
  m.touch = touch;
  const view = new DataView(m.mem.buffer);
  // Time of the last version of every cell (0: the image's), and the cells ever touched.
  const last = new Float64Array(REGISTERS + words);
  const ever = new Uint8Array(REGISTERS + words);
  const chunks: VersionedChunk[] = [];
  const regsIn = new Uint32Array(REGISTERS);
  while (!m.halted) {
    const start = m.cycles;
    const t = chunks.length + 1;
    touch.id++;
    touch.words.length = 0;
    touch.before.length = 0;
    for (let r = 0; r < REGISTERS; r++) regsIn[r] = m.x[r]! >>> 0;
    runSteps(m, chunkCycles);
    const cells: CellVersion[] = [];
    for (let r = 0; r < REGISTERS; r++) {
      cells.push({ cell: r, vin: regsIn[r]!, tin: last[r]!, vout: m.x[r]! >>> 0 });
      last[r] = t;
      ever[r] = 1;
    }
    const order = touch.words.map((_, k) => k).sort((p, q) => touch.words[p]! - touch.words[q]!);
    for (const k of order) {
      const w = touch.words[k]!;
      const cell = REGISTERS + w;
      cells.push({
        cell,
        vin: touch.before[k]!,
        tin: last[cell]!,
        vout: view.getUint32(w << 2, true),
      });
      last[cell] = t;
      ever[cell] = 1;
    }
    chunks.push({ index: chunks.length, start, end: m.cycles, cells });
  }
  const imageView = new DataView(image.memory.buffer, image.memory.byteOffset);
  const boundary: BoundaryCell[] = [];
  for (let cell = 0; cell < ever.length; cell++) {
    if (!ever[cell]) continue;
    const image_ =
      cell < REGISTERS
        ? cell === 2
          ? image.memorySize >>> 0
          : 0
        : imageView.getUint32((cell - REGISTERS) << 2, true);
    const vlast =
      cell < REGISTERS ? m.x[cell]! >>> 0 : view.getUint32((cell - REGISTERS) << 2, true);
    boundary.push({ cell, image: image_, vlast, tlast: last[cell]! });
  }
  return { result: machineResult(m), chunks, boundary };
}

/** The packed multiset element of (cell, v, t). */
export const element = (cell: number, v: number, t: number): bigint =>
  BigInt(cell) + (BigInt(v >>> 0) << 32n) + (BigInt(t) << 64n);

/**
 * The chunk's commitment C_i to its versioned cells, as CellCommitment(NC, TB) computes it
 * (circuits/zkvm/versions.circom): each of `slots` slots packs (cell, vin, t − 1 − tin, vout)
 * into 120 bits (0 for an unused slot), two slots per field element, absorbed 15 elements at a
 * time: C = Poseidon(C, e_1 … e_15) from C = 0. What the delegator of the chunk computes and
 * reports before γ is drawn (a few ms).
 */
export function chunkCommitment(p: Poseidon, c: VersionedChunk, slots: number): bigint {
  if (c.cells.length > slots)
    throw new VersionError(
      `chunk at ${c.start}: ${c.cells.length} cells, more than ${slots} slots`,
    );
  const t = versionTime(c);
  const packed = (i: number): bigint => {
    const x = c.cells[i];
    if (!x) return 0n;
    return (
      BigInt(x.cell) +
      (BigInt(x.vin >>> 0) << 32n) +
      (BigInt(t - 1 - x.tin) << 64n) +
      (BigInt(x.vout >>> 0) << 88n)
    );
  };
  const elements: bigint[] = [];
  for (let i = 0; i < slots; i += 2)
    elements.push(packed(i) + (i + 1 < slots ? packed(i + 1) << 120n : 0n));
  let acc = 0n;
  for (let b = 0; b < elements.length; b += 15) {
    const block = [acc, ...elements.slice(b, b + 15)];
    while (block.length < 16) block.push(0n);
    acc = hash(p, block);
  }
  return acc;
}

const mod = (a: bigint): bigint => ((a % R) + R) % R;

function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % R;
    b = (b * b) % R;
    e >>= 1n;
  }
  return r;
}

/** Σ signs[i] / (γ − xs[i]) mod r, with one inversion (Montgomery's trick). */
export function logDerivativeSum(gamma: bigint, xs: bigint[], signs: number[]): bigint {
  const n = xs.length;
  if (n === 0) return 0n;
  const d = xs.map((x) => mod(gamma - x));
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    if (d[i] === 0n) throw new VersionError("γ equals an element: draw another");
    prefix[i] = acc;
    acc = (acc * d[i]!) % R;
  }
  let inv = pow(acc, R - 2n);
  let sum = 0n;
  for (let i = n - 1; i >= 0; i--) {
    const invI = (inv * prefix[i]!) % R;
    inv = (inv * d[i]!) % R;
    sum += signs[i]! > 0 ? invI : R - invI;
  }
  return mod(sum);
}

export class VersionError extends Error {
  override readonly name = "VersionError";
}

/** What one chunk proof constrains about its cells (beyond its in-chunk memory check). */
export function checkChunkCells(c: VersionedChunk): void {
  const t = versionTime(c);
  for (let i = 0; i < c.cells.length; i++) {
    const x = c.cells[i]!;
    if (i > 0 && x.cell <= c.cells[i - 1]!.cell)
      throw new VersionError(`chunk at ${c.start}: cells not strictly increasing at ${x.cell}`);
    // The circuit checks 0 <= t − 1 − tin < 2^TIME_BITS, not tin >= 0 itself: a "negative"
    // tin (a field element near r) packs to an element no producer emits, so it cannot balance.
    if (!(x.tin < t && t - 1 - x.tin < 2 ** TIME_BITS))
      throw new VersionError(
        `chunk at ${c.start}: cell ${x.cell} consumes a version at ${x.tin}, not before ${t}`,
      );
  }
  for (let r = 0; r < REGISTERS; r++)
    if (c.cells[r]?.cell !== r)
      throw new VersionError(`chunk at ${c.start}: register ${r} not paged`);
}

/** What the boundary proof constrains: each cell once, in increasing order. */
export function checkBoundary(b: BoundaryCell[]): void {
  for (let i = 1; i < b.length; i++)
    if (b[i]!.cell <= b[i - 1]!.cell)
      throw new VersionError(`boundary: cells not strictly increasing at ${b[i]!.cell}`);
}

/** The job-wide sum: 0 for a consistent run (with overwhelming probability over γ). */
export function versionBalance(
  chunks: VersionedChunk[],
  boundary: BoundaryCell[],
  gamma: bigint,
): bigint {
  const xs: bigint[] = [];
  const signs: number[] = [];
  for (const c of chunks) {
    const t = versionTime(c);
    for (const x of c.cells) {
      xs.push(element(x.cell, x.vout, t));
      signs.push(1);
      xs.push(element(x.cell, x.vin, x.tin));
      signs.push(-1);
    }
  }
  for (const b of boundary) {
    xs.push(element(b.cell, b.image, 0));
    signs.push(1);
    xs.push(element(b.cell, b.vlast, b.tlast));
    signs.push(-1);
  }
  return logDerivativeSum(gamma, xs, signs);
}

/**
 * The verifier's side: every chunk's and the boundary's own rules, then the balance at γ.
 * (In the network γ comes from the proofs' commitments; here the caller draws it.)
 */
export function verifyVersions(
  chunks: VersionedChunk[],
  boundary: BoundaryCell[],
  gamma: bigint,
): void {
  for (const c of chunks) checkChunkCells(c);
  checkBoundary(boundary);
  const s = versionBalance(chunks, boundary, gamma);
  if (s !== 0n) throw new VersionError("the versions of memory do not balance across chunks");
}
