/**
 * A versioned-cells job split between the orchestrator and its delegators (issue 12 item 6;
 * circuits/zkvm/README.md, "Two rounds, and who can grief them").
 *
 * The orchestrator's part, `prepareJob2`, is what it must compute per job before any lease:
 * the run cut into chunks exactly as the chunk circuit takes them (`chunk2Limits`), each
 * chunk's version time and the version time of every cell it pages (the chunk before it that
 * last paged the cell, 0 for the image), the state digests at every boundary, the boundary
 * proof's cells and the I/O claim. It hashes nothing per cycle and computes no witness: the
 * executor runs step by step without the Merkle tree, and each chunk boundary costs one state
 * digest (three Poseidon hashes of at most six inputs).
 *
 * Each chunk's lease is then small (`ChunkLease2`: its index, t, the versions of its cells and
 * its two state digests) and the delegator rebuilds the chunk's circuit inputs itself
 * (`leaseInputs2`): it runs the job's published ELF on the job's input up to its chunk, records
 * only that chunk's steps, and builds the inputs with the lease's versions. Its round 1 (the
 * lookup counts and commitment, from a witness) and its round 2 (the share at gammaJob, then
 * the proof) run on those inputs: the orchestrator never computes a chunk witness.
 */
import type { Poseidon } from "circomlibjs";
import {
  executeChunked,
  imageIdOf,
  type ChunkRecord,
  type ImageOpening,
  type ProgramImage,
  type VmState,
} from "../executor/index.ts";
import { inputClaim } from "../executor/io-elements.ts";
import {
  chunk2Inputs,
  chunk2Limits,
  CODE_CELL,
  state2Digest,
  type BoundaryCell2,
  type Chunk2CoreConfig,
} from "./witness2.ts";

/** What a delegator needs, besides the job's ELF and input, to rebuild one chunk's inputs. */
export interface ChunkLease2 {
  index: number;
  /** The chunk's version time: index + 1. */
  t: number;
  /**
   * Every cell the chunk pages whose version is not the image's: [cell, the version time of
   * the chunk that last paged it]. A cell not listed is paged at its image version (0).
   */
  tin: [number, number][];
  /** The state digests around the chunk (decimal): its proof's sIn and sOut. */
  sIn: string;
  sOut: string;
  /** The cycles before the chunk and the cycles it retires. */
  cyclesIn: number;
  cyclesRetired: number;
}

/** A job as the orchestrator prepares it: everything the leases and the job's proofs need. */
export interface PreparedJob2 {
  imageId: bigint;
  /** The chunks' states and I/O (no step records: a delegator records its own chunk). */
  chunks: ChunkRecord[];
  leases: ChunkLease2[];
  /** Every cell the job paged, increasing, with its image value and last version. */
  boundary: BoundaryCell2[];
  output: Uint8Array;
  /** The input proof's claim: bytes read and reads that found the input ended. */
  read: number;
  ends: number;
  /** The halted final state. */
  final: VmState;
  cycles: number;
}

/** The cell a memory word is paged as: CODE + w inside the code range, 32 + w outside. */
export function wordCell2(code: { codeStart: number; codeEnd: number }, w: number): number {
  const a = w * 4;
  return a >= code.codeStart && a < code.codeEnd ? CODE_CELL + w : 32 + w;
}

export class PrepareError extends Error {
  override readonly name = "PrepareError";
}

/**
 * The orchestrator's preparation of a versioned-cells job: execution into chunks, the cells'
 * versions, the state digests and the boundary cells, with no per-chunk witness.
 * @throws Trap from the run, RangeError past maxCycles or maxChunks
 */
