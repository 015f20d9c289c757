/**
 * Assembles the Universal Proof of an epoch from proven runs: the calldata of
 * EpochManager.submitEpoch / submitEpochCompressed (see contracts/interfaces/IEpochManager.sol).
 * Per job: the intermediate states S_1..S_{N-1}, each chunk's prover address (read from its
 * own public signals, which the circuit binds), and the final state's opening (core, output
 * digest, exit code, cycles); the contract rebuilds S_0 and S_N and every public input.
 */
import { getPoseidon, stateCore } from "../prover/executor/index.ts";
import { compressProofWords, proofToWords, type ProofWords } from "../prover/verify/batch.ts";
import type { Address } from "../prover/zkvm/prover.ts";
import { finalStateOf, type RunProof } from "../prover/zkvm/run.ts";

/** One JobProof struct, as viem encodes it. */
export interface JobProofArg {
  jobId: bigint;
  states: bigint[];
  provers: Address[];
  /** Cycles each chunk retires (its proof's last public input). */
  chunkCycles: number[];
  finalCore: bigint;
  outputDigest: bigint;
  exitCode: number;
  cycles: bigint;
}

export interface UniversalProof {
  jobs: JobProofArg[];
  /** Plain points, chunk by chunk in job order. */
  proofs: ProofWords[];
  /** The same points compressed. */
  compressed: (readonly [bigint, bigint, bigint, bigint])[];
}

/** The 20-byte address a chunk's `prover` public signal holds. */
export function proverAddressOf(signal: string): Address {
  const v = BigInt(signal);
  if (v >> 160n !== 0n) throw new Error(`prover signal is not an address: ${signal}`);
  return `0x${v.toString(16).padStart(40, "0")}`;
}

/** The JobProof of one proven run, with its proof points. */
export async function jobProofOf(
  jobId: bigint,
  run: RunProof,
): Promise<{ job: JobProofArg; proofs: ProofWords[] }> {
  if (!run.final.halted) throw new Error(`job ${jobId}: the run does not end halted`);
  const p = await getPoseidon();
  const final = finalStateOf(run, BigInt(run.imageId));
  return {
    job: {
      jobId,
      states: run.chain.slice(1, -1).map(BigInt),
      provers: run.chunks.map((c) => proverAddressOf(c.publicSignals[3])),
      chunkCycles: run.chunks.map((c) => Number(c.publicSignals[4])),
      finalCore: stateCore(p, final),
      outputDigest: final.outputDigest,
      exitCode: final.exitCode >>> 0,
      cycles: BigInt(final.cycles),
    },
    proofs: run.chunks.map((c) => proofToWords(c.proof)),
  };
}

/** The Universal Proof of the given (job id, run) pairs, in that order. */
export async function universalProof(
  runs: readonly { jobId: bigint; run: RunProof }[],
): Promise<UniversalProof> {
  const jobs: JobProofArg[] = [];
  const proofs: ProofWords[] = [];
  for (const { jobId, run } of runs) {
    const j = await jobProofOf(jobId, run);
    jobs.push(j.job);
    proofs.push(...j.proofs);
  }
  return { jobs, proofs, compressed: proofs.map(compressProofWords) };
}
