/**
 * The CLI's chain commands, registered by scripts/cli.ts (usage there). They parse arguments
 * and call the app SDK's actions (client/actions.ts), printing for people: amounts in ETH,
 * exactly; digests (image IDs, input and output digests) as 0x and 64 hex digits; a revert as
 * the contract's custom error with its arguments named (amounts in ETH, times as dates).
 *
 * Common options: --rpc <url> (default http://127.0.0.1:8545), --deployment <file> (default
 * deployments/<chainId>.json), and a key: --keystore <file> [--password-file <file>] or, on a
 * devnet only, --dev-account <i>.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Hex } from "viem";
import {
  createConcentricClient,
  describeReceipt,
  loadAccount,
  newKeystore,
} from "../client/chain.ts";
import { DEVELOPMENT_CHAIN_IDS } from "../prover/setup/artifacts.ts";
import {
  approveChild as approveChildAction,
  asRevertError,
  deregister as deregisterAction,
  evictChild as evictChildAction,
  InsufficientFundsError,
  onChainInput,
  publishedElf,
  readJob,
  refundJob,
  registerOrchestrator as registerOrchestratorAction,
  requestExit as requestExitAction,
  rewards as rewardsOf,
  RevertError,
  slashMissed as slashMissedAction,
  stake as stakeAction,
  submitJob as submitJobAction,
  unstake as unstakeAction,
  withdraw as withdrawAction,
  withdrawRewards,
  type ConcentricClient,
  type JobView,
  type SendReturnType,
} from "../client/actions.ts";
import { GuestError, prepareJob } from "../client/guest.ts";
import {
  CliError,
  fileErrorMessage,
  formatDigest,
  formatEth,
  parseAddress,
  parseEth,
  progress,
  readFileOrExplain,
  UsageError,
} from "./cli-common.ts";
import { INPUT_OPTIONS, loadGuest, readInput } from "./run-cli.ts";
import { MAX_INPUT_BYTES as MAX_UPLOAD_BYTES } from "../orchestrator/api.ts";
import { outputDigest } from "../prover/executor/index.ts";

const COMMON = {
  rpc: { type: "string", default: "http://127.0.0.1:8545" },
  deployment: { type: "string" },
  keystore: { type: "string" },
  "password-file": { type: "string" },
  "dev-account": { type: "string" },
} as const;

type Values = Record<string, string | boolean | undefined>;

async function session(values: Values, needsKey: boolean): Promise<ConcentricClient> {
  const rpc = values.rpc as string;
  const probe = await createConcentricClient({
    rpc,
    ...(values.deployment ? { deploymentFile: values.deployment as string } : {}),
  });
  if (!needsKey) return probe;
  const account = await loadAccount(
    {
      keystore: values.keystore as string | undefined,
      passwordFile: values["password-file"] as string | undefined,
      devAccount: values["dev-account"] as string | undefined,
    },
    probe.chainId,
  );
  return createConcentricClient({
    rpc,
    account,
    ...(values.deployment ? { deploymentFile: values.deployment as string } : {}),
  });
}

/** Amount-like argument names: printed in ETH. */
const AMOUNT =
  /^(amount|fee|value|stake|staked|newStake|requested|remaining|locked|reward|rewards|balance|bounty|taken|minimum|required|minStake)$/i;
/** Digest-like argument names: printed as 0x and 64 hex digits. */
const DIGEST = /^imageId$|Digest$|^digest$|Root$|^s0$/;
/** Time-like argument names (unix seconds): printed as ISO dates. */
const TIME = /At$|^at$|deadline|until|releaseAt|leavingAt/;

/** An event or revert argument for people (amounts in ETH, digests in hex, times as dates). */
export function formatArg(name: string, v: unknown): string | undefined {
  if (typeof v === "bigint") {
    if (TIME.test(name) && v > 1_000_000_000n && v < 10_000_000_000n)
      return new Date(Number(v) * 1000).toISOString();
    if (DIGEST.test(name)) return formatDigest(v);
    if (AMOUNT.test(name)) return formatEth(v);
  }
  return undefined;
}