export async function prepareJob2(
  p: Poseidon,
  cfg: Chunk2CoreConfig,
  image: ProgramImage,
  opening: ImageOpening,
  input: Uint8Array,
  opts: { maxCycles?: number; maxChunks?: number } = {},
): Promise<PreparedJob2> {
  const imageId = imageIdOf(p, opening);
  const run = await executeChunked(image, input, {
    ...chunk2Limits(cfg),
    records: false,
    merkle: false,
    imageId,
    ...(opts.maxCycles === undefined ? {} : { maxCycles: opts.maxCycles }),
    ...(opts.maxChunks === undefined ? {} : { maxChunks: opts.maxChunks }),
  });
  // the version time of each cell's last version (absent: the image's, 0)
  const last = new Map<number, number>();
  const leases: ChunkLease2[] = [];
  let sIn = state2Digest(p, run.chunks[0]!.stateIn, 1);
  for (const c of run.chunks) {
    const t = c.index + 1;
    const tin: [number, number][] = [];
    const page = (cell: number) => {
      const lt = last.get(cell);
      if (lt !== undefined) tin.push([cell, lt]);
      last.set(cell, t);
    };
    for (let r = 0; r < 32; r++) page(r);
    if (!c.cells) throw new PrepareError(`chunk ${c.index}: the executor listed no cells`);
    for (const w of c.cells) page(wordCell2(opening, w));
    const sOut = state2Digest(p, c.stateOut, t + 1);
    leases.push({
      index: c.index,
      t,
      tin,
      sIn: sIn.toString(),
      sOut: sOut.toString(),
      cyclesIn: c.stateIn.cycles,
      cyclesRetired: c.stateOut.cycles - c.stateIn.cycles,
    });
    sIn = sOut;
  }
  const mem = new DataView(run.machine.mem.buffer, run.machine.mem.byteOffset);
  const img = new DataView(image.memory.buffer, image.memory.byteOffset);
  const boundary: BoundaryCell2[] = [...last.entries()]
    .sort(([a], [b]) => a - b)
    .map(([cell, tlast]) => {
      if (cell < 32)
        return {
          cell,
          image: cell === 2 ? image.memorySize >>> 0 : 0,
          vlast: run.machine.x[cell]! >>> 0,
          tlast,
        };
      const w = cell >= CODE_CELL ? cell - CODE_CELL : cell - 32;
      return {
        cell,
        image: img.getUint32(4 * w, true),
        vlast: mem.getUint32(4 * w, true),
        tlast,
      };
    });
  const claim = inputClaim(run.chunks, input);
  const finalState = run.chunks[run.chunks.length - 1]!.stateOut;
  return {
    imageId,
    chunks: run.chunks,
    leases,
    boundary,
    output: run.output,
    read: claim.read,
    ends: claim.ends,
    final: finalState,
    cycles: finalState.cycles,
  };
}

/**
 * A delegator's rebuild of one chunk's circuit inputs from its lease (round 1's inputs:
 * commitment and jobSum 0, counts 0, gammaJob `gammaJob`): the job's run up to that chunk,
 * its steps recorded, its cells at the lease's versions.
 * @throws PrepareError when the run does not reach the chunk or its states are not the
 *   lease's (the lease is not of this ELF and input)
 */
export async function leaseInputs2(
  p: Poseidon,
  cfg: Chunk2CoreConfig,
  image: ProgramImage,
  opening: ImageOpening,
  input: Uint8Array,
  lease: ChunkLease2,
  ctx: { gammaJob: bigint; prover: bigint },
): Promise<Record<string, unknown>> {
  if (!Number.isSafeInteger(lease.index) || lease.index < 0 || lease.t !== lease.index + 1)
    throw new PrepareError(`lease of chunk ${lease.index} at t = ${lease.t}: t must be index + 1`);
  const imageId = imageIdOf(p, opening);
  const run = await executeChunked(image, input, {
    ...chunk2Limits(cfg),
    records: (i) => i === lease.index,
    merkle: false,
    imageId,
    stopAfter: lease.index,
    maxChunks: lease.index + 1,
  });
  const chunk = run.chunks[lease.index];
  if (!chunk)
    throw new PrepareError(
      `the run has ${run.chunks.length} chunks: no chunk ${lease.index} to prove`,
    );
  const tin = new Map(lease.tin);
  const x = chunk2Inputs(p, cfg, opening, chunk, {
    t: lease.t,
    tin: (c) => tin.get(c) ?? 0,
    gammaJob: ctx.gammaJob,
    prover: ctx.prover,
  });
  if (x.sIn !== lease.sIn || x.sOut !== lease.sOut)
    throw new PrepareError(`chunk ${lease.index}: its states are not the lease's`);
  return x;
}
