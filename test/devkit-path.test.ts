/**
 * The README's ten-minute path, step by step, with the README's own commands: scaffold a guest,
 * build it, run and profile it, prove and verify it locally, then submit it on a devnet where
 * an orchestrator and a delegator settle it, and wait for the job with the expected output.
 * The README's `npm start -- --keep` (the whole local network) is stood in for by a devnet, an
 * orchestrator and a delegator started here with the CLI on their own ports. The commands are
 * read from the README's code block, so the README cannot drift from what is tested.
 * Needs clang and lld (skipped with the reason when absent).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { findToolchain } from "../scripts/guest-cli.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";

const RPC_PORT = 18558; // not 18547 (rings.test.ts): vitest runs files side by side
const API_PORT = 17031;
const tc = findToolchain();
const missing =
  !tc || !tc.lld ? "clang and lld are not installed (apt-get install -y clang lld)" : undefined;
if (missing) console.warn(`README path test skipped: ${missing}`);

/** The README's ten-minute block: its `npx concentric …` lines, comments dropped. */
function readmeSteps(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Ten minutes");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))![1]!;
  return block
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l.startsWith("npx concentric "))
    .map((l) => l.split(/\s+/).slice(2));
}

const procs: ChildProcess[] = [];
let devnet: Devnet | undefined;
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  devnet?.stop();
});

describe.skipIf(missing !== undefined)("the README's ten-minute path", () => {
  it("runs every step as written", async () => {
    const work = mkdtempSync(join(tmpdir(), "concentric-path-"));
    const bin = join(REPO_ROOT, "bin/concentric.mjs");
    const chain = ["--rpc", `http://127.0.0.1:${RPC_PORT}`, "--deployment", join(work, "d.json")];
    const run = (args: string[], extra: string[] = []) =>
      spawnSync(process.execPath, [bin, ...args, ...extra], { cwd: work, encoding: "utf8" });
    const steps = readmeSteps();
    expect(steps.map((s) => s[0])).toEqual([
      "new",
      "build",
      "exec",
      "exec",
      "prove",
      "verify",
      "submit-job",
      "job",
    ]);
    const [, , exec, profile, prove, verify, submit, job] = steps;
    for (const s of steps.slice(0, 6)) {
      const r = run(s);
      expect(r.status, `${s.join(" ")}\n${r.stderr}`).toBe(0);
      if (s === exec) expect(r.stdout).toContain("output (hex):  19000000");
      if (s === profile) expect(r.stdout).toMatch(/cycles per function[\s\S]*is_prime/);
      if (s === prove) {
        expect(r.stdout).toMatch(/output \(hex\): +00000000\n/);
        expect(r.stderr).toMatch(/^proving: 1\/\d+ chunks/m); // one line per chunk (no TTY)
      }
      if (s === verify)
        expect(r.stdout).toMatch(/^valid: \d+ chunk proofs, image 0x[0-9a-f]{64}\n/);
    }
    // the proof of another output is refused
    const wrong = run(verify!.map((a) => (a === "00000000" ? "01000000" : a)));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe("output 00000000 is not the expected 01000000\n");

    // the README's `npm start -- --keep`: a devnet, a staked root orchestrator, a delegator
    devnet = await startDevnet({ port: RPC_PORT, deploymentFile: join(work, "d.json") });
    expect(run(["stake", "2", "--dev-account", "1"], chain).status).toBe(0);
    const url = `http://127.0.0.1:${API_PORT}`;
    expect(
      run(["register-orchestrator", "--endpoint", url, "--dev-account", "1"], chain).status,
    ).toBe(0);
    const daemon = (args: string[]) => {
      const p = spawn(process.execPath, [bin, ...args], { cwd: work, stdio: "pipe" });
      let text = "";
      p.stdout!.on("data", (b: Buffer) => (text += b));
      p.stderr!.on("data", (b: Buffer) => (text += b));
      procs.push(p);
      return () => text;
    };
    const orch = daemon([
      "orchestrator",
      ...chain,
      "--dev-account",
      "1",
      "--port",
      String(API_PORT),
      "--db",
      join(work, "o.sqlite"),
    ]);
    for (let t = 0; !/serving http/.test(orch()); t++) {
      if (t > 600) throw new Error(`no orchestrator:\n${orch()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    daemon(["delegator", "--orchestrator", url, "--dev-account", "2", "--workers", "2"]);

    const submitted = run(submit!, chain);
    expect(submitted.status, submitted.stderr).toBe(0);
    const id = /job (\d+): follow it/.exec(submitted.stdout)![1]!;
    const waited = run(
      job!.map((a) => (a === "<id>" ? id : a)),
      [...chain, "--timeout", "1500"],
    );
    expect(waited.status, `${waited.stdout}\n${waited.stderr}\n${orch().slice(-2000)}`).toBe(0);
    expect(waited.stdout).toMatch(new RegExp(`job ${id}: settled`));
    expect(waited.stdout).toContain("output is the expected 01000000");
  }, 1_800_000);
});
