/**
 * The app SDK's chain actions, in viem's shape: plain functions that take a
 * {@link ConcentricClient} and one parameters object, with exported `…Parameters` and
 * `…ReturnType` types. The CLI (scripts/chain-cli.ts) calls these same functions.
 *
 * @example
 * import { createConcentricClient, submitJob, waitForJob } from "concentric";
 * const client = await createConcentricClient({ rpc: "http://127.0.0.1:8545", account });
 * const { jobId } = await submitJob(client, { elf, input });
 * const r = await waitForJob(client, { jobId, elf, input });
 * console.log(r.exitCode, r.cycles, Buffer.from(r.output!).toString("hex"));
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  type Account,
  type Hex,
  type PublicClient,
} from "viem";
import {
  execute,
  getPoseidon,
  imageIdOf,
  imageOpening,
  inputDigest as inputDigestOf,
  loadElf,
  outputDigest as outputDigestOf,
  Trap,
  type ProgramImage,
} from "../prover/executor/index.ts";
import {
  artifactAbi,
  CONTRACT_NAMES,
  connect,
  contracts,
  loadDeployment,
  walletClient,
  type Deployment,
} from "./chain.ts";

/** Inputs up to this many bytes are stored on chain with the job (JobRegistry.MAX_INPUT_BYTES). */
export const MAX_INLINE_INPUT_BYTES = 64;

/** One error class for the SDK's failures: a one-line `shortMessage`, optional `details`. */
export class ConcentricError extends Error {
  override name = "ConcentricError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(opts.details ? `${shortMessage}\n${opts.details}` : shortMessage, { cause: opts.cause });
    this.shortMessage = shortMessage;
    this.details = opts.details;
  }
}

/** A contract reverted: `reason` is its custom error with arguments, e.g. `Jobs__FeeTooLow(1, 2)`. */
export class RevertError extends ConcentricError {
  override name = "RevertError";
  constructor(
    readonly action: string,
    readonly reason: string,
    readonly errorName: string | undefined,
    readonly args: readonly unknown[],
    readonly argNames: readonly string[],
    cause?: unknown,
  ) {
    super(`${action}: reverted: ${reason}`, { cause });
  }
}

/** The account cannot pay for what it sends. */
export class InsufficientFundsError extends ConcentricError {
  override name = "InsufficientFundsError";
  constructor(
    readonly address: Hex,
    readonly balance: bigint,
    readonly needed: bigint,
  ) {
    super(`insufficient funds: ${address} has ${balance} wei, needs at least ${needed} wei`);
  }
}

/** A guest that cannot settle: it traps, or exceeds a limit. */
export class GuestError extends ConcentricError {
  override name = "GuestError";
}

/** Everything an action needs: the clients, the deployment and (to send) an account. */
export interface ConcentricClient {
  public: PublicClient;
  wallet?: ReturnType<typeof walletClient>;
  account?: Account;
  deployment: Deployment;
  contracts: ReturnType<typeof contracts>;
  chainId: number;
}

export interface CreateConcentricClientParameters {
  /** JSON-RPC URL (default http://127.0.0.1:8545). */
  rpc?: string;
  /** deployments/<chainId>.json by default. */
  deploymentFile?: string;
  /** The deployment record itself (instead of a file). */
  deployment?: Deployment;
  /** A viem local account (privateKeyToAccount, or loadAccount from client/chain.ts). */
  account?: Account;
}

/**
 * Connects to a chain and a Concentric deployment.
 * @example const client = await createConcentricClient({ rpc, account: privateKeyToAccount(key) });
 */
export async function createConcentricClient(
  p: CreateConcentricClientParameters = {},
): Promise<ConcentricClient> {
  const rpc = p.rpc ?? "http://127.0.0.1:8545";
  const { chain, chainId, publicClient } = await connect(rpc);
  const deployment = p.deployment ?? loadDeployment(chainId, p.deploymentFile);
  const wallet = p.account
    ? walletClient(chain, rpc, p.account as Parameters<typeof walletClient>[2])
    : undefined;
  return {
    public: publicClient,
    ...(wallet ? { wallet } : {}),
    ...(p.account ? { account: p.account } : {}),
    deployment,
    contracts: contracts(deployment, { public: publicClient, ...(wallet ? { wallet } : {}) }),
    chainId,
  };
}

