/**
 * A versioned-cells job (JobRegistry version 2; circuits/zkvm/README.md) on the orchestrator,
 * in the job executor's worker process (execute-job.ts), in the protocol's two rounds:
 *
 * 1. `prepareJob2Task`: the run cut into chunks without any witness (prover/zkvm/prepare2.ts,
 *    at millions of cycles a second), each chunk's lease (`ChunkLease2`: its versions and
 *    state digests). Delegators compute each chunk's round 1 from its lease and the job's
 *    program (its ELF and input, handed with the lease) and report its commitment.
 * 2. `assembleJob2Task`, once every commitment is in: gammaJob derived from them and the job's
 *    own proofs' round 1 exactly as JobVerifier2 derives it (this chain, contract and job ID),
 *    the boundary, input and output proofs made here. Each chunk is then leased again with
 *    gammaJob and the commitment it was drawn from; its delegator proves it under its own
 *    address (round 2: its share, from its proof's public signals).
 *
 * A delegator whose round 2 finds another commitment than the one leased disputes it;
 * `commitChunkTask` is the orchestrator's own round 1 of that chunk, which settles who lied.
 *
 * The job's record (`Job2Record`, JSON in the job's row) holds the program until round 2 and
 * then the job's public values and its three proofs: with the chunk proofs (and their shares
 * and provers) all the Universal Proof needs.
 */
import { getAddress, type Address } from "viem";
import { getPoseidon, imageIdOf, imageOpening, loadElf } from "../prover/executor/index.ts";
import { getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { proofToWords } from "../prover/verify/batch.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import {
  Chunk2Rounds,
  job2Claim,
  Job2Prover,
  loadChunk2Probe,
  type Job2Keys,
  type Proofs2,
} from "../prover/zkvm/job2.ts";
import { prepareJob2, type ChunkLease2 } from "../prover/zkvm/prepare2.ts";
import { verifyJob2, type Job2 } from "../prover/zkvm/verify2.ts";
import * as snarkjs from "snarkjs";
import type { SegmentTask } from "./scheduler.ts";

/** A job's program as a delegator receives it with a lease of one of its chunks. */
export interface Job2Program {
  /** The deployment's versioned-cells key set (its chunk circuit's configuration). */
  keySet: string;
  /** The ELF (base64) and the input (hex). */
  elf: string;
  input: string;
}

/** What a versioned-cells chunk task holds (the task's `input`, JSON). */
export interface Job2TaskInput {
  /** The round the chunk is leased for: 1 its commitment, 2 its proof. */
  job2: 1 | 2;
  lease: ChunkLease2;
  /** The statement a lease receipt names (decimal). */
  sIn: string;
  sOut: string;
  cyclesRetired: string;
  /** Round 1's: the commitment reported, and who reported it. */
  commitment?: string;
  committer?: string;
  /** Round 2's: the job's gammaJob; once proven, the proof's share. */
  gammaJob?: string;
  jobSum?: string;
}

export interface PrepareJob2Task {
  kind: "job2";
  elf: Uint8Array;
  input: Uint8Array;
  keySet: string;
  /** Longest run executed; a longer one fails. */
  maxCycles: number;
  /** The most chunks the job may settle with (its record's): a run that needs more fails early. */
  maxChunks: number;
  /** Refuse (before executing) an ELF whose image ID is not this one. */
  imageId: string;
  cacheDir: string;
}

export interface AssembleJob2Task {
  kind: "job2-assemble";
  program: Job2Program;
  /** Every chunk's commitment (decimal), in order. */
  commitments: string[];
  /** What gammaJob binds: the chain, JobVerifier2's address, the job ID (decimal). */
  chainId: string;
  contract: Address;
  jobId: string;
  cacheDir: string;
}

export interface CommitChunkTask {
  kind: "job2-commit";
  program: Job2Program;
  lease: ChunkLease2;
  cacheDir: string;
}

export type Job2WorkerTask = PrepareJob2Task | AssembleJob2Task | CommitChunkTask;

