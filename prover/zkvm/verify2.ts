/**
 * The verifier's side of a versioned-cells job (issue 12; circuits/zkvm/README.md, "A memory
 * argument that fits the issue" and "The input and output commitments"; the orchestrator
 * checks every job with it before leasing and before submitting): given what each proof of a job makes public, everything beyond the proofs
 * themselves that `verifyRun` and the contract must check.
 *
 * - gammaJob is derived here, never taken from a prover: keccak256 over the chain, the
 *   contract and the job, every chunk's sIn and commitment (its transcript: its cells, every
 *   step's advice, its counts), the boundary proof's commitment (the last versions it
 *   consumes), the input proof's public values (the input's SHA-256, the bytes
 *   read, the ends found) and the output proof's (the output's SHA-256), reduced mod r. Every
 *   element any proof adds to the job-wide sum is fixed by those before gammaJob exists.
 * - the chunks chain: the first starts in the image's entry state (t = 1, nothing run), each
 *   starts where the one before ended, the last ends halted in the claimed final state, which
 *   the output proof opens (sFinal, its exit code: the contract hashes no final state);
 * - the shares balance: the chunks', the boundary proof's, the input and output proofs' sum to
 *   0 at gammaJob (memory versions and the moved bytes alike).
 */
import type { Poseidon } from "circomlibjs";
import { encodeAbiParameters, keccak256, type Address } from "viem";
import { type ImageOpening, imageIdOf } from "../executor/index.ts";
import { R } from "../executor/versions.ts";
import { digestOfState2Fields } from "./witness2.ts";

/** Chunk2's public inputs, in the circuit's order. */
export interface Chunk2Public {
  sIn: bigint;
  sOut: bigint;
  imageId: bigint;
  prover: bigint;
  cyclesRetired: bigint;
  commitment: bigint;
  gammaJob: bigint;
  jobSum: bigint;
}

/** The input proof's public values (circuits/zkvm/io.circom, InputProof). */
export interface InputProofPublic {
  digestHi: bigint;
  digestLo: bigint;
  read: bigint;
  ends: bigint;
  gammaJob: bigint;
  jobSum: bigint;
}

/** The output proof's public values (OutputProof). */
export interface OutputProofPublic {
  digestHi: bigint;
  digestLo: bigint;
  gammaJob: bigint;
  /** The final state it opens: the last chunk's sOut (halted, outside any call). */
  sFinal: bigint;
  /** The exit code of that state. */
  exitCode: bigint;
  jobSum: bigint;
}

/** The boundary proof's public values. */
export interface BoundaryPublic {
  imageId: bigint;
  /** Its commitment to the last versions it consumes. */
  commitment: bigint;
  gammaJob: bigint;
  jobSum: bigint;
}

/** The final state a job claims (the fields of its last chunk's sOut that matter to users). */
export interface FinalState2 {
  pc: number;
  exitCode: number;
  cycles: number;
  inputPosition: number;
  outputPosition: number;
}

export interface Job2 {
  chainId: bigint;
  contract: Address;
  jobId: bigint;
  image: ImageOpening;
  /** The job's input digest as the contract holds it: SHA-256 of the input, in halves. */
  inputDigest: { hi: bigint; lo: bigint };
  chunks: Chunk2Public[];
  /** The boundary proof's public values (circuits/zkvm/boundary.circom, Boundary). */
  boundary: BoundaryPublic;
  input: InputProofPublic;
  output: OutputProofPublic;
  final: FinalState2;
}

export class Job2Error extends Error {
  override readonly name = "Job2Error";
}

/** gammaJob: derived from everything the job's proofs fixed (see the module doc). */
export function jobGamma(
  j: Pick<Job2, "chainId" | "contract" | "jobId" | "chunks" | "input" | "output"> & {
    boundary: Pick<BoundaryPublic, "commitment">;
  },
): bigint {
  const words = [
    ...j.chunks.flatMap((c) => [c.sIn, c.commitment]),
    j.boundary.commitment,
    j.input.digestHi,
    j.input.digestLo,
    j.input.read,
    j.input.ends,
    j.output.digestHi,
    j.output.digestLo,
  ];
  const encoded = encodeAbiParameters(
    [{ type: "uint256" }, { type: "address" }, { type: "uint256" }, { type: "uint256[]" }],
    [j.chainId, j.contract, j.jobId, words],
  );
  return BigInt(keccak256(encoded)) % R;
}

/** State digest fields of Chunk2 (witness2.ts's state2Fields) for a state outside any call. */
const stateDigest = (
  p: Poseidon,
  imageId: bigint,
  t: number,
  s: {
    cycles: number;
    pc: number;
    halted: boolean;
    exitCode: number;
    inPos: number;
    outPos: number;
  },
) =>
  digestOfState2Fields(p, [
    imageId,
    BigInt(t),
    BigInt(s.cycles),
    BigInt(s.pc >>> 0),
    s.halted ? 1n : 0n,
    BigInt(s.exitCode >>> 0),
    0n,
    0n,
    0n,
    0n,
    0n,
    0n,
    BigInt(s.inPos),
    BigInt(s.outPos),
  ]);

