/**
 * The network under attack (issue 14): no free lease hoarding, no poisoned epochs, no stalled
 * root. On a real chain (hardhat node, the system deployed) with a real root orchestrator R
 * (proving locally as a last resort) and a second root S that never runs: every test performs
 * the attack and shows it refused, and the honest path still working.
 *
 * - A long job executes in a worker process: the API answers within 100 ms meanwhile.
 * - A revert that names a job re-opens or drops exactly that job and sends the rest; the same
 *   revert for the same content twice stops the epoch until its content changes.
 * - Only active rings registered on chain under R lease its segments.
 * - R rescues an epoch whose assigned root (S) missed its deadline.
 * - R proves what nobody else did inside the reserve before its deadline, submits what is
 *   proven at the deadline, carries jobs proven later into its next Universal Proof, and drops
 *   exactly the job refunded meanwhile (Jobs__NotPending) from a carry.
 *
 * Every job is one tiny guest (one chunk) on the same input, so one proof by delegator D fits
 * every job's chunk (the statement names the image, not the job): one proof made here, one
 * made by R itself.
 */
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import {
  ContractFunctionRevertedError,
  encodeErrorResult,
  parseEther,
  type Abi,
  type PrivateKeyAccount,
  type PublicClient,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchingVerifier } from "../orchestrator/batch-verifier.ts";
import { ChainService } from "../orchestrator/chain.ts";
import { OrchestratorClient } from "../orchestrator/client.ts";
import { createMetrics } from "../orchestrator/metrics.ts";
import { startOrchestrator, type Orchestrator } from "../orchestrator/node.ts";
import { Scheduler, type NewJob } from "../orchestrator/scheduler.ts";
import { createApp } from "../orchestrator/server.ts";
import { openDatabase } from "../orchestrator/store.ts";
import {
  entryState,
  executeChunked,
  getPoseidon,
  imageOpening,
  inputDigest,
  loadElf,
  stateDigest,
} from "../prover/executor/index.ts";
import { encB, encI, exitSeq, li, programElf } from "../prover/executor/testing.ts";
import type { CircuitArtifacts } from "../prover/setup/artifacts.ts";
import {
  addressToField,
  Groth16ChunkProver,
  type Address,
  type ChunkProof,
} from "../prover/zkvm/prover.ts";
import { chunkLimits, runSkeleton } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { devAccount, stakeAndRegister } from "../scripts/lib/actors.ts";
import { DEFAULT_NETWORK_CIRCUIT, registerImageArgs } from "../scripts/lib/deploy.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { artifactAbi, CONTRACT_NAMES, connect, walletClient } from "../client/chain.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { until } from "./helpers/until.ts";

