/**
 * What the people of a local network do through their wallets, as `npm start` and the network
 * tests script them: an orchestrator stakes and registers, a user registers a guest image and
 * submits a job. The app SDK's actions (client/actions.ts), as the CLI's chain commands use them.
 */
import { readFileSync } from "node:fs";
import { parseEther, parseEventLogs, type PrivateKeyAccount } from "viem";
import {
  executeChunked,
  getPoseidon,
  imageIdOf,
  imageOpening,
  loadElf,
} from "../../prover/executor/index.ts";
import { keySetCircuits } from "../../prover/zkvm/job2-file.ts";
import { chunk2Limits } from "../../prover/zkvm/witness2.ts";
import { REPO_ROOT } from "../../prover/setup/registry.ts";
import {
  artifactAbi,
  connect,
  contracts,
  createConcentricClient,
  loadAccount,
  walletClient,
  type Deployment,
} from "../../client/chain.ts";
import { stake, submitJob } from "../../client/actions.ts";
import { prepareJob } from "../../client/guest.ts";

export const devAccount = (i: number): Promise<PrivateKeyAccount> =>
  loadAccount({ devAccount: String(i) }, 31337);

async function session(rpc: string, d: Deployment, account: PrivateKeyAccount) {
  const { chain, publicClient } = await connect(rpc);
  const wallet = walletClient(chain, rpc, account);
  const c = contracts(d, { public: publicClient, wallet });
  const wait = async (hash: `0x${string}`) => {
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return r;
  };
  return { c, wait, publicClient };
}

/**
 * Stakes `eth` and registers `account` as an orchestrator at `endpoint`: a root, or with
 * `parent` (whose key is given, since a parent must approve each child first) a child ring.
 */
export async function stakeAndRegister(
  rpc: string,
  d: Deployment,
  account: PrivateKeyAccount,
  endpoint: string,
  o: { eth?: string; parent?: PrivateKeyAccount } = {},
): Promise<void> {
  const { c, wait } = await session(rpc, d, account);
  const client = await createConcentricClient({ rpc, deployment: d, account });
  const staked = await stake(client, { amount: parseEther(o.eth ?? "2") });
  if (staked.status !== "success") throw new Error(`transaction ${staked.hash} reverted`);
  if (o.parent) {
    const p = await session(rpc, d, o.parent);
    await p.wait(await p.c.registry.write.approveChild([account.address, true]));
  }
  await wait(
    await c.registry.write.register([
      endpoint,
      o.parent?.address ?? "0x0000000000000000000000000000000000000000",
    ]),
  );
}

/**
 * Stakes `eth` from `account` without registering anything: a delegator's stake, which lets it
 * lease past the newcomers' pool (orchestrator/stake-check.ts). With `fundFrom`, that account
 * first sends `account` what it needs (a fresh key has no ETH).
 */
export async function stakeDelegator(
  rpc: string,
  d: Deployment,
  account: PrivateKeyAccount,
  eth: string,
  o: { fundFrom?: PrivateKeyAccount } = {},
): Promise<void> {
  if (o.fundFrom) {
    const { chain, publicClient } = await connect(rpc);
    const hash = await walletClient(chain, rpc, o.fundFrom).sendTransaction({
      account: o.fundFrom,
      chain,
      to: account.address,
      value: parseEther(eth) + parseEther("0.1"),
    });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  const client = await createConcentricClient({ rpc, deployment: d, account });
  const staked = await stake(client, { amount: parseEther(eth) });
  if (staked.status !== "success") throw new Error(`transaction ${staked.hash} reverted`);
}

/** Registers a committed guest (if new) and submits a job on `input`; returns the job id. */
export async function submitGuestJob(
  rpc: string,
  d: Deployment,
  account: PrivateKeyAccount,
  guest: string,
  input: Uint8Array,
  feeEth = "0.01",
): Promise<{ jobId: bigint; epoch: bigint; imageId: bigint }> {
  const elf = new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${guest}.elf`));
  const client = await createConcentricClient({ rpc, deployment: d, account });
  const r = await submitJob(client, await prepareJob({ elf, input, fee: parseEther(feeEth) }));
  if (r.transaction.status !== "success")
    throw new Error(`transaction ${r.transaction.hash} reverted`);
  return { jobId: r.jobId, epoch: r.epoch, imageId: r.imageId };
}

/**
 * Registers a committed guest as a versioned-cells image (if new: JobRegistry.registerImage2)
 * and submits a versioned-cells job on `input` (JobRegistry.submitJob2, the input bytes on
 * chain), declaring as its bound the cycles its word-mode run takes (executed here, as the
 * executor is the reference semantics), or more if its chunks need more; returns the job id.
 */
export async function submitGuestJob2(
  rpc: string,
  d: Deployment,
  account: PrivateKeyAccount,
  guest: string,
  input: Uint8Array,
  feeEth = "0.01",
): Promise<{ jobId: bigint; epoch: bigint; imageId: bigint; cycles: number }> {
  if (!d.keySet2) throw new Error("this deployment does not settle versioned-cells jobs");
  const elf = new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${guest}.elf`));
  const image = loadElf(elf);
  const o = await imageOpening(image);
  const imageId = imageIdOf(await getPoseidon(), o);
  const run = await executeChunked(image, input, chunk2Limits(keySetCircuits(d.keySet2).cfg));
  const cycles = run.chunks.at(-1)!.stateOut.cycles;
  const { c, wait } = await session(rpc, d, account);
  // Published every time (registering again publishes the ELF again): orchestrators keep the
  // first ELF that opens to the image ID, so garbage a stranger published first is no obstacle.
  await wait(
    await c.jobs.write.registerImage2([
      o.entry,
      o.memorySize,
      o.codeStart,
      o.codeEnd,
      o.initRoot,
      `0x${Buffer.from(elf).toString("hex")}`,
    ]),
  );
  // The bound buys chunks at CYCLES_PER_CHUNK2 cycles each (word-mode transfers retire no
  // cycles, so a run may need more chunks than its cycles alone would reserve).
  const perChunk = BigInt((await c.jobs.read.CYCLES_PER_CHUNK2()) as bigint);
  const bound = [BigInt(Math.max(1, cycles)), BigInt(run.chunks.length) * perChunk].reduce(
    (a, b) => (a > b ? a : b),
  );
  const r = await wait(
    await c.jobs.write.submitJob2([imageId, `0x${Buffer.from(input).toString("hex")}`, bound], {
      value: parseEther(feeEth),
    }),
  );
  const [log] = parseEventLogs({
    abi: artifactAbi("JobRegistry"),
    eventName: "JobSubmitted",
    logs: r.logs,
  }) as unknown as { args: { jobId: bigint; epoch: bigint } }[];
  if (!log) throw new Error(`transaction ${r.transactionHash} submitted no job`);
  return { jobId: log.args.jobId, epoch: log.args.epoch, imageId, cycles };
}
