/**
 * `npm run bench:gas2 [-- --sizes 1,4,16,64]`
 *
 * Gas of a versioned-cells job on chain (issue 12, item 3; contracts/JobVerifier2.sol, not
 * wired into EpochManager yet): `JobVerifier2.verify` on hardhat's network for one job of N
 * real chunk proofs of the test configuration (K = 8, JOB2_TEST_CIRCUITS) with its boundary,
 * input and output proofs: the gas of a transaction making the call (its receipt's, calldata
 * and the 21,000 base included).
 * The jobs run a counting loop sized so that the executor cuts it into exactly N chunks.
 *
 * Prints gas per job and per chunk, a least-squares line gas ≈ fixed + per-chunk·N, and from it
 * the gas per proven cycle at the production chunk (K = 1,024) and the cycles one 2^24-gas
 * transaction verifies. What a chunk proof costs on chain does not depend on K (eight public
 * inputs, one proof, one pairing of the batch; the claim's cycle count is one calldata word
 * either way), so that figure is the measured per-chunk gas over 1,024 cycles: a projection
 * until the production keys exist, stated as such.
 */
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { encodeFunctionData } from "viem";
import { executeChunked, getPoseidon, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import {
  Job2Prover,
  job2Claim,
  job2Image,
  loadChunk2Probe,
  proveJob2,
  type Job2Keys,
} from "../prover/zkvm/job2.ts";
import { verifyJob2 } from "../prover/zkvm/verify2.ts";
import { chunk2Limits, type Chunk2CoreConfig } from "../prover/zkvm/witness2.ts";
import { deployJobVerifier2, JOB2_TEST_CIRCUITS } from "../scripts/lib/deploy.ts";
import { loopElf, loopsFor } from "./lib.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1,4,16,64" } } });
const sizes = values.sizes.split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error("--sizes: positive integers, comma-separated");
/** JOB2_TEST_CIRCUITS.chunk's parameters. */
const CFG: Chunk2CoreConfig = { K: 8, NC: 96, TB: 6, M: 20, MB: 16, NM: 2 };
const PRODUCTION_K = 1024;
const TX_CAP = 2 ** 24;
const PROVER = 0xa11cen;

const cacheDir = defaultCacheDir();
const log = (m: string) => console.error(`  ${m}`);
const artifacts = async (name: string) => getCircuitArtifacts(name, { cacheDir, log });
const keys: Job2Keys = {
  chunk: await artifacts(JOB2_TEST_CIRCUITS.chunk),
  boundary: await artifacts(JOB2_TEST_CIRCUITS.boundary),
  input: await artifacts(JOB2_TEST_CIRCUITS.input),
  output: await artifacts(JOB2_TEST_CIRCUITS.output),
};
const p = await getPoseidon();
const kit = await Job2Prover.fromArtifacts(
  p,
  CFG,
  8,
  64,
  await loadChunk2Probe(CFG, cacheDir, log),
  keys,
);
const connection = await network.create();
const publicClient = await connection.viem.getPublicClient();
const verifier = await deployJobVerifier2(connection);
const [wallet] = await connection.viem.getWalletClients();
const chainId = BigInt(await publicClient.getChainId());

const chunksOf = async (loops: number) =>
  (await executeChunked(loadElf(loopElf(loops)), new Uint8Array(0), chunk2Limits(CFG))).chunks
    .length;

interface Row {
  n: number;
  cycles: number;
  gas: number;
}
const rows: Row[] = [];
for (const n of sizes) {
  const image = loadElf(loopElf(await loopsFor(n, CFG.K, chunksOf)));
  console.error(`N=${n}: two rounds, then ${n} chunk proofs and 3 job proofs`);
  const prepared = await kit.prepare(image, new Uint8Array(0), PROVER);
  const a = await kit.assemble(prepared, { chainId, contract: verifier.address, jobId: BigInt(n) });
  verifyJob2(p, a.job);
  const proofs = await proveJob2(keys, a.job, a.proofInputs);
  const args = [
    job2Image(prepared.opening),
    a.job.inputDigest.hi,
    a.job.inputDigest.lo,
    job2Claim(a.job),
    proofs,
  ];
  // a transaction making the call (a view function: nothing changes), its receipt's gas
  const hash = await wallet!.sendTransaction({
    to: verifier.address,
    data: encodeFunctionData({ abi: verifier.abi, functionName: "verify", args: args as never }),
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`N=${n}: the verify transaction failed`);
  rows.push({ n, cycles: a.job.final.cycles, gas: Number(receipt.gasUsed) });
}

const k = (g: number) => `${(g / 1000).toFixed(1)}k`;
console.log(
  `JobVerifier2.verify, one job of N chunk proofs + boundary, input, output proofs (hardhat network; chunk K = ${CFG.K})`,
);
console.log("| N | cycles | gas | per chunk |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.n} | ${r.cycles} | ${k(r.gas)} | ${k(r.gas / r.n)} |`);

if (rows.length > 1) {
  const xs = rows.map((r) => r.n);
  const ys = rows.map((r) => r.gas);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  const slope =
    xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) /
    xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const fixed = my - slope * mx;
  const chunks = Math.floor((TX_CAP - fixed) / slope);
  console.log(
    `\nfit: gas ≈ ${k(fixed)} per job + ${k(slope)} per chunk (least squares over N = ${xs.join(", ")})`,
  );
  console.log(
    `projected at K = ${PRODUCTION_K} (full chunks): ${(slope / PRODUCTION_K).toFixed(1)} gas per proven cycle; ` +
      `one 2^24-gas transaction verifies one job of ${chunks} chunks = ${(chunks * PRODUCTION_K).toLocaleString("en")} cycles`,
  );
}
process.exit(0);