/**
 * A versioned-cells job's record: its program, and from round 2 its public values and its
 * three proofs (JSON-safe).
 */
export interface Job2Record {
  kind: "job2";
  keySet: string;
  program: Job2Program;
  /** The job's public values (verify2.ts's Job2; chunks' shares and provers 0), "123n" bigints. */
  job?: string;
  /** The boundary, input and output proofs as EVM words (decimal). */
  proofs?: { boundary: string[]; input: string[]; output: string[] };
  /** The output bytes (hex). */
  output: string;
}

export interface PreparedJob2Result {
  imageId: string;
  cycles: number;
  /** The chunk circuit every task is for. */
  circuit: string;
  record: Job2Record;
  /** One round-1 task per chunk. */
  tasks: SegmentTask[];
}

/** JSON with bigints (as "123n"). */
export const toJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
export const fromJson = <T>(s: string): T =>
  JSON.parse(s, (_k, x: unknown) =>
    typeof x === "string" && /^-?[0-9]+n$/.test(x) ? BigInt(x.slice(0, -1)) : x,
  ) as T;

/** The program's ELF and input as bytes. */
export function programBytes(g: Job2Program): { elf: Uint8Array; input: Uint8Array } {
  return {
    elf: new Uint8Array(Buffer.from(g.elf, "base64")),
    input: new Uint8Array(Buffer.from(g.input, "hex")),
  };
}

/** Round 1's task of chunk `lease` (what its lease carries besides the program). */
const round1Task = (l: ChunkLease2): SegmentTask => ({
  index: l.index,
  input: {
    job2: 1,
    lease: l,
    sIn: l.sIn,
    sOut: l.sOut,
    cyclesRetired: String(l.cyclesRetired),
  } satisfies Job2TaskInput as never,
  sIn: l.sIn,
  sOut: l.sOut,
});

/**
 * Round 0 on the worker: the job prepared without a witness, one round-1 task per chunk.
 * @throws Error for an ELF that is not the image's, I/O beyond the proofs' bytes, a trap, a
 *   run past maxCycles or needing more chunks than the job's bound
 */
