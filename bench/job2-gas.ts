/**
 * `npm run bench:gas [-- --production] [--sizes 1,4,16,64] [--jobs J]`: through EpochManager
 * (`--epoch`, what `bench:gas` passes): an epoch's Universal Proof of versioned-cells jobs as
 * the network settles it, `EpochManager.submitEpoch2` on a whole deployment (deployConcentric
 * with the key set): J jobs of N chunks each submitted with `JobRegistry.submitJob2` (their
 * declared bound their exact cycles), proven, the epoch ended, then submitted by its assigned
 * root in one transaction of at most 2^24 gas: the job records checked, verifyJobs, the results
 * recorded, the provers credited. The registry's epoch room is set to the cap so a job of any N
 * can be submitted: the bench measures what fits.
 *
 * `npm run bench:gas2 [-- --production] [--sizes 1,4,16,64]`: the verifier alone
 *
 * Gas of a versioned-cells job on chain (issue 12, item 3; contracts/JobVerifier2.sol, not
 * wired into EpochManager yet): `JobVerifier2.verify` on hardhat's network for one job of N
 * real chunk proofs with its boundary, input and output proofs, all checked in one pairing
 * product (the key set's generated multi verifier): the gas of a transaction making the call
 * (its receipt's, calldata and the 21,000 base included). The image is registered first (once,
 * not counted). The jobs run a counting loop sized so that the executor cuts it into exactly N
 * chunks.
 *
 * Without --production: the test key set (job2_test, chunk K = 8), N = 1, 4, 16, 64 by default.
 * With --production: the production key set (job2_production, chunk K = 1,024: each chunk proof
 * takes about 35 s here, so N = 1, 4 by default; `npm run setup -- --production` first).
 *
 * With --jobs J: an epoch of J jobs of N chunks each in one call (`verifyJobs`: one pairing
 * product for all, the fixed pairs and IC terms paid once), against the J jobs verified alone.
 *
 * Prints gas per job, per chunk and per proven cycle at each N, a least-squares line
 * gas ≈ per job + per chunk·N, and from it the chunks and cycles one 2^24-gas transaction
 * verifies. What a chunk proof costs on chain does not depend on K (eight public inputs, one
 * proof, one pair of the product; the cycle count is one calldata word either way), so at the
 * test configuration the per-cycle figures are projected at K = 1,024 (full chunks).
 */
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { encodeFunctionData } from "viem";
import { executeChunked, getPoseidon, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { getCircuit, getKeySet, job2Circuits, loadKeySets } from "../prover/setup/registry.ts";
import {
  Job2Prover,
  job2Claim,
  job2Image,
  job2ProofList,
  jobsProofList,
  loadChunk2Probe,
  proveJob2,
  type Job2Keys,
} from "../prover/zkvm/job2.ts";
import { verifyJob2 } from "../prover/zkvm/verify2.ts";
import { chunk2Limits, type Chunk2CoreConfig } from "../prover/zkvm/witness2.ts";
import { deployConcentric, deployJobVerifier2, JOB2_TEST_KEY_SET } from "../scripts/lib/deploy.ts";
import { loopElf, loopsFor } from "./lib.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    jobs: { type: "string" },
    production: { type: "boolean", default: false },
    epoch: { type: "boolean", default: false },
  },
});
const keySet = values.production
  ? loadKeySets().find((k) => k.production)?.name
  : getKeySet(JOB2_TEST_KEY_SET).name;
if (!keySet) throw new Error("circuits/circuits.json has no production key set");
const sizes = (values.sizes ?? (values.production ? "1,4" : "1,4,16,64")).split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error("--sizes: positive integers, comma-separated");
const nJobs = Number(values.jobs ?? 1);
if (!Number.isInteger(nJobs) || nJobs < 1) throw new Error("--jobs: a positive integer");
const circuits = job2Circuits(keySet);
const { K, NC, TB, M, MB, NM } = getCircuit(circuits.chunk).params as Record<string, number>;
const CFG: Chunk2CoreConfig = { K: K!, NC: NC!, TB: TB!, M: M!, MB: MB!, NM: NM! };
const PRODUCTION_K = 1024;
const TX_CAP = 2 ** 24;
const PROVER = 0xa11cen;

