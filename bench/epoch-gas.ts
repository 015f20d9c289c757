/**
 * `npm run bench:gas [-- --sizes 1,4,16,64]`
 *
 * Gas of EpochManager.submitEpoch on hardhat's network for a Universal Proof of N real chunk
 * proofs (one job of exactly N chunks of the default network circuit), with plain and with
 * compressed points; per chunk, per proven cycle, and against the target 190k + 52k·N.
 * The jobs run a counting loop built with the test ELF writer, sized so that the executor cuts
 * it into exactly N chunks. Proving takes a few seconds per chunk.
 */
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { universalProof } from "../orchestrator/universal-proof.ts";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { Groth16ChunkProver } from "../prover/zkvm/prover.ts";
import { chunkLimits, proveRun } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { loopElf, loopsFor } from "./lib.ts";
import {
  DEFAULT_NETWORK_CIRCUIT,
  deployConcentric,
  registerImageArgs,
} from "../scripts/lib/deploy.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1,4,16,64" } } });
const sizes = values.sizes.split(",").map(Number);
const circuit = DEFAULT_NETWORK_CIRCUIT;
const config = chunkCircuitConfig(circuit);
const artifacts = await getCircuitArtifacts(circuit, {
  cacheDir: defaultCacheDir(),
});
const prover = new Groth16ChunkProver(artifacts);
async function chunksOf(loops: number): Promise<number> {
  const exec = await executeChunked(
    loadElf(loopElf(loops)),
    new Uint8Array(0),
    chunkLimits(config),
  );
  return exec.chunks.length;
}

const connection = await network.create();
const { viem, networkHelpers } = connection;
const [, orchestrator] = await viem.getWalletClients();
const publicClient = await viem.getPublicClient();
const c = await deployConcentric(connection, circuit);
await c.staking.write.stake({ account: orchestrator!.account, value: 10n ** 18n });
await c.registry.write.register(
  ["http://127.0.0.1:7001", "0x0000000000000000000000000000000000000000"],
  {
    account: orchestrator!.account,
  },
);

interface Row {
  n: number;
  cycles: number;
  plain: bigint;
  compressed: bigint;
}
const rows: Row[] = [];
for (const n of sizes) {
  const elf = loopElf(await loopsFor(n, config.K, chunksOf));
  const image = loadElf(elf);
  console.error(`N=${n}: proving ${n} chunks`);
  const { run, stats } = await proveRun(image, new Uint8Array(0), {
    config,
    prover,
    address: orchestrator!.account.address,
    vk: artifacts.vkey,
  });
  const o = await imageOpening(image);
  await c.jobs.write.registerImage(registerImageArgs(o, elf));
  await c.jobs.write.submitJob(
    [BigInt(run.imageId), BigInt(run.inputDigest), BigInt(run.final.cycles)],
    {
      value: 10n ** 16n,
    },
  );
  const jobId = (await c.jobs.read.jobCount()) - 1n;
  const epoch = (await c.jobs.read.job([jobId])).epoch;
  await networkHelpers.time.increase(120);
  const up = await universalProof([{ jobId, run }]);
  const gas = async (compressed: boolean) => {
    const snapshot = await networkHelpers.takeSnapshot();
    const account = orchestrator!.account;
    const hash = compressed
      ? await c.epochs.write.submitEpochCompressed([epoch, up.jobs, [], up.compressed], { account })
      : await c.epochs.write.submitEpoch([epoch, up.jobs, [], up.proofs], { account });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("submitEpoch failed");
    await snapshot.restore();
    return receipt.gasUsed;
  };
  rows.push({ n, cycles: stats.cycles, plain: await gas(false), compressed: await gas(true) });
  // settle for real so the next job's epoch is a fresh one
  await c.epochs.write.submitEpoch([epoch, up.jobs, [], up.proofs], {
    account: orchestrator!.account,
  });
}

const k = (g: bigint | number) => `${(Number(g) / 1000).toFixed(1)}k`;
console.log(`submitEpoch gas, one job of N chunk proofs (${circuit}, hardhat network)`);
console.log(
  "| N | cycles | plain | per chunk | per cycle | compressed | per chunk | target 190k+52k·N | plain / target |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const target = 190_000 + 52_000 * r.n;
  console.log(
    `| ${r.n} | ${r.cycles} | ${k(r.plain)} | ${k(Number(r.plain) / r.n)} | ${(Number(r.plain) / r.cycles).toFixed(0)} | ` +
      `${k(r.compressed)} | ${k(Number(r.compressed) / r.n)} | ${k(target)} | ${(Number(r.plain) / target).toFixed(2)} |`,
  );
}

// Epoch capacity: what one Universal Proof may hold within one transaction (EIP-7825), from the
// deployed parameters, checked against a straight-line fit of the measured gas (one job).
const TX_CAP = 2 ** 24;
const xs = rows.map((r) => r.n);
const ys = rows.map((r) => Number(r.plain));
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const mx = mean(xs);
const my = mean(ys);
const slope =
  rows.length > 1
    ? xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) /
      xs.reduce((s, x) => s + (x - mx) ** 2, 0)
    : ys[0]! / xs[0]!;
const intercept = my - slope * mx;
const epochGas = Number(await c.jobs.read.EPOCH_GAS());
const gasPerJob = Number(await c.jobs.read.GAS_PER_JOB());
const gasPerChunk = Number(await c.jobs.read.GAS_PER_CHUNK());
const cyclesPerChunk = Number(await c.jobs.read.CYCLES_PER_CHUNK());
const maxChunks = Math.floor((epochGas - gasPerJob) / gasPerChunk);
const worst = intercept + slope * maxChunks;
console.log(`\nepoch capacity (${circuit}, deployment parameters)`);
console.log(
  `measured: submitEpoch ≈ ${k(intercept)} + ${k(slope)}·N gas (least squares over N = ${xs.join(", ")})`,
);
console.log(
  `room per epoch ${k(epochGas)} gas; a job reserves ${k(gasPerJob)} + ${k(gasPerChunk)} per chunk; ` +
    `${cyclesPerChunk} cycles per chunk at least`,
);
console.log(
  `one job fills an epoch at ${maxChunks} chunks = ${maxChunks * cyclesPerChunk} cycles ` +
    `(${maxChunks * config.K} at full chunks of K = ${config.K}); measured gas then ≈ ${k(worst)} ` +
    `(${((100 * worst) / TX_CAP).toFixed(0)} % of the 2^24 cap)`,
);
if (worst > TX_CAP) throw new Error("a full epoch would not fit one transaction");
process.exit(0);