export async function prepareJob2Task(t: PrepareJob2Task): Promise<PreparedJob2Result> {
  const p = await getPoseidon();
  const ks = keySetCircuits(t.keySet);
  const image = loadElf(new Uint8Array(t.elf));
  if (t.input.length > ks.maxb)
    throw new Error(`${t.input.length} input bytes: the input proof takes at most ${ks.maxb}`);
  const opening = await imageOpening(image);
  if (imageIdOf(p, opening).toString() !== t.imageId)
    throw new Error("the published ELF does not hash to the image ID");
  // (word-mode transfers retire no cycles: a long debug write takes many chunks for few cycles)
  const prep = await prepareJob2(p, ks.cfg, image, opening, new Uint8Array(t.input), {
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
  return {
    imageId: t.imageId,
    cycles: prep.cycles,
    circuit: ks.names.chunk,
    record: {
      kind: "job2",
      keySet: t.keySet,
      program: {
        keySet: t.keySet,
        elf: Buffer.from(t.elf).toString("base64"),
        input: Buffer.from(t.input).toString("hex"),
      },
      output: Buffer.from(prep.output).toString("hex"),
    },
    tasks: prep.leases.map(round1Task),
  };
}

/**
 * After round 1, on the worker: gammaJob from every commitment, the job's three proofs made
 * at it; returns the record for round 2 and gammaJob.
 */
export async function assembleJob2Task(
  t: AssembleJob2Task,
): Promise<{ record: Job2Record; gammaJob: string }> {
  const p = await getPoseidon();
  const ks = keySetCircuits(t.program.keySet);
  const art = (name: string) => getCircuitArtifacts(name, { cacheDir: t.cacheDir });
  const keys: Pick<Job2Keys, "boundary" | "input" | "output"> = {
    boundary: await art(ks.names.boundary),
    input: await art(ks.names.input),
    output: await art(ks.names.output),
  };
  const { elf, input } = programBytes(t.program);
  const image = loadElf(elf);
  const opening = await imageOpening(image);
  const prep = await prepareJob2(p, ks.cfg, image, opening, input);
  // the job's own proofs need no chunk witness: the round-1 probe is not loaded here
  const kit = await Job2Prover.fromArtifacts(p, ks.cfg, ks.np, ks.maxb, null, keys);
  const a = await kit.assembleLeased(prep, { image, opening, input }, t.commitments.map(BigInt), {
    chainId: BigInt(t.chainId),
    contract: getAddress(t.contract),
    jobId: BigInt(t.jobId),
  });
  if (!a.boundaryAccepted) throw new Error("the job's boundary proof has no witness");
  const prove = async (k: (typeof keys)["boundary"], x: Record<string, unknown>) =>
    proofToWords((await snarkjs.groth16.fullProve(x as never, k.wasmPath, k.zkeyPath)).proof).map(
      String,
    );
  return {
    gammaJob: a.job.boundary.gammaJob.toString(),
    record: {
      kind: "job2",
      keySet: t.program.keySet,
      program: t.program,
      job: toJson(a.job),
      proofs: {
        boundary: await prove(keys.boundary, a.proofInputs.boundary),
        input: await prove(keys.input, a.proofInputs.input),
        output: await prove(keys.output, a.proofInputs.output),
      },
      output: Buffer.from(prep.output).toString("hex"),
    },
  };
}

/** The worker's chunk rounds by key set (the round-1 build is loaded once per process). */
const roundsByKeySet = new Map<string, Promise<Chunk2Rounds>>();

/**
 * The orchestrator's own round 1 of one chunk (a newcomer's commitment checked, or a dispute
 * settled): its commitment (decimal).
 */
export async function commitChunkTask(t: CommitChunkTask): Promise<string> {
  const ks = keySetCircuits(t.program.keySet);
  let rounds = roundsByKeySet.get(t.program.keySet);
  if (!rounds) {
    rounds = (async () =>
      new Chunk2Rounds(await getPoseidon(), ks.cfg, await loadChunk2Probe(ks.cfg, t.cacheDir)))();
    roundsByKeySet.set(t.program.keySet, rounds);
    rounds.catch(() => roundsByKeySet.delete(t.program.keySet));
  }
  const { elf, input } = programBytes(t.program);
  const image = loadElf(elf);
  const x = await (
    await rounds
  ).commitLease({ image, opening: await imageOpening(image), input }, t.lease);
  return String(x.commitment);
}

/**
 * A proven versioned-cells job as EpochManager.submitEpoch2 takes it: its JobInput (image,
 * input digest, claim with each chunk's prover as its accepted proof names it) and its proofs.
 * Checked off chain first (verify2.ts): what would not verify is never sent.
 */
export async function job2Submission(
  record: Job2Record,
  chunks: readonly { prover: Address; proof: snarkjs.Groth16Proof; jobSum: string }[],
): Promise<{ input: ReturnType<typeof jobInputOf>; proofs: Proofs2; job: Job2 }> {
  if (!record.job || !record.proofs)
    throw new Error("the job's round 1 is not over: it has no gammaJob or proofs yet");
  const job = fromJson<Job2>(record.job);
  if (chunks.length !== job.chunks.length)
    throw new Error(`${chunks.length} chunk proofs for a job of ${job.chunks.length} chunks`);
  // each chunk's prover and share are its accepted proof's public signals
  job.chunks = job.chunks.map((c, i) => ({
    ...c,
    prover: BigInt(chunks[i]!.prover),
    jobSum: BigInt(chunks[i]!.jobSum),
  }));
  verifyJob2(await getPoseidon(), job);
  const words = (x: string[]) => x.map(BigInt);
  return {
    input: jobInputOf(job),
    job,
    proofs: {
      chunks: chunks.map((c) => [...proofToWords(c.proof)]),
      boundary: words(record.proofs!.boundary),
      input: words(record.proofs!.input),
      output: words(record.proofs!.output),
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
