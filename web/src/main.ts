/**
 * The Concentric web app: connect a browser wallet, stake, orchestrate, submit a job and
 * follow it to "verified on chain", and explore the network. Served by an orchestrator (its
 * `/v1` API for what it knows, `/v1/app/config` for the deployment); every chain read and
 * every transaction goes through the user's wallet.
 *
 * Routes (stable URLs; the orchestrator answers each with this app): `/` (explore), `/jobs`,
 * `/epochs`, `/rings`, `/jobs/:id`, `/submit`, `/stake`, `/orchestrate`. Pages refresh every
 * 2 s while shown (polling: the orchestrator's API is plain JSON, and the chain is read through
 * the wallet, which has no push channel a page can rely on).
 */
import "./style.css";
import type { AppDeployment } from "../../client/browser.ts";
import type { ContractAbis, Deployment } from "../../client/contracts.ts";
import { h, fill, short, eth } from "./ui.ts";
import { Wallet } from "./wallet.ts";
import { explorePage, jobPage, orchestratePage, stakePage, submitPage } from "./pages.ts";

export interface AppConfig {
  chainId: number;
  circuit: string;
  orchestrator: string;
  parent: string | null;
  /** Null for a child ring (it follows no chain). */
  contracts: Deployment["contracts"] | null;
  deploymentBlock: string | null;
  abis?: ContractAbis;
}

export interface Page {
  refresh?: () => Promise<void>;
  dispose?: () => void;
}

export interface Ctx {
  config: AppConfig;
  deployment: AppDeployment | undefined;
  wallet: Wallet;
  api: <T>(path: string, init?: RequestInit) => Promise<T>;
  notify: (kind: "ok" | "error" | "info", text: string) => void;
  navigate: (path: string) => void;
}

const REFRESH_MS = 2000;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(path, init);
  const body = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new Error(body.error ?? `${path}: HTTP ${r.status}`);
  return body as T;
}

const NAV: [string, string][] = [
  ["/", "Explore"],
  ["/submit", "Submit a job"],
  ["/stake", "Stake"],
  ["/orchestrate", "Orchestrate"],
];