function needAccount(client: ConcentricClient): Account {
  if (!client.account || !client.wallet)
    throw new ConcentricError("this action sends a transaction: create the client with an account");
  return client.account;
}

/** A revert as a RevertError (custom error name and named arguments), else undefined. */
export function asRevertError(action: string, e: unknown): RevertError | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (r instanceof ContractFunctionRevertedError) {
    const name = r.data?.errorName;
    const args = (r.data?.args ?? []) as readonly unknown[];
    const inputs = (r.data?.abiItem as { inputs?: { name?: string }[] } | undefined)?.inputs ?? [];
    const reason = name
      ? `${name}(${args.map((a) => String(a)).join(", ")})`
      : (r.reason ?? r.shortMessage);
    return new RevertError(
      action,
      reason,
      name,
      args,
      inputs.map((i) => i.name ?? ""),
      e,
    );
  }
  return undefined;
}

export interface SendReturnType {
  hash: Hex;
  status: "success" | "reverted";
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
}

/**
 * Sends one contract call: checks the balance covers `value` first (an unfunded account gets
 * InsufficientFundsError, not a node's "Missing or invalid parameters"), throws RevertError
 * with the contract's custom error, and waits for the receipt.
 */
export async function send(
  client: ConcentricClient,
  action: string,
  call: (account: Account) => Promise<Hex>,
  value = 0n,
): Promise<SendReturnType> {
  const account = needAccount(client);
  const balance = await client.public.getBalance({ address: account.address });
  // The gas of any of these calls costs far more than 0 wei: an empty account cannot send.
  if (balance === 0n || balance < value)
    throw new InsufficientFundsError(account.address, balance, value);
  let hash: Hex;
  try {
    hash = await call(account);
  } catch (e) {
    const revert = asRevertError(action, e);
    if (revert) throw revert;
    const short = (e as { shortMessage?: string }).shortMessage;
    if (short && /insufficient funds|exceeds the balance/i.test(short))
      throw new InsufficientFundsError(account.address, balance, value);
    throw e;
  }
  const receipt = await client.public.waitForTransactionReceipt({ hash });
  return {
    hash,
    status: receipt.status,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    receipt,
  };
}

/** The image ID of an ELF (0x-free bigint; print it with 64 hex digits). */
export async function imageIdOfElf(elf: Uint8Array): Promise<bigint> {
  return imageIdOf(await getPoseidon(), await imageOpening(loadElf(elf)));
}

export interface RegisterImageParameters {
  elf: Uint8Array;
}
export interface RegisterImageReturnType {
  imageId: bigint;
  /** Undefined when the image was registered already (nothing sent). */
  transaction?: SendReturnType;
}

/**
 * Registers a program image (its ELF is published in an event) unless it is registered.
 * @example const { imageId } = await registerImage(client, { elf });
 */
export async function registerImage(
  client: ConcentricClient,
  { elf }: RegisterImageParameters,
): Promise<RegisterImageReturnType> {
  const image = loadElf(elf);
  const o = await imageOpening(image);
  const imageId = imageIdOf(await getPoseidon(), o);
  const known = (await client.contracts.jobs.read.image([imageId])) as { registered: boolean };
  if (known.registered) return { imageId };
  const args = [
    o.entry,
    o.memorySize,
    o.codeStart,
    o.codeEnd,
    o.initRoot,
    `0x${Buffer.from(elf).toString("hex")}`,
  ] as const;
  const transaction = await send(client, "registerImage", (account) =>
    client.contracts.jobs.write.registerImage(args, { account }),
  );
  return { imageId, transaction };
}

/** What a local run of a guest says about a job before it is paid for. */
export interface CheckedRun {
  cycles: number;
  exitCode: number;
  output: Uint8Array;
}

/**
 * Runs the guest here (the executor is the reference semantics): a trap or a limit a job
 * cannot meet is a GuestError before any fee is paid.
 */
