/**
 * Executing a versioned-cells job (JobRegistry version 2; circuits/zkvm/README.md) on the
 * orchestrator, once, in the job executor's worker process (execute-job.ts): the run in word
 * mode cut into chunks, then the protocol's two rounds for every chunk (round 1: its lookup
 * counts and commitment; gammaJob derived from every commitment and the I/O proofs' public
 * values exactly as JobVerifier2 derives it for this chain, contract and job ID; round 2: each
 * chunk's share at gammaJob), and the job's own three proofs (boundary, input, output), proven
 * here. What delegators receive is each chunk's complete circuit inputs with `prover` = 0: the
 * prover address is a public input of its own, outside the commitment and the share, so each
 * delegator proves its chunk under its own address and nothing else of the job changes.
 *
 * The result is stored with the job (`Job2Record`, as JSON) and is all the Universal Proof
 * needs besides the chunk proofs: the job's public values and its three proofs.
 */
import { getAddress, type Address } from "viem";
import { getPoseidon, imageIdOf, imageOpening, loadElf } from "../prover/executor/index.ts";
import { getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { proofToWords } from "../prover/verify/batch.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import {
  job2Claim,
  Job2Prover,
  loadChunk2Probe,
  type Job2Keys,
  type Proofs2,
} from "../prover/zkvm/job2.ts";
import { prepareJob2 } from "../prover/zkvm/prepare2.ts";
import { verifyJob2, type Job2 } from "../prover/zkvm/verify2.ts";
import * as snarkjs from "snarkjs";
import type { SegmentTask } from "./scheduler.ts";

export interface ExecuteJob2Task {
  kind: "job2";
  elf: Uint8Array;
  input: Uint8Array;
  /** The deployment's versioned-cells key set (its four circuits). */
  keySet: string;
  /** Longest run executed; a longer one fails. */
  maxCycles: number;
  /** The most chunks the job may settle with (its record's): a run that needs more fails early. */
  maxChunks: number;
  /** Refuse (before executing) an ELF whose image ID is not this one. */
  imageId: string;
  /** What gammaJob binds: the chain, JobVerifier2's address, the job ID (decimal). */
  chainId: string;
  contract: Address;
  jobId: string;
  cacheDir: string;
}

/** A versioned-cells job's record: its public values and its three proofs (JSON-safe). */
export interface Job2Record {
  kind: "job2";
  keySet: string;
  /** The job's public values (verify2.ts's Job2), bigints as decimal strings ending in "n". */
  job: string;
  /** The boundary, input and output proofs as EVM words (decimal). */
  proofs: { boundary: string[]; input: string[]; output: string[] };
  /** The output bytes (hex). */
  output: string;
}

export interface ExecutedJob2 {
  imageId: string;
  cycles: number;
  /** The chunk circuit every task is for. */
  circuit: string;
  record: Job2Record;
  /** One task per chunk: complete inputs at gammaJob, prover 0. */
  tasks: SegmentTask[];
}

/** JSON with bigints (as "123n"). */
export const toJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
export const fromJson = <T>(s: string): T =>
  JSON.parse(s, (_k, x: unknown) =>
    typeof x === "string" && /^-?[0-9]+n$/.test(x) ? BigInt(x.slice(0, -1)) : x,
  ) as T;

