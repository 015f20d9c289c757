/**
 * The connection to the user's browser wallet (an injected EIP-1193 provider,
 * `window.ethereum`, as MetaMask and Rabby inject it), as one observable state: which account,
 * which chain, its balance, and whether actions may be sent (`ready`). Follows the wallet's
 * `accountsChanged`, `chainChanged` and `disconnect` events.
 */
import type { Address, EIP1193Provider } from "viem";
import type { ConcentricClient } from "../../client/actions.ts";
import {
  describeWalletError,
  switchChain,
  walletChainId,
  walletClient,
  type AppDeployment,
} from "../../client/browser.ts";

export type WalletStatus =
  "no-wallet" | "idle" | "connecting" | "wrong-chain" | "ready" | "disconnected";

export interface WalletState {
  status: WalletStatus;
  account?: Address;
  chainId?: number;
  balance?: bigint;
  /** The SDK's client over the wallet (when it is on the deployment's chain). */
  client?: ConcentricClient;
  /** Why the last request failed, for the header. */
  error?: string;
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export class Wallet {
  state: WalletState;
  private listeners = new Set<(s: WalletState) => void>();

  constructor(
    readonly deployment: AppDeployment | undefined,
    readonly provider = window.ethereum,
  ) {
    this.state = { status: provider ? "idle" : "no-wallet" };
    if (!provider) return;
    provider.on?.("accountsChanged", (accounts: Address[]) => {
      if (accounts.length === 0) this.set({ status: "disconnected" });
      else void this.refresh(accounts[0]);
    });
    provider.on?.("chainChanged", () => {
      if (this.state.account) void this.refresh(this.state.account);
    });
    provider.on?.("disconnect", () => this.set({ status: "disconnected" }));
    // A wallet that this site may already use answers eth_accounts without a prompt.
    void provider
      .request({ method: "eth_accounts" })
      .then((a) => (a as Address[])[0] && this.refresh((a as Address[])[0]!))
      .catch(() => undefined);
  }

  subscribe(f: (s: WalletState) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private set(s: WalletState) {
    this.state = s;
    for (const f of this.listeners) f(s);
  }

  async connect(): Promise<void> {
    if (!this.provider) return;
    this.set({ ...this.state, status: "connecting", error: undefined });
    try {
      const accounts = (await this.provider.request({
        method: "eth_requestAccounts",
      })) as Address[];
      if (!accounts[0]) throw new Error("the wallet gave no account");
      await this.refresh(accounts[0]);
    } catch (e) {
      this.set({ status: "idle", error: describeWalletError(e).shortMessage });
    }
  }

  async switchChain(): Promise<void> {
    if (!this.provider || !this.deployment) return;
    try {
      await switchChain(this.provider, this.deployment.deployment.chainId);
      if (this.state.account) await this.refresh(this.state.account);
    } catch (e) {
      this.set({ ...this.state, error: describeWalletError(e).shortMessage });
    }
  }

  /** Re-reads chain and balance (after every transaction and on the wallet's events). */
  async refresh(account = this.state.account): Promise<void> {
    if (!this.provider || !account) return;
    const chainId = await walletChainId(this.provider);
    const want = this.deployment?.deployment.chainId;
    if (want !== undefined && chainId !== want) {
      this.set({ status: "wrong-chain", account, chainId });
      return;
    }
    const client = this.deployment
      ? walletClient(this.provider, this.deployment, account)
      : undefined;
    const balance = client ? await client.public.getBalance({ address: account }) : undefined;
    this.set({ status: "ready", account, chainId, balance, client });
  }
}