const cacheDir = defaultCacheDir();
const log = (m: string) => console.error(`  ${m}`);
const artifacts = async (name: string) => getCircuitArtifacts(name, { cacheDir, log });
const keys: Job2Keys = {
  chunk: await artifacts(circuits.chunk),
  boundary: await artifacts(circuits.boundary),
  input: await artifacts(circuits.input),
  output: await artifacts(circuits.output),
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
const verifier = await deployJobVerifier2(connection, keySet);
const [wallet] = await connection.viem.getWalletClients();
const chainId = BigInt(await publicClient.getChainId());

const chunksOf = async (loops: number) =>
  (await executeChunked(loadElf(loopElf(loops)), new Uint8Array(0), chunk2Limits(CFG))).chunks
    .length;

/** The calldata's share of a transaction's gas: 4 a zero byte, 16 any other (EIP-2028). */
function calldataGas(data: `0x${string}`): number {
  let g = 0;
  for (let i = 2; i < data.length; i += 2) g += data.slice(i, i + 2) === "00" ? 4 : 16;
  return g;
}

if (values.epoch) {
  await throughEpochManager(nJobs, sizes);
  process.exit(0);
}
if (nJobs > 1) {
  await epochOfJobs(nJobs, sizes);
  process.exit(0);
}

interface Row {
  n: number;
  cycles: number;
  gas: number;
  calldata: number;
}
const rows: Row[] = [];
for (const n of sizes) {
  const image = loadElf(loopElf(await loopsFor(n, CFG.K, chunksOf)));
  console.error(`N=${n}: two rounds, then ${n} chunk proofs and 3 job proofs`);
  const prepared = await kit.prepare(image, new Uint8Array(0), PROVER);
  const a = await kit.assemble(prepared, { chainId, contract: verifier.address, jobId: BigInt(n) });
  verifyJob2(p, a.job);
  const proofs = await proveJob2(keys, a.job, a.proofInputs);
  const img = job2Image(prepared.opening);
  await publicClient.waitForTransactionReceipt({
    hash: await verifier.write.registerImage([img]),
  });
  const args = [
    await verifier.read.imageIdOf([img]),
    a.job.inputDigest.hi,
    a.job.inputDigest.lo,
    job2Claim(a.job),
    job2ProofList(proofs),
  ];
  // a transaction making the call (a view function: nothing changes), its receipt's gas
  const data = encodeFunctionData({
    abi: verifier.abi,
    functionName: "verify",
    args: args as never,
  });
  // the whole cap (EIP-7825): a job that needs more fails, its proofs checked honest above
  let hash: `0x${string}`;
  try {
    hash = await wallet!.sendTransaction({ to: verifier.address, data, gas: BigInt(TX_CAP) });
  } catch (e) {
    const reason = (e as { details?: string }).details ?? String(e).split("\n")[0];
    console.log(`N=${n} does not fit one 2^24-gas transaction: ${reason}`);
    continue;
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`N=${n}: the verify transaction failed`);
  rows.push({
    n,
    cycles: a.job.final.cycles,
    gas: Number(receipt.gasUsed),
    calldata: calldataGas(data),
  });
}

const k = (g: number) => `${(g / 1000).toFixed(1)}k`;
const projected = CFG.K !== PRODUCTION_K;
/** Gas per proven cycle of a job of n chunks: measured, or at K = 1,024 (full chunks). */
const perCycle = (gas: number, n: number, cycles: number) =>
  (gas / (projected ? n * PRODUCTION_K : cycles)).toFixed(1);
console.log(
  `JobVerifier2.verify, one job of N chunk proofs + boundary, input, output proofs in one pairing ` +
    `product (key set ${keySet}, chunk K = ${CFG.K}; hardhat network)`,
);
console.log(
  `| N | cycles | gas | per chunk | gas per proven cycle${projected ? ` (at K = ${PRODUCTION_K})` : ""} | of which calldata |`,
);
console.log("|---|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.n} | ${r.cycles} | ${k(r.gas)} | ${k(r.gas / r.n)} | ${perCycle(r.gas, r.n, r.cycles)} | ${k(r.calldata)} |`,
  );

/** Least squares y ≈ fixed + slope·N over the rows. */
function fit(ys: number[]): { fixed: number; slope: number } {
  const xs = rows.map((r) => r.n);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  const slope =
    xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) /
    xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return { fixed: my - slope * mx, slope };
}

if (rows.length > 1 && new Set(rows.map((r) => r.n)).size > 1) {
  const { fixed, slope } = fit(rows.map((r) => r.gas));
  const cd = fit(rows.map((r) => r.calldata));
  const chunks = Math.floor((TX_CAP - fixed) / slope);
  const cycles = chunks * PRODUCTION_K;
  console.log(
    `\nfit: gas ≈ ${k(fixed)} per job + ${k(slope)} per chunk (calldata ${k(cd.fixed)} + ${k(cd.slope)}; ` +
      `least squares over N = ${rows.map((r) => r.n).join(", ")})`,
  );
  console.log(
    `the line reaches 2^24 at ${chunks} full chunks = ${cycles.toLocaleString("en")} proven cycles, ` +
      `${((fixed + chunks * slope) / cycles).toFixed(1)} gas per proven cycle ` +
      `(${(slope / PRODUCTION_K).toFixed(1)} per cycle for each further chunk); memory costs grow ` +
      "quadratically and every call keeps 1/64 of its gas back (the verifier's and the pairing's), " +
      "so the largest job that fits is smaller: --sizes with one large N measures it",
  );
}
process.exit(0);

