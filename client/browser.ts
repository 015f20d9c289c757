/**
 * Chain actions for a browser wallet: plain functions that take a {@link WalletSession} (viem
 * clients over an injected EIP-1193 provider, `window.ethereum`, through viem's custom
 * transport) and a deployment's {@link AppDeployment} (addresses and ABIs, as an orchestrator
 * serves them at `/v1/app/config`). Browser-safe: no node:fs, no keystores (client/chain.ts is
 * the node-side client of the CLI and the orchestrator; both call the same contract functions).
 *
 * Every write is simulated first (`eth_call`), so a revert is decoded by the contract's custom
 * error name before the wallet is asked to sign anything; {@link describeWalletError} turns a
 * failure into what a person should read.
 *
 * @example
 * const s = await walletSession(window.ethereum, deployment);
 * await stake(s, parseEther("2"));
 * const a = await readAccount(s, s.account);
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  UserRejectedRequestError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  parseEventLogs,
  type Abi,
  type Address,
  type EIP1193Provider,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";

export type ContractKey = "staking" | "registry" | "jobs" | "epochs";

export interface AppDeployment {
  chainId: number;
  contracts: Record<ContractKey, Address>;
  abis: Record<ContractKey, Abi>;
  /** The circomlib Poseidon contract of 2 inputs the job registry hashes with. */
  poseidon2?: Address;
}

/** circomlibjs's generated Poseidon contract, the uint256 overload of `poseidon`. */
const POSEIDON2_ABI = [
  {
    type: "function",
    name: "poseidon",
    stateMutability: "pure",
    inputs: [{ name: "input", type: "uint256[2]" }],
    outputs: [{ name: "", type: "uint256" }],
  },
] as const;

/** Outputs longer than this are not re-hashed in the browser (one eth_call per byte). */
export const MAX_CHECKED_OUTPUT_BYTES = 1024;

/**
 * The output digest of `bytes` (d_0 = 0, d_{i+1} = Poseidon(d_i, byte_i), as the executor and
 * the circuit commit it), computed with the chain's own Poseidon contract through the wallet:
 * no trust in whoever supplied the bytes. Undefined when the deployment names no Poseidon
 * contract or the output is longer than {@link MAX_CHECKED_OUTPUT_BYTES}.
 */
export async function outputDigestOnChain(
  s: Pick<WalletSession, "publicClient" | "deployment">,
  bytes: Uint8Array,
): Promise<bigint | undefined> {
  const address = s.deployment.poseidon2;
  if (!address || bytes.length > MAX_CHECKED_OUTPUT_BYTES) return undefined;
  let d = 0n;
  for (const b of bytes)
    d = await s.publicClient.readContract({
      address,
      abi: POSEIDON2_ABI,
      functionName: "poseidon",
      args: [[d, BigInt(b)]],
    });
  return d;
}

export interface WalletSession {
  provider: EIP1193Provider;
  deployment: AppDeployment;
  account: Address;
  publicClient: PublicClient;
  walletClient: WalletClient;
}

/** A failure of a wallet action, with what to show: `kind` says which of the known ones. */
export class WalletActionError extends Error {
  constructor(
    readonly kind: "rejected" | "revert" | "wrong-chain" | "disconnected" | "failed",
    readonly shortMessage: string,
    readonly details?: string,
    options?: { cause?: unknown },
  ) {
    super(shortMessage, options);
  }
}

export function chainOf(chainId: number) {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "Concentric devnet (hardhat)" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
}

/** Clients over the wallet for `account` (reads go through the wallet's node too). */
export function walletSession(
  provider: EIP1193Provider,
  deployment: AppDeployment,
  account: Address,
): WalletSession {
  const chain = chainOf(deployment.chainId);
  const transport = custom(provider);
  return {
    provider,
    deployment,
    account,
    publicClient: createPublicClient({ chain, transport, pollingInterval: 500 }) as PublicClient,
    walletClient: createWalletClient({ chain, transport, account, pollingInterval: 500 }),
  };
}

