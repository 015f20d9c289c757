/**
 * What it costs a contract to open a job's output itself (issue 12, item 5: an output of up to
 * 64 bytes for ≤ 50k gas): circomlib's Poseidon contracts (circomlibjs bytecode, as the
 * contracts deploy them) with 2..6 inputs, against the SHA-256 precompile on 32 and 64 bytes.
 * Gas of one call beyond the 21,000 transaction base, on hardhat's in-process chain
 * (estimateGas; calldata included).
 *
 *   npx tsx bench/opening-gas.ts
 */
import { poseidonContract } from "circomlibjs";
import hre from "hardhat";
import { encodeFunctionData, type Abi, type Hex } from "viem";

const { viem } = await hre.network.connect();
const pc = await viem.getPublicClient();
const [wallet] = await viem.getWalletClients();

console.log("call                                   gas beyond 21,000");
for (const n of [2, 3, 4, 5, 6]) {
  const abi = poseidonContract.generateABI(n) as Abi;
  const code = poseidonContract.createCode(n);
  const bytecode = (code.startsWith("0x") ? code : `0x${code}`) as Hex;
  const hash = await wallet!.deployContract({ abi, bytecode });
  const { contractAddress } = await pc.waitForTransactionReceipt({ hash });
  const args = [Array.from({ length: n }, (_, i) => BigInt(i + 1) * 12_345_678_901_234_567_890n)];
  const data = encodeFunctionData({ abi, functionName: "poseidon", args });
  const gas = await pc.estimateGas({ to: contractAddress!, data });
  console.log(`Poseidon(${n}) contract                    ${(gas - 21_000n).toLocaleString("en")}`);
}
for (const bytes of [32, 64]) {
  const data = `0x${"ab".repeat(bytes)}` as Hex;
  const gas = await pc.estimateGas({ to: "0x0000000000000000000000000000000000000002", data });
  console.log(
    `SHA-256 precompile, ${bytes} bytes              ${(gas - 21_000n).toLocaleString("en")}`,
  );
}
process.exit(0);