/**
 * J jobs of n chunks each (one image, the same run, J job IDs and provers) in one verifyJobs
 * call, against each verified alone: the gas of a transaction making each call.
 */
async function epochOfJobs(J: number, ns: number[]): Promise<void> {
  const k = (g: number) => `${(g / 1000).toFixed(1)}k`;
  console.log(
    `JobVerifier2.verifyJobs: an epoch of ${J} jobs of N chunk proofs each (+ 3 job proofs each) in one pairing product, against the ${J} jobs verified alone (key set ${keySet}, chunk K = ${CFG.K}; hardhat network)`,
  );
  console.log(
    "| N per job | chunks | gas, one call | per chunk | gas per proven cycle (at K = 1024) | alone, sum of J calls |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const n of ns) {
    const image = loadElf(loopElf(await loopsFor(n, CFG.K, chunksOf)));
    const img = job2Image((await kit.prepare(image, new Uint8Array(0), PROVER)).opening);
    await publicClient.waitForTransactionReceipt({
      hash: await verifier.write.registerImage([img]),
    });
    const imageId = await verifier.read.imageIdOf([img]);
    const jobs = [];
    const proofs = [];
    for (let i = 0; i < J; i++) {
      console.error(
        `N=${n}, job ${i + 1} of ${J}: two rounds, then ${n} chunk proofs and 3 job proofs`,
      );
      const prepared = await kit.prepare(image, new Uint8Array(0), PROVER + BigInt(i));
      const a = await kit.assemble(prepared, {
        chainId,
        contract: verifier.address,
        jobId: BigInt(1000 * n + i),
      });
      verifyJob2(p, a.job);
      const pr = await proveJob2(keys, a.job, a.proofInputs);
      jobs.push({
        imageId,
        inputHi: a.job.inputDigest.hi,
        inputLo: a.job.inputDigest.lo,
        claim: job2Claim(a.job),
        a,
        pr,
      });
      proofs.push(pr);
    }
    const send = async (functionName: "verify" | "verifyJobs", args: unknown[]) => {
      const data = encodeFunctionData({ abi: verifier.abi, functionName, args: args as never });
      const hash = await wallet!.sendTransaction({
        to: verifier.address,
        data,
        gas: BigInt(TX_CAP),
      });
      const r = await publicClient.waitForTransactionReceipt({ hash });
      if (r.status !== "success") throw new Error(`${functionName}: the transaction failed`);
      return Number(r.gasUsed);
    };
    const together = await send("verifyJobs", [
      jobs.map(({ imageId, inputHi, inputLo, claim }) => ({ imageId, inputHi, inputLo, claim })),
      jobsProofList(proofs),
    ]);
    let alone = 0;
    for (const j of jobs)
      alone += await send("verify", [
        j.imageId,
        j.inputHi,
        j.inputLo,
        j.claim,
        job2ProofList(j.pr),
      ]);
    const chunks = n * J;
    console.log(
      `| ${n} | ${chunks} | ${k(together)} | ${k(together / chunks)} | ${(together / (chunks * PRODUCTION_K)).toFixed(1)} | ${k(alone)} |`,
    );
  }
}

/**
 * Epochs of J jobs of n chunks each through EpochManager.submitEpoch2 (see the module doc):
 * the gas of the submitting transaction, per chunk and per proven cycle.
 */