/** The chain id the wallet is on now. */
export async function walletChainId(provider: EIP1193Provider): Promise<number> {
  return Number(await provider.request({ method: "eth_chainId" }));
}

/** Asks the wallet to switch to `chainId` (EIP-3326). */
export async function switchChain(provider: EIP1193Provider, chainId: number): Promise<void> {
  try {
    await provider.request({
      method: "wallet_switchEthereumChain",
      params: [{ chainId: `0x${chainId.toString(16)}` }],
    });
  } catch (e) {
    if ((e as { code?: unknown })?.code === 4902)
      throw new WalletActionError(
        "wrong-chain",
        `Your wallet does not know chain ${chainId}: add it (with the RPC URL of this network's node) and switch again.`,
        undefined,
        { cause: e },
      );
    throw describeWalletError(e);
  }
}

/** Reads one contract view. */
export async function read<T>(
  s: Pick<WalletSession, "publicClient" | "deployment">,
  key: ContractKey,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<T> {
  return (await s.publicClient.readContract({
    address: s.deployment.contracts[key],
    abi: s.deployment.abis[key],
    functionName,
    args,
  })) as T;
}

/**
 * Simulates, then sends from the wallet and waits for the receipt.
 * @throws WalletActionError (rejected, revert with the custom error's name, wrong chain, …).
 */
export async function write(
  s: WalletSession,
  key: ContractKey,
  functionName: string,
  args: readonly unknown[] = [],
  value?: bigint,
): Promise<TransactionReceipt> {
  const { deployment: d } = s;
  try {
    const onChain = await walletChainId(s.provider);
    if (onChain !== d.chainId)
      throw new WalletActionError(
        "wrong-chain",
        `Your wallet is on chain ${onChain}; switch it to chain ${d.chainId} first.`,
      );
    const { request } = await s.publicClient.simulateContract({
      account: s.account,
      address: d.contracts[key],
      abi: d.abis[key],
      functionName,
      args,
      ...(value !== undefined ? { value } : {}),
    });
    const hash = await s.walletClient.writeContract({ ...request, account: s.account } as never);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new WalletActionError("revert", `Transaction ${hash} reverted.`);
    return receipt;
  } catch (e) {
    throw describeWalletError(e);
  }
}

/** What a person should read about a failed wallet request. */
export function describeWalletError(e: unknown): WalletActionError {
  if (e instanceof WalletActionError) return e;
  const code = (x: unknown) => (x as { code?: unknown } | null)?.code;
  if (e instanceof BaseError) {
    const rejected = e.walk(
      (x) => x instanceof UserRejectedRequestError || code(x) === 4001 || code(x) === 4100,
    );
    if (rejected)
      return new WalletActionError(
        "rejected",
        "You rejected the request in your wallet; nothing was sent.",
        e.shortMessage,
        { cause: e },
      );
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName;
      const args = (revert.data?.args ?? []).map((a) => String(a)).join(", ");
      return new WalletActionError(
        "revert",
        name
          ? `The contract refused: ${name}(${args})`
          : `The contract refused: ${revert.reason ?? revert.shortMessage}`,
        e.shortMessage,
        { cause: e },
      );
    }
    if (e.walk((x) => code(x) === 4900 || code(x) === 4901))
      return new WalletActionError("disconnected", "Your wallet is disconnected.", e.shortMessage, {
        cause: e,
      });
    return new WalletActionError("failed", e.shortMessage, e.details, { cause: e });
  }
  if (code(e) === 4001)
    return new WalletActionError(
      "rejected",
      "You rejected the request in your wallet; nothing was sent.",
      undefined,
      { cause: e },
    );
  return new WalletActionError("failed", (e as Error)?.message ?? String(e), undefined, {
    cause: e,
  });
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

/** Everything the stake and orchestrate pages show of one account. */
export async function readAccount(
  s: Pick<WalletSession, "publicClient" | "deployment">,
  who: Address,
): Promise<AccountView> {
  const [balance, staked, locked, unbonding, unbondingDelay, rewards, orchestrator, active] =
    await Promise.all([
      s.publicClient.getBalance({ address: who }),
      read<bigint>(s, "staking", "stakeOf", [who]),
      read<bigint>(s, "registry", "lockedStake", [who]),
      read<{ amount: bigint; releaseAt: bigint }>(s, "staking", "unbondingOf", [who]),
      read<bigint>(s, "staking", "UNBONDING_DELAY"),
      read<bigint>(s, "epochs", "rewardsOf", [who]),
      read<AccountView["orchestrator"]>(s, "registry", "orchestrator", [who]),
      read<boolean>(s, "registry", "isActive", [who]),
    ]);
  const [minStake, exitDelay, block] = await Promise.all([
    read<bigint>(s, "registry", "MIN_STAKE"),
    read<bigint>(s, "registry", "EXIT_DELAY"),
    s.publicClient.getBlock(),
  ]);
  return {
    balance,
    staked,
    locked,
    unbonding: { amount: BigInt(unbonding.amount), releaseAt: BigInt(unbonding.releaseAt) },
    unbondingDelay: BigInt(unbondingDelay),
    rewards,
    orchestrator,
    active,
    minStake,
    exitDelay: BigInt(exitDelay),
    now: block.timestamp,
  };
}

export const stake = (s: WalletSession, value: bigint) => write(s, "staking", "stake", [], value);
export const requestUnstake = (s: WalletSession, amount: bigint) =>
  write(s, "staking", "requestUnstake", [amount]);
export const withdrawStake = (s: WalletSession) => write(s, "staking", "withdraw");
export const withdrawRewards = (s: WalletSession) => write(s, "epochs", "withdrawRewards");
export const registerOrchestrator = (s: WalletSession, endpoint: string, parent: Address) =>
  write(s, "registry", "register", [endpoint, parent]);
export const approveChild = (s: WalletSession, child: Address, approved = true) =>
  write(s, "registry", "approveChild", [child, approved]);
export const evictChild = (s: WalletSession, child: Address) =>
  write(s, "registry", "evictChild", [child]);
export const requestExit = (s: WalletSession) => write(s, "registry", "requestExit");
export const deregister = (s: WalletSession) => write(s, "registry", "deregister");

/** The arguments of JobRegistry.registerImage, as an orchestrator prepares them. */
export interface ImageRegistration {
  entry: number;
  memorySize: number;
  codeStart: number;
  codeEnd: number;
  initRoot: string;
  elf: Hex;
}

export const registerImage = (s: WalletSession, r: ImageRegistration) =>
  write(s, "jobs", "registerImage", [
    r.entry,
    r.memorySize,
    r.codeStart,
    r.codeEnd,
    BigInt(r.initRoot),
    r.elf,
  ]);

/** Submits a job with its input bytes; returns its id and epoch from the JobSubmitted event. */
export async function submitJobWithInput(
  s: WalletSession,
  p: { imageId: bigint; input: Hex; cycleBound: bigint; fee: bigint },
): Promise<{ jobId: bigint; epoch: bigint; receipt: TransactionReceipt }> {
  const receipt = await write(
    s,
    "jobs",
    "submitJobWithInput",
    [p.imageId, p.input, p.cycleBound],
    p.fee,
  );
  const [ev] = parseEventLogs({
    abi: s.deployment.abis.jobs,
    logs: receipt.logs,
    eventName: "JobSubmitted",
  }) as unknown as { args: { jobId: bigint; epoch: bigint } }[];
  if (!ev) throw new WalletActionError("failed", "no JobSubmitted event in the receipt");
  return { jobId: ev.args.jobId, epoch: ev.args.epoch, receipt };
}