export function checkGuest(
  image: ProgramImage,
  input: Uint8Array,
  maxInputBytes = 64 * 1024,
): CheckedRun {
  if (input.length > maxInputBytes)
    throw new GuestError(
      `the input is ${input.length} bytes; a job takes at most ${maxInputBytes} (concentric limits)`,
    );
  try {
    const r = execute(image, input);
    return { cycles: r.cycles, exitCode: r.exitCode, output: r.output };
  } catch (e) {
    if (e instanceof Trap)
      throw new GuestError(
        `the guest traps on this input, so no proof can settle the job: ${e.message} (run concentric exec for a report)`,
        { cause: e },
      );
    throw e;
  }
}

export interface SubmitJobParameters {
  elf: Uint8Array;
  input?: Uint8Array;
  /** The declared cycle bound (default: the cycles the run takes, executed here). */
  cycleBound?: bigint;
  /** The fee in wei (default: JobRegistry.feeFor(cycleBound)). */
  fee?: bigint;
}
export interface SubmitJobReturnType {
  jobId: bigint;
  imageId: bigint;
  inputDigest: bigint;
  cycleBound: bigint;
  fee: bigint;
  /** True when the input is stored on chain; else its bytes must reach the orchestrator. */
  inputOnChain: boolean;
  transaction: SendReturnType;
  imageTransaction?: SendReturnType;
  /** The local run (exit code, cycles, output) the job should settle with. */
  expected: CheckedRun;
}

/**
 * Checks the guest locally, registers its image if new and submits a job.
 * @example const { jobId, expected } = await submitJob(client, { elf, input: new Uint8Array([7, 0, 0, 0]) });
 */
export async function submitJob(
  client: ConcentricClient,
  p: SubmitJobParameters,
): Promise<SubmitJobReturnType> {
  const input = p.input ?? new Uint8Array();
  const image = loadElf(p.elf);
  const expected = checkGuest(image, input);
  const cycleBound = p.cycleBound ?? BigInt(Math.max(1, expected.cycles));
  if (cycleBound < BigInt(expected.cycles))
    throw new GuestError(
      `the cycle bound ${cycleBound} is below the ${expected.cycles} cycles the run takes`,
    );
  const fee = p.fee ?? ((await client.contracts.jobs.read.feeFor([cycleBound])) as bigint);
  const reg = await registerImage(client, { elf: p.elf });
  const digest = await inputDigestOf(input);
  const inputOnChain = input.length <= MAX_INLINE_INPUT_BYTES;
  const transaction = await send(
    client,
    "submitJob",
    (account) =>
      inputOnChain
        ? client.contracts.jobs.write.submitJobWithInput(
            [reg.imageId, `0x${Buffer.from(input).toString("hex")}`, cycleBound],
            { value: fee, account },
          )
        : client.contracts.jobs.write.submitJob([reg.imageId, digest, cycleBound], {
            value: fee,
            account,
          }),
    fee,
  );
  const abi = artifactAbi(CONTRACT_NAMES.jobs);
  const { parseEventLogs } = await import("viem");
  const ev = parseEventLogs({ abi, logs: transaction.receipt.logs, eventName: "JobSubmitted" })[0];
  const jobId = (ev?.args as { jobId?: bigint } | undefined)?.jobId;
  if (jobId === undefined) throw new ConcentricError("submitJob: no JobSubmitted event");
  return {
    jobId,
    imageId: reg.imageId,
    inputDigest: digest,
    cycleBound,
    fee,
    inputOnChain,
    transaction,
    ...(reg.transaction ? { imageTransaction: reg.transaction } : {}),
    expected,
  };
}

export const JOB_STATUS = ["none", "pending", "settled", "refunded"] as const;