/** Executes, runs both rounds and proves the job's three proofs (the worker's body). */
export async function executeJob2(t: ExecuteJob2Task): Promise<ExecutedJob2> {
  const p = await getPoseidon();
  const ks = keySetCircuits(t.keySet);
  const art = (name: string) => getCircuitArtifacts(name, { cacheDir: t.cacheDir });
  const keys: Job2Keys = {
    chunk: await art(ks.names.chunk),
    boundary: await art(ks.names.boundary),
    input: await art(ks.names.input),
    output: await art(ks.names.output),
  };
  const image = loadElf(new Uint8Array(t.elf));
  if (t.input.length > ks.maxb)
    throw new Error(`${t.input.length} input bytes: the input proof takes at most ${ks.maxb}`);
  const probe = await loadChunk2Probe(ks.cfg, t.cacheDir);
  const kit = await Job2Prover.fromArtifacts(p, ks.cfg, ks.np, ks.maxb, probe, keys);
  const opening = await imageOpening(image);
  if (imageIdOf(p, opening).toString() !== t.imageId)
    throw new Error("the published ELF does not hash to the image ID");
  const input = new Uint8Array(t.input);
  // The preparation first (no witness: prepare2.ts), so a trap, an over-long run or one
  // needing more chunks than the job may settle with (word-mode transfers retire no cycles: a
  // long debug write takes many chunks for few cycles) fails before any witness.
  const prep = await prepareJob2(p, ks.cfg, image, opening, input, {
    maxCycles: t.maxCycles,
    maxChunks: t.maxChunks,
  }).catch((e: Error) => {
    throw new Error(
      /more than \d+ chunks/.test(e.message)
        ? `${e.message}: more chunk proofs than the ${t.maxChunks} its bound reserved`
        : e.message,
    );
  });
  if (prep.output.length > ks.maxb)
    throw new Error(
      `${prep.output.length} output bytes: the output proof takes at most ${ks.maxb}`,
    );
  // Both rounds of every chunk from its lease, as a delegator computes them (round 1: counts
  // and commitment; round 2: the share at gammaJob, prover 0: no value here depends on it).
  const parts = { image, opening, input };
  const commitments: bigint[] = [];
  for (const l of prep.leases)
    commitments.push(BigInt((await kit.commitLease(parts, l)).commitment as string));
  const chain = {
    chainId: BigInt(t.chainId),
    contract: getAddress(t.contract),
    jobId: BigInt(t.jobId),
  };
  const assembled = await kit.assembleLeased(prep, parts, commitments, chain);
  const gammaJob = assembled.job.boundary.gammaJob;
  const chunkInputs: Record<string, unknown>[] = [];
  for (const [i, l] of prep.leases.entries())
    chunkInputs.push(
      await kit.proveLease(parts, l, { gammaJob, commitment: commitments[i]!, prover: 0n }),
    );
  const job = {
    ...assembled.job,
    chunks: assembled.job.chunks.map((c, i) => ({
      ...c,
      jobSum: BigInt(chunkInputs[i]!.jobSum as string),
    })),
  };
  const proofInputs = assembled.proofInputs;
  verifyJob2(p, job); // never lease chunks of a job the verifier would refuse
  const prove = async (a: (typeof keys)["boundary"], x: Record<string, unknown>) =>
    proofToWords((await snarkjs.groth16.fullProve(x as never, a.wasmPath, a.zkeyPath)).proof).map(
      String,
    );
  const proofs = {
    boundary: await prove(keys.boundary, proofInputs.boundary),
    input: await prove(keys.input, proofInputs.input),
    output: await prove(keys.output, proofInputs.output),
  };
  return {
    imageId: t.imageId,
    cycles: job.final.cycles,
    circuit: ks.names.chunk,
    record: {
      kind: "job2",
      keySet: t.keySet,
      job: toJson(job),
      proofs,
      output: Buffer.from(prep.output).toString("hex"),
    },
    tasks: chunkInputs.map((x, i) => ({
      index: i,
      input: x as never,
      sIn: String(job.chunks[i]!.sIn),
      sOut: String(job.chunks[i]!.sOut),
    })),
  };
}

/**
 * A proven versioned-cells job as EpochManager.submitEpoch2 takes it: its JobInput (image,
 * input digest, claim with each chunk's prover as its accepted proof names it) and its proofs.
 * Checked off chain first (verify2.ts): what would not verify is never sent.
 */
export async function job2Submission(
  record: Job2Record,
  chunks: readonly { prover: Address; proof: snarkjs.Groth16Proof }[],
): Promise<{ input: ReturnType<typeof jobInputOf>; proofs: Proofs2; job: Job2 }> {
  const job = fromJson<Job2>(record.job);
  if (chunks.length !== job.chunks.length)
    throw new Error(`${chunks.length} chunk proofs for a job of ${job.chunks.length} chunks`);
  job.chunks = job.chunks.map((c, i) => ({ ...c, prover: BigInt(chunks[i]!.prover) }));
  verifyJob2(await getPoseidon(), job);
  const words = (x: string[]) => x.map(BigInt);
  return {
    input: jobInputOf(job),
    job,
    proofs: {
      chunks: chunks.map((c) => [...proofToWords(c.proof)]),
      boundary: words(record.proofs.boundary),
      input: words(record.proofs.input),
      output: words(record.proofs.output),
    },
  };
}

/** JobVerifier2's JobInput of a job. */
function jobInputOf(job: Job2) {
  return {
    imageId: job.boundary.imageId,
    inputHi: job.inputDigest.hi,
    inputLo: job.inputDigest.lo,
    claim: job2Claim(job),
  };
}
