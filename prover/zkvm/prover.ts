/**
 * Chunk provers: one interface, two implementations.
 * - {@link Groth16ChunkProver}: real Groth16 proofs of the chunk circuit with snarkjs.
 * - {@link MockChunkProver}: instant, worthless "proofs" with the right public signals, for
 *   tests of components that only move proofs around (scheduling, storage). Its proofs say
 *   `mock: true` and {@link verifyChunk} refuses them; the CLI and `npm start` never use it.
 */
import * as snarkjs from "snarkjs";
import type { ChunkRecord, ImageOpening } from "../executor/index.ts";
import type { CircuitArtifacts } from "../setup/artifacts.ts";
import { verifyBatch, type Groth16VerificationKey } from "../verify/batch.ts";
import { chunkWitness, type ChunkCircuitConfig, type ChunkWitnessInput } from "./witness.ts";

/** A 20-byte EVM address, 0x-prefixed. */
export type Address = `0x${string}`;

/**
 * sIn, sOut, imageId, prover, cyclesRetired: the chunk circuit's public inputs, in order; a
 * versioned-cells chunk (Chunk2) has three more: commitment, gammaJob, jobSum.
 */
export type ChunkPublicSignals = [string, string, string, string, string, ...string[]];

/** The versioned-cells chunk's public inputs after the first five (job2.ts's CHUNK2_PUBLIC). */
const CHUNK2_EXTRA = ["commitment", "gammaJob", "jobSum"] as const;

/**
 * One proven chunk: public signals [sIn, sOut, imageId, prover, cyclesRetired] (decimal) and
 * the proof.
 */
export interface ChunkProof {
  /** Circuit configuration (registry name). */
  circuit: string;
  /** Position of the chunk in its run. */
  index: number;
  publicSignals: ChunkPublicSignals;
  proof: snarkjs.Groth16Proof;
  /** Present (true) only on MockChunkProver output. */
  mock?: true;
}

/** What every chunk of one run shares. */
export interface RunContext {
  config: ChunkCircuitConfig;
  opening: ImageOpening;
}

export interface ChunkProver {
  readonly kind: "groth16" | "mock";
  /** Proves `chunk` for reward address `prover`. */
  proveChunk(ctx: RunContext, chunk: ChunkRecord, prover: Address): Promise<ChunkProof>;
}

/** Parses a 0x address into the field element the circuit takes. */
export function addressToField(a: string): bigint {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new Error(`not a 20-byte address: ${a}`);
  return BigInt(a);
}

/**
 * A chunk's public signals from its circuit inputs: a versioned-cells chunk's (it has a
 * gammaJob) eight, the chunk circuit's five.
 */
export function publicSignalsOf(
  w: ChunkWitnessInput | Record<string, unknown>,
): ChunkPublicSignals {
  const x = w as Record<string, unknown>;
  const s = (k: string) => String(x[k]);
  const head: ChunkPublicSignals = [
    s("sIn"),
    s("sOut"),
    s("imageId"),
    s("prover"),
    s("cyclesRetired"),
  ];
  return "gammaJob" in x ? [...head, ...CHUNK2_EXTRA.map(s)] : head;
}

/** Real proofs: snarkjs Groth16 with the configuration's wasm and zkey. */
export class Groth16ChunkProver implements ChunkProver {
  readonly kind = "groth16";
  constructor(
    private readonly artifacts: Pick<CircuitArtifacts, "name" | "wasmPath" | "zkeyPath">,
  ) {}

  async proveChunk(ctx: RunContext, chunk: ChunkRecord, prover: Address): Promise<ChunkProof> {
    if (ctx.config.name !== this.artifacts.name)
      throw new Error(`prover for ${this.artifacts.name} asked to prove ${ctx.config.name}`);
    const input = chunkWitness(ctx.config, ctx.opening, chunk, addressToField(prover));
    return this.proveWitness(chunk.index, input);
  }

  /**
   * Proves prepared circuit inputs (what an orchestrator hands a delegator, with `prover`
   * already set to the delegator's address) as chunk `index` of a run.
   */
  async proveWitness(index: number, input: ChunkWitnessInput): Promise<ChunkProof> {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      input as snarkjs.CircuitSignals,
      this.artifacts.wasmPath,
      this.artifacts.zkeyPath,
    );
    const expected = publicSignalsOf(input);
    if (publicSignals.some((s, i) => s !== expected[i]))
      throw new Error(`chunk ${index}: public signals differ from the witness`);
    return { circuit: this.artifacts.name, index, publicSignals: expected, proof };
  }
}

/** Test double: builds the witness (so bad chunks still fail) but proves nothing. */
export class MockChunkProver implements ChunkProver {
  readonly kind = "mock";
  async proveChunk(ctx: RunContext, chunk: ChunkRecord, prover: Address): Promise<ChunkProof> {
    const input = chunkWitness(ctx.config, ctx.opening, chunk, addressToField(prover));
    const one = ["1", "2", "1"];
    return {
      circuit: ctx.config.name,
      index: chunk.index,
      publicSignals: publicSignalsOf(input),
      proof: {
        pi_a: one,
        pi_b: [one, one, one],
        pi_c: one,
        protocol: "groth16",
        curve: "bn128",
      } as snarkjs.Groth16Proof,
      mock: true,
    };
  }
}

/** Verifies one chunk proof (a batch of one). Mock proofs are refused. */
export async function verifyChunk(vk: Groth16VerificationKey, p: ChunkProof): Promise<boolean> {
  if (p.mock) throw new Error(`chunk ${p.index}: a mock proof is not a proof`);
  return verifyBatch(vk, [{ proof: p.proof, publicSignals: p.publicSignals }]);
}
