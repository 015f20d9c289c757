/**
 * Whole runs: execute a guest in chunks, prove every chunk, and check a run proof (the chain
 * of state digests from S_0 to a halted state plus one batched Groth16 check of every chunk).
 *
 * A run proof file (`concentric prove --out`) is self-contained: it holds the opening of the
 * image ID (so S_0 can be recomputed without the ELF), the input digest, the chain of state
 * digests, the opening of the final state (exit code, cycles, output digest) and the public
 * output bytes. {@link verifyRun} trusts none of it.
 */
import {
  entryState,
  executeChunked,
  getPoseidon,
  imageIdOf,
  MAX_CYCLES,
  imageOpening,
  outputDigest as computeOutputDigest,
  stateDigest,
  type ChunkedExecution,
  type ImageOpening,
  type ProgramImage,
  type VmState,
} from "../executor/index.ts";
import {
  BN254_R,
  findInvalid,
  toBatchVerifyingKey,
  verifyBatch,
  type Groth16VerificationKey,
} from "../verify/batch.ts";
import type { Address, ChunkProof, ChunkProver, RunContext } from "./prover.ts";
import { circuitStepCount, type ChunkCircuitConfig } from "./witness.ts";

export const RUN_PROOF_FORMAT = "concentric-run-proof/1";

/** The final state's fields as stored in a run proof (bigints as decimal strings). */
export interface StateOpening {
  pc: number;
  registers: number[];
  memoryRoot: string;
  inputRemaining: string;
  inputPosition: number;
  outputDigest: string;
  cycles: number;
  halted: boolean;
  exitCode: number;
}

export interface RunProof {
  format: typeof RUN_PROOF_FORMAT;
  circuit: string;
  /** keccak hash of the verifying key the chunks were proven for (0x hex). */
  vkHash: string;
  imageId: string;
  image: Omit<ImageOpening, "initRoot"> & { initRoot: string };
  inputDigest: string;
  /** S_0 … S_N. */
  chain: string[];
  final: StateOpening;
  /** Public output bytes (hex, no 0x). */
  output: string;
  prover: Address;
  chunks: ChunkProof[];
}

/** Numbers of a proven run, for progress lines and benchmarks. */
export interface RunStats {
  cycles: number;
  chunks: number;
  circuitSteps: number;
  provingSeconds: number;
}

export interface ProveRunOptions {
  config: ChunkCircuitConfig;
  prover: ChunkProver;
  address: Address;
  /** Reward address of chunk i, when chunks are proven by different provers (default: `address`). */
  addressFor?: (chunkIndex: number) => Address;
  vk: Groth16VerificationKey;
  maxCycles?: number;
  onChunk?: (done: number, total: number) => void;
}

/** Chunking limits that make every chunk fit the circuit configuration. */
export function chunkLimits(config: ChunkCircuitConfig) {
  return {
    chunkSize: config.K,
    maxPages: config.P,
    maxInputBytes: config.IO,
    maxOutputBytes: config.IO,
    circuitAccounting: true,
  };
}

/**
 * Everything of a run proof but its chunk proofs: what an orchestrator knows once it has
 * executed a job, before delegators prove the chunks.
 */
export function runSkeleton(
  exec: ChunkedExecution,
  ctx: RunContext,
  vk: Groth16VerificationKey,
  prover: Address,
): Omit<RunProof, "chunks"> {
  const f = exec.chunks[exec.chunks.length - 1]!.stateOut;
  return {
    format: RUN_PROOF_FORMAT,
    circuit: ctx.config.name,
    vkHash: `0x${toBatchVerifyingKey(vk).hash.toString(16)}`,
    imageId: exec.imageId.toString(),
    image: { ...ctx.opening, initRoot: ctx.opening.initRoot.toString() },
    inputDigest: exec.inputDigest.toString(),
    chain: [exec.chunks[0]!.sIn.toString(), ...exec.chunks.map((c) => c.sOut.toString())],
    final: {
      pc: f.pc >>> 0,
      registers: Array.from(f.registers, (v) => v >>> 0),
      memoryRoot: f.memoryRoot.toString(),
      inputRemaining: f.inputRemaining.toString(),
      inputPosition: f.inputPosition,
      outputDigest: f.outputDigest.toString(),
      cycles: f.cycles,
      halted: f.halted,
      exitCode: f.exitCode >>> 0,
    },
    output: Buffer.from(exec.output).toString("hex"),
    prover,
  };
}

