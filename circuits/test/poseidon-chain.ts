/**
 * Proofs of the PoseidonChain fixture circuit (poseidon_chain.circom): the witness inputs
 * computed with circomlibjs, proven with snarkjs. Used by the batch-verifier tests, its
 * benchmark and `npm start`.
 */
import { buildPoseidon } from "circomlibjs";
import * as snarkjs from "snarkjs";
import type { CircuitArtifacts } from "../../prover/setup/artifacts.ts";
import { getCircuit } from "../../prover/setup/registry.ts";
import type { BatchItem } from "../../prover/verify/batch.ts";

/**
 * `count` valid proofs of distinct statements (seed k + 1, tag 0xc0ffee + k).
 *
 * @example
 * const items = await provePoseidonChains(artifacts, 8, (done) => console.log(done));
 */
export async function provePoseidonChains(
  a: Pick<CircuitArtifacts, "name" | "wasmPath" | "zkeyPath">,
  count: number,
  onProgress?: (done: number) => void,
  /** Chain length; by default the registered circuit's N. */
  length = getCircuit(a.name).params.N,
): Promise<BatchItem[]> {
  if (length === undefined) throw new Error(`${a.name} is not a PoseidonChain circuit`);
  const poseidon = await buildPoseidon();
  const items: BatchItem[] = [];
  for (let k = 0; k < count; k++) {
    const seed = BigInt(k + 1);
    const tag = BigInt(0xc0ffee + k);
    let digest = seed;
    for (let i = 0; i < length; i++) digest = poseidon.F.toObject(poseidon([digest, tag]));
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { seed, tag, digest },
      a.wasmPath,
      a.zkeyPath,
    );
    items.push({ proof, publicSignals });
    onProgress?.(k + 1);
  }
  return items;
}
