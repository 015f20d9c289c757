/**
 * The CLI's chain commands (viem), registered by scripts/cli.ts:
 *
 *   concentric keystore-new --out <file>            a new encrypted key (password from env)
 *   concentric stake <eth> | unstake <eth> | withdraw
 *   concentric register-orchestrator --endpoint <url> [--parent <address>]
 *   concentric approve-child <address> [--revoke]     (a parent admits a child ring first)
 *   concentric evict-child <address>
 *   concentric submit-job <elf> [--input <file>] [--cycles <bound>] [--fee <eth>]
 *     [--orchestrator <url>]   (an input over 64 bytes is committed by digest and its bytes
 *     uploaded there; or later with: concentric provide-input <job> <file> --orchestrator <url>)
 *     (the bound defaults to the cycles the run takes, executed here; the fee to feeFor(bound))
 *   concentric job <id> | epoch <n> | rewards [<address>] [--withdraw [--to <address>]]
 *
 * Common options: --rpc <url> (default http://127.0.0.1:8545), --deployment <file> (default
 * deployments/<chainId>.json), and a key: --keystore <file> [--password-file <file>] or, on a
 * devnet only, --dev-account <i>. A transaction prints its hash and decoded events; a revert
 * prints the contract's custom error, exit status 1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatEther, parseEther, type Hex } from "viem";
import {
  getPoseidon,
  imageIdOf,
  imageOpening,
  inputDigest,
  loadElf,
} from "../prover/executor/index.ts";
import { ApiError, OrchestratorClient } from "../orchestrator/client.ts";
import { MAX_INPUT_BYTES as MAX_UPLOAD_BYTES } from "../orchestrator/api.ts";
import { cycleBoundOf, registerImageArgs } from "./lib/deploy.ts";
import {
  connect,
  contracts,
  describeReceipt,
  loadAccount,
  loadDeployment,
  newKeystore,
  revertReason,
  walletClient,
  WalletError,
} from "../client/chain.ts";

const COMMON = {
  rpc: { type: "string", default: "http://127.0.0.1:8545" },
  deployment: { type: "string" },
  keystore: { type: "string" },
  "password-file": { type: "string" },
  "dev-account": { type: "string" },
} as const;

const STATUS = ["none", "pending", "settled", "refunded"];
const MAX_INPUT_BYTES = 64;

function eth(s: string | undefined, what: string): bigint {
  if (!s || !/^[0-9]+(\.[0-9]+)?$/.test(s))
    throw new WalletError(`${what}: an amount in ETH, e.g. 1.5`);
  return parseEther(s);
}

async function session(values: Record<string, string | boolean | undefined>, needsKey: boolean) {
  const rpc = values.rpc as string;
  const { chain, chainId, publicClient } = await connect(rpc);
  const d = loadDeployment(chainId, values.deployment as string | undefined);
  if (!needsKey) return { publicClient, c: contracts(d, { public: publicClient }), d };
  const account = await loadAccount(
    {
      keystore: values.keystore as string | undefined,
      passwordFile: values["password-file"] as string | undefined,
      devAccount: values["dev-account"] as string | undefined,
    },
    chainId,
  );
  const wallet = walletClient(chain, rpc, account);
  return { publicClient, c: contracts(d, { public: publicClient, wallet }), d, account };
}

/** Sends a transaction, prints its hash and decoded events; a revert prints its custom error. */
async function send(
  publicClient: Awaited<ReturnType<typeof connect>>["publicClient"],
  label: string,
  tx: () => Promise<Hex>,
): Promise<{ ok: boolean; events: string[] }> {
  let hash: Hex;
  try {
    hash = await tx();
  } catch (e) {
    const reason = revertReason(e);
    if (reason === undefined) throw e;
    console.error(`${label}: reverted: ${reason}`);
    return { ok: false, events: [] };
  }
  console.log(`${label}: tx ${hash}`);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const events = describeReceipt(receipt);
  console.log(`  ${receipt.status} in block ${receipt.blockNumber}, gas ${receipt.gasUsed}`);
  for (const e of events) console.log(`  ${e}`);
  return { ok: receipt.status === "success", events };
}

type Cmd = (args: string[]) => Promise<number>;

const keystoreNew: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: { ...COMMON, out: { type: "string" } } });
  if (!values.out) throw new WalletError("--out <file> is required");
  const password = process.env.CONCENTRIC_KEYSTORE_PASSWORD;
  if (!password)
    throw new WalletError("set CONCENTRIC_KEYSTORE_PASSWORD to the new keystore's password");
  const { address, json } = await newKeystore(password);
  writeFileSync(values.out, json, { mode: 0o600, flag: "wx" });
  console.log(`${address} → ${values.out}`);
  return 0;
};

const stake: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const value = eth(positionals[0], "stake <amount>");
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "stake", () =>
    c.staking.write.stake({ value, account: account! }),
  );
  return r.ok ? 0 : 1;
};

const unstake: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const amount = eth(positionals[0], "unstake <amount>");
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "requestUnstake", () =>
    c.staking.write.requestUnstake([amount], { account: account! }),
  );
  return r.ok ? 0 : 1;
};