const dir = mkdtempSync(join(tmpdir(), "concentric-attacks-"));
const silent = pino({ level: "silent" });
const config = chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT);
/** `li a0, 0; exit`: five instructions, one chunk. */
const TINY = programElf([...li(10, 0), ...exitSeq()]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let devnet: Devnet;
let pub: PublicClient;
let chain: Awaited<ReturnType<typeof connect>>["chain"];
let artifacts: CircuitArtifacts;
let S: PrivateKeyAccount; // a root that never runs
let R: PrivateKeyAccount; // the root under test
let user: PrivateKeyAccount;
let D: Address; // a delegator, driven through R's scheduler
let R_: Orchestrator;
/** The tiny guest's only chunk: its task, and D's proof of it. */
let tiny: {
  imageId: string;
  run: NewJob["run"];
  task: NewJob["tasks"][number];
  proofD: ChunkProof;
};

type Contract = keyof typeof CONTRACT_NAMES;
/* eslint-disable @typescript-eslint/no-explicit-any */
const read = (k: Contract, functionName: string, args: unknown[] = []): Promise<any> =>
  pub.readContract({
    address: devnet.deployment.contracts[k],
    abi: artifactAbi(CONTRACT_NAMES[k]),
    functionName,
    args,
  });
async function write(who: PrivateKeyAccount, k: Contract, fn: string, args: unknown[], value = 0n) {
  const w = walletClient(chain, devnet.rpc, who);
  const hash = await w.writeContract({
    address: devnet.deployment.contracts[k],
    abi: artifactAbi(CONTRACT_NAMES[k]),
    functionName: fn,
    args,
    value,
  } as any);
  const r = await pub.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`${fn} reverted`);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const mine = () => devnet.rpcCall("evm_mine");
async function chainTime(): Promise<bigint> {
  return (await pub.getBlock()).timestamp;
}
/** Moves the chain's clock to `t` (if ahead) and mines a block there. */
async function jumpTo(t: bigint): Promise<void> {
  const now = await chainTime();
  if (t > now) await devnet.rpcCall("evm_increaseTime", [Number(t - now)]);
  await mine();
}

/** Moves to an epoch whose first job will be assigned to `root`, with time left in it. */
async function enterEpochOf(root: Address): Promise<bigint> {
  for (let i = 0; i < 4; i++) {
    await mine();
    const t = await chainTime();
    const e = (await read("jobs", "epochAt", [t])) as bigint;
    const end = BigInt(await read("epochs", "epochEnd", [e]));
    const n = (await read("registry", "rootCount")) as bigint;
    const first = String(await read("registry", "rootAt", [e % n]));
    if (first.toLowerCase() === root.toLowerCase() && end - t > 20n) return e;
    await devnet.rpcCall("evm_increaseTime", [Number(end - t)]);
  }
  throw new Error(`no epoch of ${root}`);
}

/** Submits `n` jobs of the tiny guest (empty input), all in epoch `epoch`; returns their ids. */
async function submitTiny(n: number, epoch: bigint): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = Number(await read("jobs", "jobCount"));
    await write(
      user,
      "jobs",
      "submitJobWithInput",
      [BigInt(tiny.imageId), "0x", 16n],
      parseEther("0.01"),
    );
    const job = (await read("jobs", "job", [BigInt(id)])) as { epoch: bigint };
    expect(job.epoch).toBe(epoch);
    ids.push(id);
  }
  return ids;
}

const settled = async (id: number) =>
  (await read("jobs", "result", [BigInt(id)])) as [boolean, { epoch: bigint }];
const epochRow = (o: Orchestrator | { db: Orchestrator["db"] }, e: bigint | number) =>
  o.db.prepare("SELECT * FROM epochs WHERE epoch = ?").get(Number(e)) as
    { status: string; error: string | null; jobs: number; attempts: number } | undefined;
const jobRow = (o: { db: Orchestrator["db"] }, id: number) =>
  o.db.prepare("SELECT status, error, deadline FROM jobs WHERE id = ?").get(id) as
    { status: string; error: string | null; deadline: number | null } | undefined;

/** A ChainService on the devnet with its own in-memory database (its writes are stand-ins). */
function standalone() {
  const db = openDatabase(":memory:");
  const scheduler = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
    leaseMs: 60_000,
    maxRejected: 10,
  });
  const svc = new ChainService(db, scheduler, {
    rpc: devnet.rpc,
    chain,
    publicClient: pub,
    deployment: devnet.deployment,
    account: R,
    config,
    vk: artifacts.vkey,
    log: silent,
  });
  return { db, scheduler, svc, c: (svc as unknown as { c: Record<string, unknown> }).c };
}

