/**
 * A versioned-cells job proof as a file (`concentric prove --key-set <set>`, `concentric
 * verify`): the job's public values (`Job2`: every chunk's, the boundary, input and output
 * proofs'), the Groth16 proofs of the key set's four circuits, and the output bytes. It is
 * self-contained, and {@link verifyJobFile} trusts none of it: it checks the job as
 * `verifyJob2` does (gammaJob derived from the commitments, the chain from the image's entry
 * state to a halted final state the output proof opens, the shares balanced), that the output
 * bytes are the ones the output proof commits to (SHA-256), and every proof against its key.
 *
 * The proof is bound to a context (chain ID, contract, job ID) through gammaJob; a local proof
 * uses chain 0, the zero address and job 0, which no contract derives: it cannot be replayed on
 * chain as another job's.
 */
import { createHash } from "node:crypto";
import type { Poseidon } from "circomlibjs";
import type * as snarkjs from "snarkjs";
import { getAddress, type Address } from "viem";
import { z } from "zod";
import type { ProgramImage } from "../executor/index.ts";
import type { CircuitArtifacts } from "../setup/artifacts.ts";
import { getCircuit, job2Circuits } from "../setup/registry.ts";
import {
  BatchVerifyError,
  BN254_R,
  verifyBatch,
  type Groth16VerificationKey,
} from "../verify/batch.ts";
import {
  CHUNK2_PUBLIC,
  Job2Prover,
  job2PublicSignals,
  loadChunk2Probe,
  proveJob2,
  type Job2Keys,
  type Proofs2,
} from "./job2.ts";
import { Job2Error, verifyJob2, type Job2 } from "./verify2.ts";
import type { Chunk2CoreConfig } from "./witness2.ts";

export const JOB_PROOF_FORMAT = "concentric-job-proof/2";

/** The four circuits of a key set, in JobVerifier2's order, with their parameters. */
export function keySetCircuits(keySet: string): {
  names: ReturnType<typeof job2Circuits>;
  cfg: Chunk2CoreConfig;
  np: number;
  maxb: number;
} {
  const names = job2Circuits(keySet);
  const p = (name: string) => getCircuit(name).params as Record<string, number>;
  const { K, NC, TB, M, MB, NM } = p(names.chunk);
  return {
    names,
    cfg: { K: K!, NC: NC!, TB: TB!, M: M!, MB: MB!, NM: NM! },
    np: p(names.boundary).NP!,
    maxb: Math.min(p(names.input).MAXB!, p(names.output).MAXB!),
  };
}

const dec = z
  .string()
  .regex(/^[0-9]{1,78}$/, "a decimal number")
  .transform((s) => BigInt(s))
  .refine((v) => v < BN254_R, "below the field order");
const hex = z.string().regex(/^([0-9a-f]{2})*$/, "lowercase hex bytes");
const words = z.array(dec).length(8);
const u32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

const FileSchema = z.object({
  format: z.literal(JOB_PROOF_FORMAT),
  keySet: z.string(),
  context: z.object({
    chainId: dec,
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    jobId: dec,
  }),
  image: z.object({
    entry: u32,
    memorySize: u32,
    codeStart: u32,
    codeEnd: u32,
    initRoot: dec,
  }),
  inputDigest: z.object({ hi: dec, lo: dec }),
  chunks: z
    .array(
      z.object({
        sIn: dec,
        sOut: dec,
        imageId: dec,
        prover: dec,
        cyclesRetired: dec,
        commitment: dec,
        gammaJob: dec,
        jobSum: dec,
      }),
    )
    .min(1),
  boundary: z.object({ imageId: dec, commitment: dec, gammaJob: dec, jobSum: dec }),
  input: z.object({
    digestHi: dec,
    digestLo: dec,
    read: dec,
    ends: dec,
    gammaJob: dec,
    jobSum: dec,
  }),
  output: z.object({
    digestHi: dec,
    digestLo: dec,
    gammaJob: dec,
    sFinal: dec,
    exitCode: dec,
    jobSum: dec,
  }),
  final: z.object({
    pc: u32,
    exitCode: u32,
    cycles: z.number().int().min(0),
    inputPosition: u32,
    outputPosition: u32,
  }),
  proofs: z.object({
    chunks: z.array(words),
    boundary: words,
    input: words,
    output: words,
  }),
  outputBytes: hex,
});

/** A job proof file as JSON (bigints as decimal strings). */
export type JobProofFile = z.input<typeof FileSchema>;

export class JobFileError extends Error {
  override readonly name = "JobFileError";
}

const s = (v: bigint | number) => v.toString();

/**
 * Runs and proves a job with a key set's four circuits (keys built on first use by the
 * caller's `artifacts`): round 1, gammaJob, round 2, every Groth16 proof.
 */
