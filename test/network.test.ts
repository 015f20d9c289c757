/**
 * The network end to end, every part its own process: a hardhat node with the system deployed,
 * an orchestrator (`concentric orchestrator`), two delegators (`concentric delegator`), a user's
 * job, real Groth16 proofs, and the epoch's Universal Proof verified on chain. Faults on the way:
 * a delegator is killed holding a lease (the lease is re-issued after its deadline), and the
 * orchestrator is killed with SIGKILL mid-job and restarted on its database (no accepted proof
 * is lost and the epoch completes). Then the dashboard is loaded in headless Chromium.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { devAccount, stakeAndRegister, submitGuestJob } from "../scripts/lib/actors.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { connect, contracts } from "../client/chain.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";
import { until } from "./helpers/until.ts";

const RPC_PORT = 18546;
const API_PORT = 17001;
const URL = `http://127.0.0.1:${API_PORT}`;
const dir = mkdtempSync(join(tmpdir(), "concentric-net-"));
const dbFile = join(dir, "orchestrator.sqlite");
let devnet: Devnet;
const procs: ChildProcess[] = [];

interface Proc {
  child: ChildProcess;
  out: () => string;
  waitFor: (re: RegExp, timeoutMs: number) => Promise<void>;
}

function cli(name: string, ...args: string[]): Proc {
  // One process (node with tsx's loader), so a signal reaches the program itself.
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
    waitFor: async (re, timeoutMs) => {
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

const orchestrator = () =>
  cli(
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
    dbFile,
    "--lease-seconds",
    "15",
  );
const delegator = (i: number) =>
  cli(`delegator ${i}`, "delegator", "--orchestrator", URL, "--dev-account", String(i));

function doneRows(): { idx: number; prover: string }[] {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    return db.prepare("SELECT idx, prover FROM tasks WHERE status = 'done' ORDER BY idx").all() as {
      idx: number;
      prover: string;
    }[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  devnet = await startDevnet({ port: RPC_PORT, deploymentFile: join(dir, "deployment.json") });
}, 300_000);

afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  devnet?.stop();
});

describe("the network, end to end", () => {
  it("proves a job through killed delegators and a SIGKILLed orchestrator, and settles its epoch on chain", async () => {
    const [orch, user] = [await devAccount(1), await devAccount(5)];
    const [d2, d3] = [await devAccount(2), await devAccount(3)];
    await stakeAndRegister(devnet.rpc, devnet.deployment, orch, URL);
    let o = orchestrator();
    await o.waitFor(/serving http/, 300_000);

    const job = await submitGuestJob(
      devnet.rpc,
      devnet.deployment,
      user,
      "fibonacci",
      GUEST_INPUTS.fibonacci!,
    );
    const status = async () => {
      const r = await fetch(`${URL}/v1/jobs/${job.jobId}`);
      return r.ok ? ((await r.json()) as { status: string; chunks: number }) : undefined;
    };
    const { chunks } = await until("the job to be executed", status, 60_000);
    expect(chunks).toBeGreaterThan(6);

    // Delegator 2 proves one chunk, takes the next lease, and is killed holding it.
    const a = delegator(2);
    await a.waitFor(/proved job \d+ chunk \d+/, 300_000);
    await new Promise((r) => setTimeout(r, 1000));
    a.child.kill("SIGKILL");
    const b = delegator(3);
    await b.waitFor(/\(3 accepted\)/, 300_000);

    // SIGKILL the orchestrator mid-job; what it accepted is on disk; restart on the same file.
    o.child.kill("SIGKILL");
    await new Promise((r) => o.child.once("exit", r));
    const before = doneRows();
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(before.length).toBeLessThan(chunks);
    o = orchestrator();
    await o.waitFor(/serving http/, 120_000);

    // Delegator 3 reconnects (backoff) and finishes, including the killed delegator's chunk.
    await until(
      "the job to be proven",
      async () => {
        const s = await status();
        return s?.status === "proven" || s?.status === "settled" ? s : undefined;
      },
      600_000,
    );
    const after = doneRows();
    for (const r of before) expect(after).toContainEqual(r); // nothing accepted was lost
    expect(after).toHaveLength(chunks);
    const provers = new Set(after.map((r) => r.prover.toLowerCase()));
    expect(provers).toEqual(new Set([d2.address.toLowerCase(), d3.address.toLowerCase()]));

    // The epoch ends (development chain: move its clock), the orchestrator submits.
    await devnet.rpcCall("evm_increaseTime", [120]);
    await devnet.rpcCall("evm_mine");
    const epoch = await until(
      "the epoch on chain",
      async () => {
        const list = (await (await fetch(`${URL}/v1/epochs`)).json()) as {
          epoch: number;
          status: string;
          gas: string;
        }[];
        return list.find((e) => e.epoch === Number(job.epoch) && e.status === "submitted");
      },
      300_000,
    );
    expect(Number(epoch.gas)).toBeGreaterThan(100_000);

    const { publicClient } = await connect(devnet.rpc);
    const c = contracts(devnet.deployment, { public: publicClient });
    const [settled, result] = (await c.jobs.read.result([job.jobId])) as [
      boolean,
      { exitCode: number; cycles: bigint },
    ];
    expect(settled).toBe(true);
    expect(result.exitCode).toBe(0);
    for (const d of [d2, d3])
      expect(await c.epochs.read.rewardsOf([d.address])).toBeGreaterThan(0n);
    const metrics = await (await fetch(`${URL}/metrics`)).text();
    expect(metrics).toMatch(/concentric_epochs_submitted_total 1/);

    // The dashboard, in a real headless browser, shows the verified epoch.
    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
    if (!chromium) throw new Error("Debian chromium is needed: apt-get install -y chromium");
    const { chromium: pw } = await import("playwright-core");
    const browser = await pw.launch({ executablePath: chromium, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(URL + "/");
      await page.waitForSelector(`tr.epoch[data-status="submitted"]`, { timeout: 30_000 });
      const text = await page.textContent("body");
      expect(text).toContain("verified on chain");
      expect(text).toContain(d3.address);
    } finally {
      await browser.close();
    }
    b.child.kill("SIGINT");
    await b.waitFor(/stopped: \d+ accepted/, 60_000);
  }, 1_500_000);
});
