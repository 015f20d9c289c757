/**
 * The guest side of the SDK (node; the executor and circomlibjs's Poseidon): what a job's
 * submitter computes from an ELF and an input before paying — the image ID and its
 * registration, the run's cycles, exit code and output — and a settled job's output bytes,
 * re-executed from the published ELF and checked against the chain's output digest.
 *
 * The chain actions themselves (client/actions.ts) take these values precomputed, so the web
 * app, which gets them from its orchestrator (`POST /v1/app/prepare`), never loads the executor.
 *
 * @example
 * const job = await prepareJob({ elf, input });
 * const { jobId } = await submitJob(client, job); // registers the image first if it is new
 * await waitForJob(client, { jobId });
 * const output = await jobOutput(client, { jobId });
 */
import { bytesToHex } from "viem";
import {
  execute,
  getPoseidon,
  imageIdOf,
  imageOpening,
  inputDigest as inputDigestOf,
  loadElf,
  outputDigest as outputDigestOf,
  Trap,
  type ProgramImage,
} from "../prover/executor/index.ts";
import {
  ConcentricError,
  onChainInput,
  publishedElf,
  readJob,
  type ConcentricClient,
  type RegisterImageParameters,
  type SubmitJobParameters,
} from "./actions.ts";

/** A guest that cannot settle: it traps, or exceeds a limit. */
export class GuestError extends ConcentricError {
  override name = "GuestError";
}

/** The image ID of an ELF (0x-free bigint; print it with 64 hex digits). */
export async function imageIdOfElf(elf: Uint8Array): Promise<bigint> {
  return imageIdOf(await getPoseidon(), await imageOpening(loadElf(elf)));
}

/**
 * An ELF's image ID and the arguments of JobRegistry.registerImage.
 * @example const { transaction } = await registerImage(client, await imageRegistration(elf));
 */
export async function imageRegistration(elf: Uint8Array): Promise<RegisterImageParameters> {
  const o = await imageOpening(loadElf(elf));
  return {
    imageId: imageIdOf(await getPoseidon(), o),
    image: {
      entry: o.entry,
      memorySize: o.memorySize,
      codeStart: o.codeStart,
      codeEnd: o.codeEnd,
      initRoot: o.initRoot,
      elf: bytesToHex(elf),
    },
  };
}

/** What a local run of a guest says about a job before it is paid for. */
export interface CheckedRun {
  cycles: number;
  exitCode: number;
  output: Uint8Array;
}

/**
 * Runs the guest here (the executor is the reference semantics): a trap or a limit a job
 * cannot meet is a GuestError before any fee is paid.
 */
export function checkGuest(
  image: ProgramImage,
  input: Uint8Array,
  maxInputBytes = 64 * 1024,
): CheckedRun {
  if (input.length > maxInputBytes)
    throw new GuestError(
      `the input is ${input.length} bytes; a job takes at most ${maxInputBytes} (concentric limits)`,
    );
  try {
    const r = execute(image, input);
    return { cycles: r.cycles, exitCode: r.exitCode, output: r.output };
  } catch (e) {
    if (e instanceof Trap)
      throw new GuestError(
        `the guest traps on this input, so no proof can settle the job: ${e.message} (run concentric exec for a report)`,
        { cause: e },
      );
    throw e;
  }
}

export interface PrepareJobParameters {
  elf: Uint8Array;
  input?: Uint8Array;
  /** The declared cycle bound (default: the cycles the run takes). */
  cycleBound?: bigint;
  /** The fee in wei (default: JobRegistry.feeFor(cycleBound), read when submitting). */
  fee?: bigint;
}
export type PrepareJobReturnType = SubmitJobParameters &
  Required<Pick<SubmitJobParameters, "image" | "input" | "inputDigest">> & {
    /** The local run (exit code, cycles, output) the job should settle with. */
    expected: CheckedRun;
  };

/**
 * Checks the guest locally and computes everything {@link submitJob} sends: the image ID and
 * registration, the input digest and the cycle bound.
 * @example const { jobId } = await submitJob(client, await prepareJob({ elf, input }));
 */
export async function prepareJob(p: PrepareJobParameters): Promise<PrepareJobReturnType> {
  const input = p.input ?? new Uint8Array();
  const expected = checkGuest(loadElf(p.elf), input);
  const cycleBound = p.cycleBound ?? BigInt(Math.max(1, expected.cycles));
  if (cycleBound < BigInt(expected.cycles))
    throw new GuestError(
      `the cycle bound ${cycleBound} is below the ${expected.cycles} cycles the run takes`,
    );
  const { imageId, image } = await imageRegistration(p.elf);
  return {
    imageId,
    image,
    input,
    inputDigest: await inputDigestOf(input),
    cycleBound,
    ...(p.fee !== undefined ? { fee: p.fee } : {}),
    expected,
  };
}

/**
 * A settled job's output bytes: its published ELF re-executed on its input (on chain, or
 * `input` when it was committed by digest), checked against the settled output digest.
 * Undefined when the input is unknown or the run does not reproduce the digest.
 */
export async function jobOutput(
  client: ConcentricClient,
  p: { jobId: bigint; input?: Uint8Array },
): Promise<Uint8Array | undefined> {
  const j = await readJob(client, { jobId: p.jobId });
  if (!j.result) return undefined;
  const input = p.input ?? (await onChainInput(client, j.jobId));
  const elf = input !== undefined ? await publishedElf(client, j.imageId) : undefined;
  if (!elf || !input) return undefined;
  try {
    const run = execute(loadElf(elf), input);
    return (await outputDigestOf(run.output)) === j.result.outputDigest ? run.output : undefined;
  } catch {
    return undefined;
  }
}