const withdraw: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: COMMON });
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "withdraw", () =>
    c.staking.write.withdraw({ account: account! }),
  );
  return r.ok ? 0 : 1;
};

const registerOrchestrator: Cmd = async (args) => {
  const { values } = parseArgs({
    args,
    options: { ...COMMON, endpoint: { type: "string" }, parent: { type: "string" } },
  });
  if (!values.endpoint) throw new WalletError("--endpoint <url> is required");
  const parent = (values.parent ?? "0x0000000000000000000000000000000000000000") as Hex;
  if (!/^0x[0-9a-fA-F]{40}$/.test(parent)) throw new WalletError("--parent: a 20-byte address");
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "register", () =>
    c.registry.write.register([values.endpoint, parent], { account: account! }),
  );
  return r.ok ? 0 : 1;
};

const approveChild: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, revoke: { type: "boolean", default: false } },
  });
  const child = positionals[0] as Hex | undefined;
  if (!child || !/^0x[0-9a-fA-F]{40}$/.test(child))
    throw new WalletError("approve-child <child address> is required (a 20-byte address)");
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "approveChild", () =>
    c.registry.write.approveChild([child, !values.revoke], { account: account! }),
  );
  return r.ok ? 0 : 1;
};

const evictChild: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const child = positionals[0] as Hex | undefined;
  if (!child || !/^0x[0-9a-fA-F]{40}$/.test(child))
    throw new WalletError("evict-child <child address> is required (a 20-byte address)");
  const { publicClient, c, account } = await session(values, true);
  const r = await send(publicClient, "evictChild", () =>
    c.registry.write.evictChild([child], { account: account! }),
  );
  return r.ok ? 0 : 1;
};

const submitJob: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      input: { type: "string" },
      fee: { type: "string" },
      cycles: { type: "string" },
      orchestrator: { type: "string" },
    },
  });
  if (!positionals[0]) throw new WalletError("submit-job <elf> is required");
  const elf = new Uint8Array(readFileSync(positionals[0]));
  const input = values.input ? new Uint8Array(readFileSync(values.input)) : new Uint8Array(0);
  const image = loadElf(elf);
  // The declared cycle bound: given, or the cycles the run takes (executed here).
  let bound: bigint;
  if (values.cycles !== undefined) {
    if (!/^[1-9][0-9]{0,12}$/.test(values.cycles))
      throw new WalletError("--cycles: a positive integer (the job's cycle bound)");
    bound = BigInt(values.cycles);
  } else {
    try {
      bound = cycleBoundOf(image, input);
    } catch (e) {
      throw new WalletError(`the job cannot be proven: ${(e as Error).message}`);
    }
  }
  const { publicClient, c, account } = await session(values, true);
  const fee = values.fee
    ? eth(values.fee, "--fee")
    : ((await c.jobs.read.feeFor([bound])) as bigint);
  console.log(`cycle bound ${bound}, fee ${formatEther(fee)} ETH`);
  const o = await imageOpening(image);
  const imageId = imageIdOf(await getPoseidon(), o);
  const known = (await c.jobs.read.image([imageId])) as { registered: boolean };
  if (!known.registered) {
    const r = await send(publicClient, "registerImage", () =>
      c.jobs.write.registerImage(registerImageArgs(o, elf), { account: account! }),
    );
    if (!r.ok) return 1;
  }
  const hexInput = `0x${Buffer.from(input).toString("hex")}` as Hex;
  const tx =
    input.length <= MAX_INPUT_BYTES
      ? () =>
          c.jobs.write.submitJobWithInput([imageId, hexInput, bound], {
            value: fee,
            account: account!,
          })
      : async () =>
          c.jobs.write.submitJob([imageId, await inputDigest(input), bound], {
            value: fee,
            account: account!,
          });
  const r = await send(publicClient, "submitJob", tx);
  if (!r.ok) return 1;
  if (input.length > MAX_INPUT_BYTES) {
    const jobId = /JobSubmitted jobId=(\d+)/.exec(r.events.join("\n"))?.[1];
    if (values.orchestrator && jobId !== undefined)
      return deliverInput(values.orchestrator, account!, Number(jobId), input);
    console.log(
      `  the ${input.length}-byte input is committed by digest; deliver its bytes with ` +
        `concentric provide-input ${jobId ?? "<job>"} <file> --orchestrator <url>`,
    );
  }
  return 0;
};

/**
 * Uploads a job's input bytes to an orchestrator (signed; checked there against the job's
 * on-chain digest). Waits, with backoff, while the orchestrator has not seen the job yet.
 */