function printTx(label: string, tx: SendReturnType): void {
  console.log(`${label}: tx ${tx.hash}`);
  console.log(`  ${tx.status} in block ${tx.blockNumber}, gas ${tx.gasUsed}`);
  for (const e of describeReceipt(tx.receipt, formatArg)) console.log(`  ${e}`);
}

/** A revert, with named and formatted arguments, as one line. */
export function describeRevert(r: RevertError): string {
  if (!r.errorName) return `${r.action}: reverted: ${r.reason}`;
  const args = r.args.map((a, i) => {
    const n = r.argNames[i] ?? "";
    const f = formatArg(n, a) ?? String(a);
    return n ? `${n}=${f}` : f;
  });
  return `${r.action}: reverted: ${r.errorName}(${args.join(", ")})`;
}

/** Runs a transaction; prints it; turns SDK errors into one-line CLI errors. */
async function run(label: string, client: ConcentricClient, f: () => Promise<SendReturnType>) {
  try {
    const tx = await f();
    printTx(label, tx);
    return tx.status === "success" ? 0 : 1;
  } catch (e) {
    throw explain(e, client);
  }
}

function explain(e: unknown, client: ConcentricClient): unknown {
  if (e instanceof RevertError) return new CliError(describeRevert(e), 1);
  if (e instanceof InsufficientFundsError) {
    const dev = DEVELOPMENT_CHAIN_IDS.includes(client.chainId)
      ? `, or on this devnet: concentric fund ${e.address} <eth>`
      : "";
    const need = e.needed > 0n ? `, needs ${formatEth(e.needed)} plus gas` : "";
    return new CliError(
      `insufficient funds: ${e.address} has ${formatEth(e.balance)}${need}; check with concentric balance${dev}`,
      1,
    );
  }
  if (e instanceof GuestError) return new CliError(e.shortMessage, 1);
  return e;
}

type Cmd = (args: string[]) => Promise<number>;

const keystoreNew: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: { ...COMMON, out: { type: "string" } } });
  if (!values.out) throw new UsageError("--out <file> is required");
  const password = process.env.CONCENTRIC_KEYSTORE_PASSWORD;
  if (!password)
    throw new CliError("set CONCENTRIC_KEYSTORE_PASSWORD to the new keystore's password");
  const { address, json } = await newKeystore(password);
  try {
    writeFileSync(values.out, json, { mode: 0o600, flag: "wx" });
  } catch (e) {
    throw new CliError(fileErrorMessage(e, values.out, "keystore"));
  }
  console.log(`${address} → ${values.out}`);
  return 0;
};

const balance: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const needsKey = positionals[0] === undefined;
  const client = await session(values, needsKey);
  const who = positionals[0]
    ? parseAddress(positionals[0], "balance <address>")
    : client.account!.address;
  const [bal, staked, reward] = await Promise.all([
    client.public.getBalance({ address: who }),
    client.contracts.staking.read.stakeOf([who]) as Promise<bigint>,
    client.contracts.epochs.read.rewardsOf([who]) as Promise<bigint>,
  ]);
  console.log(`${who}`);
  console.log(`  balance  ${formatEth(bal)}`);
  console.log(`  staked   ${formatEth(staked)}`);
  console.log(`  rewards  ${formatEth(reward)}`);
  return 0;
};

const fund: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const to = parseAddress(positionals[0], "fund <address>");
  const amount = parseEth(positionals[1], "fund <address> <eth>");
  const client = await session({ ...values, "dev-account": values["dev-account"] ?? "0" }, true);
  if (!DEVELOPMENT_CHAIN_IDS.includes(client.chainId))
    throw new CliError(`fund works on devnets only (this is chain ${client.chainId})`);
  const hash = await client.wallet!.sendTransaction({
    account: client.account!,
    to,
    value: amount,
    chain: null,
  });
  await client.public.waitForTransactionReceipt({ hash });
  const bal = await client.public.getBalance({ address: to });
  console.log(`sent ${formatEth(amount)} to ${to} (tx ${hash}); balance ${formatEth(bal)}`);
  return 0;
};

