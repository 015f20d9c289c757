/**
 * `npm run bench:batch` — the batched Groth16 verifier against one-by-one verification.
 *
 * Prints: gas on hardhat's EVM for N = 1, 4, 16, 64 proofs batched (plain and compressed
 * calldata) against N separate calls of snarkjs's exported single-proof verifier; and off-chain
 * milliseconds per proof, batched against snarkjs.groth16.verify one by one, plus the pairing
 * backends compared (ffjavascript vs @noble/curves). Times are medians of RUNS runs measured
 * in the same process. Gas is eth_estimateGas of a transaction calling the view function
 * (21,000 base + calldata included); per-proof figures divide by N.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { provePoseidonChains } from "../circuits/test/poseidon-chain.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import {
  compressProofWords,
  getCurve,
  proofToWords,
  toBatchVerifyingKey,
  verifyBatch,
} from "../prover/verify/batch.ts";
import { verifierContractName } from "../scripts/lib/verifier-gen.ts";
import { timeMs } from "./lib.ts";

const RUNS = 5;
const SIZES = [1, 4, 16, 64];
const CIRCUIT = "poseidon_chain_N4";

const a = await getCircuitArtifacts(CIRCUIT, {
  cacheDir: defaultCacheDir(),
});
process.stdout.write(`proving ${Math.max(...SIZES)} proofs of ${CIRCUIT}… `);
const items = await provePoseidonChains(a, Math.max(...SIZES));
console.log("done");

// ---- gas ----
const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const batch = await viem.deployContract(verifierContractName(CIRCUIT) as never);
const single = await viem.deployContract("PoseidonChainN4SnarkjsVerifier" as never);
const ZERO = `0x${"00".repeat(32)}` as const;
const gasOf = (address: `0x${string}`, abi: unknown, functionName: string, args: unknown[]) =>
  publicClient.estimateContractGas({
    address,
    abi: abi as never,
    functionName: functionName as never,
    args: args as never,
  });

console.log("\nGas (eth_estimateGas, hardhat EDR):");
console.log(
  "|  N | batched plain | per proof | batched compressed | per proof | N × snarkjs single | per proof | plain vs single |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
const b = batch as unknown as { address: `0x${string}`; abi: unknown };
const s = single as unknown as { address: `0x${string}`; abi: unknown };
for (const n of SIZES) {
  const slice = items.slice(0, n);
  const inputs = slice.flatMap((i) => i.publicSignals.map(BigInt));
  const plain = slice.map((i) => proofToWords(i.proof));
  const comp = plain.map(compressProofWords);
  const gPlain = await gasOf(b.address, b.abi, "verifyBatch", [ZERO, inputs, plain]);
  const gComp = await gasOf(b.address, b.abi, "verifyBatchCompressed", [ZERO, inputs, comp]);
  let gSingle = 0n;
  for (const it of slice) {
    const w = proofToWords(it.proof);
    gSingle += await gasOf(s.address, s.abi, "verifyProof", [
      [w[0], w[1]],
      [
        [w[2], w[3]],
        [w[4], w[5]],
      ],
      [w[6], w[7]],
      it.publicSignals.map(BigInt),
    ]);
  }
  const per = (g: bigint) => (Number(g) / n).toFixed(0);
  console.log(
    `| ${String(n).padStart(2)} | ${gPlain} | ${per(gPlain)} | ${gComp} | ${per(gComp)} | ${gSingle} | ${per(gSingle)} | ${(Number(gSingle) / Number(gPlain)).toFixed(2)}× |`,
  );
}

// ---- off chain ----
const vk = toBatchVerifyingKey(a.vkey);
await getCurve();
console.log(`\nOff-chain verification, ms per proof (median of ${RUNS} runs):`);
console.log("|  N | batched (verifyBatch) | one by one (snarkjs.groth16.verify) | speed-up |");
console.log("|---:|---:|---:|---:|");
for (const n of SIZES) {
  const slice = items.slice(0, n);
  const tb = await timeMs(RUNS, () => verifyBatch(vk, slice));
  const ts = await timeMs(RUNS, async () => {
    for (const it of slice)
      await snarkjs.groth16.verify(a.vkey, it.publicSignals as string[], it.proof);
  });
  console.log(
    `| ${String(n).padStart(2)} | ${(tb / n).toFixed(2)} | ${(ts / n).toFixed(2)} | ${(ts / tb).toFixed(2)}× |`,
  );
}

// ---- pairing backend ----
const curve = await getCurve();
const pairsFf: Uint8Array[] = [];
const pairsNoble: {
  g1: InstanceType<typeof bn254.G1.Point>;
  g2: InstanceType<typeof bn254.G2.Point>;
}[] = [];
for (let i = 0; i < 8; i++) {
  pairsFf.push(curve.G1.timesScalar(curve.G1.g, i + 2), curve.G2.timesScalar(curve.G2.g, i + 5));
  pairsNoble.push({
    g1: bn254.G1.Point.BASE.multiply(BigInt(i + 2)),
    g2: bn254.G2.Point.BASE.multiply(BigInt(i + 5)),
  });
}
const tFf = await timeMs(RUNS, () => curve.pairingEq(...pairsFf));
const tNoble = await timeMs(RUNS, async () => bn254.pairingBatch(pairsNoble));
console.log(
  `\nPairing product of 8 pairs: ffjavascript ${tFf.toFixed(1)} ms, @noble/curves ${tNoble.toFixed(1)} ms (${(tNoble / tFf).toFixed(1)}× slower)`,
);
process.exit(0);
