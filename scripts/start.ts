/**
 * `npm start` — the furthest end-to-end flow the project has today:
 *   trusted setup (cached) → real Groth16 proofs → one batched check off chain →
 *   the generated verifier deployed on hardhat's EVM → the same batch verified on chain.
 * The full network (zkVM guests, orchestrator, delegators, epochs) is still being built;
 * this script says what is missing at the end.
 */
import { network } from "hardhat";
import { provePoseidonChains } from "../circuits/test/poseidon-chain.ts";
import {
  assertKeysAllowedOnChain,
  defaultCacheDir,
  getCircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { proofToWords, verifyBatch } from "../prover/verify/batch.ts";
import { verifierContractName } from "./lib/verifier-gen.ts";

const CIRCUIT = "poseidon_chain_N4";
const N = Number(process.env.CONCENTRIC_DEMO_PROOFS ?? 8);

const a = await getCircuitArtifacts(CIRCUIT, {
  cacheDir: process.env.CONCENTRIC_CACHE_DIR ?? defaultCacheDir(),
  log: (m) => console.log(`  ${m}`),
});
console.log(
  `1. circuit ${CIRCUIT}: ${a.nConstraints} constraints, keys from the ${a.ceremony} ceremony`,
);

const t0 = performance.now();
const items = await provePoseidonChains(a, N, (done) =>
  process.stdout.write(`\r2. proving: ${done}/${N}`),
);
console.log(` (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const t1 = performance.now();
const ok = await verifyBatch(a.vkey, items);
console.log(
  `3. batched check off chain: ${ok ? "valid" : "INVALID"} (${(performance.now() - t1).toFixed(0)} ms for ${N} proofs)`,
);
if (!ok) process.exit(1);

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const chainId = await publicClient.getChainId();
assertKeysAllowedOnChain(a, chainId);
const verifier = (await viem.deployContract(verifierContractName(CIRCUIT) as never)) as unknown as {
  address: `0x${string}`;
  abi: unknown;
};
const args = [
  `0x${"00".repeat(32)}`,
  items.flatMap((i) => i.publicSignals.map(BigInt)),
  items.map((i) => proofToWords(i.proof)),
];
await publicClient.readContract({
  address: verifier.address,
  abi: verifier.abi as never,
  functionName: "verifyBatch" as never,
  args: args as never,
});
const gas = await publicClient.estimateContractGas({
  address: verifier.address,
  abi: verifier.abi as never,
  functionName: "verifyBatch" as never,
  args: args as never,
});
console.log(
  `4. verified on chain ${chainId} by ${verifier.address}: ${gas} gas for ${N} proofs (${(Number(gas) / N).toFixed(0)} per proof)`,
);

console.log(`
Not built yet (open issues): the RV32IM executor and guests, the chunk circuit and prover,
the staking/registry/jobs/epochs contracts, and the orchestrator with its delegators and rings.`);
process.exit(0);