/** Executes `image` on `input`, proves every chunk, and returns the run proof. */
export async function proveRun(
  image: ProgramImage,
  input: Uint8Array,
  o: ProveRunOptions,
): Promise<{ run: RunProof; stats: RunStats }> {
  const exec = await executeChunked(image, input, {
    ...chunkLimits(o.config),
    ...(o.maxCycles !== undefined ? { maxCycles: o.maxCycles } : {}),
  });
  const ctx: RunContext = { config: o.config, opening: await imageOpening(image) };
  const t0 = performance.now();
  const chunks: ChunkProof[] = [];
  for (const c of exec.chunks) {
    chunks.push(await o.prover.proveChunk(ctx, c, o.addressFor?.(c.index) ?? o.address));
    o.onChunk?.(chunks.length, exec.chunks.length);
  }
  const provingSeconds = (performance.now() - t0) / 1000;
  const run: RunProof = { ...runSkeleton(exec, ctx, o.vk, o.address), chunks };
  return {
    run,
    stats: {
      cycles: exec.cycles,
      chunks: exec.chunks.length,
      circuitSteps: exec.chunks.reduce((n, c) => n + circuitStepCount(c.stepRecords), 0),
      provingSeconds,
    },
  };
}

/** A run proof that does not hold; `reason` says which check failed. */
export class RunVerifyError extends Error {
  override readonly name = "RunVerifyError";
  constructor(
    readonly reason: string,
    readonly chunk?: number,
  ) {
    super(chunk === undefined ? reason : `chunk ${chunk}: ${reason}`);
  }
}

/** The statement a valid run proof establishes. */
export interface VerifiedRun {
  imageId: bigint;
  inputDigest: bigint;
  exitCode: number;
  cycles: number;
  outputDigest: bigint;
  output: Uint8Array;
  chunks: number;
}

/** The final VM state a run proof opens (for the image ID it is checked against). */
export function finalStateOf(run: RunProof, imageId: bigint): VmState {
  const f = run.final;
  if (!Array.isArray(f.registers) || f.registers.length !== 32)
    throw new RunVerifyError("final state needs 32 registers");
  if (typeof f.halted !== "boolean") throw new RunVerifyError("final.halted is not a boolean");
  return {
    imageId,
    inputRemaining: big(f.inputRemaining, "inputRemaining"),
    pc: u32(f.pc, "final.pc"),
    // registers are stored signed (as the executor reports them) or unsigned: one 32-bit word
    registers: Int32Array.from(f.registers, (v, i) => {
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32)
        throw new RunVerifyError(`final.registers[${i}] is not a 32-bit integer: ${v}`);
      return v | 0;
    }),
    memoryRoot: big(f.memoryRoot, "memoryRoot"),
    inputPosition: u32(f.inputPosition, "final.inputPosition"),
    outputDigest: big(f.outputDigest, "outputDigest"),
    cycles: uint(f.cycles, MAX_CYCLES, "final.cycles"),
    halted: f.halted,
    exitCode: u32(f.exitCode, "final.exitCode"),
  };
}

/** A decimal field element below the BN254 scalar field order (no aliasing by + r). */
function big(s: string, what: string): bigint {
  if (typeof s !== "string" || !/^[0-9]{1,78}$/.test(s))
    throw new RunVerifyError(`${what} is not a decimal field element`);
  const v = BigInt(s);
  if (v >= BN254_R) throw new RunVerifyError(`${what} is not below the field order`);
  return v;
}

/** An integer in [0, max]: a proof file's numbers are taken only as the digests use them. */
function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
    throw new RunVerifyError(`${what} is not an integer in [0, ${max}]: ${String(v)}`);
  return v;
}

const u32 = (v: unknown, what: string) => uint(v, 2 ** 32 - 1, what);

/**
 * Checks a run proof: image ID opening, S_0 from (image, input digest), every link of the
 * chain, the final state halted and matching the stated result and output, and all chunk
 * proofs in one batched pairing check (naming the bad ones if it fails).
 * @throws RunVerifyError when anything does not hold.
 */