beforeAll(async () => {
  artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
  [S, R, user] = [await devAccount(10), await devAccount(11), await devAccount(12)];
  D = (await devAccount(13)).address;
  // The tiny guest's chunk, and D's proof of it (the only proof this file makes itself).
  const image = loadElf(TINY);
  const opening = await imageOpening(image);
  const exec = await executeChunked(image, new Uint8Array(), chunkLimits(config));
  expect(exec.chunks).toHaveLength(1);
  const c = exec.chunks[0]!;
  const input = chunkWitness(config, opening, c, 0n);
  const proofD = await new Groth16ChunkProver(artifacts).proveWitness(0, {
    ...input,
    prover: addressToField(D).toString(),
  });
  tiny = {
    imageId: exec.imageId.toString(),
    run: runSkeleton(exec, { config, opening }, artifacts.vkey, R.address),
    task: { index: 0, input, sIn: c.sIn.toString(), sOut: c.sOut.toString() },
    proofD,
  };

  devnet = await startDevnet({ port: 18548, deploymentFile: join(dir, "deployment.json") });
  ({ publicClient: pub, chain } = await connect(devnet.rpc));
  // Two roots, S first (rootAt(0)): even epochs are S's, odd ones R's.
  await stakeAndRegister(devnet.rpc, devnet.deployment, S, "http://s.invalid");
  await stakeAndRegister(devnet.rpc, devnet.deployment, R, "http://r.invalid");
  await write(user, "jobs", "registerImage", [...registerImageArgs(opening, TINY)]);
  R_ = await startOrchestrator({
    db: join(dir, "r.sqlite"),
    rpc: devnet.rpc,
    deployment: devnet.deployment,
    account: R,
    artifacts,
    log: process.env.ATTACKS_LOG
      ? pino({ level: "debug" }, pino.destination(process.env.ATTACKS_LOG))
      : silent,
    port: 0,
    pollMs: 300,
    // Long leases, so D's outlast the test; a 20 s reserve, in which R proves what is left.
    leaseMs: 1_200_000,
    reserveMs: 20_000,
    proveLocally: true,
  });
}, 1_800_000);

afterAll(async () => {
  await R_?.stop().catch(() => undefined);
  devnet?.stop();
});

