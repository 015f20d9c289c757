/**
 * The chain client shared by the CLI, the orchestrator and the tests: keys, clients and contracts of a deployment.
 *
 * Keys come from an encrypted JSON keystore (Web3 Secret Storage v3, read and written with
 * ethers; the password from CONCENTRIC_KEYSTORE_PASSWORD or a prompt-free --password-file), or,
 * on development chains only (ids 31337 and 1337), from hardhat's well-known dev accounts
 * (`--dev-account i`). Contracts come from deployments/<chainId>.json and hardhat's artifacts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet, HDNodeWallet } from "ethers";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  parseEventLogs,
  type Abi,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { DEVELOPMENT_CHAIN_IDS } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";

/** hardhat's default dev accounts: the public test mnemonic, BIP-44 m/44'/60'/0'/0/i. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export class WalletError extends Error {}

export interface Deployment {
  chainId: number;
  block: string;
  circuit: string;
  contracts: Record<"staking" | "registry" | "jobs" | "epochs" | "verifier", `0x${string}`>;
}

export const CONTRACT_NAMES = {
  staking: "Staking",
  registry: "OrchestratorRegistry",
  jobs: "JobRegistry",
  epochs: "EpochManager",
} as const;

export function artifactAbi(name: string, dir = ""): Abi {
  const path = join(REPO_ROOT, "artifacts", "contracts", dir, `${name}.sol`, `${name}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8")).abi as Abi;
  } catch {
    throw new WalletError(`no compiled artifact for ${name} (run: npx hardhat compile)`);
  }
}

export function loadDeployment(chainId: number, file?: string): Deployment {
  const path = file ?? join(REPO_ROOT, "deployments", `${chainId}.json`);
  let d: Deployment;
  try {
    d = JSON.parse(readFileSync(path, "utf8")) as Deployment;
  } catch {
    throw new WalletError(`no deployment at ${path} (run: npm run deploy -- --network <name>)`);
  }
  if (d.chainId !== chainId)
    throw new WalletError(`${path} is for chain ${d.chainId}, the RPC serves chain ${chainId}`);
  return d;
}

export interface KeyOptions {
  keystore?: string;
  passwordFile?: string;
  devAccount?: string;
}

export async function loadAccount(o: KeyOptions, chainId: number): Promise<PrivateKeyAccount> {
  if (o.devAccount !== undefined) {
    if (!DEVELOPMENT_CHAIN_IDS.includes(chainId))
      throw new WalletError(`--dev-account is refused on chain ${chainId}: use --keystore`);
    const i = Number(o.devAccount);
    if (!Number.isInteger(i) || i < 0 || i > 19) throw new WalletError("--dev-account: 0..19");
    const w = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    return privateKeyToAccount(w.privateKey as Hex);
  }
  if (!o.keystore)
    throw new WalletError("a key is needed: --keystore <file> (or --dev-account i on a devnet)");
  const password = o.passwordFile
    ? readFileSync(o.passwordFile, "utf8").replace(/\r?\n$/, "")
    : process.env.CONCENTRIC_KEYSTORE_PASSWORD;
  if (password === undefined)
    throw new WalletError("keystore password: set CONCENTRIC_KEYSTORE_PASSWORD or --password-file");
  let json: string;
  try {
    json = readFileSync(o.keystore, "utf8");
  } catch {
    throw new WalletError(`cannot read keystore ${o.keystore}`);
  }
  try {
    const w = await Wallet.fromEncryptedJson(json, password);
    return privateKeyToAccount(w.privateKey as Hex);
  } catch (e) {
    throw new WalletError(`keystore ${o.keystore}: ${(e as Error).message}`);
  }
}

/** A new random key, encrypted with `password` (scrypt), as keystore JSON. */
export async function newKeystore(password: string): Promise<{ address: string; json: string }> {
  const w = Wallet.createRandom();
  return { address: w.address, json: await w.encrypt(password) };
}

export async function connect(rpc: string) {
  const probe = createPublicClient({ transport: http(rpc) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch {
    throw new WalletError(`no JSON-RPC node at ${rpc} (start one: npm run devnet)`);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(rpc) }) as PublicClient;
  return { chain, chainId, publicClient };
}

/**
 * The ABIs are read at run time from hardhat's artifacts, so viem cannot type the methods;
 * this names the ones the CLI calls (arguments and results are checked by the ABI encoder).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Call = (...args: any[]) => Promise<any>;
type ReadNames =
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
  | "result"
  | "stakeOf"
  | "unbondingOf"
  | "lockedStake"
  | "settlementInfo"
  | "REFUND_TIMEOUT"
  | "MAX_INPUT_BYTES"
  | "MAX_CYCLES"
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
  | "withdrawRewards"
  | "refund"
  | "slashMissed"
  | "requestExit"
  | "deregister";
export interface LooseContract {
  read: Record<ReadNames, Call>;
  write: Record<WriteNames, Call>;
}

export function contracts(
  d: Deployment,
  client: { public: PublicClient; wallet?: ReturnType<typeof createWalletClient> },
) {
  // Errors bubble up from the contracts a call reaches (the verifier, the job registry, …):
  // every contract's ABI carries every error of the system, so reverts decode by name.
  const errors = [
    ...Object.values(CONTRACT_NAMES).flatMap((n) => artifactAbi(n)),
    ...artifactAbi("IGroth16BatchVerifier", "interfaces"),
  ].filter((x) => x.type === "error");
  const make = (key: keyof typeof CONTRACT_NAMES) =>
    getContract({
      address: d.contracts[key],
      abi: [...artifactAbi(CONTRACT_NAMES[key]), ...errors],
      client: client.wallet ? { public: client.public, wallet: client.wallet } : client.public,
    });
  const loose = (key: keyof typeof CONTRACT_NAMES) => make(key) as unknown as LooseContract;
  return {
    staking: loose("staking"),
    registry: loose("registry"),
    jobs: loose("jobs"),
    epochs: loose("epochs"),
  };
}

export function walletClient(
  chain: ReturnType<typeof defineChain>,
  rpc: string,
  account: PrivateKeyAccount,
) {
  return createWalletClient({ chain, transport: http(rpc), account });
}

/**
 * The decoded events of a receipt, one line each. `format` may render an argument (by its
 * name) for people: the CLI prints amounts in ETH and digests as 0x and 64 hex digits.
 */
export function describeReceipt(
  receipt: TransactionReceipt,
  format?: (name: string, value: unknown) => string | undefined,
): string[] {
  const abi = Object.values(CONTRACT_NAMES).flatMap((n) => artifactAbi(n));
  const logs = parseEventLogs({ abi, logs: receipt.logs });
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
