/**
 * The app SDK's chain actions, in viem's shape: plain functions that take a
 * {@link ConcentricClient} and one parameters object, with exported `…Parameters` and
 * `…ReturnType` types. One client for everyone: the CLI (scripts/chain-cli.ts), the
 * orchestrator, the tests and the web app (web/src, through a browser wallet) call these same
 * functions.
 *
 * Browser-safe: no node builtins, no executor. What needs either lives beside it —
 * client/chain.ts connects over HTTP with keys and files (`createConcentricClient`),
 * client/guest.ts runs a guest locally to prepare a job (`prepareJob`) and recovers a settled
 * job's output bytes (`jobOutput`). The web app takes those prepared values from its
 * orchestrator instead.
 *
 * Every write is simulated first (`eth_call`), so a revert throws {@link RevertError} with the
 * contract's custom error by name before anything is signed — by a local key or by a person in
 * a browser wallet.
 *
 * @example
 * // node: HTTP and a key
 * import { createConcentricClient } from "concentric/chain";
 * const client = await createConcentricClient({ rpc: "http://127.0.0.1:8545", account });
 * // browser: an injected wallet, the deployment and ABIs an orchestrator serves
 * const client = concentricClient({ transport: custom(window.ethereum), account, deployment, abis });
 * await stake(client, { amount: parseEther("2") });
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  bytesToHex,
  hexToBytes,
  parseEventLogs,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  chainOf,
  contracts as bindContracts,
  type ContractAbis,
  type ContractKey,
  type Contracts,
  type Deployment,
} from "./contracts.ts";

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

/** A wallet (a JSON-RPC account) is on another chain than the deployment's. */
export class WrongChainError extends ConcentricError {
  override name = "WrongChainError";
  constructor(
    readonly walletChainId: number,
    readonly chainId: number,
  ) {
    super(`the wallet is on chain ${walletChainId}; the deployment is on chain ${chainId}`);
  }
}

/** Everything an action needs: the clients, the deployment and its ABIs, and (to send) an account. */
export interface ConcentricClient {
  public: PublicClient;
  wallet?: WalletClient;
  account?: Account;
  deployment: Deployment;
  abis: ContractAbis;
  contracts: Contracts;
  chainId: number;
}

export type ConcentricClientParameters = {
  deployment: Deployment;
  /** Each contract's ABI with the system's errors (client/chain.ts `loadAbis`, or `/v1/app/config`). */
  abis: ContractAbis;
} & (
  | {
      /** viem clients: a public client, and a wallet client with an account to send. */
      public: PublicClient;
      wallet?: WalletClient;
    }
  | {
      /** A transport: `custom(window.ethereum)` for a browser wallet, or `http(rpc)`. */
      transport: Transport;
      /** The sending account: an address the wallet signs for, or a viem local account. */
      account?: Address | Account;
      /** How often to poll for receipts (ms; viem's default is 4000). */
      pollingInterval?: number;
    }
);

/**
 * A client over viem clients, or over one transport (a browser wallet's EIP-1193 provider
 * through `custom`). The chain is the deployment's.
 * @example const client = concentricClient({ transport: custom(window.ethereum), account, deployment, abis });
 */