describe("the network under attack (issue 14)", () => {
  it("executes a long job off the event loop: /v1/status answers within 100 ms meanwhile", async () => {
    const { db, scheduler, svc, c } = standalone();
    const app = createApp({
      db,
      scheduler,
      metrics: createMetrics(),
      log: silent,
      info: () => ({ role: "orchestrator" }),
    });
    const server: Server = await new Promise((r) => {
      const s = app.listen(0, "127.0.0.1", () => r(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // These jobs exist only in this database: the chain's job record is faked (a mock inside
    // a test of the event loop), for R's own reads and for the SDK's readJob it goes through.
    const jobs = c.jobs as { read: Record<string, unknown> };
    const fake = {
      ...jobs,
      read: {
        ...jobs.read,
        job: async () => ({
          requester: "0x0000000000000000000000000000000000000000",
          submittedAt: 0n,
          epoch: 0n,
          status: 1,
          imageId: 0n,
          inputDigest: 0n,
          fee: 0n,
          cycleBound: 10_000n,
          maxChunks: 10_000,
          s0: 0n,
          result: { exitCode: 0, cycles: 0n, epoch: 0n, outputDigest: 0n },
        }),
        REFUND_TIMEOUT: async () => 86_400n,
      },
    };
    c.jobs = fake;
    (svc as unknown as { sdk: { contracts: Record<string, unknown> } }).sdk.contracts.jobs = fake;
    const p = await getPoseidon();
    const digest = await inputDigest(new Uint8Array());
    /** Records a job of `elf` (empty input) as the chain's events would. */
    const intake = async (id: number, elf: Uint8Array) => {
      const opening = await imageOpening(loadElf(elf));
      const entry = entryState(p, opening, digest);
      db.prepare("INSERT OR IGNORE INTO images (image_id, elf) VALUES (?, ?)").run(
        entry.imageId.toString(),
        elf,
      );
      db.prepare(
        "INSERT INTO intake (id, epoch, image_id, input_digest, s0, input) VALUES (?, 0, ?, ?, ?, ?)",
      ).run(
        id,
        entry.imageId.toString(),
        digest.toString(),
        stateDigest(p, entry).toString(),
        new Uint8Array(),
      );
    };
    // The worker starts once, on the first job (the tiny one).
    await intake(1, TINY);
    await svc.intake();
    expect(jobRow({ db }, 1)).toMatchObject({ status: "proving" });
    // A guest loop of 3,000 rounds (6,000 cycles, 752 chunks).
    await intake(
      2,
      programElf([
        ...li(5, 0),
        ...li(6, 3000),
        encI(1, 5, 0, 5, 0x13), // addi x5, x5, 1
        encB(-4, 6, 5, 4), // blt x5, x6, loop
        ...li(10, 0),
        ...exitSeq(),
      ]),
    );
    await (await fetch(`${url}/v1/status`)).json(); // the connection, once
    const t0 = performance.now();
    let done = false;
    const running = svc.intake().finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const a = performance.now();
      const r = await fetch(`${url}/v1/status`);
      expect(r.status).toBe(200);
      await r.json();
      latencies.push(performance.now() - a);
      await sleep(20);
    }
    await running;
    const took = performance.now() - t0;
    expect(jobRow({ db }, 2)).toMatchObject({ status: "proving" });
    expect(scheduler.counts().tasks.open).toBe(1 + 752);
    // A long job, whatever the machine's speed: the API was asked all along, more than 10
    // times (20 ms apart at least). An absolute floor (took > 1 s) failed on a fast run (690 ms).
    expect(latencies.length).toBeGreaterThan(10);
    expect(took).toBeGreaterThan(10 * 20);
    expect(Math.max(...latencies)).toBeLessThan(100);
    await new Promise((r) => server.close(r));
    await svc.close();
    db.close();
  }, 300_000);

  it("applies a revert that names a job to exactly that job, and stops on the same revert twice", async () => {
    const { db, scheduler, svc, c } = standalone();
    const E = 0;
    for (const id of [1, 2, 3])
      scheduler.addJob({
        id,
        epoch: E,
        imageId: tiny.imageId,
        circuit: config.name,
        run: tiny.run,
        tasks: [tiny.task],
      });
    scheduler.registerNode(D, "delegator", "");
    const proveOne = async () => {
      const l = scheduler.leaseChunk(D)!;
      await scheduler.submitChunk(D, l.leaseId, tiny.proofD);
    };
    for (let i = 0; i < 3; i++) await proveOne();
    // The chain's answers, one per transaction sent; what each carried.
    const abi = [...artifactAbi("EpochManager"), ...artifactAbi("JobRegistry")] as Abi;
    const revert = (errorName: string, args: unknown[]) =>
      new ContractFunctionRevertedError({
        abi,
        data: encodeErrorResult({ abi, errorName, args }),
        functionName: "submitEpoch",
      });
    const answers = [
      revert("Epoch__ZeroProver", [1n, 0n]),
      revert("Epoch__IdleChunk", [2n, 0n]),
      revert("Epoch__NotOrchestrator", [R.address]),
      revert("Epoch__NotOrchestrator", [R.address]),
      revert("Epoch__NotOrchestrator", [R.address]),
    ];
    const sent: number[][] = [];
    const epochs = c.epochs as { read: unknown };
    c.epochs = {
      ...epochs,
      write: {
        submitEpoch: async (args: [bigint, { jobId: bigint }[]]) => {
          sent.push(args[1].map((j) => Number(j.jobId)));
          throw answers[sent.length - 1];
        },
      },
    };
    const row = () => epochRow({ db }, E)!;

    // A chunk proof the chain refuses: that chunk re-opened, the rest sent at once; a run it can
    // never accept: that job dropped, the rest sent at once; then a revert that names no job.
    await svc.submitEpoch(E);
    expect(sent).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(jobRow({ db }, 1)).toMatchObject({
      status: "proving",
      error: "Epoch__ZeroProver(1, 0)",
    });
    expect(db.prepare("SELECT status, proof FROM tasks WHERE job_id = 1").get()).toEqual({
      status: "open",
      proof: null,
    });
    expect(jobRow({ db }, 2)).toMatchObject({ status: "failed", error: "Epoch__IdleChunk(2, 0)" });
    expect(row()).toMatchObject({ status: "retry", error: `Epoch__NotOrchestrator(${R.address})` });
    // The same revert for the same content: stopped, and not sent again while nothing changes.
    await svc.submitEpoch(E);
    expect(sent).toHaveLength(4);
    expect(row().status).toBe("stuck");
    await svc.submitEpoch(E);
    await svc.submitEpoch(E);
    expect(sent).toHaveLength(4);
    // Job 1 proven again: new content, sent again.
    await proveOne();
    await svc.submitEpoch(E);
    expect(sent).toEqual([[1, 2, 3], [2, 3], [3], [3], [1, 3]]);
    expect(row().status).toBe("retry");
    await svc.close();
    db.close();
  }, 300_000);

  it("leases segments only to active rings registered on chain under this root", async () => {
    const [Z, Y, X] = [await devAccount(14), await devAccount(15), await devAccount(16)];
    await stakeAndRegister(devnet.rpc, devnet.deployment, Z, "http://z.invalid", { parent: R });
    await stakeAndRegister(devnet.rpc, devnet.deployment, Y, "http://y.invalid", { parent: S });
    const ask = async (who: PrivateKeyAccount) => {
      const c = new OrchestratorClient(R_.url, who);
      await c.register("orchestrator");
      return c.leaseSegment(4096).catch((e: Error) => e);
    };
    // Registered over the API alone, or under another node: refused (403), not counted.
    const x = await ask(X);
    expect(x).toMatchObject({ status: 403 });
    expect(String(x)).toMatch(/not registered on chain/);
    const y = await ask(Y);
    expect(y).toMatchObject({ status: 403 });
    expect(String(y)).toMatch(new RegExp(`registered under ${S.address}`, "i"));
    expect(R_.scheduler.node(X.address)!.rejected).toBe(0);
    // A ring under R: admitted (nothing to prove yet, so nothing leased).
    expect(await ask(Z)).toBeUndefined();
  }, 300_000);

  it("rescues an epoch whose assigned root missed its deadline", async () => {
    const e = await enterEpochOf(S.address);
    const [j1, j2] = (await submitTiny(2, e)) as [number, number];
    await until(
      "R to execute both jobs",
      async () => (jobRow(R_, j1) && jobRow(R_, j2) ? true : undefined),
      120_000,
    );
    // S's epoch: R proves its jobs only as a backup (no deadline), through D.
    expect(jobRow(R_, j1)!.deadline).toBeNull();
    R_.scheduler.registerNode(D, "delegator", "");
    for (let i = 0; i < 2; i++) {
      const l = R_.scheduler.leaseChunk(D)!;
      await R_.scheduler.submitChunk(D, l.leaseId, tiny.proofD);
    }
    // Ended, S's window open: R waits (and would never submit, before this issue).
    await jumpTo(BigInt(await read("epochs", "epochEnd", [e])) + 1n);
    await until(
      "R to wait for S",
      async () => (epochRow(R_, e)?.status === "waiting" ? true : undefined),
      60_000,
    );
    // S misses its deadline: R rescues the epoch (S is slashed).
    await jumpTo(BigInt(await read("epochs", "deadline", [e])) + 1n);
    await until(
      "the rescue",
      async () => (epochRow(R_, e)?.status === "submitted" ? true : undefined),
      120_000,
    );
    const record = (await read("epochs", "epochRecord", [e])) as {
      submitter: string;
      slashed: boolean;
    };
    expect(record.submitter).toBe(R.address);
    expect(record.slashed).toBe(true);
    for (const j of [j1, j2]) expect((await settled(j))[0]).toBe(true);
    expect(await read("epochs", "rewardsOf", [R.address])).toBeGreaterThan(0n);
  }, 600_000);

  it("proves in the reserve itself, submits what is proven at the deadline, carries later proofs, drops a refunded job", async () => {
    const e = await enterEpochOf(R.address);
    const [j4, j5, j6, j7] = (await submitTiny(4, e)) as [number, number, number, number];
    await until(
      "R to execute the jobs",
      async () => ([j4, j5, j6, j7].every((j) => jobRow(R_, j)) ? true : undefined),
      120_000,
    );
    expect(jobRow(R_, j4)!.deadline).not.toBeNull(); // R's own epoch: a deadline to meet
    // D takes all four (fairly: one per job) and gives j4 back; it will hold the others.
    R_.scheduler.registerNode(D, "delegator", "");
    const leases = [0, 1, 2, 3].map(() =>
      R_.scheduler.leaseChunk(D, Date.now(), { staked: true })!,
    );
    // One per job; in which order depends on the jobs' deadlines, which R derives from the
    // chain's clock as it executes each (a few ms apart, in whatever order its worker ran them).
    expect(leases.map((l) => l.jobId).sort((a, b) => a - b)).toEqual([j4, j5, j6, j7]);
    const leaseOf = (j: number) => leases.find((l) => l.jobId === j)!.leaseId;
    R_.scheduler.releaseLease(D, leaseOf(j4));
    // Not yet in the reserve: R does not prove it itself.
    await sleep(2000);
    const task4 = () =>
      R_.db.prepare("SELECT status, prover FROM tasks WHERE job_id = ?").get(j4) as {
        status: string;
        prover: string | null;
      };
    expect(task4().status).toBe("open");
    // 10 s before the prove-by time (the deadline less the 60 s margin): inside the 20 s
    // reserve, R proves j4 itself.
    const deadline = BigInt(await read("epochs", "deadline", [e]));
    await jumpTo(deadline - 70n);
    await until(
      "R to prove j4 itself",
      async () => (task4().status === "done" ? true : undefined),
      300_000,
    );
    expect(task4().prover).toBe(R.address);
    // Past the prove-by time R submits the epoch with what is proven: j4.
    await jumpTo(deadline - 59n);
    await until(
      "the epoch",
      async () => (epochRow(R_, e)?.status === "submitted" ? true : undefined),
      120_000,
    );
    expect(epochRow(R_, e)!.jobs).toBe(1);
    expect((await settled(j4))[0]).toBe(true);
    expect((await settled(j5))[0]).toBe(false);

    // D delivers j5 late: carried into R's next Universal Proof (before e's deadline: by its root).
    await R_.scheduler.submitChunk(D, leaseOf(j5), tiny.proofD);
    await until("j5 carried", async () => ((await settled(j5))[0] ? true : undefined), 120_000);
    expect((await settled(j5))[1].epoch).toBeGreaterThan(e);

    // A day later j6 is refunded; D delivers j6 and j7. The carry reverts with
    // Jobs__NotPending(j6): R drops exactly j6 and sends j7.
    await devnet.rpcCall("evm_increaseTime", [86_400]);
    await mine();
    await write(user, "jobs", "refund", [BigInt(j6)]);
    await R_.scheduler.submitChunk(D, leaseOf(j6), tiny.proofD);
    await R_.scheduler.submitChunk(D, leaseOf(j7), tiny.proofD);
    await until("j7 carried", async () => ((await settled(j7))[0] ? true : undefined), 120_000);
    expect(jobRow(R_, j6)).toMatchObject({ status: "gone" });
    expect(jobRow(R_, j6)!.error).toMatch(new RegExp(`^Jobs__NotPending\\(${j6}, 3\\)`));
    expect((await settled(j6))[0]).toBe(false);
  }, 900_000);

  it("an orchestrator whose account is not an active orchestrator on chain says so and waits", async () => {
    const stranger = await devAccount(17); // funded by the devnet, never staked or registered
    const lines: string[] = [];
    const log = pino({ level: "warn" }, {
      write: (l: string) => void lines.push(l),
    } as unknown as pino.DestinationStream);
    const o = await startOrchestrator({
      db: join(dir, "stranger.sqlite"),
      rpc: devnet.rpc,
      deployment: devnet.deployment,
      account: stranger,
      artifacts,
      log,
      port: 0,
      pollMs: 200,
    });
    try {
      await until(
        "the warning",
        async () => (lines.some((l) => l.includes("is not registered")) ? true : undefined),
        30_000,
      );
      // It follows the chain but executed nothing: no job of its own, whatever is pending.
      const n = o.db.prepare("SELECT COUNT(*) AS n FROM jobs").get() as { n: number };
      expect(n.n).toBe(0);
      expect(lines.join("\n")).toMatch(/waiting, executing nothing/);
    } finally {
      await o.stop();
    }
  }, 120_000);
});