const stake: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const amount = parseEth(positionals[0], "stake <eth>");
  const client = await session(values, true);
  return run("stake", client, () => stakeAction(client, { amount }));
};

const unstake: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const amount = parseEth(positionals[0], "unstake <eth>");
  const client = await session(values, true);
  return run("requestUnstake", client, () => unstakeAction(client, { amount }));
};

const withdraw: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: COMMON });
  const client = await session(values, true);
  return run("withdraw", client, () => withdrawAction(client));
};

const registerOrchestrator: Cmd = async (args) => {
  const { values } = parseArgs({
    args,
    options: { ...COMMON, endpoint: { type: "string" }, parent: { type: "string" } },
  });
  if (!values.endpoint) throw new UsageError("--endpoint <url> is required");
  const parent = parseAddress(
    values.parent ?? "0x0000000000000000000000000000000000000000",
    "--parent",
  );
  const client = await session(values, true);
  return run("register", client, () =>
    registerOrchestratorAction(client, { endpoint: values.endpoint!, parent }),
  );
};

const approveChild: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, revoke: { type: "boolean", default: false } },
  });
  const child = parseAddress(positionals[0], "approve-child <child address>");
  const client = await session(values, true);
  return run("approveChild", client, () =>
    approveChildAction(client, { child, approved: !values.revoke }),
  );
};

const evictChild: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const child = parseAddress(positionals[0], "evict-child <child address>");
  const client = await session(values, true);
  return run("evictChild", client, () => evictChildAction(client, { child }));
};

const requestExit: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: COMMON });
  const client = await session(values, true);
  return run("requestExit", client, () => requestExitAction(client));
};

const deregister: Cmd = async (args) => {
  const { values } = parseArgs({ args, options: COMMON });
  const client = await session(values, true);
  return run("deregister", client, () => deregisterAction(client));
};

