/**
 * A deployment's contracts, bound to viem clients: browser-safe (no node:fs, no keystores).
 * The ABIs are passed in — read from hardhat's artifacts by client/chain.ts in node, served
 * by an orchestrator at `/v1/app/config` to the web app — so the same binding serves the CLI,
 * the orchestrator, the tests and the app.
 *
 * @example
 * const c = contracts({ ...deployment, abis }, { public: publicClient, wallet });
 * const fee = (await c.jobs.read.feeFor([1000n])) as bigint;
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  defineChain,
  getContract,
  parseEventLogs,
  type Abi,
  type Address,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";

/** The system's contracts an action calls, by key. */
export type ContractKey = "staking" | "registry" | "jobs" | "epochs";

/** Each key's contract name (hardhat's artifacts are named by it). */
export const CONTRACT_NAMES = {
  staking: "Staking",
  registry: "OrchestratorRegistry",
  jobs: "JobRegistry",
  epochs: "EpochManager",
} as const satisfies Record<ContractKey, string>;

/** A deployment record, as deployments/<chainId>.json holds it. */
export interface Deployment {
  chainId: number;
  /** The block the contracts were deployed in (events are read from it on). */
  block: string;
  circuit: string;
  /** The versioned-cells key set JobVerifier2 checks (absent: such jobs are not enabled). */
  keySet2?: string;
  contracts: Record<ContractKey | "verifier", Address> & {
    poseidon2?: Address;
    jobVerifier2?: Address;
  };
}

/**
 * Each contract's ABI, with every error of the system appended: a call's revert may come from
 * any contract it reaches (the verifier, the job registry, …), and decodes by name only if the
 * ABI the call was made with knows that error.
 */
export type ContractAbis = Record<ContractKey, Abi>;

/** Appends every error of `abis` (and of `extra`, e.g. the verifier interface) to each ABI, once. */
export function withSystemErrors(abis: ContractAbis, extra: Abi = []): ContractAbis {
  const seen = new Set<string>();
  const errors = [...Object.values(abis).flat(), ...extra].filter((x) => {
    if (x.type !== "error") return false;
    const key = JSON.stringify(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const out = {} as ContractAbis;
  for (const k of Object.keys(CONTRACT_NAMES) as ContractKey[])
    out[k] = [...abis[k].filter((x) => x.type !== "error"), ...errors];
  return out;
}

/** A viem chain for `chainId` (the RPC URL only where a client is built over HTTP). */
export function chainOf(chainId: number, rpc?: string) {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "Concentric devnet (hardhat)" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: rpc ? [rpc] : [] } },
  });
}

/**
 * The ABIs are loaded at run time (from artifacts or over HTTP), so viem cannot type the
 * methods; this names the ones the SDK, the CLI and the app call (arguments and results are
 * checked by the ABI encoder).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Call = (...args: any[]) => Promise<any>;
type ReadNames =
  | "CYCLES_PER_CHUNK2"
  | "image2Registered"
  | "feeFor"
  | "image"
  | "job"
  | "currentEpoch"
  | "epochRecord"
  | "epochEnd"
  | "deadline"
  | "assignedSubmitter"
  | "pendingIn"
  | "rewardsOf"
  | "jobCount"
  | "isActive"
  | "orchestrator"
  | "childrenOf"
  | "result"
  | "stakeOf"
  | "unbondingOf"
  | "lockedStake"
  | "settlementInfo"
  | "REFUND_TIMEOUT"
  | "MAX_INPUT_BYTES"
  | "MAX_CYCLES"
  | "MIN_STAKE"
  | "EXIT_DELAY"
  | "UNBONDING_DELAY"
  | "epochAt"
  | "EPOCH_LENGTH"
  | "GENESIS";
type WriteNames =
  | "stake"
  | "requestUnstake"
  | "withdraw"
  | "register"
  | "approveChild"
  | "evictChild"
  | "declareEpoch"
  | "withdrawRewardsTo"
  | "registerImage"
  | "submitJob"
  | "submitJobWithInput"
  | "submitEpoch"
  | "submitEpoch2"
  | "registerImage2"
  | "submitJob2"
  | "withdrawRewards"
  | "refund"
  | "slashMissed"
  | "requestExit"
  | "deregister";
export interface LooseContract {
  read: Record<ReadNames, Call>;
  write: Record<WriteNames, Call>;
}
export type Contracts = Record<ContractKey, LooseContract>;

/** The deployment's contracts over `client` (writes need `client.wallet`). */
export function contracts(
  d: Pick<Deployment, "contracts"> & { abis: ContractAbis },
  client: { public: PublicClient; wallet?: WalletClient },
): Contracts {
  const make = (key: ContractKey) =>
    getContract({
      address: d.contracts[key],
      abi: d.abis[key],
      client: client.wallet ? { public: client.public, wallet: client.wallet } : client.public,
    }) as unknown as LooseContract;
  return {
    staking: make("staking"),
    registry: make("registry"),
    jobs: make("jobs"),
    epochs: make("epochs"),
  };
}

/**
 * The decoded events of a receipt, one line each. `format` may render an argument (by its
 * name) for people: the CLI prints amounts in ETH and digests as 0x and 64 hex digits.
 */
export function describeReceipt(
  receipt: TransactionReceipt,
  abis: ContractAbis,
  format?: (name: string, value: unknown) => string | undefined,
): string[] {
  const logs = parseEventLogs({ abi: Object.values(abis).flat(), logs: receipt.logs });
  return logs.map((l) => {
    const args = Object.entries((l.args ?? {}) as Record<string, unknown>)
      .map(
        ([k, v]) =>
          `${k}=${format?.(k, v) ?? (typeof v === "string" && v.length > 130 ? `${v.slice(0, 20)}…(${(v.length - 2) / 2} bytes)` : String(v))}`,
      )
      .join(" ");
    return `${l.eventName} ${args}`;
  });
}

/** A revert as `ContractName__Reason(args)` when the contract said why. */
export function revertReason(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (r instanceof ContractFunctionRevertedError) {
    if (r.data?.errorName)
      return `${r.data.errorName}(${(r.data.args ?? []).map((a) => String(a)).join(", ")})`;
    return r.reason ?? r.shortMessage;
  }
  return e.shortMessage;
}
