/**
 * The orchestrator's scheduler on a real SQLite file with real Groth16 chunk proofs (K8 test
 * circuit, chunks of fibonacci): leasing in order, expiry and re-issue, proofs accepted only for
 * the leaseholder's own statement and only if they verify (batched), every refusal counted and
 * a node suspended past the limit, and nothing accepted lost across a restart.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { beforeAll, describe, expect, it } from "vitest";
import { BatchingVerifier } from "../orchestrator/batch-verifier.ts";
import { Scheduler, SchedulerError, type ChunkLease } from "../orchestrator/scheduler.ts";
import { openDatabase } from "../orchestrator/store.ts";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import type { CircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { BN254_R, verifyBatch } from "../prover/verify/batch.ts";
import {
  addressToField,
  Groth16ChunkProver,
  type Address,
  type ChunkProof,
} from "../prover/zkvm/prover.ts";
import { chunkLimits, runSkeleton } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { DEFAULT_NETWORK_CIRCUIT } from "../scripts/lib/deploy.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const A: Address = "0x00000000000000000000000000000000000a11ce";
const B: Address = "0x0000000000000000000000000000000000000b0b";
const C: Address = "0x0000000000000000000000000000000000000c0c";
const TASKS = 3;

let artifacts: CircuitArtifacts;
let prover: Groth16ChunkProver;
let dbPath: string;
let job: Parameters<Scheduler["addJob"]>[0];

function open(leaseMs = 10_000, maxRejected = 4) {
  const db = openDatabase(dbPath);
  const verifier = new BatchingVerifier(artifacts.vkey, { maxDelayMs: 50 });
  return { db, verifier, s: new Scheduler(db, verifier, { leaseMs, maxRejected }) };
}

/** Proves a lease for `who` the way a delegator does. */
function prove(lease: ChunkLease, who: Address): Promise<ChunkProof> {
  const input = { ...lease.input, prover: addressToField(who).toString() };
  return prover.proveWitness(lease.index, input);
}

async function refused(p: Promise<unknown> | (() => unknown), status: number, re: RegExp) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(SchedulerError);
    expect((e as SchedulerError).status).toBe(status);
    expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error("expected a refusal");
}

const rejectedOf = (db: DatabaseSync, a: Address) =>
  (db.prepare("SELECT rejected FROM nodes WHERE address = ?").get(a) as { rejected: number })
    .rejected;

