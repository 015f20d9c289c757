/**
 * What is specific to a browser wallet (an injected EIP-1193 provider, `window.ethereum`):
 * the SDK's client over it, asking it to switch chain, telling a person why a request failed,
 * and checking a job's output digest with the chain's own Poseidon contract. Every chain action
 * itself is the SDK's (client/actions.ts: `stake`, `registerOrchestrator`, `submitJob`, …), the
 * same functions the CLI and the orchestrator call; they simulate every write first, so a revert
 * is the contract's custom error by name before the wallet asks to sign. Browser-safe.
 *
 * @example
 * const client = walletClient(window.ethereum, app, account);
 * await stake(client, { amount: parseEther("2") }).then(confirmed);
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  UserRejectedRequestError,
  custom,
  formatEther,
  type Address,
  type EIP1193Provider,
} from "viem";
import {
  ConcentricError,
  concentricClient,
  InsufficientFundsError,
  RevertError,
  WrongChainError,
  type ConcentricClient,
  type SendReturnType,
} from "./actions.ts";
import type { ContractAbis, Deployment } from "./contracts.ts";

/** A deployment as an orchestrator serves it to the app (`/v1/app/config`): addresses and ABIs. */
export interface AppDeployment {
  deployment: Deployment;
  abis: ContractAbis;
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
  client: Pick<ConcentricClient, "public" | "deployment">,
  bytes: Uint8Array,
): Promise<bigint | undefined> {
  const address = client.deployment.contracts.poseidon2;
  if (!address || bytes.length > MAX_CHECKED_OUTPUT_BYTES) return undefined;
  let d = 0n;
  for (const b of bytes)
    d = await client.public.readContract({
      address,
      abi: POSEIDON2_ABI,
      functionName: "poseidon",
      args: [[d, BigInt(b)]],
    });
  return d;
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

/**
 * The SDK's client over the wallet, sending from `account` (reads go through the wallet's node
 * too; receipts are polled every 500 ms).
 */
export function walletClient(
  provider: EIP1193Provider,
  app: AppDeployment,
  account: Address,
): ConcentricClient {
  return concentricClient({
    transport: custom(provider),
    account,
    deployment: app.deployment,
    abis: app.abis,
    pollingInterval: 500,
  });
}

/** A sent transaction that must have succeeded (a revert after the simulation passed, say). */
export function confirmed(tx: SendReturnType): SendReturnType {
  if (tx.status !== "success")
    throw new WalletActionError("revert", `Transaction ${tx.hash} reverted.`);
  return tx;
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

/** What a person should read about a failed wallet request. */
export function describeWalletError(e: unknown): WalletActionError {
  if (e instanceof WalletActionError) return e;
  if (e instanceof WrongChainError)
    return new WalletActionError(
      "wrong-chain",
      `Your wallet is on chain ${e.walletChainId}; switch it to chain ${e.chainId} first.`,
      undefined,
      { cause: e },
    );
  if (e instanceof RevertError)
    return new WalletActionError("revert", `The contract refused: ${e.reason}`, e.shortMessage, {
      cause: e,
    });
  if (e instanceof InsufficientFundsError)
    return new WalletActionError(
      "failed",
      `Your account has ${formatEther(e.balance)} ETH; this needs ${e.needed > 0n ? `${formatEther(e.needed)} ETH plus ` : ""}gas.`,
      e.shortMessage,
      { cause: e },
    );
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
  if (e instanceof ConcentricError)
    return new WalletActionError("failed", e.shortMessage, e.details, { cause: e });
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
