/**
 * The web app in a real browser (headless Debian chromium driven by playwright-core) against a
 * real network: a hardhat node with the system deployed, an orchestrator (`concentric
 * orchestrator`, which serves the app) and two delegators (`concentric delegator`) proving with
 * real Groth16 proofs.
 *
 * The wallet is a stand-in for a browser extension: a test EIP-1193 provider injected as
 * `window.ethereum` before the page loads. It forwards every request to the hardhat node, which
 * signs for its unlocked development account 1 (so `eth_sendTransaction` works as a wallet's
 * would), and it plays a wallet's part in what the test needs: it starts on the wrong chain (1)
 * and switches on `wallet_switchEthereumChain`, rejects the next transaction or signature
 * (`personal_sign`) with EIP-1193 code 4001 on request, and emits `accountsChanged`/`chainChanged`.
 *
 * The user (dev account 1) connects, switches chain, stakes from the page (checked on chain),
 * is refused once (rejected in the wallet → message), registers as a root orchestrator (checked
 * on chain) — the orchestrator process runs with the same key and starts working once it is
 * active — is refused by the contract when registering twice (the custom error by name), submits
 * fibonacci(10) from the page, follows the job page to "verified on chain" with output 55 and
 * the digest check, submits a second job whose input is a 200-byte file (committed on chain by
 * digest; its upload, signed in the wallet, is rejected once and retried) that settles too, withdraws the orchestrator's rewards, explores, approves a child ring that
 * then registers under it (the ring view shows it), unstakes (time left; an early withdrawal is
 * refused by name), withdraws after the unbonding delay, leaves, prepares a job from an uploaded
 * ELF with text and file inputs, and disconnects.
 * Screenshots of each stage go to test/artifacts/webapp/ (git-ignored).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { parseEther, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { devAccount } from "../scripts/lib/actors.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { onChainInput, readJob } from "../client/actions.ts";
import {
  artifactAbi,
  connect,
  contracts,
  createConcentricClient,
  walletClient,
} from "../client/chain.ts";
import { inputDigest } from "../prover/executor/digest.ts";
import { WEB_DIST } from "../orchestrator/explorer-api.ts";

const RPC_PORT = 18557;
const API_PORT = 17021;
const URL = `http://127.0.0.1:${API_PORT}`;
const SHOTS = join(REPO_ROOT, "test", "artifacts", "webapp");
const dir = mkdtempSync(join(tmpdir(), "concentric-web-"));
let devnet: Devnet;
let browser: Browser | undefined;
const procs: ChildProcess[] = [];

function cli(name: string, ...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.push(child);
  let text = "";
  child.stdout!.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (text += b.toString()));
  return {
    child,
    out: () => text,
    waitFor: async (re: RegExp, timeoutMs: number) => {
      const t0 = Date.now();
      while (!re.test(text)) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited (${child.exitCode}) before ${re}:\n${text.slice(-3000)}`);
        if (Date.now() - t0 > timeoutMs)
          throw new Error(`${name}: no ${re} after ${timeoutMs} ms:\n${text.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/** The test wallet, page side: an EIP-1193 provider whose requests the test (node) answers. */
const PROVIDER_SCRIPT = `(() => {
  const listeners = {};
  const emit = (ev, arg) => (listeners[ev] || []).slice().forEach((f) => f(arg));
  window.__testWallet = { emit };
  window.ethereum = {
    isMetaMask: false,
    isConcentricTestWallet: true,
    async request({ method, params }) {
      const r = await window.__testWalletRpc(method, params ?? []);
      if (r.error) {
        const e = new Error(r.error.message);
        e.code = r.error.code;
        if (r.error.data !== undefined) e.data = r.error.data;
        throw e;
      }
      if (r.emit) for (const [ev, arg] of r.emit) setTimeout(() => emit(ev, arg), 0);
      return r.result;
    },
    on(ev, f) { (listeners[ev] = listeners[ev] || []).push(f); return this; },
    removeListener(ev, f) { listeners[ev] = (listeners[ev] || []).filter((g) => g !== f); return this; },
  };
})();`;

interface TestWallet {
  account: Address;
  chainId: number;
  connected: boolean;
  rejectNext: boolean;
  rejectNextSignature: boolean;
  requests: string[];
}