async function main() {
  const root = document.getElementById("app")!;
  let config: AppConfig;
  try {
    config = await api<AppConfig>("/v1/app/config");
  } catch (e) {
    fill(root, h("p", { role: "alert" }, `Cannot reach the orchestrator: ${(e as Error).message}`));
    return;
  }
  const deployment: AppDeployment | undefined =
    config.contracts && config.abis
      ? {
          deployment: {
            chainId: config.chainId,
            block: config.deploymentBlock ?? "0",
            circuit: config.circuit,
            contracts: config.contracts,
          },
          abis: config.abis,
        }
      : undefined;
  const wallet = new Wallet(deployment);

  const walletBox = h("div", { class: "wallet", "aria-live": "polite" });
  const navList = h(
    "ul",
    {},
    NAV.map(([href, label]) => h("li", {}, h("a", { href, "data-nav": href }, label))),
  );
  const message = h("div", { id: "message", role: "status", "aria-live": "polite" });
  const main = h("main", { id: "main", tabindex: -1 });
  fill(
    root,
    h(
      "header",
      { class: "top" },
      h(
        "a",
        { class: "brand", href: "/" },
        h("span", { "aria-hidden": "true" }, "◎"),
        " Concentric",
      ),
      h("nav", { "aria-label": "Main" }, navList),
      walletBox,
    ),
    message,
    main,
    h(
      "footer",
      {},
      `Orchestrator ${config.orchestrator} · chain ${config.chainId} · circuit ${config.circuit}`,
    ),
  );

  let messageTimer: ReturnType<typeof setTimeout> | undefined;
  const notify: Ctx["notify"] = (kind, text) => {
    clearTimeout(messageTimer);
    message.className = kind;
    message.setAttribute("role", kind === "error" ? "alert" : "status");
    fill(message, text);
    if (kind !== "error") messageTimer = setTimeout(() => fill(message), 15_000);
  };

  const renderWallet = () => {
    const s = wallet.state;
    const connect = h(
      "button",
      { type: "button", class: "primary", onclick: () => void wallet.connect() },
      "Connect wallet",
    );
    switch (s.status) {
      case "no-wallet":
        fill(
          walletBox,
          h("span", { class: "muted" }, "No browser wallet found (MetaMask, Rabby…)"),
        );
        break;
      case "idle":
        fill(
          walletBox,
          connect,
          s.error ? h("span", { class: "bad", role: "alert" }, s.error) : null,
        );
        break;
      case "connecting":
        fill(walletBox, h("span", {}, "Waiting for your wallet…"));
        break;
      case "disconnected":
        fill(
          walletBox,
          h("span", { class: "bad", role: "alert" }, "Wallet disconnected."),
          connect,
        );
        break;
      case "wrong-chain":
        fill(
          walletBox,
          h(
            "div",
            { class: "wrong-chain", role: "alert" },
            `Your wallet is on chain ${s.chainId}; this network is chain ${config.chainId}. `,
            h(
              "button",
              { type: "button", class: "primary", onclick: () => void wallet.switchChain() },
              `Switch to chain ${config.chainId}`,
            ),
            s.error ? h("span", { class: "bad" }, ` ${s.error}`) : null,
          ),
        );
        break;
      case "ready":
        fill(
          walletBox,
          h(
            "dl",
            { class: "account" },
            h(
              "div",
              {},
              h("dt", {}, "Account"),
              h("dd", {}, h("code", { id: "account", title: s.account }, short(s.account))),
            ),
            h(
              "div",
              {},
              h("dt", {}, "Balance"),
              h("dd", { id: "balance" }, s.balance !== undefined ? eth(s.balance) : "—"),
            ),
            h("div", {}, h("dt", {}, "Chain"), h("dd", { id: "chain" }, String(s.chainId))),
          ),
        );
        break;
    }
  };

  let page: Page = {};
  let timer: ReturnType<typeof setInterval> | undefined;
  const ctx: Ctx = {
    config,
    deployment,
    wallet,
    api,
    notify,
    navigate: (path) => {
      history.pushState(null, "", path);
      route();
    },
  };

  const route = () => {
    page.dispose?.();
    clearInterval(timer);
    // An error belongs to the page it happened on; a notice (e.g. "submitted") follows the
    // navigation it announces, and fades by itself.
    if (message.className === "error") {
      message.className = "";
      fill(message);
    }
    const path = location.pathname.replace(/\/+$/, "") || "/";
    for (const a of Array.from(navList.querySelectorAll("a"))) {
      const href = a.getAttribute("data-nav")!;
      const current =
        href === "/" ? ["/", "/jobs", "/epochs", "/rings"].includes(path) : path.startsWith(href);
      if (current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    main.replaceChildren();
    const job = /^\/jobs\/(\d+)$/.exec(path);
    if (job) page = jobPage(ctx, main, Number(job[1]));
    else if (path === "/stake") page = stakePage(ctx, main);
    else if (path === "/orchestrate") page = orchestratePage(ctx, main);
    else if (path === "/submit") page = submitPage(ctx, main);
    else if (["/", "/jobs", "/epochs", "/rings"].includes(path))
      page = explorePage(ctx, main, path);
    else {
      fill(main, h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, path), "."));
      page = {};
    }
    const tick = () => page.refresh?.().catch((e: Error) => notify("error", e.message));
    void tick();
    timer = setInterval(tick, REFRESH_MS);
  };

  wallet.subscribe(() => {
    renderWallet();
    void page.refresh?.().catch(() => undefined);
  });
  renderWallet();
  // Links inside the app navigate without a reload (the wallet connection stays).
  document.addEventListener("click", (e) => {
    const a = (e.target as Element).closest?.("a");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    const href = a.getAttribute("href");
    if (!href || !href.startsWith("/") || href.startsWith("/v1") || a.target) return;
    e.preventDefault();
    ctx.navigate(href);
    main.focus();
  });
  window.addEventListener("popstate", route);
  route();
}

void main();