export interface JobView {
  jobId: bigint;
  status: (typeof JOB_STATUS)[number];
  requester: Hex;
  submittedAt: bigint;
  epoch: bigint;
  imageId: bigint;
  inputDigest: bigint;
  fee: bigint;
  cycleBound: bigint;
  /** Chunk proofs the job reserved of its epoch's room (from its cycle bound). */
  maxChunks: number;
  /** The run's first state digest S_0 (image and input), as the chain computed it. */
  s0: bigint;
  /** When a pending job may be refunded (unix seconds). */
  refundableAt: bigint;
  result?: { exitCode: number; cycles: bigint; epoch: bigint; outputDigest: bigint };
}

/**
 * A job as the chain holds it.
 * @example const j = await readJob(client, { jobId: 3n }); if (j.status === "settled") …
 */
export async function readJob(
  client: ConcentricClient,
  { jobId }: { jobId: bigint },
): Promise<JobView> {
  let j;
  try {
    j = (await client.contracts.jobs.read.job([jobId])) as {
      requester: Hex;
      submittedAt: bigint;
      epoch: bigint;
      status: number;
      imageId: bigint;
      inputDigest: bigint;
      fee: bigint;
      cycleBound: bigint;
      maxChunks: number;
      s0: bigint;
      result: { exitCode: number; cycles: bigint; epoch: bigint; outputDigest: bigint };
    };
  } catch (e) {
    throw asRevertError("job", e) ?? e;
  }
  const timeout = (await client.contracts.jobs.read.REFUND_TIMEOUT()) as bigint;
  const status = JOB_STATUS[j.status] ?? "none";
  return {
    jobId,
    status,
    requester: j.requester,
    submittedAt: BigInt(j.submittedAt),
    epoch: BigInt(j.epoch),
    imageId: j.imageId,
    inputDigest: j.inputDigest,
    fee: j.fee,
    cycleBound: BigInt(j.cycleBound),
    maxChunks: Number(j.maxChunks),
    s0: BigInt(j.s0),
    refundableAt: BigInt(j.submittedAt) + BigInt(timeout),
    ...(status === "settled"
      ? {
          result: {
            exitCode: Number(j.result.exitCode),
            cycles: BigInt(j.result.cycles),
            epoch: BigInt(j.result.epoch),
            outputDigest: j.result.outputDigest,
          },
        }
      : {}),
  };
}

/** The ELF published when `imageId` was registered (from its ImageRegistered event). */
export async function publishedElf(
  client: ConcentricClient,
  imageId: bigint,
): Promise<Uint8Array | undefined> {
  const logs = await client.public.getContractEvents({
    address: client.deployment.contracts.jobs,
    abi: artifactAbi(CONTRACT_NAMES.jobs),
    eventName: "ImageRegistered",
    args: { imageId },
    fromBlock: BigInt(client.deployment.block),
  });
  const elf = (logs[0]?.args as { elf?: Hex } | undefined)?.elf;
  return elf ? new Uint8Array(Buffer.from(elf.slice(2), "hex")) : undefined;
}

/** The input bytes stored on chain with a job (JobInput event), or undefined. */
export async function onChainInput(
  client: ConcentricClient,
  jobId: bigint,
): Promise<Uint8Array | undefined> {
  const logs = await client.public.getContractEvents({
    address: client.deployment.contracts.jobs,
    abi: artifactAbi(CONTRACT_NAMES.jobs),
    eventName: "JobInput",
    args: { jobId },
    fromBlock: BigInt(client.deployment.block),
  });
  const input = (logs[0]?.args as { input?: Hex } | undefined)?.input;
  return input !== undefined ? new Uint8Array(Buffer.from(input.slice(2), "hex")) : undefined;
}

export interface WaitForJobParameters {
  jobId: bigint;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** The job's input, when it is not on chain: lets the output bytes be recovered. */
  input?: Uint8Array;
  /** Called after every poll with the job as it stands. */
  onPoll?: (job: JobView) => void;
}
export interface WaitForJobReturnType {
  jobId: bigint;
  exitCode: number;
  cycles: bigint;
  epoch: bigint;
  outputDigest: bigint;
  /**
   * The output bytes: the published ELF re-executed on the job's input, checked against the
   * settled output digest (undefined when the input is neither on chain nor given).
   */
  output?: Uint8Array;
  /** The transaction that settled the job (the epoch's Universal Proof). */
  transactionHash: Hex;
  blockNumber: bigint;
}