beforeAll(async () => {
  artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
  prover = new Groth16ChunkProver(artifacts);
  const config = chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT);
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/fibonacci.elf`)));
  const exec = await executeChunked(image, GUEST_INPUTS.fibonacci!, chunkLimits(config));
  const opening = await imageOpening(image);
  const chunks = exec.chunks.slice(0, TASKS);
  job = {
    id: 7,
    epoch: 3,
    imageId: exec.imageId.toString(),
    circuit: config.name,
    run: runSkeleton(exec, { config, opening }, artifacts.vkey, A),
    tasks: chunks.map((c) => ({
      index: c.index,
      input: chunkWitness(config, opening, c, 0n),
      sIn: c.sIn.toString(),
      sOut: c.sOut.toString(),
    })),
  };
  dbPath = join(mkdtempSync(join(tmpdir(), "concentric-sched-")), "orchestrator.sqlite");
}, 1_800_000);

describe("scheduler", () => {
  it("leases, re-issues expired leases, accepts only the holder's valid proofs, survives a restart", async () => {
    const t0 = 1_000_000;
    let { db, verifier, s } = open();
    expect(s.addJob(job, t0)).toBe(true);
    expect(s.addJob(job, t0)).toBe(false); // idempotent
    await refused(() => s.leaseChunk(A, t0), 403, /not registered/);
    for (const n of [A, B, C]) s.registerNode(n, "delegator", "", t0);

    // In order; each lease has its deadline.
    const l0 = s.leaseChunk(A, t0)!;
    const l1 = s.leaseChunk(B, t0 + 5_000)!;
    const l2 = s.leaseChunk(C, t0 + 5_001)!;
    expect([l0.index, l1.index, l2.index]).toEqual([0, 1, 2]);
    expect(l0.deadline).toBe(t0 + 10_000);
    expect(l0.input.prover).toBe("0");
    expect(s.leaseChunk(C, t0 + 5_002)).toBeUndefined(); // nothing open, nothing expired

    // A's lease expires: the next caller gets chunk 0 under a new lease.
    const l0again = s.leaseChunk(C, t0 + 10_001)!;
    expect(l0again.index).toBe(0);
    expect(l0again.leaseId).not.toBe(l0.leaseId);

    const pC0 = await prove(l0again, C);
    const pB1 = await prove(l1, B);
    const pC2 = await prove(l2, C);

    // A's old lease is gone: its late proof is refused (not counted).
    await refused(s.submitChunk(A, l0.leaseId, pC0, t0 + 10_002), 404, /no lease/);
    expect(rejectedOf(db, A)).toBe(0);

    // Someone else's lease: refused and counted.
    await refused(s.submitChunk(B, l0again.leaseId, pC0, t0 + 10_003), 422, /another node/);
    expect(rejectedOf(db, B)).toBe(1);
    // A valid proof of another chunk, renumbered: wrong statement.
    await refused(s.submitChunk(B, l1.leaseId, { ...pC2, index: 1 }, t0 + 10_003), 422, /S_in/);
    // An aliased public signal (x + r) is not the canonical statement.
    const aliased: ChunkProof = {
      ...pB1,
      publicSignals: [
        (BigInt(pB1.publicSignals[0]) + BN254_R).toString(),
        ...pB1.publicSignals.slice(1),
      ] as ChunkProof["publicSignals"],
    };
    await refused(s.submitChunk(B, l1.leaseId, aliased, t0 + 10_003), 422, /S_in/);
    expect(rejectedOf(db, B)).toBe(3);

    // A tampered proof fails verification: refused, counted, and the chunk is open again.
    const bad: ChunkProof = { ...pB1, proof: { ...pB1.proof, pi_c: [...pB1.proof.pi_a] } };
    await refused(s.submitChunk(B, l1.leaseId, bad, t0 + 10_004), 422, /invalid proof/);
    expect(rejectedOf(db, B)).toBe(4);
    // Suspended at the limit (4): no more leases for B; chunk 1 goes to A.
    await refused(() => s.leaseChunk(B, t0 + 10_005), 403, /suspended/);
    const l1again = s.leaseChunk(A, t0 + 10_005)!;
    expect(l1again.index).toBe(1);

    // Two valid proofs arriving together are verified in one batch.
    const before = verifier.batchSizes.length;
    const [r0, r2] = await Promise.all([
      s.submitChunk(C, l0again.leaseId, pC0, t0 + 10_006),
      s.submitChunk(C, l2.leaseId, pC2, t0 + 10_006),
    ]);
    expect([r0.index, r2.index]).toEqual([0, 2]);
    expect(verifier.batchSizes.slice(before)).toEqual([2]);
    // A second submission on a proven chunk's lease finds no lease.
    await refused(s.submitChunk(C, l2.leaseId, pC2, t0 + 10_007), 404, /no lease/);

    // Restart: accepted proofs and A's open lease are still there.
    db.close();
    ({ db, verifier, s } = open());
    expect(s.counts().tasks).toEqual({ done: 2, leased: 1 });
    expect(() => s.runProof(7)).toThrow(/chunk 1 is not proven/);
    const r1 = await s.submitChunk(A, l1again.leaseId, await prove(l1again, A), t0 + 10_008);
    expect(r1.jobProven).toBe(true);
    expect(s.counts().jobs).toEqual({ proven: 1 });

    // The assembled proofs are the statements of the run, each bound to its prover.
    const run = s.runProof(7);
    expect(run.chunks.map((c) => c.publicSignals[3])).toEqual(
      [C, A, C].map((a) => BigInt(a).toString()),
    );
    expect(run.chunks.map((c) => c.publicSignals[0])).toEqual(run.chain.slice(0, TASKS));
    expect(await verifyBatch(artifacts.vkey, run.chunks)).toBe(true);
    expect(s.node(C)).toMatchObject({ accepted: 2, rejected: 0 });
    db.close();
  }, 600_000);

  it("gives a returned lease to the next caller at once", () => {
    const db = openDatabase(":memory:");
    const s = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 60_000,
      maxRejected: 3,
    });
    s.addJob(job);
    s.registerNode(A, "delegator", "");
    s.registerNode(B, "delegator", "");
    const l = s.leaseChunk(A)!;
    expect(() => s.releaseLease(B, l.leaseId)).toThrow(/not yours/);
    s.releaseLease(A, l.leaseId);
    expect(s.leaseChunk(B)!.index).toBe(l.index);
  });

  it("re-issues the chunks of an expired segment lease one by one and refuses the late bundle", async () => {
    const db = openDatabase(":memory:");
    const s = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 1000,
      segmentLeaseMs: 5000,
      maxRejected: 3,
    });
    s.addJob(job, 0);
    s.registerNode(A, "delegator", "", 0);
    s.registerNode(C, "orchestrator", "", 0);
    expect(() => s.leaseSegment(A, 2, 1)).toThrow(/for orchestrators/);
    const seg = s.leaseSegment(C, 2, 1)!;
    expect(seg.tasks.map((t) => t.index)).toEqual([0, 1]);
    expect(seg.deadline).toBe(5001);
    expect(s.leaseChunk(A, 2)!.index).toBe(2);
    expect(s.leaseChunk(A, 3)).toBeUndefined();
    // Past the segment's deadline each of its chunks goes to the next caller.
    expect(s.leaseChunk(A, 5002)!.index).toBe(0);
    expect(s.leaseChunk(A, 5003)!.index).toBe(1);
    await expect(s.submitSegment(C, seg.leaseId, [], 5004)).rejects.toMatchObject({
      status: 404,
    });
    db.close();
  });
});