async function openApp(b: Browser, w: TestWallet, viewport = { width: 1280, height: 900 }) {
  const context = await b.newContext({ viewport });
  await context.exposeFunction("__testWalletRpc", async (method: string, params: unknown[]) => {
    w.requests.push(method);
    switch (method) {
      case "eth_requestAccounts":
        w.connected = true;
        return { result: [w.account] };
      case "eth_accounts":
        return { result: w.connected ? [w.account] : [] };
      case "eth_chainId":
        return { result: `0x${w.chainId.toString(16)}` };
      case "net_version":
        return { result: String(w.chainId) };
      case "wallet_switchEthereumChain": {
        const id = Number((params[0] as { chainId: string }).chainId);
        if (id !== 31337) return { error: { code: 4902, message: `unknown chain ${id}` } };
        w.chainId = id;
        return { result: null, emit: [["chainChanged", `0x${id.toString(16)}`]] };
      }
      case "eth_sendTransaction":
        if (w.rejectNext) {
          w.rejectNext = false;
          return { error: { code: 4001, message: "User rejected the request." } };
        }
        break;
      case "personal_sign":
        if (w.rejectNextSignature) {
          w.rejectNextSignature = false;
          return { error: { code: 4001, message: "User rejected the request." } };
        }
    }
    // Everything else goes to the node (it signs eth_sendTransaction for its dev accounts).
    const r = await fetch(devnet.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const j = (await r.json()) as { result?: unknown; error?: unknown };
    return j.error ? { error: j.error } : { result: j.result };
  });
  await context.addInitScript(PROVIDER_SCRIPT);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, errors };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** expect.poll with this test's patience (pages refresh every 2 s; the machine may be busy). */
const poll = <T>(f: () => T | Promise<T>, o: { timeout?: number; interval?: number } = {}) =>
  expect.poll(f, { timeout: 30_000, interval: 250, ...o });

const message = (page: Page) => page.locator("#message");

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html")))
    throw new Error("the web app is not built: npm run build");
  mkdirSync(SHOTS, { recursive: true });
  devnet = await startDevnet({ port: RPC_PORT, deploymentFile: join(dir, "deployment.json") });
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  devnet?.stop();
});