const submitJob: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      ...INPUT_OPTIONS,
      fee: { type: "string" },
      cycles: { type: "string" },
      orchestrator: { type: "string" },
    },
  });
  if (!positionals[0] || positionals.length > 1)
    throw new UsageError("submit-job needs exactly one <elf>");
  const { elf } = loadGuest(positionals[0]);
  const input = readInput(values);
  if (input.length > MAX_UPLOAD_BYTES)
    throw new CliError(
      `the input is ${input.length} bytes; a job takes at most ${MAX_UPLOAD_BYTES} (concentric limits)`,
    );
  let cycleBound: bigint | undefined;
  if (values.cycles !== undefined) {
    if (!/^[1-9][0-9]{0,12}$/.test(values.cycles))
      throw new UsageError("--cycles: a positive integer (the job's cycle bound)");
    cycleBound = BigInt(values.cycles);
  }
  const fee = values.fee !== undefined ? parseEth(values.fee, "--fee") : undefined;
  const client = await session(values, true);
  let r;
  let expected;
  try {
    const job = await prepareJob({
      elf,
      input,
      ...(cycleBound !== undefined ? { cycleBound } : {}),
      ...(fee !== undefined ? { fee } : {}),
    });
    expected = job.expected;
    r = await submitJobAction(client, job);
  } catch (e) {
    throw explain(e, client);
  }
  console.log(
    `checked locally: exit ${expected.exitCode}, ${expected.cycles} cycles, output ${Buffer.from(expected.output).toString("hex") || "(none)"}`,
  );
  console.log(`image ${formatDigest(r.imageId)}`);
  if (r.imageTransaction) printTx("registerImage", r.imageTransaction);
  console.log(`cycle bound ${r.cycleBound}, fee ${formatEth(r.fee)}`);
  printTx("submitJob", r.transaction);
  console.log(`job ${r.jobId}: follow it with concentric job ${r.jobId} --wait`);
  if (!r.inputOnChain) {
    if (values.orchestrator)
      return deliverInput(values.orchestrator, client, Number(r.jobId), input);
    console.log(
      `  the ${input.length}-byte input is committed by digest; deliver its bytes with ` +
        `concentric provide-input ${r.jobId} <file> --orchestrator <url>`,
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
  client: ConcentricClient,
  jobId: number,
  input: Uint8Array,
): Promise<number> {
  if (input.length > MAX_UPLOAD_BYTES)
    throw new CliError(
      `the input is ${input.length} bytes; orchestrators take at most ${MAX_UPLOAD_BYTES}`,
    );
  const { ApiError, OrchestratorClient } = await import("../orchestrator/client.ts");
  const api = new OrchestratorClient(
    url,
    client.account as ConstructorParameters<typeof OrchestratorClient>[1],
  );
  for (let attempt = 0, wait = 500; ; attempt++, wait = Math.min(wait * 2, 10_000)) {
    try {
      const r = await api.provideInput(jobId, input);
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
    throw new UsageError("provide-input <job id> <file> --orchestrator <url> is required");
  const input = readFileOrExplain(file, "input file");
  const client = await session(values, true);
  return deliverInput(values.orchestrator, client, Number(id), input);
};

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString();

/** What the orchestrator that will settle a job says about it (its /v1/jobs/:id), if reachable. */
async function orchestratorView(
  client: ConcentricClient,
  j: JobView,
  url?: string,
): Promise<
  { url: string; job?: { status: string; error?: string | null }; missing?: boolean } | undefined
> {
  let endpoint = url;
  if (!endpoint) {
    const assigned = (await client.contracts.epochs.read.assignedSubmitter([j.epoch])) as Hex;
    if (/^0x0{40}$/.test(assigned)) return undefined;
    const o = (await client.contracts.registry.read.orchestrator([assigned])) as {
      endpoint: string;
    };
    endpoint = o.endpoint;
  }
  if (!endpoint) return undefined;
  try {
    const r = await fetch(`${endpoint.replace(/\/+$/, "")}/v1/jobs/${j.jobId}`, {
      signal: AbortSignal.timeout(3000),
    });
    if (r.status === 404) return { url: endpoint, missing: true };
    if (!r.ok) return undefined;
    return { url: endpoint, job: (await r.json()) as { status: string; error?: string | null } };
  } catch {
    return undefined;
  }
}

/**
 * Why a pending job has not settled, one reason per line: a trap (re-executed here from the
 * published ELF and the on-chain input, with the function of the pc), its epoch's state, what
 * its orchestrator says, and when it becomes refundable.
 */
async function whyPending(
  client: ConcentricClient,
  j: JobView,
  o: { orchestrator?: string; input?: Uint8Array },
): Promise<string[]> {
  const lines: string[] = [];
  const now = (await client.public.getBlock()).timestamp;
  const input = o.input ?? (await onChainInput(client, j.jobId));
  if (input !== undefined) {
    const elf = await publishedElf(client, j.imageId);
    if (elf) {
      const { loadElf } = await import("../prover/executor/index.ts");
      const { steppedRun, trapReport, functionSymbols } = await import("./guest-tools.ts");
      const run = steppedRun(loadElf(elf), input, { maxCycles: Number(j.cycleBound) + 1 });
      if (run.trap) {
        lines.push("it can never settle: the guest traps on its input, so no proof exists:");
        for (const l of trapReport(run, functionSymbols(elf))) lines.push(`  ${l}`);
      } else if (run.result && BigInt(run.result.cycles) > j.cycleBound)
        lines.push(
          `it can never settle: the run takes ${run.result.cycles} cycles, over its bound ${j.cycleBound}`,
        );
    }
  } else
    lines.push(
      "its input is committed by digest only: its bytes must reach the orchestrator (concentric provide-input)",
    );
  const [end, deadline, rec] = await Promise.all([
    client.contracts.epochs.read.epochEnd([j.epoch]) as Promise<bigint>,
    client.contracts.epochs.read.deadline([j.epoch]) as Promise<bigint>,
    client.contracts.epochs.read.epochRecord([j.epoch]) as Promise<{ submitter: string }>,
  ]);
  const submitted = !/^0x0{40}$/.test(rec.submitter);
  if (now < end)
    lines.push(`waiting for epoch ${j.epoch} to end at ${iso(end)} (in ${end - now} s)`);
  else if (!submitted && now <= deadline)
    lines.push(`epoch ${j.epoch} ended; its Universal Proof is due by ${iso(deadline)}`);
  else if (!submitted)
    lines.push(
      `epoch ${j.epoch} missed its deadline (${iso(deadline)}): no Universal Proof was submitted; ` +
        `slashable with concentric slash-missed ${j.epoch} (a later epoch's proof may still carry the job)`,
    );
  else
    lines.push(
      `epoch ${j.epoch}'s Universal Proof was submitted without this job; a later epoch's proof may carry it`,
    );
  const view = await orchestratorView(client, j, o.orchestrator);
  if (view?.missing) lines.push(`the orchestrator at ${view.url} does not know the job (yet)`);
  else if (view?.job)
    lines.push(
      `the orchestrator at ${view.url} says: ${view.job.status}${view.job.error ? ` (${view.job.error})` : ""}`,
    );
  lines.push(
    now >= j.refundableAt
      ? `refundable now: concentric refund ${j.jobId}`
      : `refundable from ${iso(j.refundableAt)} (in ${j.refundableAt - now} s) with concentric refund ${j.jobId}`,
  );
  return lines;
}

function printJob(j: JobView) {
  console.log(`job ${j.jobId}: ${j.status}`);
  console.log(`  requester ${j.requester}, epoch ${j.epoch}, fee ${formatEth(j.fee)}`);
  console.log(`  image        ${formatDigest(j.imageId)}`);
  console.log(`  input digest ${formatDigest(j.inputDigest)}`);
  if (j.result)
    console.log(
      `  result: exit ${j.result.exitCode}, ${j.result.cycles} cycles, proven in epoch ${j.result.epoch}\n` +
        `  output digest ${formatDigest(j.result.outputDigest)}`,
    );
}

const job: Cmd = async (args) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      ...INPUT_OPTIONS,
      wait: { type: "boolean", default: false },
      timeout: { type: "string" },
      expect: { type: "string" },
      orchestrator: { type: "string" },
    },
  });
  if (!positionals[0] || !/^[0-9]+$/.test(positionals[0]))
    throw new UsageError("job <id>: a job number");
  if (values.expect !== undefined && !/^(0x)?([0-9a-fA-F]{2})*$/.test(values.expect))
    throw new UsageError("--expect: the expected output as hex bytes");
  const timeout = values.timeout !== undefined ? Number(values.timeout) : undefined;
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError("--timeout: seconds, > 0");
  const given = [values.input, values["input-hex"], values["input-u32"]].some(
    (v) => v !== undefined,
  );
  const input = given ? readInput(values) : undefined;
  const jobId = BigInt(positionals[0]);
  const client = await session(values, false);
  let j: JobView;
  try {
    j = await readJob(client, { jobId });
  } catch (e) {
    const r = e instanceof RevertError ? e : asRevertError("job", e);
    if (r?.errorName === "Jobs__UnknownJob") throw new CliError(`job ${jobId} does not exist`, 1);
    throw e;
  }
  if (values.wait && j.status === "pending") {
    // Wait for the job's epoch: a bar over its window and deadline, then poll.
    const startedAt = Date.now();
    const end = (await client.contracts.epochs.read.deadline([j.epoch])) as bigint;
    const now0 = (await client.public.getBlock()).timestamp;
    const total = Math.max(1, Number(end - now0));
    const bar = progress(`job ${jobId} (epoch ${j.epoch})`, total, "s to the deadline");
    let lastNote = "";
    while (j.status === "pending") {
      if (timeout !== undefined && Date.now() - startedAt > timeout * 1000) {
        bar.stop();
        console.error(`job ${jobId} is still pending after ${timeout} s:`);
        for (const l of await whyPending(client, j, { ...(input ? { input } : {}) }))
          console.error(`  ${l}`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 1000));
      j = await readJob(client, { jobId });
      const now = (await client.public.getBlock()).timestamp;
      const note = now < end ? "waiting for the epoch's Universal Proof" : "past the deadline";
      bar.update(Math.min(total, Number(now - now0)), note !== lastNote ? note : undefined);
      lastNote = note;
    }
    bar.stop();
  }
  printJob(j);
  if (j.status === "pending") {
    console.log("  not settled yet:");
    const why = await whyPending(client, j, {
      ...(input ? { input } : {}),
      ...(values.orchestrator ? { orchestrator: values.orchestrator } : {}),
    });
    for (const l of why) console.log(`  - ${l}`);
    return 0;
  }
  if (j.status === "refunded") return values.wait || values.expect !== undefined ? 1 : 0;
  if (values.expect !== undefined) {
    const expected = new Uint8Array(Buffer.from(values.expect.replace(/^0x/, ""), "hex"));
    const ok = (await outputDigest(expected)) === j.result!.outputDigest;
    console.log(
      ok
        ? `  output is the expected ${Buffer.from(expected).toString("hex")}`
        : `  output is NOT ${Buffer.from(expected).toString("hex")} (its digest differs)`,
    );
    return ok ? 0 : 1;
  }
  return 0;
};