export async function proveJobFile(
  p: Poseidon,
  keySet: string,
  artifacts: (name: string) => Promise<CircuitArtifacts>,
  image: ProgramImage,
  input: Uint8Array,
  opts: {
    prover: Address;
    cacheDir: string;
    log?: (m: string) => void;
    context?: { chainId: bigint; contract: Address; jobId: bigint };
  },
): Promise<{ file: JobProofFile; job: Job2; proofs: Proofs2 }> {
  const c = keySetCircuits(keySet);
  const keys: Job2Keys = {
    chunk: await artifacts(c.names.chunk),
    boundary: await artifacts(c.names.boundary),
    input: await artifacts(c.names.input),
    output: await artifacts(c.names.output),
  };
  const probe = await loadChunk2Probe(c.cfg, opts.cacheDir, opts.log);
  const kit = await Job2Prover.fromArtifacts(p, c.cfg, c.np, c.maxb, probe, keys);
  const prepared = await kit.prepare(image, input, BigInt(opts.prover));
  const context = opts.context ?? {
    chainId: 0n,
    contract: getAddress(`0x${"00".repeat(20)}`),
    jobId: 0n,
  };
  const { job, proofInputs } = await kit.assemble(prepared, context);
  verifyJob2(p, job);
  const proofs = await proveJob2(keys, job, proofInputs);
  const w = (x: bigint[]) => x.map(s);
  const file: JobProofFile = {
    format: JOB_PROOF_FORMAT,
    keySet,
    context: { chainId: s(context.chainId), contract: context.contract, jobId: s(context.jobId) },
    image: { ...job.image, initRoot: s(job.image.initRoot) },
    inputDigest: { hi: s(job.inputDigest.hi), lo: s(job.inputDigest.lo) },
    chunks: job.chunks.map((x) =>
      Object.fromEntries(CHUNK2_PUBLIC.map((k) => [k, s(x[k])])),
    ) as JobProofFile["chunks"],
    boundary: Object.fromEntries(
      Object.entries(job.boundary).map(([k, v]) => [k, s(v)]),
    ) as JobProofFile["boundary"],
    input: Object.fromEntries(
      Object.entries(job.input).map(([k, v]) => [k, s(v)]),
    ) as JobProofFile["input"],
    output: Object.fromEntries(
      Object.entries(job.output).map(([k, v]) => [k, s(v)]),
    ) as JobProofFile["output"],
    final: { ...job.final },
    proofs: {
      chunks: proofs.chunks.map(w),
      boundary: w(proofs.boundary),
      input: w(proofs.input),
      output: w(proofs.output),
    },
    outputBytes: Buffer.from(prepared.output).toString("hex"),
  };
  return { file, job, proofs };
}

/** snarkjs's proof object from EVM-order words [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy]. */
function wordsToProof(x: readonly bigint[]): snarkjs.Groth16Proof {
  const t = (v: bigint) => v.toString();
  return {
    pi_a: [t(x[0]!), t(x[1]!), "1"],
    pi_b: [
      [t(x[3]!), t(x[2]!)],
      [t(x[5]!), t(x[4]!)],
      ["1", "0"],
    ],
    pi_c: [t(x[6]!), t(x[7]!), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** What a verified job proof established. */
export interface VerifiedJob {
  keySet: string;
  chunks: number;
  cycles: bigint;
  exitCode: number;
  imageId: bigint;
  output: Uint8Array;
  inputDigest: string;
}

/**
 * Verifies a job proof file (parsed JSON) with its key set's verifying keys (in the key set's
 * order: chunk, boundary, input, output).
 * @throws JobFileError naming the first rule broken (a malformed file, a job `verifyJob2`
 * refuses, output bytes that are not the committed ones, a proof its key refuses)
 */
export async function verifyJobFile(
  p: Poseidon,
  raw: unknown,
  vkeys: (keySet: string) => Promise<Groth16VerificationKey[]>,
): Promise<VerifiedJob> {
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new JobFileError(`${i.path.join(".") || "file"}: ${i.message}`);
  }
  const f = parsed.data;
  if (f.proofs.chunks.length !== f.chunks.length)
    throw new JobFileError(`${f.chunks.length} chunks but ${f.proofs.chunks.length} chunk proofs`);
  const job: Job2 = {
    chainId: f.context.chainId,
    contract: getAddress(f.context.contract),
    jobId: f.context.jobId,
    image: f.image,
    inputDigest: f.inputDigest,
    chunks: f.chunks,
    boundary: f.boundary,
    input: f.input,
    output: f.output,
    final: f.final,
  };
  let r: ReturnType<typeof verifyJob2>;
  try {
    r = verifyJob2(p, job);
  } catch (e) {
    if (e instanceof Job2Error) throw new JobFileError(e.message);
    throw e;
  }
  const output = Uint8Array.from(Buffer.from(f.outputBytes, "hex"));
  const h = BigInt(`0x${createHash("sha256").update(output).digest("hex")}`);
  if (h !== ((job.output.digestHi << 128n) | job.output.digestLo))
    throw new JobFileError("the output bytes are not the ones the output proof commits to");
  let keys: Groth16VerificationKey[];
  try {
    keys = await vkeys(f.keySet);
  } catch (e) {
    throw new JobFileError(`key set ${f.keySet}: ${(e as Error).message}`);
  }
  const pub = job2PublicSignals(job);
  const groups: [string, Groth16VerificationKey, { words: bigint[]; pub: bigint[] }[]][] = [
    ["chunk", keys[0]!, pub.chunks.map((x, i) => ({ words: f.proofs.chunks[i]!, pub: x }))],
    ["boundary", keys[1]!, [{ words: f.proofs.boundary, pub: pub.boundary }]],
    ["input", keys[2]!, [{ words: f.proofs.input, pub: pub.input }]],
    ["output", keys[3]!, [{ words: f.proofs.output, pub: pub.output }]],
  ];
  for (const [what, vk, items] of groups) {
    let ok: boolean;
    try {
      ok = await verifyBatch(
        vk,
        items.map((x) => ({ proof: wordsToProof(x.words), publicSignals: x.pub })),
      );
    } catch (e) {
      if (e instanceof BatchVerifyError) throw new JobFileError(`${what} proofs: ${e.message}`);
      throw e;
    }
    if (!ok) throw new JobFileError(`the ${what} proofs do not verify against their key`);
  }
  return {
    keySet: f.keySet,
    chunks: job.chunks.length,
    cycles: r.cycles,
    exitCode: r.exitCode,
    imageId: job.boundary.imageId,
    output,
    inputDigest: ((job.inputDigest.hi << 128n) | job.inputDigest.lo).toString(16).padStart(64, "0"),
  };
}