export function concentricClient(p: ConcentricClientParameters): ConcentricClient {
  let publicClient: PublicClient;
  let wallet: WalletClient | undefined;
  if ("transport" in p) {
    const chain = chainOf(p.deployment.chainId);
    const polling = p.pollingInterval !== undefined ? { pollingInterval: p.pollingInterval } : {};
    publicClient = createPublicClient({
      chain,
      transport: p.transport,
      ...polling,
    }) as PublicClient;
    wallet = p.account
      ? createWalletClient({ chain, transport: p.transport, account: p.account, ...polling })
      : undefined;
  } else {
    publicClient = p.public;
    wallet = p.wallet;
  }
  return {
    public: publicClient,
    ...(wallet ? { wallet } : {}),
    ...(wallet?.account ? { account: wallet.account } : {}),
    deployment: p.deployment,
    abis: p.abis,
    contracts: bindContracts(
      { contracts: p.deployment.contracts, abis: p.abis },
      { public: publicClient, ...(wallet ? { wallet } : {}) },
    ),
    chainId: p.deployment.chainId,
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

/** One contract call to send: which contract, which function, its arguments and ETH. */
export interface ContractCall {
  contract: ContractKey;
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
}

export interface SendReturnType {
  hash: Hex;
  status: "success" | "reverted";
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
}

/**
 * Sends one contract call and waits for its receipt. First: a wallet on another chain is
 * WrongChainError; a balance that cannot cover `value` (or any gas) is InsufficientFundsError
 * (not a node's "Missing or invalid parameters"); then the call is simulated, so a revert is
 * RevertError with the contract's custom error before the key or the wallet signs.
 * @example await send(client, { contract: "epochs", functionName: "slashMissed", args: [3n] });
 */
export async function send(client: ConcentricClient, call: ContractCall): Promise<SendReturnType> {
  const account = needAccount(client);
  const wallet = client.wallet!;
  const action = call.functionName;
  const value = call.value ?? 0n;
  if (account.type === "json-rpc") {
    const on = await wallet.getChainId();
    if (on !== client.chainId) throw new WrongChainError(on, client.chainId);
  }
  const balance = await client.public.getBalance({ address: account.address });
  // The gas of any of these calls costs far more than 0 wei: an empty account cannot send.
  if (balance === 0n || balance < value)
    throw new InsufficientFundsError(account.address, balance, value);
  let hash: Hex;
  try {
    const { request } = await client.public.simulateContract({
      account,
      address: client.deployment.contracts[call.contract],
      abi: client.abis[call.contract],
      functionName: call.functionName,
      args: call.args ?? [],
      ...(call.value !== undefined ? { value: call.value } : {}),
    });
    hash = await wallet.writeContract(request as Parameters<WalletClient["writeContract"]>[0]);
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

/** The arguments of JobRegistry.registerImage: the image's opening and its ELF bytes. */
export interface ImageRegistration {
  entry: number;
  memorySize: number;
  codeStart: number;
  codeEnd: number;
  initRoot: bigint | string;
  elf: Hex;
}

export interface RegisterImageParameters {
  /** The image ID the registration hashes to (client/guest.ts `imageRegistration`, or an orchestrator's). */
  imageId: bigint;
  image: ImageRegistration;
}
export interface RegisterImageReturnType {
  imageId: bigint;
  /** Undefined when the image was registered already (nothing sent). */
  transaction?: SendReturnType;
}

/**
 * Registers a program image (its ELF is published in an event) unless it is registered.
 * @example const { imageId } = await registerImage(client, await imageRegistration(elf));
 */
export async function registerImage(
  client: ConcentricClient,
  { imageId, image }: RegisterImageParameters,
): Promise<RegisterImageReturnType> {
  if (await imageRegistered(client, { imageId })) return { imageId };
  const transaction = await send(client, {
    contract: "jobs",
    functionName: "registerImage",
    args: [
      image.entry,
      image.memorySize,
      image.codeStart,
      image.codeEnd,
      BigInt(image.initRoot),
      image.elf,
    ],
  });
  return { imageId, transaction };
}

/** Whether `imageId` is registered on chain. */
export async function imageRegistered(
  client: ConcentricClient,
  { imageId }: { imageId: bigint },
): Promise<boolean> {
  return ((await client.contracts.jobs.read.image([imageId])) as { registered: boolean })
    .registered;
}

/** The fee in wei of a job declaring `cycleBound` cycles. */
export async function jobFee(
  client: ConcentricClient,
  { cycleBound }: { cycleBound: bigint },
): Promise<bigint> {
  return (await client.contracts.jobs.read.feeFor([cycleBound])) as bigint;
}

export interface SubmitJobParameters {
  imageId: bigint;
  /** The image's registration: sent first when the image is not registered yet. */
  image?: ImageRegistration;
  input?: Uint8Array;
  /** The input's digest: needed when the input is longer than {@link MAX_INLINE_INPUT_BYTES}. */
  inputDigest?: bigint;
  /** The declared cycle bound (client/guest.ts `prepareJob` runs the guest to tell it). */
  cycleBound: bigint;
  /** The fee in wei (default: JobRegistry.feeFor(cycleBound)). */
  fee?: bigint;
}
export interface SubmitJobReturnType {
  jobId: bigint;
  epoch: bigint;
  imageId: bigint;
  inputDigest: bigint;
  cycleBound: bigint;
  fee: bigint;
  /** True when the input is stored on chain; else its bytes must reach the orchestrator. */
  inputOnChain: boolean;
  transaction: SendReturnType;
  imageTransaction?: SendReturnType;
}

/**
 * Submits a job (registering its image first if `image` is given and it is new). Inputs up to
 * 64 bytes go on chain with the job; longer ones are committed by digest.
 * @example const { jobId } = await submitJob(client, await prepareJob({ elf, input }));
 */
export async function submitJob(
  client: ConcentricClient,
  p: SubmitJobParameters,
): Promise<SubmitJobReturnType> {
  const input = p.input ?? new Uint8Array();
  const inputOnChain = input.length <= MAX_INLINE_INPUT_BYTES;
  if (!inputOnChain && p.inputDigest === undefined)
    throw new ConcentricError(
      `submitJob: the input is ${input.length} bytes (over ${MAX_INLINE_INPUT_BYTES}): give its inputDigest`,
    );
  const fee = p.fee ?? (await jobFee(client, { cycleBound: p.cycleBound }));
  const reg: Partial<RegisterImageReturnType> = p.image
    ? await registerImage(client, { imageId: p.imageId, image: p.image })
    : {};
  const transaction = await send(client, {
    contract: "jobs",
    ...(inputOnChain
      ? { functionName: "submitJobWithInput", args: [p.imageId, bytesToHex(input), p.cycleBound] }
      : { functionName: "submitJob", args: [p.imageId, p.inputDigest, p.cycleBound] }),
    value: fee,
  });
  const ev = parseEventLogs({
    abi: client.abis.jobs,
    logs: transaction.receipt.logs,
    eventName: "JobSubmitted",
  })[0] as { args: { jobId: bigint; epoch: bigint; inputDigest: bigint } } | undefined;
  if (!ev) throw new ConcentricError("submitJob: no JobSubmitted event");
  return {
    jobId: ev.args.jobId,
    epoch: BigInt(ev.args.epoch),
    imageId: p.imageId,
    inputDigest: ev.args.inputDigest,
    cycleBound: p.cycleBound,
    fee,
    inputOnChain,
    transaction,
    ...(reg.transaction ? { imageTransaction: reg.transaction } : {}),
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
    abi: client.abis.jobs,
    eventName: "ImageRegistered",
    args: { imageId },
    fromBlock: BigInt(client.deployment.block),
  });
  const elf = (logs[0]?.args as { elf?: Hex } | undefined)?.elf;
  return elf ? hexToBytes(elf) : undefined;
}

/** The input bytes stored on chain with a job (JobInput event), or undefined. */
export async function onChainInput(
  client: ConcentricClient,
  jobId: bigint,
): Promise<Uint8Array | undefined> {
  const logs = await client.public.getContractEvents({
    address: client.deployment.contracts.jobs,
    abi: client.abis.jobs,
    eventName: "JobInput",
    args: { jobId },
    fromBlock: BigInt(client.deployment.block),
  });
  const input = (logs[0]?.args as { input?: Hex } | undefined)?.input;
  return input !== undefined ? hexToBytes(input) : undefined;
}

export interface WaitForJobParameters {
  jobId: bigint;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** Called after every poll with the job as it stands. */
  onPoll?: (job: JobView) => void;
}
export interface WaitForJobReturnType {
  jobId: bigint;
  exitCode: number;
  cycles: bigint;
  epoch: bigint;
  outputDigest: bigint;
  /** The transaction that settled the job (the epoch's Universal Proof). */
  transactionHash: Hex;
  blockNumber: bigint;
}

/**
 * Waits until a job settles and resolves with its result; rejects with ConcentricError when
 * it is refunded or the timeout passes. (The output bytes: client/guest.ts `jobOutput`.)
 * @example const { exitCode, outputDigest } = await waitForJob(client, { jobId });
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
    if (j.status === "settled") {
      const r = j.result!;
      const logs = await client.public.getContractEvents({
        address: client.deployment.contracts.jobs,
        abi: client.abis.jobs,
        eventName: "JobSettled",
        args: { jobId: j.jobId },
        fromBlock: BigInt(client.deployment.block),
      });
      return {
        jobId: j.jobId,
        exitCode: r.exitCode,
        cycles: r.cycles,
        epoch: r.epoch,
        outputDigest: r.outputDigest,
        transactionHash: (logs[0]?.transactionHash ?? "0x") as Hex,
        blockNumber: logs[0]?.blockNumber ?? 0n,
      };
    }
    if (p.timeoutMs !== undefined && Date.now() - start > p.timeoutMs)
      throw new ConcentricError(`job ${p.jobId} is still ${j.status} after ${p.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, p.pollMs ?? 1000));
  }
}

/** Refunds a pending job's fee to its requester once its refund timeout has passed. */
export async function refundJob(client: ConcentricClient, { jobId }: { jobId: bigint }) {
  return send(client, { contract: "jobs", functionName: "refund", args: [jobId] });
}

/**
 * Stakes `amount` wei of the account's ETH.
 * @example await stake(client, { amount: parseEther("1") });
 */
export async function stake(client: ConcentricClient, { amount }: { amount: bigint }) {
  return send(client, { contract: "staking", functionName: "stake", value: amount });
}

/** Starts unbonding `amount` wei of stake (the unbonding delay restarts). */
export async function unstake(client: ConcentricClient, { amount }: { amount: bigint }) {
  return send(client, { contract: "staking", functionName: "requestUnstake", args: [amount] });
}

/** Withdraws unbonded stake. */
export async function withdraw(client: ConcentricClient) {
  return send(client, { contract: "staking", functionName: "withdraw" });
}

/** `address`, else the client's account: what a read about "an account" is about. */
function addressOf(client: ConcentricClient, address: Hex | undefined, action: string): Hex {
  const who = address ?? client.account?.address;
  if (!who)
    throw new ConcentricError(`${action}: give an address or create the client with an account`);
  return who;
}

/** Rewards credited to `address` (default: the client's account), in wei. */
export async function rewards(
  client: ConcentricClient,
  p: { address?: Hex } = {},
): Promise<bigint> {
  const who = addressOf(client, p.address, "rewards");
  return (await client.contracts.epochs.read.rewardsOf([who])) as bigint;
}

/** Withdraws the account's rewards (to `to`, default itself). */
export async function withdrawRewards(client: ConcentricClient, p: { to?: Hex } = {}) {
  return send(
    client,
    p.to
      ? { contract: "epochs", functionName: "withdrawRewardsTo", args: [p.to] }
      : { contract: "epochs", functionName: "withdrawRewards" },
  );
}

/** Slashes the assigned submitter of an epoch that missed its deadline. */
export async function slashMissed(client: ConcentricClient, { epoch }: { epoch: bigint }) {
  return send(client, { contract: "epochs", functionName: "slashMissed", args: [epoch] });
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as Address;

/**
 * Registers the account as an orchestrator at `endpoint`, a ring under `parent` (which must
 * have approved it) or a root (no parent).
 * @example await registerOrchestrator(client, { endpoint: "https://orch.example" });
 */
export async function registerOrchestrator(
  client: ConcentricClient,
  { endpoint, parent = ZERO_ADDRESS }: { endpoint: string; parent?: Address },
) {
  return send(client, { contract: "registry", functionName: "register", args: [endpoint, parent] });
}

/** As a parent, admits `child` to register under the account (or revokes the approval). */
export async function approveChild(
  client: ConcentricClient,
  { child, approved = true }: { child: Address; approved?: boolean },
) {
  return send(client, {
    contract: "registry",
    functionName: "approveChild",
    args: [child, approved],
  });
}

/** As a parent, evicts the ring `child` registered under the account. */
export async function evictChild(client: ConcentricClient, { child }: { child: Address }) {
  return send(client, { contract: "registry", functionName: "evictChild", args: [child] });
}

/** Starts leaving the registry (children are evicted); deregister after the exit delay. */
export async function requestExit(client: ConcentricClient) {
  return send(client, { contract: "registry", functionName: "requestExit" });
}

/** Leaves the registry once the exit delay has passed. */
export async function deregister(client: ConcentricClient) {
  return send(client, { contract: "registry", functionName: "deregister" });
}

export interface AccountView {
  balance: bigint;
  staked: bigint;
  locked: bigint;
  unbonding: { amount: bigint; releaseAt: bigint };
  unbondingDelay: bigint;
  rewards: bigint;
  orchestrator: {
    endpoint: string;
    parent: Address;
    depth: number;
    children: number;
    leavingAt: bigint;
    registeredAt: bigint;
    registered: boolean;
  };
  active: boolean;
  minStake: bigint;
  exitDelay: bigint;
  /** The chain's clock (latest block), for "time left". */
  now: bigint;
}

/**
 * An account's balance, stake, unbonding, rewards and registration as an orchestrator.
 * @example const { staked, rewards } = await readAccount(client, { address });
 */
export async function readAccount(
  client: ConcentricClient,
  p: { address?: Address } = {},
): Promise<AccountView> {
  const who = addressOf(client, p.address, "readAccount");
  const { staking, registry } = client.contracts;
  const [balance, staked, locked, unbonding, unbondingDelay, rewarded, orchestrator, active] =
    await Promise.all([
      client.public.getBalance({ address: who }),
      staking.read.stakeOf([who]) as Promise<bigint>,
      registry.read.lockedStake([who]) as Promise<bigint>,
      staking.read.unbondingOf([who]) as Promise<{ amount: bigint; releaseAt: bigint }>,
      staking.read.UNBONDING_DELAY() as Promise<bigint>,
      rewards(client, { address: who }),
      registry.read.orchestrator([who]) as Promise<AccountView["orchestrator"]>,
      registry.read.isActive([who]) as Promise<boolean>,
    ]);
  const [minStake, exitDelay, block] = await Promise.all([
    registry.read.MIN_STAKE() as Promise<bigint>,
    registry.read.EXIT_DELAY() as Promise<bigint>,
    client.public.getBlock(),
  ]);
  return {
    balance,
    staked,
    locked,
    unbonding: { amount: BigInt(unbonding.amount), releaseAt: BigInt(unbonding.releaseAt) },
    unbondingDelay: BigInt(unbondingDelay),
    rewards: rewarded,
    orchestrator,
    active,
    minStake,
    exitDelay: BigInt(exitDelay),
    now: block.timestamp,
  };
}
