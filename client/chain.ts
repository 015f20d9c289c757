/**
 * The node side of the chain client: keys, files and HTTP. Used by the CLI, the orchestrator
 * and the tests; the contract binding and the actions themselves are browser-safe
 * (client/contracts.ts, client/actions.ts) and shared with the web app.
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
  createPublicClient,
  createWalletClient,
  http,
  type Abi,
  type Account,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { DEVELOPMENT_CHAIN_IDS } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { concentricClient, type ConcentricClient } from "./actions.ts";
import {
  chainOf,
  CONTRACT_NAMES,
  contracts as bindContracts,
  describeReceipt as describeEvents,
  withSystemErrors,
  type ContractAbis,
  type Deployment,
} from "./contracts.ts";

export {
  CONTRACT_NAMES,
  revertReason,
  type ContractAbis,
  type Deployment,
  type LooseContract,
} from "./contracts.ts";

/** hardhat's default dev accounts: the public test mnemonic, BIP-44 m/44'/60'/0'/0/i. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export class WalletError extends Error {}

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
  const chain = chainOf(chainId, rpc);
  const publicClient = createPublicClient({ chain, transport: http(rpc) }) as PublicClient;
  return { chain, chainId, publicClient };
}

/** Each contract's ABI from hardhat's artifacts, with every error of the system (read once). */
let abisCache: ContractAbis | undefined;
export function loadAbis(): ContractAbis {
  abisCache ??= withSystemErrors(
    Object.fromEntries(
      Object.entries(CONTRACT_NAMES).map(([k, n]) => [k, artifactAbi(n)]),
    ) as ContractAbis,
    [
      ...artifactAbi("IGroth16BatchVerifier", "interfaces"),
      // versioned-cells jobs' verifier and its multi verifier (EpochManager.submitEpoch2)
      ...artifactAbi("JobVerifier2"),
      ...artifactAbi("IGroth16MultiVerifier", "interfaces"),
    ],
  );
  return abisCache;
}

/** The deployment's contracts over `client`, with the ABIs from hardhat's artifacts. */
export function contracts(
  d: Deployment,
  client: { public: PublicClient; wallet?: ReturnType<typeof createWalletClient> },
) {
  return bindContracts({ ...d, abis: loadAbis() }, client);
}

export function walletClient(chain: ReturnType<typeof chainOf>, rpc: string, account: Account) {
  return createWalletClient({ chain, transport: http(rpc), account });
}

/** The decoded events of a receipt, one line each (client/contracts.ts, with the artifacts' ABIs). */
export function describeReceipt(
  receipt: TransactionReceipt,
  format?: (name: string, value: unknown) => string | undefined,
): string[] {
  return describeEvents(receipt, loadAbis(), format);
}

/**
 * Connects over HTTP to a chain and a Concentric deployment (deployments/<chainId>.json and
 * hardhat's artifacts by default): the SDK's client (client/actions.ts) for node.
 * @example const client = await createConcentricClient({ rpc, account: privateKeyToAccount(key) });
 */
export async function createConcentricClient(
  p: CreateConcentricClientParameters = {},
): Promise<ConcentricClient> {
  const rpc = p.rpc ?? "http://127.0.0.1:8545";
  const { chain, chainId, publicClient } = await connect(rpc);
  const deployment = p.deployment ?? loadDeployment(chainId, p.deploymentFile);
  return concentricClient({
    public: publicClient,
    ...(p.account ? { wallet: walletClient(chain, rpc, p.account) } : {}),
    deployment,
    abis: loadAbis(),
  });
}

export interface CreateConcentricClientParameters {
  /** JSON-RPC URL (default http://127.0.0.1:8545). */
  rpc?: string;
  /** deployments/<chainId>.json by default. */
  deploymentFile?: string;
  /** The deployment record itself (instead of a file). */
  deployment?: Deployment;
  /** A viem local account (privateKeyToAccount, or loadAccount). */
  account?: Account;
}