const refund: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (!positionals[0] || !/^[0-9]+$/.test(positionals[0]))
    throw new UsageError("refund <job>: a job number");
  const client = await session(values, true);
  return run("refund", client, () => refundJob(client, { jobId: BigInt(positionals[0]!) }));
};

const epoch: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (positionals[0] !== undefined && !/^[0-9]+$/.test(positionals[0]))
    throw new UsageError("epoch [<n>]: an epoch number");
  const client = await session(values, false);
  const c = client.contracts;
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
  const now = (await client.public.getBlock()).timestamp;
  console.log(`epoch ${n}: ends ${iso(end)}, deadline ${iso(deadline)}, assigned ${assigned}`);
  console.log(`  jobs submitted in it still pending: ${pending}`);
  if (rec.submitter !== "0x0000000000000000000000000000000000000000")
    console.log(
      `  Universal Proof by ${rec.submitter} at ${iso(rec.submittedAt)}: ${rec.jobs} jobs, ${rec.chunks} chunks`,
    );
  else if (now > deadline && pending > 0n)
    console.log(`  no Universal Proof and the deadline has passed: concentric slash-missed ${n}`);
  else console.log("  no Universal Proof yet");
  if (rec.slashed) console.log("  the assigned submitter was slashed");
  return 0;
};