/**
 * Waits until a job settles and resolves with its result; rejects with ConcentricError when
 * it is refunded or the timeout passes.
 * @example const { exitCode, output } = await waitForJob(client, { jobId });
 */
export async function waitForJob(
  client: ConcentricClient,
  p: WaitForJobParameters,
): Promise<WaitForJobReturnType> {
  const start = Date.now();
  for (;;) {
    const j = await readJob(client, { jobId: p.jobId });
    p.onPoll?.(j);
    if (j.status === "refunded") throw new ConcentricError(`job ${p.jobId} was refunded`);
    if (j.status === "settled") return settledResult(client, j, p.input);
    if (p.timeoutMs !== undefined && Date.now() - start > p.timeoutMs)
      throw new ConcentricError(`job ${p.jobId} is still ${j.status} after ${p.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, p.pollMs ?? 1000));
  }
}

async function settledResult(
  client: ConcentricClient,
  j: JobView,
  givenInput?: Uint8Array,
): Promise<WaitForJobReturnType> {
  const r = j.result!;
  const logs = await client.public.getContractEvents({
    address: client.deployment.contracts.jobs,
    abi: artifactAbi(CONTRACT_NAMES.jobs),
    eventName: "JobSettled",
    args: { jobId: j.jobId },
    fromBlock: BigInt(client.deployment.block),
  });
  const log = logs[0];
  let output: Uint8Array | undefined;
  const input = givenInput ?? (await onChainInput(client, j.jobId));
  const elf = input !== undefined ? await publishedElf(client, j.imageId) : undefined;
  if (elf && input) {
    try {
      const run = execute(loadElf(elf), input);
      if ((await outputDigestOf(run.output)) === r.outputDigest) output = run.output;
    } catch {
      /* the output stays unknown */
    }
  }
  return {
    jobId: j.jobId,
    exitCode: r.exitCode,
    cycles: r.cycles,
    epoch: r.epoch,
    outputDigest: r.outputDigest,
    ...(output ? { output } : {}),
    transactionHash: (log?.transactionHash ?? "0x") as Hex,
    blockNumber: log?.blockNumber ?? 0n,
  };
}

/** Refunds a pending job's fee to its requester once its refund timeout has passed. */
export async function refundJob(client: ConcentricClient, { jobId }: { jobId: bigint }) {
  return send(client, "refund", (account) =>
    client.contracts.jobs.write.refund([jobId], { account }),
  );
}

/**
 * Stakes `amount` wei of the account's ETH.
 * @example await stake(client, { amount: parseEther("1") });
 */
export async function stake(client: ConcentricClient, { amount }: { amount: bigint }) {
  return send(
    client,
    "stake",
    (account) => client.contracts.staking.write.stake({ value: amount, account }),
    amount,
  );
}

/** Starts unbonding `amount` wei of stake. */
export async function unstake(client: ConcentricClient, { amount }: { amount: bigint }) {
  return send(client, "requestUnstake", (account) =>
    client.contracts.staking.write.requestUnstake([amount], { account }),
  );
}

/** Withdraws unbonded stake. */
export async function withdraw(client: ConcentricClient) {
  return send(client, "withdraw", (account) =>
    client.contracts.staking.write.withdraw({ account }),
  );
}

/** Rewards credited to `address` (default: the client's account), in wei. */
export async function rewards(
  client: ConcentricClient,
  p: { address?: Hex } = {},
): Promise<bigint> {
  const who = p.address ?? client.account?.address;
  if (!who)
    throw new ConcentricError("rewards: give an address or create the client with an account");
  return (await client.contracts.epochs.read.rewardsOf([who])) as bigint;
}

/** Withdraws the account's rewards (to `to`, default itself). */
export async function withdrawRewards(client: ConcentricClient, p: { to?: Hex } = {}) {
  return send(client, "withdrawRewards", (account) =>
    p.to
      ? client.contracts.epochs.write.withdrawRewardsTo([p.to], { account })
      : client.contracts.epochs.write.withdrawRewards({ account }),
  );
}