describe("the web app, in headless chromium, against a real network", () => {
  it("connects, stakes, registers, submits fibonacci(10) and follows it to verified on chain; error paths", async () => {
    const t0 = Date.now();
    const user = await devAccount(1);
    const { chain, publicClient } = await connect(devnet.rpc);
    const c = contracts(devnet.deployment, { public: publicClient });

    // The orchestrator (dev account 1, not yet staked or registered: it serves the app and
    // waits to be active) and two delegators.
    const orch = cli(
      "orchestrator",
      "orchestrator",
      "--rpc",
      devnet.rpc,
      "--deployment",
      devnet.deploymentFile,
      "--dev-account",
      "1",
      "--port",
      String(API_PORT),
      "--db",
      join(dir, "orchestrator.sqlite"),
    );
    await orch.waitFor(/serving http/, 300_000);
    for (const i of [2, 3])
      cli(`delegator ${i}`, "delegator", "--orchestrator", URL, "--dev-account", String(i));

    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
    if (!chromium) throw new Error("Debian chromium is needed: apt-get install -y chromium");
    const { chromium: pw } = await import("playwright-core");
    browser = await pw.launch({ executablePath: chromium, args: ["--no-sandbox"] });
    const wallet: TestWallet = {
      account: user.address,
      chainId: 1, // a wallet still on mainnet
      connected: false,
      rejectNext: false,
      rejectNextSignature: false,
      requests: [],
    };
    const { page, errors } = await openApp(browser, wallet);

    // Explore, before anything happened; the first Tab reaches the skip link.
    await page.goto(`${URL}/`);
    await page.getByRole("heading", { name: "Explore the network" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await shot(page, "01-explore-empty");

    // Connect: the wallet is on chain 1, the page refuses it and offers the switch.
    await page.getByRole("button", { name: "Connect wallet" }).click();
    const wrong = page.locator(".wrong-chain");
    await wrong.waitFor();
    expect(await wrong.textContent()).toContain(
      "Your wallet is on chain 1; this network is chain 31337",
    );
    await shot(page, "02-wrong-chain");
    await page.getByRole("button", { name: "Switch to chain 31337" }).click();
    await page.locator("#account").waitFor();
    expect(await page.locator("#account").getAttribute("title")).toBe(user.address);
    expect(await page.locator("#chain").textContent()).toBe("31337");
    expect(await page.locator("#balance").textContent()).toMatch(/^\d[\d.]* ETH$/);
    expect(wallet.requests).toContain("wallet_switchEthereumChain");
    await shot(page, "03-connected");

    // Stake 2 ETH from the page; the chain has it.
    await page.getByRole("link", { name: "Stake", exact: true }).click();
    // (By keyboard: type the amount, Enter submits the form.)
    await page.getByLabel("Amount to stake (ETH)").fill("2");
    await page.getByLabel("Amount to stake (ETH)").press("Enter");
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe("Staked 2 ETH.");
    expect(await c.staking.read.stakeOf([user.address])).toBe(parseEther("2"));
    await poll(() => page.locator("#staked").textContent()).toBe("2 ETH");
    await shot(page, "04-staked");

    // Rejected in the wallet: a message, and nothing staked.
    wallet.rejectNext = true;
    await page.getByLabel("Amount to stake (ETH)").fill("1");
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe(
      "You rejected the request in your wallet; nothing was sent.",
    );
    expect(await message(page).getAttribute("role")).toBe("alert");
    expect(await c.staking.read.stakeOf([user.address])).toBe(parseEther("2"));
    await shot(page, "05-rejected");

    // Register as a root orchestrator at this app's orchestrator URL.
    await page.getByRole("link", { name: "Orchestrate" }).click();
    expect(await page.getByLabel("Endpoint URL").inputValue()).toBe(URL);
    await page.getByRole("button", { name: "Register as orchestrator" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe(
      `Registered as an orchestrator at ${URL}.`,
    );
    expect(await c.registry.read.isActive([user.address])).toBe(true);
    await poll(() => page.locator("#orch-status").textContent()).toBe("active");
    await shot(page, "06-registered");

    // Twice: the contract refuses, by its custom error's name.
    await page.getByRole("button", { name: "Register as orchestrator" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe(
      `The contract refused: Registry__AlreadyRegistered(${user.address})`,
    );
    await shot(page, "07-revert-custom-error");

    // Every form control has a label (accessibility).
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, select"))
        .filter((el) => !el.id || !document.querySelector(`label[for="${el.id}"]`))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    // Submit fibonacci(10) from the page.
    await page.getByRole("link", { name: "Submit a job" }).click();
    await poll(() => page.getByLabel("Guest program").inputValue()).toBe("fibonacci");
    await page.getByLabel("Input as").selectOption("u32");
    await page.getByLabel("Input", { exact: true }).fill("10");
    await poll(() => page.locator("#fee").textContent(), { timeout: 30_000 }).toMatch(/ETH$/);
    const imageId = await page.locator("#image-id").textContent();
    expect(imageId).toMatch(/^0x[0-9a-f]{64}$/); // as the CLI prints it
    await shot(page, "08-submit");
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/\d+$/, { timeout: 60_000 });
    const jobId = Number(/\/jobs\/(\d+)$/.exec(page.url())![1]);
    const job = (await c.jobs.read.job([BigInt(jobId)])) as { imageId: bigint; requester: string };
    expect(`0x${job.imageId.toString(16).padStart(64, "0")}`).toBe(imageId);
    expect(job.requester).toBe(user.address);

    // The job page follows it: executing, chunks proven by the delegators, …
    const status = () => page.locator("#job-status").textContent();
    await poll(status, { timeout: 120_000 }).toMatch(/proving: [1-9]\d* \/ \d+ chunks/);
    await shot(page, "09-job-proving");

    // Meanwhile a second job, whose input is a 200-byte file (fibonacci reads its first 4 bytes,
    // u32 10: the same 134-cycle run): over 64 bytes, so it is committed on chain by digest and
    // the job page uploads its bytes to the orchestrator, signed in the wallet. The first
    // signature is rejected (the job waits on chain for its input; a retry is offered).
    const longInput = new Uint8Array(200).map((_, i) => (i < 4 ? [10, 0, 0, 0][i]! : i));
    await page.getByRole("link", { name: "Submit a job" }).click();
    await poll(() => page.getByLabel("Guest program").inputValue()).toBe("fibonacci");
    await page.getByLabel("Input as").selectOption("file");
    await page.getByLabel("Input file").setInputFiles({
      name: "long-input.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(longInput),
    });
    await poll(() => page.locator("#input-path").textContent()).toMatch(/^by its digest/);
    await poll(() => page.locator("#fee").textContent()).toMatch(/ETH$/);
    wallet.rejectNextSignature = true;
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.waitForURL(/\/jobs\/\d+$/, { timeout: 60_000 });
    const longJobId = BigInt(/\/jobs\/(\d+)$/.exec(page.url())![1]!);
    expect(longJobId).not.toBe(BigInt(jobId));
    const inputStatus = () => page.locator("#input-status").textContent();
    await poll(inputStatus, { timeout: 60_000 }).toMatch(/^You rejected the signature/);
    expect(wallet.requests).toContain("personal_sign");
    await shot(page, "09a-input-rejected");
    expect(await page.getByRole("button", { name: "Retry the upload" }).count()).toBe(1);
    // A reload loses the bytes the page held: the job page asks for the file again. A wrong
    // file is refused by the orchestrator (it does not hash to the digest on chain); the right
    // one is delivered.
    await page.reload();
    await poll(inputStatus, { timeout: 60_000 }).toMatch(
      /^The orchestrator waits for this job's input/,
    );
    const wrongFile = longInput.map((b, i) => (i === 199 ? b ^ 1 : b));
    await page.getByLabel("Input file for this job").setInputFiles({
      name: "wrong.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(wrongFile),
    });
    await poll(inputStatus, { timeout: 60_000 }).toMatch(/^The input upload failed: /);
    await shot(page, "09c-input-wrong-file");
    await page.getByLabel("Input file for this job").setInputFiles({
      name: "long-input.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(longInput),
    });
    await poll(inputStatus, { timeout: 60_000 }).toMatch(
      /^Input delivered: the orchestrator has its 200 bytes/,
    );
    await poll(status, { timeout: 60_000 }).toMatch(/proving|every chunk proven|Universal Proof/);
    await shot(page, "09b-input-delivered");
    // The digest path: the chain holds the digest of the file's bytes and no input of its own.
    const sdk = await createConcentricClient({ rpc: devnet.rpc, deployment: devnet.deployment });
    expect((await readJob(sdk, { jobId: longJobId })).inputDigest).toBe(
      await inputDigest(longInput),
    );
    expect(await onChainInput(sdk, longJobId)).toBeUndefined();
    expect(await onChainInput(sdk, BigInt(jobId))).toEqual(new Uint8Array([10, 0, 0, 0]));
    await page.goto(`${URL}/jobs/${jobId}`);
    // (Epochs are 60 s of the chain's clock, which follows this machine's: the epoch may end and
    // be submitted while the last chunks are proven.)
    await poll(status, { timeout: 900_000, interval: 1000 }).toMatch(
      /every chunk proven|in the Universal Proof|verified on chain/,
    );
    const provers = await page
      .locator("section[aria-labelledby=job-chunks-h] td code")
      .allTextContents();
    expect(await page.locator("#job-chunks-h").textContent()).toMatch(
      /^Chunks \((\d+) \/ \1 proven\)$/,
    );
    const d2 = (await devAccount(2)).address;
    const d3 = (await devAccount(3)).address;
    expect(provers.length).toBeGreaterThan(6);
    for (const p of provers) expect([d2, d3]).toContain(p);

    // … the epoch ends (development chain: move its clock, if it has not ended), the
    // orchestrator submits.
    await devnet.rpcCall("evm_increaseTime", [120]);
    await devnet.rpcCall("evm_mine");
    await poll(status, { timeout: 300_000, interval: 2000 }).toBe("Status: verified on chain");
    expect(await page.locator("#output-u32").textContent()).toBe("55");
    expect(await page.locator("#output-hex").textContent()).toBe("0x37000000");
    expect(await page.locator("#exit-code").textContent()).toBe("0");
    expect(await page.locator("#digest-check").textContent()).toMatch(
      /^matches the chain's \(recomputed in your browser with the chain's Poseidon contract\)/,
    );
    const [settled, result] = (await c.jobs.read.result([BigInt(jobId)])) as [
      boolean,
      { cycles: bigint },
    ];
    expect(settled).toBe(true);
    expect(await page.locator("#cycles").textContent()).toBe(String(result.cycles));
    expect(await page.locator("ol.steps li.done").count()).toBe(5);
    await shot(page, "10-job-verified");
    // The job submitted by digest settles too, with the same run.
    await poll(async () => (await readJob(sdk, { jobId: longJobId })).status, {
      timeout: 300_000,
      interval: 2000,
    }).toBe("settled");
    expect((await readJob(sdk, { jobId: longJobId })).result).toMatchObject({
      exitCode: 0,
      cycles: result.cycles,
    });

    // The same page at phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "11-job-verified-phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Rewards: the orchestrator assembled the epoch; withdraw them from the page.
    const rewards = (await c.epochs.read.rewardsOf([user.address])) as bigint;
    expect(rewards).toBeGreaterThan(0n);
    await page.getByRole("link", { name: "Stake", exact: true }).click();
    await poll(() => page.locator("#rewards").textContent()).not.toBe("0 ETH");
    await page.getByRole("button", { name: "Withdraw rewards" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toMatch(
      /^Rewards withdrawn: /,
    );
    expect(await c.epochs.read.rewardsOf([user.address])).toBe(0n);
    await shot(page, "12-rewards-withdrawn");

    // Explore: the epoch verified on chain, the delegators with their proofs.
    await page.getByRole("link", { name: "Explore" }).click();
    await page.locator(`tr.epoch[data-status="submitted"]`).first().waitFor({ timeout: 30_000 });
    const body = await page.textContent("main");
    expect(body).toContain("verified on chain");
    expect(body).toContain(d2);
    expect(body).toContain(d3);
    expect(await page.locator("#throughput-total").textContent()).toMatch(/^[1-9]\d* accepted/);
    await shot(page, "13-explore");

    // The ring: approve a child from the page; it registers under us (its own key, here);
    // the ring view shows it with its stake.
    const child = await devAccount(7);
    await page.getByRole("link", { name: "Orchestrate" }).click();
    await page.getByLabel("Child orchestrator's address").fill(child.address);
    await page.getByRole("button", { name: "Approve child" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe(
      `Approved ${child.address} to register under you.`,
    );
    expect(
      await publicClient.readContract({
        address: devnet.deployment.contracts.registry,
        abi: artifactAbi("OrchestratorRegistry"),
        functionName: "childApproved",
        args: [user.address, child.address],
      }),
    ).toBe(true);
    const childSession = contracts(devnet.deployment, {
      public: publicClient,
      wallet: walletClient(chain, devnet.rpc, child),
    });
    for (const hash of [
      await childSession.staking.write.stake({ value: parseEther("1.5") }),
      await childSession.registry.write.register(["http://127.0.0.1:17999", user.address]),
    ])
      await publicClient.waitForTransactionReceipt({ hash });
    const ringRow = page.locator("section[aria-labelledby=ring-h] tr", { hasText: child.address });
    await poll(() => ringRow.textContent(), { timeout: 30_000 }).toContain("1.5 ETH");
    expect(await ringRow.textContent()).toContain("yes");
    await shot(page, "14-ring");

    // Unstake what is not locked, see the time left, be refused early (by name), withdraw after
    // the unbonding delay (development chain: move its clock).
    await page.getByRole("link", { name: "Stake", exact: true }).click();
    await page.getByLabel("Amount to unstake (ETH)").fill("0.5");
    await page.getByRole("button", { name: "Request unstake" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toMatch(
      /^Unstaking 0.5 ETH/,
    );
    await poll(() => page.locator("#unbonding").textContent()).toMatch(
      /^0.5 ETH — withdrawable in \d/,
    );
    await page.getByRole("button", { name: "Withdraw unbonded stake" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toMatch(
      /^The contract refused: Staking__StillUnbonding\(\d+\)$/,
    );
    await shot(page, "15-unbonding");
    const delay = (await publicClient.readContract({
      address: devnet.deployment.contracts.staking,
      abi: artifactAbi("Staking"),
      functionName: "UNBONDING_DELAY",
    })) as bigint;
    await devnet.rpcCall("evm_increaseTime", [Number(delay) + 1]);
    await devnet.rpcCall("evm_mine");
    await poll(() => page.locator("#unbonding").textContent(), { timeout: 30_000 }).toBe(
      "0.5 ETH — withdrawable now",
    );
    const before = await publicClient.getBalance({ address: user.address });
    await page.getByRole("button", { name: "Withdraw unbonded stake" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe(
      "Unbonded stake withdrawn to your account.",
    );
    expect(await c.staking.read.stakeOf([user.address])).toBe(parseEther("1.5"));
    expect(await publicClient.getBalance({ address: user.address })).toBeGreaterThan(before);
    await poll(() => page.locator("#unbonding").textContent()).toBe("nothing");
    await shot(page, "16-withdrawn");

    // Leave: request exit (the child is evicted); deregistration waits for the exit delay.
    await page.getByRole("link", { name: "Orchestrate" }).click();
    await page.getByRole("button", { name: "Leave (request exit)" }).click();
    await poll(() => message(page).textContent(), { timeout: 30_000 }).toBe("Exit requested.");
    await poll(() => page.locator("#orch-status").textContent()).toMatch(
      /^leaving: deregister in /,
    );
    expect(await c.registry.read.isActive([user.address])).toBe(false);
    await shot(page, "17-leaving");

    // Submit page, other inputs: an uploaded ELF (the same image ID as the committed guest),
    // text (UTF-8) and a file as input.
    await page.getByRole("link", { name: "Submit a job" }).click();
    await poll(() => page.locator("#image-id").textContent()).toBe(imageId);
    await page.getByLabel("Guest program").selectOption("__upload");
    await page
      .getByLabel("ELF file (RV32IM)")
      .setInputFiles(join(REPO_ROOT, "guests", "elf", "fibonacci.elf"));
    await page.getByLabel("Input as").selectOption("text");
    await page.getByLabel("Input", { exact: true }).fill("ab");
    await poll(() => page.locator("#input-hex").textContent()).toBe("0x6162");
    expect(await page.locator("#image-id").textContent()).toBe(imageId);
    await page.getByLabel("Input as").selectOption("file");
    await page.getByLabel("Input file").setInputFiles({
      name: "input.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from([7, 0, 0, 0]),
    });
    await poll(() => page.locator("#input-hex").textContent()).toBe("0x07000000");
    await poll(() => page.locator("#fee").textContent()).toMatch(/ETH$/);
    await shot(page, "18-submit-upload");
    // Over 64 KiB: refused in the browser, before anything is sent.
    await page.getByLabel("Input file").setInputFiles({
      name: "huge.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(64 * 1024 + 1),
    });
    await poll(() =>
      page.locator("section[aria-labelledby=preview-h] [role=alert]").textContent(),
    ).toMatch(/^The input is 65,537 bytes; a job's input is at most 65,536 bytes \(64 KiB\)/);
    expect(await page.getByRole("button", { name: "Submit job" }).isDisabled()).toBe(true);

    // The stable URL of the job page loads on its own (a fresh page, same wallet).
    await page.goto(`${URL}/jobs/${jobId}`);
    await poll(status, { timeout: 30_000 }).toBe("Status: verified on chain");
    await page.goto(`${URL}/jobs/${longJobId}`);
    await poll(status, { timeout: 30_000 }).toBe("Status: verified on chain");
    expect(await page.locator("#output-u32").textContent()).toBe("55");

    // Every page at phone width: nothing wider than the screen (wide tables scroll in their
    // own region).
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, ready] of [
      ["/", "tr.epoch"],
      ["/stake", "#staked"],
      ["/orchestrate", "#orch-status"],
      ["/submit", "#fee"],
    ] as const) {
      await page.goto(`${URL}${path}`);
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
      const wide = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(wide, `${path} at 390 px`).toBeLessThanOrEqual(0);
      await shot(page, `phone${path === "/" ? "-explore" : path.replace("/", "-")}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // The wallet disconnects.
    await page.evaluate(() =>
      (
        window as unknown as { __testWallet: { emit: (e: string, a: unknown) => void } }
      ).__testWallet.emit("accountsChanged", []),
    );
    await page.getByText("Wallet disconnected.").waitFor();
    await shot(page, "19-disconnected");

    expect(errors).toEqual([]);
    console.log(`web app test: ${Math.round((Date.now() - t0) / 1000)} s, screenshots in ${SHOTS}`);
  }, 1_500_000);
});