async function deliverInput(
  url: string,
  account: ConstructorParameters<typeof OrchestratorClient>[1],
  jobId: number,
  input: Uint8Array,
): Promise<number> {
  if (input.length > MAX_UPLOAD_BYTES)
    throw new WalletError(
      `the input is ${input.length} bytes; orchestrators take at most ${MAX_UPLOAD_BYTES}`,
    );
  const client = new OrchestratorClient(url, account);
  for (let attempt = 0, wait = 500; ; attempt++, wait = Math.min(wait * 2, 10_000)) {
    try {
      const r = await client.provideInput(jobId, input);
      console.log(`input of job ${jobId} delivered to ${url}: ${r?.bytes ?? input.length} bytes`);
      return 0;
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      // 404: the orchestrator has not synced the job's event yet; transient errors: retry.
      if (
        attempt < 20 &&
        (status === 404 || (e instanceof ApiError && e.transient) || status === 0)
      ) {
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      console.error(`input of job ${jobId} refused by ${url}: ${(e as Error).message}`);
      return 1;
    }
  }
}

const provideInput: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, orchestrator: { type: "string" } },
  });
  const [id, file] = positionals;
  if (!id || !/^[0-9]+$/.test(id) || !file || !values.orchestrator)
    throw new WalletError("provide-input <job id> <file> --orchestrator <url> is required");
  const { account } = await session(values, true);
  return deliverInput(
    values.orchestrator,
    account!,
    Number(id),
    new Uint8Array(readFileSync(file)),
  );
};

const job: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (!positionals[0] || !/^[0-9]+$/.test(positionals[0])) throw new WalletError("job <id>");
  const { c } = await session(values, false);
  try {
    const j = (await c.jobs.read.job([BigInt(positionals[0])])) as {
      requester: string;
      epoch: bigint;
      status: number;
      imageId: bigint;
      inputDigest: bigint;
      fee: bigint;
      result: { exitCode: number; cycles: bigint; epoch: bigint; outputDigest: bigint };
    };
    console.log(`job ${positionals[0]}: ${STATUS[j.status]}`);
    console.log(`  requester ${j.requester}, epoch ${j.epoch}, fee ${formatEther(j.fee)} ETH`);
    console.log(`  image ${j.imageId}\n  input digest ${j.inputDigest}`);
    if (j.status === 2)
      console.log(
        `  result: exit ${j.result.exitCode}, ${j.result.cycles} cycles, output digest ${j.result.outputDigest}, proven in epoch ${j.result.epoch}`,
      );
    return 0;
  } catch (e) {
    const reason = revertReason(e);
    if (reason === undefined) throw e;
    console.error(`job: ${reason}`);
    return 1;
  }
};

const epoch: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const { c } = await session(values, false);
  const n =
    positionals[0] !== undefined
      ? BigInt(positionals[0])
      : ((await c.epochs.read.currentEpoch()) as bigint);
  const [rec, end, deadline, assigned, pending] = await Promise.all([
    c.epochs.read.epochRecord([n]) as Promise<{
      submitter: string;
      submittedAt: bigint;
      jobs: number;
      chunks: number;
      slashed: boolean;
    }>,
    c.epochs.read.epochEnd([n]) as Promise<bigint>,
    c.epochs.read.deadline([n]) as Promise<bigint>,
    c.epochs.read.assignedSubmitter([n]) as Promise<string>,
    c.jobs.read.pendingIn([n]) as Promise<bigint>,
  ]);
  const t = (s: bigint) => new Date(Number(s) * 1000).toISOString();
  console.log(`epoch ${n}: ends ${t(end)}, deadline ${t(deadline)}, assigned ${assigned}`);
  console.log(`  jobs submitted in it still pending: ${pending}`);
  if (rec.submitter !== "0x0000000000000000000000000000000000000000")
    console.log(
      `  Universal Proof by ${rec.submitter} at ${t(rec.submittedAt)}: ${rec.jobs} jobs, ${rec.chunks} chunks`,
    );
  else console.log("  no Universal Proof yet");
  if (rec.slashed) console.log("  the assigned submitter was slashed");
  return 0;
};

const rewards: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      withdraw: { type: "boolean", default: false },
      to: { type: "string" },
    },
  });
  const needsKey = values.withdraw || positionals[0] === undefined;
  const { publicClient, c, account } = await session(values, needsKey);
  const who = (positionals[0] ?? account!.address) as Hex;
  console.log(
    `rewards of ${who}: ${formatEther((await c.epochs.read.rewardsOf([who])) as bigint)} ETH`,
  );
  if (!values.withdraw) return 0;
  // --to: pay another address (a prover address that is a contract refusing ETH, say)
  if (values.to !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(values.to))
    throw new WalletError("--to: a 20-byte address");
  const r = await send(publicClient, "withdrawRewards", () =>
    values.to
      ? c.epochs.write.withdrawRewardsTo([values.to as Hex], { account: account! })
      : c.epochs.write.withdrawRewards({ account: account! }),
  );
  return r.ok ? 0 : 1;
};

export const chainCommands: Record<string, Cmd> = {
  "keystore-new": keystoreNew,
  stake,
  unstake,
  withdraw,
  "register-orchestrator": registerOrchestrator,
  "approve-child": approveChild,
  "provide-input": provideInput,
  "evict-child": evictChild,
  "submit-job": submitJob,
  job,
  epoch,
  rewards,
};

export { WalletError };