/** Step2's LOGMEM: the largest memory the chunk (and the boundary proof's naming) allows. */
export const MAX_MEMORY = 1 << 20;
/** Version times are 24 bits (CellVersions). */
export const MAX_CHUNKS = (1 << 24) - 2;

/**
 * Checks a job's proofs' public values beyond the proofs: gammaJob derived, the input proof's
 * digest the job's, the chain from the entry to the claimed final state, one image, the shares
 * balanced.
 * @returns the cycles the job retired, its exit code, gammaJob and the output's SHA-256 (to open)
 * @throws Job2Error naming the first rule broken
 */
export function verifyJob2(
  p: Poseidon,
  j: Job2,
): {
  cycles: bigint;
  exitCode: number;
  gammaJob: bigint;
  outputDigest: { hi: bigint; lo: bigint };
} {
  if (j.chunks.length === 0) throw new Job2Error("a job has at least one chunk");
  if (j.chunks.length > MAX_CHUNKS) throw new Job2Error("more chunks than version times");
  if (j.image.memorySize > MAX_MEMORY)
    throw new Job2Error(`a memory of ${j.image.memorySize} bytes: the chunk allows ${MAX_MEMORY}`);
  const publics = [
    ...j.chunks.flatMap((c) => Object.values(c) as bigint[]),
    ...(Object.values(j.boundary) as bigint[]),
    ...(Object.values(j.input) as bigint[]),
    ...(Object.values(j.output) as bigint[]),
  ];
  if (publics.some((x) => x < 0n || x >= R))
    throw new Job2Error("a public value outside the field");
  if (j.input.digestHi !== j.inputDigest.hi || j.input.digestLo !== j.inputDigest.lo)
    throw new Job2Error("the input proof commits to another input than the job's");
  const imageId = imageIdOf(p, j.image);
  const gamma = jobGamma(j);
  if (gamma === 0n) throw new Job2Error("gammaJob is 0: draw with another job id");
  const proofs = [...j.chunks, j.boundary, j.input, j.output];
  proofs.forEach((x, i) => {
    if (x.gammaJob !== gamma)
      throw new Job2Error(`proof ${i}: gammaJob is not the one derived from the commitments`);
  });
  const entry = stateDigest(p, imageId, 1, {
    cycles: 0,
    pc: j.image.entry,
    halted: false,
    exitCode: 0,
    inPos: 0,
    outPos: 0,
  });
  if (j.boundary.imageId !== imageId) throw new Job2Error("the boundary proof opens another image");
  let cycles = 0n;
  j.chunks.forEach((c, i) => {
    if (c.imageId !== imageId) throw new Job2Error(`chunk ${i}: another image`);
    const from = i === 0 ? entry : j.chunks[i - 1]!.sOut;
    if (c.sIn !== from)
      throw new Job2Error(
        i === 0
          ? "chunk 0 does not start at the image's entry"
          : `chunk ${i} does not start where chunk ${i - 1} ended`,
      );
    // a chunk inside a long transfer retires no instruction; the last one ends with the exit
    if (i === j.chunks.length - 1 && c.cyclesRetired === 0n)
      throw new Job2Error("the last chunk retires no instruction (a chunk after the halt)");
    cycles += c.cyclesRetired;
  });
  const f = j.final;
  if (BigInt(f.cycles) !== cycles)
    throw new Job2Error("the final state's cycles are not the chunks'");
  const last = stateDigest(p, imageId, j.chunks.length + 1, {
    cycles: f.cycles,
    pc: f.pc,
    halted: true,
    exitCode: f.exitCode,
    inPos: f.inputPosition,
    outPos: f.outputPosition,
  });
  if (j.chunks[j.chunks.length - 1]!.sOut !== last)
    throw new Job2Error("the last chunk does not end halted in the claimed final state");
  // what the contract checks instead of hashing the final state: the output proof opens the
  // last chunk's sOut as a halted state with this exit code
  if (j.output.sFinal !== last)
    throw new Job2Error("the output proof opens another final state than the last chunk's");
  if (j.output.exitCode !== BigInt(f.exitCode >>> 0))
    throw new Job2Error("the output proof's exit code is not the final state's");
  const sum = proofs.reduce((a, x) => (a + x.jobSum) % R, 0n);
  if (sum !== 0n)
    throw new Job2Error("the job-wide sum does not balance: memory or I/O disagree across proofs");
  return {
    cycles,
    exitCode: f.exitCode >>> 0,
    gammaJob: gamma,
    outputDigest: { hi: j.output.digestHi, lo: j.output.digestLo },
  };
}