async function throughEpochManager(J: number, ns: number[]): Promise<void> {
  const kf = (g: number) => `${(g / 1000).toFixed(1)}k`;
  const wallets = await connection.viem.getWalletClients();
  const root = wallets[1]!;
  const c = await deployConcentric(connection, undefined, { epochGas: BigInt(TX_CAP) }, keySet!);
  await c.staking.write.stake({ account: root.account, value: 2n * 10n ** 18n });
  await c.registry.write.register(["http://127.0.0.1:7001", `0x${"00".repeat(20)}`], {
    account: root.account,
  });
  const pc = publicClient;
  console.log(
    `EpochManager.submitEpoch2: an epoch of ${J} job(s) of N chunk proofs each (+ 3 job proofs each) ` +
      `settled in one transaction (key set ${keySet}, chunk K = ${CFG.K}; hardhat network)`,
  );
  console.log(
    `| N per job | chunks | cycles | gas | per chunk | gas per proven cycle${CFG.K !== PRODUCTION_K ? ` (at K = ${PRODUCTION_K})` : ""} |`,
  );
  console.log("|---|---|---|---|---|---|");
  const ys: { n: number; gas: number }[] = [];
  for (const n of ns) {
    const image = loadElf(loopElf(await loopsFor(n, CFG.K, chunksOf)));
    const first = await kit.prepare(image, new Uint8Array(0), PROVER);
    const o = first.opening;
    const cycles = BigInt(first.chunks.at(-1)!.stateOut.cycles);
    const reg = await c.jobs.simulate.registerImage2([
      o.entry,
      o.memorySize,
      o.codeStart,
      o.codeEnd,
      o.initRoot,
      "0x",
    ]);
    await pc.waitForTransactionReceipt({
      hash: await c.jobs.write.registerImage2(reg.request.args),
    });
    const imageId = reg.result;
    const jobs = [];
    const proofs = [];
    let epoch = 0n;
    for (let i = 0; i < J; i++) {
      const fee = await c.jobs.read.feeFor([cycles]);
      const sub = await c.jobs.simulate.submitJob2([imageId, "0x", cycles], { value: fee });
      await pc.waitForTransactionReceipt({
        hash: await c.jobs.write.submitJob2([imageId, "0x", cycles], { value: fee }),
      });
      const jobId = sub.result;
      epoch = (await c.jobs.read.job([jobId])).epoch;
      console.error(
        `N=${n}, job ${i + 1} of ${J}: two rounds, then ${n} chunk proofs and 3 job proofs`,
      );
      const prepared =
        i === 0 ? first : await kit.prepare(image, new Uint8Array(0), PROVER + BigInt(i));
      const a = await kit.assemble(prepared, {
        chainId,
        contract: c.addresses.jobVerifier2!,
        jobId,
      });
      verifyJob2(p, a.job);
      const pr = await proveJob2(keys, a.job, a.proofInputs);
      jobs.push({
        imageId,
        inputHi: a.job.inputDigest.hi,
        inputLo: a.job.inputDigest.lo,
        claim: job2Claim(a.job),
      });
      proofs.push(pr);
    }
    // the epoch over; its assigned root submits
    const end = await c.epochs.read.epochEnd([epoch]);
    await connection.networkHelpers.time.increaseTo(end + 1n);
    const data = encodeFunctionData({
      abi: c.epochs.abi,
      functionName: "submitEpoch2",
      args: [epoch, jobs, [], jobsProofList(proofs)] as never,
    });
    let hash: `0x${string}`;
    try {
      hash = await root.sendTransaction({ to: c.epochs.address, data, gas: BigInt(TX_CAP) });
    } catch (e) {
      const reason = (e as { details?: string }).details ?? String(e).split("\n")[0];
      console.log(`| ${n} | ${n * J} | | does not fit one 2^24-gas transaction: ${reason} | | |`);
      continue;
    }
    const r = await pc.waitForTransactionReceipt({ hash });
    if (r.status !== "success") {
      console.log(`| ${n} | ${n * J} | | the 2^24-gas transaction failed (out of gas) | | |`);
      continue;
    }
    const gas = Number(r.gasUsed);
    const chunks = n * J;
    const proven = CFG.K !== PRODUCTION_K ? chunks * PRODUCTION_K : Number(cycles) * J;
    ys.push({ n: chunks, gas });
    console.log(
      `| ${n} | ${chunks} | ${(Number(cycles) * J).toLocaleString("en")} | ${kf(gas)} | ${kf(gas / chunks)} | ${(gas / proven).toFixed(1)} |`,
    );
  }
  if (ys.length > 1 && new Set(ys.map((y) => y.n)).size > 1) {
    const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
    const mx = mean(ys.map((y) => y.n));
    const my = mean(ys.map((y) => y.gas));
    const slope =
      ys.reduce((a, y) => a + (y.n - mx) * (y.gas - my), 0) /
      ys.reduce((a, y) => a + (y.n - mx) ** 2, 0);
    const fixed = my - slope * mx;
    const chunks = Math.floor((TX_CAP - fixed) / slope);
    console.log(
      `\nfit: gas ≈ ${kf(fixed)} per epoch of ${J} job(s) + ${kf(slope)} per chunk; the line reaches 2^24 at ` +
        `${chunks} full chunks = ${(chunks * PRODUCTION_K).toLocaleString("en")} proven cycles ` +
        `(${((fixed + chunks * slope) / (chunks * PRODUCTION_K)).toFixed(1)} gas per proven cycle); ` +
        "--sizes with one large N measures the largest that fits",
    );
  }
}
