/**
 * Rings of depth 3 on a real chain: root → ring-2 → ring-1 → delegators, each orchestrator its
 * own HTTP service with its own SQLite database, each registered on chain under its parent.
 * The root follows the chain and has no delegators; the ring-2 orchestrator leases segments
 * from it and has none either; the ring-1 orchestrator leases sub-segments from ring-2 and
 * serves chunks to two delegators. Bundles go up, are verified at every level, and the root's
 * Universal Proof settles the job and credits the delegators, whose addresses are in the
 * proofs. A forged bundle, a delegator asking for segments and an orchestrator the chain does not
 * show under the root are refused; a premature epoch submission sends nothing.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, OrchestratorClient } from "../orchestrator/client.ts";
import { Delegator } from "../orchestrator/delegator.ts";
import { startOrchestrator, type Orchestrator } from "../orchestrator/node.ts";
import {
  devAccount,
  stakeAndRegister,
  submitGuestJob,
  submitGuestJob2,
} from "../scripts/lib/actors.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { connect, contracts } from "../client/chain.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";
import { until } from "./helpers/until.ts";
import { DEFAULT_NETWORK_CIRCUIT } from "../scripts/lib/deploy.ts";

const dir = mkdtempSync(join(tmpdir(), "concentric-rings-"));
const silent = pino({ level: "silent" });
let devnet: Devnet;
const nodes: Orchestrator[] = [];
const delegators: Delegator[] = [];
const runs: Promise<void>[] = [];

beforeAll(async () => {
  devnet = await startDevnet({ port: 18547, deploymentFile: join(dir, "deployment.json") });
}, 300_000);

afterAll(async () => {
  for (const d of delegators) d.stop({ release: true });
  await Promise.allSettled(runs);
  for (const n of nodes) await n.stop().catch(() => undefined);
  devnet?.stop();
});

describe("rings", () => {
  it("proves a job through root → ring-2 → ring-1 → delegators and settles it on chain", async () => {
    const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
    const [rootKey, ring2Key, ring1Key, user] = [
      await devAccount(1),
      await devAccount(6),
      await devAccount(7),
      await devAccount(5),
    ];
    const [d2, d3, mallory] = [await devAccount(2), await devAccount(3), await devAccount(8)];
    const eve = await devAccount(9);
    const common = { artifacts, log: silent, port: 0, pollMs: 300 };

    const root = await startOrchestrator({
      ...common,
      db: join(dir, "root.sqlite"),
      rpc: devnet.rpc,
      deployment: devnet.deployment,
      account: rootKey,
    });
    nodes.push(root);
    await stakeAndRegister(devnet.rpc, devnet.deployment, rootKey, root.url);
    const job = await submitGuestJob(
      devnet.rpc,
      devnet.deployment,
      user,
      "fibonacci",
      GUEST_INPUTS.fibonacci!,
    );
    const rootJob = () =>
      root.db.prepare("SELECT status, chunks FROM jobs WHERE id = ?").get(Number(job.jobId)) as
        { status: string; chunks: number } | undefined;
    const { chunks } = await until("the root to execute the job", async () => rootJob(), 60_000);

    // Nothing proven yet: a premature call sends nothing (no transaction that would revert).
    await root.chain!.submitEpoch(Number(job.epoch));
    expect(
      root.db.prepare("SELECT 1 FROM epochs WHERE epoch = ?").get(Number(job.epoch)),
    ).toBeUndefined();

    // Refusals at the root: a delegator may not lease segments, nor an orchestrator registered
    // over the API alone (not on chain under the root); a forged bundle from a staked ring under
    // the root (eve) is refused, counted, and its chunks are open again.
    const m = new OrchestratorClient(root.url, mallory);
    await m.register("delegator");
    await expect(m.leaseSegment(2)).rejects.toMatchObject({ status: 403 });
    await m.register("orchestrator");
    await expect(m.leaseSegment(2)).rejects.toMatchObject({ status: 403 });
    await stakeAndRegister(devnet.rpc, devnet.deployment, eve, "http://eve", { parent: rootKey });
    const ev = new OrchestratorClient(root.url, eve);
    await ev.register("orchestrator");
    const seg = (await ev.leaseSegment(2))!;
    expect(seg.tasks.map((t) => t.index)).toEqual([0, 1]);
    const forged = seg.tasks.map((t) => ({
      index: t.index,
      prover: eve.address,
      proof: {
        pi_a: ["1", "2", "1"],
        pi_b: [
          [
            "10857046999023057135944570762232829481370756359578518086990519993285655852781",
            "11559732032986387107991004021392285783925812861821192530917403151452391805634",
          ],
          [
            "8495653923123431417604973247489272438418190587263600148770280649306958101930",
            "4082367875863433681332203403145435568316851327593401208105741076214120093531",
          ],
          ["1", "0"],
        ],
        pi_c: ["1", "2", "1"],
        protocol: "groth16" as const,
        curve: "bn128" as const,
      },
    }));
    const refused = await ev.submitBundle(seg.leaseId, forged).catch((e: ApiError) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(422);
    expect(root.scheduler.node(eve.address)!.rejected).toBe(1);
    expect(root.scheduler.node(mallory.address)!.rejected).toBe(0); // refused, not counted
    expect(root.scheduler.counts().tasks).toEqual({ open: chunks });

    // The rings, each registered on chain under its parent, and the delegators at the bottom.
    await stakeAndRegister(devnet.rpc, devnet.deployment, ring2Key, "http://ring-2", {
      parent: rootKey,
    });
    await stakeAndRegister(devnet.rpc, devnet.deployment, ring1Key, "http://ring-1", {
      parent: ring2Key,
    });
    const ring2 = await startOrchestrator({
      ...common,
      db: join(dir, "ring2.sqlite"),
      parent: root.url,
      rpc: devnet.rpc, // to admit ring-1, registered on chain under it
      account: ring2Key,
      segmentChunks: 8,
    });
    nodes.push(ring2);
    const ring1 = await startOrchestrator({
      ...common,
      db: join(dir, "ring1.sqlite"),
      parent: ring2.url,
      account: ring1Key,
      segmentChunks: 4,
    });
    nodes.push(ring1);
    for (const key of [d2, d3]) {
      const d = new Delegator({ orchestrator: ring1.url, account: key, log: silent, pollMs: 300 });
      delegators.push(d);
      runs.push(d.run());
    }

    await until(
      "the root to have every chunk",
      async () => (rootJob()!.status === "proven" ? true : undefined),
      900_000,
    );
    // Every chunk went down three levels and came back up as bundles.
    expect(root.scheduler.node(ring2Key.address)).toMatchObject({ accepted: chunks, rejected: 0 });
    expect(ring2.scheduler.node(ring1Key.address)).toMatchObject({
      accepted: chunks,
      rejected: 0,
    });
    const byDelegators = [d2, d3].map((d) => ring1.scheduler.node(d.address)?.accepted ?? 0);
    expect(byDelegators[0]! + byDelegators[1]!).toBe(chunks);
    const run = root.scheduler.runProof(Number(job.jobId));
    const provers = new Set(run.chunks.map((c) => BigInt(c.publicSignals[3])));
    for (const p of provers) expect([BigInt(d2.address), BigInt(d3.address)]).toContain(p);

    await devnet.rpcCall("evm_increaseTime", [120]);
    await devnet.rpcCall("evm_mine");
    await until(
      "the epoch on chain",
      async () =>
        (
          root.db.prepare("SELECT status FROM epochs WHERE epoch = ?").get(Number(job.epoch)) as
            { status: string } | undefined
        )?.status === "submitted"
          ? true
          : undefined,
      300_000,
    );
    const c = contracts(devnet.deployment, { public: (await connect(devnet.rpc)).publicClient });
    const [settled] = (await c.jobs.read.result([job.jobId])) as [boolean];
    expect(settled).toBe(true);
    for (const [i, d] of [d2, d3].entries())
      if (byDelegators[i]! > 0)
        expect(await c.epochs.read.rewardsOf([d.address])).toBeGreaterThan(0n);
    // The rings that carried the chunks are paid as assemblers, at every depth: ring-2 named
    // itself and ring-1 in its bundles; the root checked both on chain and named them.
    expect(root.scheduler.carriersOf([Number(job.jobId)]).sort()).toEqual(
      [ring2Key.address, ring1Key.address].sort(),
    );
    const rootPay = (await c.epochs.read.rewardsOf([rootKey.address])) as bigint;
    for (const ring of [ring2Key, ring1Key]) {
      const pay = (await c.epochs.read.rewardsOf([ring.address])) as bigint;
      expect(pay).toBeGreaterThan(0n);
      expect(pay).toBeLessThanOrEqual(rootPay); // an even split; the remainder to the submitter
    }
    // A child that names outsiders to share the assemblers' pay: a staked root elsewhere in the
    // registry (mallory) and an unregistered address are dropped; the real rings stay.
    await stakeAndRegister(devnet.rpc, devnet.deployment, mallory, "http://mallory");
    root.db
      .prepare("UPDATE tasks SET carriers = ? WHERE job_id = ? AND idx = 0")
      .run(
        JSON.stringify([
          ring2Key.address,
          mallory.address,
          "0x000000000000000000000000000000000000dEaD",
        ]),
        Number(job.jobId),
      );
    expect((await root.chain!.assemblersOf([Number(job.jobId)])).sort()).toEqual(
      [ring2Key.address, ring1Key.address].sort(),
    );
    const status = await new OrchestratorClient(ring1.url, d2).get<{ parent: string }>(
      "/v1/status",
    );
    expect(status.parent).toBe(ring2.url);
  }, 1_500_000);

  it("carries a versioned-cells job's two rounds through the rings: commitments up, gammaJob down, proofs up", async () => {
    // the rings and delegators of the test above, still running
    expect(nodes).toHaveLength(3);
    const [root, ring2, ring1] = nodes as [Orchestrator, Orchestrator, Orchestrator];
    const user = await devAccount(5);
    const job = await submitGuestJob2(
      devnet.rpc,
      devnet.deployment,
      user,
      "fibonacci",
      GUEST_INPUTS.fibonacci!,
    );
    const id = Number(job.jobId);
    const rootJob = () =>
      root.db.prepare("SELECT status, chunks, error FROM jobs WHERE id = ?").get(id) as
        { status: string; chunks: number; error: string | null } | undefined;
    // round 1 comes back up as segments of commitments (the ring's delegators have accepted
    // proofs, so the ring answers for them unchecked), then round 2 goes down at gammaJob
    await until(
      "round 2 at the root",
      async () => (root.scheduler.job2Task(id, 0)?.job2 === 2 ? true : undefined),
      600_000,
    );
    const t0 = root.scheduler.job2Task(id, 0)!;
    expect(t0.committer).toBe((await devAccount(6)).address); // ring-2 answers for them
    const delivered = (db: Orchestrator["db"]) =>
      (
        db
          .prepare(
            "SELECT COUNT(*) AS n FROM jobs WHERE parent_lease IS NOT NULL AND status = 'delivered'",
          )
          .get() as { n: number }
      ).n;
    // commitments went up from ring-1 to ring-2 and from ring-2 to the root
    expect(delivered(ring1.db)).toBeGreaterThan(0);
    expect(delivered(ring2.db)).toBeGreaterThan(0);
    await until(
      "the job proven at the root",
      async () => (rootJob()?.status === "proven" ? true : undefined),
      900_000,
    );
    expect(rootJob()!.error).toBeNull();
    // every chunk proven by a delegator at the bottom, its share carried up in the bundles
    const proofs = root.scheduler.chunkProofs(id);
    expect(proofs).toHaveLength(rootJob()!.chunks);
    const bottom = [(await devAccount(2)).address, (await devAccount(3)).address];
    for (const p of proofs) expect(bottom).toContain(p.prover);
    await devnet.rpcCall("evm_increaseTime", [120]);
    await devnet.rpcCall("evm_mine");
    await until(
      "the job settled on chain",
      async () => {
        const c = contracts(devnet.deployment, {
          public: (await connect(devnet.rpc)).publicClient,
        });
        const [settled] = (await c.jobs.read.result([job.jobId])) as [boolean];
        return settled ? true : undefined;
      },
      300_000,
    );
  }, 1_500_000);
});