const slashMissed: Cmd = async (args) => {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (!positionals[0] || !/^[0-9]+$/.test(positionals[0]))
    throw new UsageError("slash-missed <epoch>: an epoch number");
  const client = await session(values, true);
  return run("slashMissed", client, () =>
    slashMissedAction(client, { epoch: BigInt(positionals[0]!) }),
  );
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
  const who =
    positionals[0] !== undefined ? parseAddress(positionals[0], "rewards <address>") : undefined;
  const to = values.to !== undefined ? parseAddress(values.to, "--to") : undefined;
  const needsKey = values.withdraw || who === undefined;
  const client = await session(values, needsKey);
  const address = who ?? client.account!.address;
  console.log(`rewards of ${address}: ${formatEth(await rewardsOf(client, { address }))}`);
  if (!values.withdraw) return 0;
  // --to: pay another address (a prover address that is a contract refusing ETH, say)
  return run("withdrawRewards", client, () => withdrawRewards(client, { ...(to ? { to } : {}) }));
};

export const chainCommands: Record<string, Cmd> = {
  "keystore-new": keystoreNew,
  balance,
  fund,
  stake,
  unstake,
  withdraw,
  "register-orchestrator": registerOrchestrator,
  "approve-child": approveChild,
  "evict-child": evictChild,
  "request-exit": requestExit,
  deregister,
  "provide-input": provideInput,
  "submit-job": submitJob,
  job,
  refund,
  epoch,
  "slash-missed": slashMissed,
  rewards,
};
