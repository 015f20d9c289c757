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
import { execute, getPoseidon, imageIdOf, loadElf } from "../prover/executor/index.ts";
import { programElf } from "../prover/executor/testing.ts";
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
    // amounts in ETH, exactly
    expect(stake.out).toMatch(/Staked account=0x[0-9a-fA-F]{40} amount=2 ETH newStake=2 ETH/);

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
    expect(over.err).toMatch(/reverted: Staking__InsufficientStake\(\w+=2 ETH, \w+=5 ETH\)/);
    expect(over.err.trim().split("\n")).toHaveLength(1);
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
    // one image-ID format everywhere: 0x and 64 hex digits
    expect(job.out).toMatch(/ImageRegistered imageId=0x[0-9a-f]{64} /);
    const imageHex = /image (0x[0-9a-f]{64})/.exec(job.out)![1];
    expect(job.out).toContain(`ImageRegistered imageId=${imageHex}`);
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
    expect(shown.out).toContain(`image        ${imageHex}`);
    // why it is not settled, and when it becomes refundable
    expect(shown.out).toMatch(
      /waiting for epoch \d+ to end|Universal Proof is due|missed its deadline/,
    );
    expect(shown.out).toMatch(/refundable from \d{4}-\d\d-\d\dT.* with concentric refund 0/);
    const unknown = cli("job", "9");
    expect(unknown.status).toBe(1);
    expect(unknown.err).toBe("job 9 does not exist\n");
    const early = cli("refund", "0", "--dev-account", "3");
    expect(early.status).toBe(1);
    expect(early.err).toMatch(/refund: reverted: Jobs__RefundTooEarly\(\w+=\d{4}-\d\d-\d\dT/);
    const waited = cli("job", "0", "--wait", "--timeout", "2");
    expect(waited.status).toBe(1);
    expect(waited.err).toMatch(/job 0 is still pending after 2 s/);
    expect(cli("epoch").out).toMatch(
      /jobs submitted in it still pending: 2|no Universal Proof yet/,
    );
    expect(cli("rewards", "--dev-account", "1").out).toMatch(/rewards of 0x[0-9a-fA-F]{40}: 0 ETH/);
    const nothing = cli("rewards", "--withdraw", "--dev-account", "1");
    expect(nothing.err).toMatch(/Epoch__NothingToWithdraw/);
    const elsewhere = cli("rewards", "--withdraw", "--to", "0x1234", "--dev-account", "1");
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.err).toMatch(/^--to: "0x1234" is not an address \(0x and 40 hex digits\)/);
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
    // an existing keystore is never overwritten: one line, exit 2
    const twice = cli("keystore-new", "--out", ks);
    expect(twice.status).toBe(2);
    expect(twice.err).toBe(
      `${ks} already exists: choose another path or remove it first (it is never overwritten)\n`,
    );
    // an unfunded key: say so, and how to fund it (not "Missing or invalid parameters")
    const poor = cli("stake", "1", "--keystore", ks);
    expect(poor.status).toBe(1);
    expect(poor.err).toBe(
      `insufficient funds: ${address} has 0 ETH, needs 1 ETH plus gas; check with concentric balance, or on this devnet: concentric fund ${address} <eth>\n`,
    );
    // fund the new key from dev account 0 (devnets only)
    const funded = cli("fund", address, "3");
    expect(funded.status).toBe(0);
    expect(funded.out).toMatch(/sent 3 ETH to .* balance 3 ETH/);
    const staked = cli("stake", "1", "--keystore", ks);
    expect(staked.status).toBe(0);
    expect(staked.out).toContain(`Staked account=${address}`);
    const bal = cli("balance", address);
    expect(bal.status).toBe(0);
    expect(bal.out).toMatch(/staked +1 ETH/);
    expect(bal.out).toMatch(/balance +1\.99\d* ETH/);
    const pw = join(dir, "wrong.txt");
    writeFileSync(pw, "wrong\n");
    const wrong = cli("stake", "1", "--keystore", ks, "--password-file", pw);
    expect(wrong.status).toBe(2);
    expect(wrong.err).toMatch(/keystore .*(invalid password|incorrect password)/i);
  });

  it("says what is wrong in one line: malformed addresses, missing files, orchestrator exits, epochs", () => {
    const bad = cli("approve-child", "0xZZ", "--dev-account", "1");
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^approve-child <child address>: "0xZZ" is not an address/);
    expect(bad.err.trim().split("\n")).toHaveLength(1);
    const checksum = cli("balance", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8");
    expect(checksum.status).toBe(2);
    expect(checksum.err).toMatch(/wrong checksum/);
    const missing = cli("submit-job", join(dir, "nope.elf"), "--dev-account", "3");
    expect(missing.status).toBe(2);
    expect(missing.err).toBe(`ELF ${join(dir, "nope.elf")} does not exist (check the path)\n`);
    // a guest that traps is refused locally, before any fee is paid
    const trap = join(dir, "ebreak.elf");
    writeFileSync(trap, programElf([0x00100073]));
    const trapped = cli("submit-job", trap, "--dev-account", "3");
    expect(trapped.status).toBe(1);
    expect(trapped.err).toMatch(/the guest traps on this input.*trap ebreak at pc=0x00001000/);
    expect(trapped.out).not.toMatch(/JobSubmitted/);
    // deregister: only after requestExit and its delay
    expect(cli("deregister", "--dev-account", "7").err).toMatch(/Registry__NotRegistered/);
    // the evicted child (account 4) is leaving already and may deregister at once
    const leaving = cli("request-exit", "--dev-account", "4");
    expect(leaving.status).toBe(1);
    expect(leaving.err).toMatch(/Registry__AlreadyLeaving\(leavingAt=\d{4}-\d\d-\d\dT/);
    const gone = cli("deregister", "--dev-account", "4");
    expect(gone.status).toBe(0);
    expect(gone.out).toMatch(
      /OrchestratorDeregistered account=0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65/,
    );
    // a root (account 1) requests its exit, then waits for the delay
    const exit = cli("request-exit", "--dev-account", "1");
    expect(exit.status).toBe(0);
    expect(exit.out).toMatch(/ExitRequested account=0x[0-9a-fA-F]{40} leavingAt=\d{4}-/);
    const early = cli("deregister", "--dev-account", "1");
    expect(early.status).toBe(1);
    expect(early.err).toMatch(/Registry__ExitDelay/);
    const notYet = cli("slash-missed", "0", "--dev-account", "5");
    expect(notYet.status).toBe(1);
    expect(notYet.err).toMatch(/Epoch__NotSlashable\(\w+=0\)/);
  });

  it("explains a job whose guest traps: the trap, its pc, the guest's fd-2 output", async () => {
    // Submitted around the CLI (which refuses it): the chain cannot know the guest traps.
    const { connect, contracts: bind } = await import("../client/chain.ts");
    const { imageOpening } = await import("../prover/executor/index.ts");
    const { registerImageArgs } = await import("../scripts/lib/deploy.ts");
    const { chain, publicClient } = await connect(RPC);
    const d = JSON.parse(readFileSync(deployment, "utf8"));
    const account = privateKeyToAccount(
      "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba", // dev account 9
    );
    const wallet = createWalletClient({ account, chain, transport: http(RPC) });
    const c = bind(d, { public: publicClient, wallet });
    const elf = programElf([0x00100073]);
    const o = await imageOpening(loadElf(elf));
    const wait = async (h: `0x${string}`) => publicClient.waitForTransactionReceipt({ hash: h });
    await wait(await c.jobs.write.registerImage(registerImageArgs(o, elf), { account }));
    const id = (await c.jobs.read.jobCount()) as bigint;
    await wait(
      await c.jobs.write.submitJobWithInput(
        [BigInt(imageIdOf(await getPoseidon(), o)), "0x", 10n],
        {
          account,
          value: parseEther("0.01"),
        },
      ),
    );
    const shown = cli("job", String(id));
    expect(shown.status).toBe(0);
    expect(shown.out).toMatch(new RegExp(`job ${id}: pending`));
    expect(shown.out).toMatch(/it can never settle: the guest traps on its input/);
    expect(shown.out).toMatch(/trap ebreak at pc=0x00001000/);
    expect(shown.out).toMatch(/last 1 instructions/);
  });

  it("refuses dev accounts on a non-development chain", async () => {
    await expect(loadAccount({ devAccount: "1" }, 1)).rejects.toThrow(WalletError);
    await expect(loadAccount({ devAccount: "1" }, 1)).rejects.toThrow(/refused on chain 1/);
    const a = await loadAccount({ devAccount: "0" }, 31337);
    expect(a.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });
});