export async function verifyRun(vk: Groth16VerificationKey, run: RunProof): Promise<VerifiedRun> {
  if (run.format !== RUN_PROOF_FORMAT) throw new RunVerifyError(`unknown format ${run.format}`);
  const bvk = toBatchVerifyingKey(vk);
  if (BigInt(run.vkHash) !== bvk.hash)
    throw new RunVerifyError(`proven for another verifying key (${run.vkHash})`);
  const p = await getPoseidon();
  const im = run.image;
  const opening: ImageOpening = {
    entry: u32(im.entry, "image.entry"),
    memorySize: uint(im.memorySize, 2 ** 32, "image.memorySize"),
    codeStart: u32(im.codeStart, "image.codeStart"),
    codeEnd: u32(im.codeEnd, "image.codeEnd"),
    initRoot: big(im.initRoot, "initRoot"),
  };
  const imageId = imageIdOf(p, opening);
  if (imageId !== big(run.imageId, "imageId"))
    throw new RunVerifyError("the image opening does not hash to the image ID");
  const inputDigest = big(run.inputDigest, "inputDigest");
  const s0 = stateDigest(p, entryState(p, opening, inputDigest));
  const chain = run.chain.map((s, i) => big(s, `chain[${i}]`));
  if (chain.length !== run.chunks.length + 1 || run.chunks.length === 0)
    throw new RunVerifyError(`${run.chunks.length} chunks but ${chain.length} chain entries`);
  if (chain[0] !== s0)
    throw new RunVerifyError("the chain does not start at S_0 of this image and input");
  let cyclesRetired = 0n;
  run.chunks.forEach((c, j) => {
    if (c.mock) throw new RunVerifyError("a mock proof is not a proof", j);
    if (c.circuit !== run.circuit) throw new RunVerifyError(`proven with ${c.circuit}`, j);
    if (c.publicSignals.length !== 5) throw new RunVerifyError("a chunk has 5 public signals", j);
    const [sIn, sOut, id, , retired] = c.publicSignals.map((s) =>
      big(s, `chunk ${j} public signal`),
    );
    // Every chunk retires at least one instruction (an idle chunk proves S -> S for any S).
    if (sIn === sOut || retired === 0n)
      throw new RunVerifyError("the chunk retires nothing (S_in = S_out)", j);
    cyclesRetired += retired!;
    if (sIn !== chain[j]) throw new RunVerifyError("S_in is not the previous chunk's S_out", j);
    if (sOut !== chain[j + 1]) throw new RunVerifyError("S_out does not match the chain", j);
    if (id !== imageId) throw new RunVerifyError("proven for another image", j);
  });
  const f = run.final;
  const finalState = finalStateOf(run, imageId);
  if (stateDigest(p, finalState) !== chain[chain.length - 1])
    throw new RunVerifyError("the final state opening does not hash to the last digest");
  if (!f.halted) throw new RunVerifyError("the run does not end halted");
  if (cyclesRetired !== BigInt(finalState.cycles))
    throw new RunVerifyError(
      `the chunks retire ${cyclesRetired} cycles, the run states ${f.cycles}`,
    );
  const output = Uint8Array.from(Buffer.from(run.output, "hex"));
  if ((await computeOutputDigest(output)) !== finalState.outputDigest)
    throw new RunVerifyError("the output bytes do not match the proven output digest");
  const items = run.chunks.map((c) => ({ proof: c.proof, publicSignals: c.publicSignals }));
  let ok: boolean;
  try {
    ok = await verifyBatch(bvk, items);
  } catch (e) {
    throw new RunVerifyError(`malformed proof: ${(e as Error).message}`);
  }
  if (!ok) {
    const bad = await findInvalid(bvk, items);
    throw new RunVerifyError(`invalid chunk proofs: ${bad.join(", ")}`, bad[0]);
  }
  return {
    imageId,
    inputDigest,
    exitCode: f.exitCode,
    cycles: f.cycles,
    outputDigest: finalState.outputDigest,
    output,
    chunks: run.chunks.length,
  };
}
