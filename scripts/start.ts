/**
 * `npm start` — the furthest end-to-end flow the project has today, on hardhat's in-process
 * network: the contracts deployed with Ignition; an orchestrator stakes and registers as a
 * root; a user registers a committed guest and submits a job; the job is executed once, cut
 * into chunks and every chunk proven with Groth16 (two prover addresses, one per half, as two
 * delegators would); the chunk proofs are checked off chain in one batch; after the epoch ends
 * the orchestrator submits the Universal Proof and the chain records the result and rewards.
 * The orchestrator service, delegator daemons and rings are still being built (issue 6): here
 * one process plays every part.
 */
import { readFileSync } from "node:fs";
import { formatEther } from "viem";
import { network } from "hardhat";
import { universalProof } from "../orchestrator/universal-proof.ts";
import {
  executeChunked,
  getPoseidon,
  imageIdOf,
  imageOpening,
  loadElf,
  outputDigest,
} from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { Groth16ChunkProver, type Address } from "../prover/zkvm/prover.ts";
import { chunkLimits, proveRun, verifyRun } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { DEFAULT_NETWORK_CIRCUIT, deployConcentric, registerImageArgs } from "./lib/deploy.ts";

const GUEST = process.env.CONCENTRIC_DEMO_GUEST ?? "fibonacci";
const INPUT = Uint8Array.of(Number(process.env.CONCENTRIC_DEMO_N ?? 10), 0, 0, 0);
const FEE = 10n ** 16n;
const t0 = performance.now();
const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

const a = await getCircuitArtifacts(DEFAULT_NETWORK_CIRCUIT, {
  cacheDir: defaultCacheDir(),
  log: (m) => console.log(`  ${m}`),
});
const config = chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT);
console.log(
  `1. chunk circuit ${a.name}: ${a.nConstraints} constraints, ${a.ceremony} keys [${at()}]`,
);

const connection = await network.create();
const { viem, networkHelpers } = connection;
const publicClient = await viem.getPublicClient();
const [, orchestrator, delegatorA, delegatorB, user] = await viem.getWalletClients();
const c = await deployConcentric(connection);
console.log(`2. contracts deployed on chain ${await publicClient.getChainId()} [${at()}]`);
for (const [k, v] of Object.entries(c.addresses)) console.log(`     ${k.padEnd(10)} ${v}`);

await c.staking.write.stake({ account: orchestrator!.account, value: 2n * 10n ** 18n });
await c.registry.write.register(
  ["http://127.0.0.1:7001", "0x0000000000000000000000000000000000000000"],
  {
    account: orchestrator!.account,
  },
);
console.log(`3. orchestrator ${orchestrator!.account.address} staked 2 ETH, registered as a root`);

const elf = new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${GUEST}.elf`));
const image = loadElf(elf);
const o = await imageOpening(image);
await c.jobs.write.registerImage(registerImageArgs(o, elf), {
  account: user!.account,
});
const imageId = imageIdOf(await getPoseidon(), o);
await c.jobs.write.submitJobWithInput([imageId, `0x${Buffer.from(INPUT).toString("hex")}`], {
  account: user!.account,
  value: FEE,
});
const jobId = (await c.jobs.read.jobCount()) - 1n;
const job = await c.jobs.read.job([jobId]);
console.log(
  `4. user ${user!.account.address} submitted job ${jobId}: ${GUEST} on input ${Buffer.from(INPUT).toString("hex")}, fee ${formatEther(FEE)} ETH, epoch ${job.epoch}`,
);

// The orchestrator executes the job once and cuts it into chunk tasks.
const exec = await executeChunked(image, INPUT, chunkLimits(config));
console.log(
  `5. executed: exit ${exec.exitCode}, ${exec.cycles} cycles, ${exec.chunks.length} chunks of ${config.K} steps [${at()}]`,
);

// Two delegators, one half of the chunks each; each proof binds its prover's address.
const half = Math.ceil(exec.chunks.length / 2);
const [addrA, addrB] = [delegatorA!.account.address, delegatorB!.account.address] as Address[];
const { run } = await proveRun(image, INPUT, {
  config,
  prover: new Groth16ChunkProver(a),
  address: addrA!,
  addressFor: (i) => (i < half ? addrA! : addrB!),
  vk: a.vkey,
  onChunk: (done, total) => process.stdout.write(`\r6. proving chunk ${done}/${total}`),
});
console.log(` — ${half} by ${addrA}, ${exec.chunks.length - half} by ${addrB} [${at()}]`);

const verified = await verifyRun(a.vkey, run);
console.log(`7. chunk chain and batch verified off chain: ${verified.chunks} chunks [${at()}]`);

await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([job.epoch]));
const up = await universalProof([{ jobId, run }]);
const hash = await c.epochs.write.submitEpoch([job.epoch, up.jobs, [], up.proofs], {
  account: orchestrator!.account,
});
const receipt = await publicClient.waitForTransactionReceipt({ hash });
console.log(
  `8. Universal Proof of epoch ${job.epoch} verified on chain: ${receipt.status}, ${receipt.gasUsed} gas (${(Number(receipt.gasUsed) / up.proofs.length).toFixed(0)} per chunk) [${at()}]`,
);

const [settled, r] = await c.jobs.read.result([jobId]);
const output = Buffer.from(run.output, "hex");
console.log(
  `9. on chain, job ${jobId}: ${settled ? "settled" : "NOT settled"}, exit ${r.exitCode}, ${r.cycles} cycles`,
);
const printable = /^[\x20-\x7e\n]*$/.test(output.toString("latin1"));
console.log(
  `     output ${printable ? JSON.stringify(output.toString("utf8")) : `0x${output.toString("hex")}`}, ` +
    `its digest ${r.outputDigest === (await outputDigest(output)) ? "matches" : "DOES NOT match"} the chain's`,
);
for (const [who, w] of [
  ["delegator A", delegatorA!],
  ["delegator B", delegatorB!],
  ["orchestrator", orchestrator!],
] as const)
  console.log(
    `     rewards of ${who.padEnd(12)} ${formatEther(await c.epochs.read.rewardsOf([w.account.address]))} ETH`,
  );
console.log(`done in ${at()}`);
process.exit(settled ? 0 : 1);
