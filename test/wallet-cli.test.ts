/**
 * The CLI's chain commands against a real hardhat node over JSON-RPC (its own port), with the
 * system deployed by `scripts/deploy.ts`: each command prints its transaction hash and decoded
 * events, reverts print the contract's custom error, keys come from an encrypted keystore or
 * (devnet only) the dev accounts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalletClient, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute, loadElf } from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { loadAccount, WalletError } from "../client/chain.ts";

const PORT = 18545;
const RPC = `http://127.0.0.1:${PORT}`;
const dir = mkdtempSync(join(tmpdir(), "concentric-cli-"));
const deployment = join(dir, "deployment.json");
const env = {
  ...process.env,
  CONCENTRIC_RPC: RPC,
  CONCENTRIC_DEPLOYMENT_FILE: deployment,
  CONCENTRIC_KEYSTORE_PASSWORD: "correct horse",
};
let devnet: Devnet;

function cli(...args: string[]) {
  const r = spawnSync(
    "npx",
    ["tsx", "scripts/cli.ts", ...args, "--rpc", RPC, "--deployment", deployment],
    { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 120_000 },
  );
  return { status: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  devnet = await startDevnet({ port: PORT, deploymentFile: deployment });
}, 180_000);

afterAll(() => {
  devnet?.stop();
});

describe("concentric chain commands", () => {
  it("stakes, registers, submits a job and reads it back; reverts show the custom error", () => {
    const stake = cli("stake", "2", "--dev-account", "1");
    expect(stake.status).toBe(0);
    expect(stake.out).toMatch(/stake: tx 0x[0-9a-f]{64}/);
    expect(stake.out).toMatch(/Staked account=0x[0-9a-fA-F]{40} amount=2000000000000000000/);

    const reg = cli(
      "register-orchestrator",
      "--endpoint",
      "http://127.0.0.1:7001",
      "--dev-account",
      "1",
    );
    expect(reg.status).toBe(0);
    expect(reg.out).toMatch(/OrchestratorRegistered .*depth=0 endpoint=http:\/\/127.0.0.1:7001/);

    // a child ring needs its parent's approval first
    expect(cli("stake", "2", "--dev-account", "4").status).toBe(0);
    const parent = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"; // dev account 1
    const child = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"; // dev account 4
    const refused = cli(
      "register-orchestrator",
      "--endpoint",
      "http://127.0.0.1:7004",
      "--parent",
      parent,
      "--dev-account",
      "4",
    );
    expect(refused.err).toMatch(/Registry__NotApproved/);
    expect(cli("approve-child", child, "--dev-account", "1").out).toMatch(/ChildApproved/);
    const admitted = cli(
      "register-orchestrator",
      "--endpoint",
      "http://127.0.0.1:7004",
      "--parent",
      parent,
      "--dev-account",
      "4",
    );
    expect(admitted.out).toMatch(/OrchestratorRegistered .*depth=1/);
    expect(cli("evict-child", child, "--dev-account", "1").out).toMatch(/ChildEvicted/);

    const over = cli("unstake", "5", "--dev-account", "1");
    expect(over.status).toBe(1);
    expect(over.err).toMatch(
      /reverted: Staking__InsufficientStake\(2000000000000000000, 5000000000000000000\)/,
    );
    const locked = cli("unstake", "1.5", "--dev-account", "1");
    expect(locked.err).toMatch(/Staking__StakeLocked/);

    const input = join(dir, "input.bin");
    writeFileSync(input, Uint8Array.of(5, 0, 0, 0));
    const job = cli(
      "submit-job",
      "guests/elf/fibonacci.elf",
      "--input",
      input,
      "--dev-account",
      "3",
    );
    expect(job.status).toBe(0);
    expect(job.out).toMatch(/ImageRegistered imageId=\d+/);
    expect(job.out).toMatch(/JobSubmitted jobId=0 /);
    expect(job.out).toMatch(/JobInput jobId=0 input=0x05000000/);
    // the declared bound is the run's own cycle count, executed locally, and the fee its price
    const cycles = execute(
      loadElf(readFileSync(join(REPO_ROOT, "guests/elf/fibonacci.elf"))),
      Uint8Array.of(5, 0, 0, 0),
    ).cycles;
    expect(job.out).toContain(`cycle bound ${cycles}, fee`);
    expect(job.out).toMatch(new RegExp(`JobSubmitted jobId=0 .*cycleBound=${cycles} `));
    const bad = cli(
      "submit-job",
      "guests/elf/fibonacci.elf",
      "--cycles",
      "12x",
      "--dev-account",
      "3",
    );
    expect(bad.status).not.toBe(0);
    expect(bad.err).toMatch(/--cycles: a positive integer/);
    const huge = cli(
      "submit-job",
      "guests/elf/fibonacci.elf",
      "--cycles",
      "999999999",
      "--dev-account",
      "3",
    );
    expect(huge.status).toBe(1);
    expect(huge.err).toMatch(/Jobs__TooLarge/);
    // the image is registered once
    const again = cli(
      "submit-job",
      "guests/elf/fibonacci.elf",
      "--input",
      input,
      "--dev-account",
      "3",
    );
    expect(again.out).not.toMatch(/ImageRegistered/);
    expect(again.out).toMatch(/JobSubmitted jobId=1 /);

    const shown = cli("job", "0");
    expect(shown.status).toBe(0);
    expect(shown.out).toMatch(/job 0: pending/);
    expect(cli("job", "9").err).toMatch(/Jobs__UnknownJob\(9\)/);
    expect(cli("epoch").out).toMatch(
      /jobs submitted in it still pending: 2|no Universal Proof yet/,
    );
    expect(cli("rewards", "--dev-account", "1").out).toMatch(/rewards of 0x[0-9a-fA-F]{40}: 0 ETH/);
    const nothing = cli("rewards", "--withdraw", "--dev-account", "1");
    expect(nothing.err).toMatch(/Epoch__NothingToWithdraw/);
    const elsewhere = cli("rewards", "--withdraw", "--to", "0x1234", "--dev-account", "1");
    expect(elsewhere.err).toMatch(/--to: a 20-byte address/);
    const to = cli(
      "rewards",
      "--withdraw",
      "--to",
      "0x00000000000000000000000000000000000feed1",
      "--dev-account",
      "1",
    );
    expect(to.err).toMatch(/Epoch__NothingToWithdraw/); // the call went through withdrawRewardsTo
  });

  it("uses an encrypted keystore, refusing a wrong password", async () => {
    const ks = join(dir, "key.json");
    const made = cli("keystore-new", "--out", ks);
    expect(made.status).toBe(0);
    const address = /^(0x[0-9a-fA-F]{40})/.exec(made.out)![1] as `0x${string}`;
    // fund the new key from dev account 0 (hardhat's well-known key, on this devnet only)
    const dev0 = privateKeyToAccount(
      "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    );
    const w = createWalletClient({ account: dev0, transport: http(RPC) });
    await w.sendTransaction({ to: address, value: parseEther("3"), chain: null });
    const staked = cli("stake", "1", "--keystore", ks);
    expect(staked.status).toBe(0);
    expect(staked.out).toContain(`Staked account=${address}`);
    const pw = join(dir, "wrong.txt");
    writeFileSync(pw, "wrong\n");
    const wrong = cli("stake", "1", "--keystore", ks, "--password-file", pw);
    expect(wrong.status).toBe(2);
    expect(wrong.err).toMatch(/keystore .*(invalid password|incorrect password)/i);
  });

  it("refuses dev accounts on a non-development chain", async () => {
    await expect(loadAccount({ devAccount: "1" }, 1)).rejects.toThrow(WalletError);
    await expect(loadAccount({ devAccount: "1" }, 1)).rejects.toThrow(/refused on chain 1/);
    const a = await loadAccount({ devAccount: "0" }, 31337);
    expect(a.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });
});
