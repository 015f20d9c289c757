/**
 * The orchestrator's scheduler on a real SQLite file with real Groth16 chunk proofs (K8 test
 * circuit, chunks of fibonacci): leasing in order, expiry and re-issue, proofs accepted only for
 * the leaseholder's own statement and only if they verify (batched), every refusal counted and
 * a node suspended past the limit, and nothing accepted lost across a restart. Against fresh
 * keys: an unproven node's proofs are verified alone and within a shared budget; a zero prover
 * is refused. Proofs are made once per (chunk, prover) and reused (a job of the same chunks has
 * the same statements). Against lease hoarding (issue 14): segments only for admitted rings,
 * caps on leases and segment size, deadlines inside the job's own with a reserve, expiries
 * counted, and fair leasing across jobs.
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
/** A delegator with stake behind its key (the server learns it from the chain). */
const S = { staked: true };

let artifacts: CircuitArtifacts;
let prover: Groth16ChunkProver;
let dbPath: string;
let job: Parameters<Scheduler["addJob"]>[0];

function open(leaseMs = 10_000, maxRejected = 4) {
  const db = openDatabase(dbPath);
  const verifier = new BatchingVerifier(artifacts.vkey, { maxDelayMs: 50 });
  return { db, verifier, s: new Scheduler(db, verifier, { leaseMs, maxRejected }) };
}

const proofs = new Map<string, Promise<ChunkProof>>();
/** Proves a lease for `who` the way a delegator does (once per chunk and prover). */
function prove(lease: ChunkLease, who: Address): Promise<ChunkProof> {
  const key = `${lease.index}:${who}`;
  let p = proofs.get(key);
  if (!p) {
    const input = { ...lease.input, prover: addressToField(who).toString() };
    p = prover.proveWitness(lease.index, input);
    proofs.set(key, p);
  }
  return p;
}

/** `p` re-submitted under `who`'s name: the statement is `who`'s, the proof is not. */
function stolen(p: ChunkProof, who: Address): ChunkProof {
  const publicSignals = [...p.publicSignals] as ChunkProof["publicSignals"];
  publicSignals[3] = addressToField(who).toString();
  return { ...p, publicSignals };
}

/** A job of the fixture's chunks `indices` only, under another id. */
const jobOf = (id: number, ...indices: number[]) => ({
  ...job,
  id,
  tasks: job.tasks.filter((t) => indices.includes(t.index)),
});

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

/** An admission check (Scheduler `admitRing`) that admits only `rings`. */
const admitOnly =
  (...rings: Address[]) =>
  async (a: Address) =>
    rings.includes(a) ? undefined : `${a} is not registered on chain under this node`;

/** A job of `n` chunks (the fixture's inputs, repeated: leasing never reads them). */
const bigJob = (id: number, n: number, deadline?: number) => ({
  ...job,
  id,
  ...(deadline !== undefined ? { deadline } : {}),
  tasks: Array.from({ length: n }, (_, i) => ({ ...job.tasks[i % TASKS]!, index: i })),
});

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
    const l0again = s.leaseChunk(C, t0 + 10_001, S)!;
    expect(l0again.index).toBe(0);
    expect(l0again.leaseId).not.toBe(l0.leaseId);

    const pC0 = await prove(l0again, C);
    const pB1 = await prove(l1, B);
    const pC2 = await prove(l2, C);

    // A's old lease is gone: its late proof is refused (404); its expiry was counted once.
    await refused(s.submitChunk(A, l0.leaseId, pC0, t0 + 10_002), 404, /no lease/);
    expect(rejectedOf(db, A)).toBe(1);

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

    // Two valid proofs arriving together, from C, which has no accepted proof yet: each is
    // verified alone (proven nodes' proofs are batched: see below).
    const before = verifier.batchSizes.length;
    const [r0, r2] = await Promise.all([
      s.submitChunk(C, l0again.leaseId, pC0, t0 + 10_006),
      s.submitChunk(C, l2.leaseId, pC2, t0 + 10_006),
    ]);
    expect([r0.index, r2.index]).toEqual([0, 2]);
    expect(verifier.batchSizes.slice(before)).toEqual([1, 1]);
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

  it("re-issues the chunks of an expired segment lease, counts the expiry and refuses the late bundle", async () => {
    const db = openDatabase(":memory:");
    const s = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 1000,
      segmentLeaseMs: 5000,
      maxRejected: 3,
      admitRing: admitOnly(C),
    });
    s.addJob(job, 0);
    s.registerNode(A, "delegator", "", 0);
    s.registerNode(C, "orchestrator", "", 0);
    await refused(s.leaseSegment(A, 2, 1), 403, /for orchestrators/);
    const seg = (await s.leaseSegment(C, 2, 1))!;
    expect(seg.tasks.map((t) => t.index)).toEqual([0, 1]);
    expect(seg.deadline).toBe(5001);
    expect(s.leaseChunk(A, 2)!.index).toBe(2);
    expect(s.leaseChunk(A, 3)).toBeUndefined();
    // Past the segment's deadline each of its chunks goes to the next caller.
    expect(s.leaseChunk(A, 5002, S)!.index).toBe(0);
    expect(s.leaseChunk(A, 5003, S)!.index).toBe(1);
    await expect(s.submitSegment(C, seg.leaseId, [], 5004)).rejects.toMatchObject({
      status: 404,
    });
    expect(s.node(C)!.rejected).toBe(1); // the segment's expiry
    db.close();
  });

  it("verifies an unproven node's proof alone, never in a batch with other nodes' proofs", async () => {
    const db = openDatabase(":memory:");
    const verifier = new BatchingVerifier(artifacts.vkey, { maxDelayMs: 50 });
    const s = new Scheduler(db, verifier, { leaseMs: 60_000, maxRejected: 3 });
    const X: Address = "0x00000000000000000000000000000000000000aa";
    for (const j of [jobOf(20, 0), jobOf(21, 2), jobOf(22, 0), jobOf(23, 2)]) s.addJob(j);
    for (const n of [C, X]) s.registerNode(n, "delegator", "");
    const first = s.leaseChunk(C)!;
    const pC0 = await prove(first, C);
    await s.submitChunk(C, first.leaseId, pC0);
    expect(verifier.batchSizes).toEqual([1]); // C's first proof: alone
    const c2 = s.leaseChunk(C)!;
    const c0 = s.leaseChunk(C)!;
    const x2 = s.leaseChunk(X)!;
    const pC2 = await prove(c2, C);
    // C (proven now) sends two valid proofs while the stranger X sends C's proof under its own
    // name: X's is checked on its own; C's two share one batch, which X cannot spoil.
    const [a, b, x] = await Promise.allSettled([
      s.submitChunk(C, c2.leaseId, pC2),
      s.submitChunk(C, c0.leaseId, pC0),
      s.submitChunk(X, x2.leaseId, stolen(pC2, X)),
    ]);
    expect([a.status, b.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(x.status).toBe("rejected");
    await refused(Promise.reject((x as PromiseRejectedResult).reason), 422, /invalid proof/);
    expect(verifier.batchSizes.slice(1).sort()).toEqual([1, 2]);
    expect(s.node(X)).toMatchObject({ accepted: 0, rejected: 1 });
    expect(s.node(C)).toMatchObject({ accepted: 3, rejected: 0 });
    db.close();
  });

  it("verifies at most a window's budget of proofs from unproven nodes, however many keys send them", async () => {
    const db = openDatabase(":memory:");
    const verifier = new BatchingVerifier(artifacts.vkey, { maxDelayMs: 10 });
    const s = new Scheduler(db, verifier, {
      leaseMs: 600_000,
      maxRejected: 3,
      unproven: { proofs: 2, windowMs: 60_000 },
      newcomers: { leases: 8 },
    });
    const t0 = 1_000_000;
    const fresh = [1, 2, 3, 4, 5].map(
      (i) => `0x00000000000000000000000000000000000f00${i}0` as Address,
    );
    // Single-chunk jobs of chunks 0 and 2 (whose proofs by C this file already has).
    for (const [id, idx] of [
      [30, 0],
      [31, 2],
      [32, 0],
      [33, 2],
      [34, 0],
      [35, 2],
    ] as const)
      s.addJob(jobOf(id, idx), t0);
    for (const n of [C, ...fresh]) s.registerNode(n, "delegator", "", t0);
    const mine = s.leaseChunk(C, t0)!; // job 30, chunk 0 (C has no stake yet)
    const theirs = fresh.slice(0, 4).map((f) => s.leaseChunk(f, t0)!); // jobs 31-34
    const later = s.leaseChunk(C, t0, S)!; // job 35, chunk 2 (C has staked meanwhile)
    const pC0 = await prove(mine, C);
    const pC2 = await prove(later, C);
    const forged = (l: ChunkLease, who: Address) => stolen(l.index === 0 ? pC0 : pC2, who);

    await s.submitChunk(C, mine.leaseId, pC0, t0); // budget 2 -> 1; C is proven now
    await refused(
      s.submitChunk(fresh[0]!, theirs[0]!.leaseId, forged(theirs[0]!, fresh[0]!), t0),
      422,
      /invalid proof/,
    ); // budget 1 -> 0
    const checked = verifier.batchSizes.length;
    for (let i = 1; i < 4; i++)
      await refused(
        s.submitChunk(fresh[i]!, theirs[i]!.leaseId, forged(theirs[i]!, fresh[i]!), t0 + 1),
        429,
        /at most 2 proof verifications per 60 s/,
      );
    // Refused before any pairing, not counted, and the leases are kept.
    expect(verifier.batchSizes.length).toBe(checked);
    expect(fresh.slice(1, 4).map((f) => s.node(f)!.rejected)).toEqual([0, 0, 0]);
    expect(s.counts().tasks).toMatchObject({ leased: 4 });
    // Nor is a key that was staked when it leased: its proof is checked (alone) at once.
    s.addJob(jobOf(36, 0), t0);
    const paid = s.leaseChunk(fresh[4]!, t0 + 1, S)!;
    await refused(
      s.submitChunk(fresh[4]!, paid.leaseId, forged(paid, fresh[4]!), t0 + 1),
      422,
      /invalid proof/,
    );
    expect(verifier.batchSizes.slice(checked)).toEqual([1]);
    // A proven node is not held back by the strangers' budget.
    expect((await s.submitChunk(C, later.leaseId, pC2, t0 + 2)).jobProven).toBe(true);
    // Half a window later one verification is available again: one stranger's turn.
    await refused(
      s.submitChunk(fresh[1]!, theirs[1]!.leaseId, forged(theirs[1]!, fresh[1]!), t0 + 30_002),
      422,
      /invalid proof/,
    );
    await refused(
      s.submitChunk(fresh[2]!, theirs[2]!.leaseId, forged(theirs[2]!, fresh[2]!), t0 + 30_003),
      429,
      /busy/,
    );
    db.close();
  });

  it("refuses a proof or segment bundle that credits the zero address, counted", async () => {
    const db = openDatabase(":memory:");
    const verifier = new BatchingVerifier(artifacts.vkey);
    const s = new Scheduler(db, verifier, {
      leaseMs: 60_000,
      maxRejected: 5,
      admitRing: admitOnly(C),
    });
    const ZERO: Address = "0x0000000000000000000000000000000000000000";
    s.addJob(jobOf(40, 0, 1, 2));
    s.registerNode(C, "orchestrator", "");
    s.registerNode(A, "delegator", "");
    const a0 = s.leaseChunk(A)!;
    const pC0 = await prove(a0, C);
    const seg = (await s.leaseSegment(C, 2))!;
    expect(seg.tasks.map((t) => t.index)).toEqual([1, 2]);
    const bundle = [
      { index: 1, prover: A, proof: pC0.proof },
      { index: 2, prover: ZERO, proof: pC0.proof },
    ];
    await refused(s.submitSegment(C, seg.leaseId, bundle), 422, /chunk 2: prover address 0x0/);
    expect(s.node(C)!.rejected).toBe(1);
    expect(verifier.batchSizes).toEqual([]); // refused before any verification
    expect(s.counts().tasks).toMatchObject({ leased: 3 }); // the child may still send a good one
    // A chunk proof whose holder (so whose prover) is 0x0 is refused too (over the API no one
    // can sign as 0x0; the scheduler does not rely on it).
    s.releaseLease(A, a0.leaseId);
    s.registerNode(ZERO, "delegator", "");
    const z0 = s.leaseChunk(ZERO)!;
    await refused(s.submitChunk(ZERO, z0.leaseId, stolen(pC0, ZERO)), 422, /prover address 0x0/);
    expect(s.node(ZERO)!.rejected).toBe(1);
    expect(verifier.batchSizes).toEqual([]);
    db.close();
  });
});

describe("lease hoarding (issue 14)", () => {
  const H: Address = "0x000000000000000000000000000000000000f00d";
  const X: Address = "0x00000000000000000000000000000000000000aa";

  function fresh(o: Partial<ConstructorParameters<typeof Scheduler>[2]> = {}) {
    const db = openDatabase(":memory:");
    const s = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 10_000,
      maxRejected: 3,
      admitRing: admitOnly(C),
      ...o,
    });
    return { db, s };
  }

  it("leases segments only to rings the chain admits, of a capped size, a capped number at once", async () => {
    const { db, s } = fresh({ limits: { chunkLeases: 3, segmentLeases: 2, segmentChunks: 4 } });
    s.addJob(bigJob(60, 40), 0);
    for (const n of [C, X]) s.registerNode(n, "orchestrator", "", 0);
    s.registerNode(A, "delegator", "", 0);
    // A key registered over the API alone (no stake, not under this node): refused, not counted.
    await refused(s.leaseSegment(X, 4096, 1), 403, /not registered on chain under this node/);
    expect(s.node(X)!.rejected).toBe(0);
    // An admitted ring asking for 4,096 chunks gets the cap, twice, then must deliver first.
    const a = (await s.leaseSegment(C, 4096, 2))!;
    const b = (await s.leaseSegment(C, 4096, 3))!;
    expect(a.tasks.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(b.tasks.map((t) => t.index)).toEqual([4, 5, 6, 7]);
    await refused(s.leaseSegment(C, 1, 4), 429, /holds 2 segment leases/);
    // A delegator: three chunk leases at once, then 429 (not counted; it may retry).
    for (let i = 0; i < 3; i++) expect(s.leaseChunk(A, 5, S)).toBeDefined();
    await refused(() => s.leaseChunk(A, 6, S), 429, /holds 3 chunk leases/);
    expect(s.node(A)!.rejected).toBe(0);
    // Without a chain to check rings against, no segment goes to anyone.
    const bare = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 10_000,
      maxRejected: 3,
    });
    await refused(bare.leaseSegment(C, 4, 7), 403, /cannot check rings on chain/);
    db.close();
  });

  it("counts an expired lease against its holder until a hoarder is suspended; the honest path goes on", async () => {
    const { db, s } = fresh({ leaseMs: 1000 });
    s.addJob(bigJob(61, 2), 0);
    for (const n of [H, A]) s.registerNode(n, "delegator", "", 0);
    // The hoarder leases, never submits, and leases again when its lease has expired.
    let t = 0;
    for (let round = 1; round <= 3; round++) {
      const l = s.leaseChunk(H, t)!;
      expect(l.deadline).toBe(t + 1000);
      t += 1001;
      expect(s.expireLeases(t)).toBe(1);
      expect(s.node(H)!.rejected).toBe(round);
    }
    await refused(() => s.leaseChunk(H, t), 403, /suspended/);
    // Both chunks are open again for an honest delegator; returning a lease costs nothing.
    const l0 = s.leaseChunk(A, t)!;
    s.releaseLease(A, l0.leaseId);
    expect([s.leaseChunk(A, t, S)!.index, s.leaseChunk(A, t, S)!.index]).toEqual([0, 1]);
    expect(s.node(A)!.rejected).toBe(0);
    db.close();
  });

  it("attack: a thousand fresh keys hoard at most the newcomers' pool; staked and proven delegators lease past it", () => {
    const { db, s } = fresh({
      leaseMs: 1000,
      limits: { chunkLeases: 8 },
      newcomers: { leases: 4, hint: "stake at least 0.1 ETH (concentric stake)" },
    });
    s.addJob(bigJob(64, 40), 0);
    // 1,000 throw-away keys, no stake, no proof: four leases between all of them, the rest 429
    // (not counted: asking is not misbehaving) with how to skip the queue.
    const keys = Array.from(
      { length: 1000 },
      (_, i) => `0x${(0xf0000 + i).toString(16).padStart(40, "0")}` as Address,
    );
    let got = 0;
    let busy = 0;
    for (const k of keys) {
      s.registerNode(k, "delegator", "", 0);
      try {
        if (s.leaseChunk(k, 1)) got++;
      } catch (e) {
        expect(e).toBeInstanceOf(SchedulerError);
        expect((e as SchedulerError).status).toBe(429);
        expect((e as Error).message).toMatch(/no accepted proof and no stake hold 4 chunk leases/);
        expect((e as Error).message).toMatch(/stake at least 0\.1 ETH/);
        busy++;
      }
    }
    expect([got, busy]).toEqual([4, 996]);
    expect(s.newcomerLeases()).toBe(4);
    // A newcomer holds one lease at a time even when the pool has room.
    s.releaseLease(
      keys[0]!,
      (db.prepare("SELECT id FROM leases WHERE holder = ?").get(keys[0]!) as { id: string }).id,
    );
    expect(() => s.leaseChunk(keys[1]!, 2)).toThrow(
      /holds 1 chunk leases.*1 \+ its accepted proofs \(0\)/,
    );
    // A staked delegator leases the per-node cap at once, pool or not.
    s.registerNode(A, "delegator", "", 0);
    for (let i = 0; i < 8; i++) expect(s.leaseChunk(A, 3, S)).toBeDefined();
    expect(() => s.leaseChunk(A, 3, S)).toThrow(/holds 8 chunk leases/);
    // An unstaked delegator earns leases by proving: 1 + accepted (2 here), not the pool's.
    s.registerNode(B, "delegator", "", 0);
    db.prepare("UPDATE nodes SET accepted = 2 WHERE address = ?").run(B); // as if it had proven 2
    for (let i = 0; i < 3; i++) expect(s.leaseChunk(B, 4)).toBeDefined();
    expect(() => s.leaseChunk(B, 4)).toThrow(
      /holds 3 chunk leases.*1 \+ its accepted proofs \(2\)/,
    );
    expect(s.newcomerLeases()).toBe(3); // keys[0] gave its lease back; A and B took none
    // Every hoarder's lease expires and counts against it; the pool is free again.
    expect(s.expireLeases(2000)).toBe(3 + 8 + 3);
    expect(keys.filter((k) => s.node(k)!.rejected === 1).length).toBe(3);
    expect(keys.filter((k) => s.node(k)!.rejected > 1).length).toBe(0);
    expect(s.newcomerLeases()).toBe(0);
    db.close();
  });

  it("tells a newcomer there is nothing to lease (204), not to wait, when no chunk is open", () => {
    const { db, s } = fresh({ newcomers: { leases: 1 } });
    s.addJob(bigJob(65, 1), 0);
    for (const n of [A, B]) s.registerNode(n, "delegator", "", 0);
    expect(s.leaseChunk(A, 1)).toBeDefined(); // the pool (1) is full, and so is the job
    expect(s.leaseChunk(B, 1)).toBeUndefined();
    s.addJob(bigJob(66, 1), 2);
    expect(() => s.leaseChunk(B, 3)).toThrow(
      /hold 1 chunk leases, the most they may hold together/,
    );
    expect(s.leaseChunk(B, 3, S)).toBeDefined();
    db.close();
  });

  it("ends leases before the job's deadline, keeping a reserve the node proves in itself", () => {
    const P = 1_000_000; // the job's deadline: leaseMs 10 s, reserve 10 s
    const { db, s } = fresh({ segmentLeaseMs: 50_000, localProver: B });
    s.addJob(bigJob(62, 20, P), 0);
    for (const n of [A, B]) s.registerNode(n, "delegator", "", 0);
    s.registerNode(C, "orchestrator", "", 0);
    const lease = (at: number) => s.leaseChunk(A, at, S)!.deadline;
    expect(lease(P - 100_000)).toBe(P - 90_000); // a full lease
    expect(lease(P - 15_000)).toBe(P - 10_000); // cut to end where the reserve begins
    expect(lease(P - 12_000)).toBe(P - 2_000); // too short so: the last chance, up to P
    expect(lease(P - 5_000)).toBe(P); // inside the reserve
    // The node's own prover takes nothing before the reserve, and then the rest.
    expect(s.leaseChunk(B, P - 60_000)).toBeUndefined();
    expect(s.leaseChunk(B, P - 9_000)!.deadline).toBe(P + 1_000); // a full lease: not cut short
    db.close();
  });

  it("leases segments only with time to spare before the reserve, and ends them there", async () => {
    const P = 1_000_000;
    const { db, s } = fresh({ segmentLeaseMs: 50_000, limits: { segmentLeases: 10 } });
    s.addJob(bigJob(63, 20, P), 0);
    s.registerNode(C, "orchestrator", "", 0);
    expect((await s.leaseSegment(C, 2, P - 200_000))!.deadline).toBe(P - 150_000);
    expect((await s.leaseSegment(C, 2, P - 25_000))!.deadline).toBe(P - 10_000);
    expect(await s.leaseSegment(C, 2, P - 15_000)).toBeUndefined(); // 5 s < a lease: for delegators
    // A lease cut short by the deadline is not held against its holder when it expires.
    s.registerNode(A, "delegator", "", 0);
    expect(s.leaseChunk(A, P - 8_000)!.deadline).toBe(P);
    s.expireLeases(P + 1);
    expect(s.node(A)!.rejected).toBe(0);
    expect(s.node(C)!.rejected).toBe(2); // the two segments
    db.close();
  });

  it("leases fairly: a huge early job does not starve a later small one; a job due soon goes first", () => {
    const t0 = 1_000_000;
    const { db, s } = fresh({ limits: { chunkLeases: 100 } });
    for (const n of [A, B]) s.registerNode(n, "delegator", "", 0);
    s.addJob(bigJob(70, 4096), t0); // a huge job, first
    s.addJob(bigJob(71, 2), t0 + 1); // a small one, after it
    const ids = (who: Address, n: number, at: number) =>
      Array.from({ length: n }, () => s.leaseChunk(who, at, S)!.jobId);
    // Turn by turn: the job with the fewest chunks in flight.
    expect(ids(A, 4, t0 + 2)).toEqual([70, 71, 70, 71]);
    expect(ids(A, 2, t0 + 3)).toEqual([70, 70]);
    // Nearest deadline first, whatever the job ids: a job due soon before everything …
    s.addJob(bigJob(72, 2, t0 + 25_000), t0 + 4); // due within reserve + 2 leases (30 s)
    s.addJob(bigJob(73, 2, t0 + 20_000), t0 + 4);
    expect(ids(B, 4, t0 + 5)).toEqual([73, 73, 72, 72]);
    // … and among the others, at equal chunks in flight, the earlier deadline.
    s.addJob(bigJob(74, 1, t0 + 900_000), t0 + 6);
    s.addJob(bigJob(75, 1, t0 + 800_000), t0 + 6);
    expect(ids(B, 2, t0 + 7)).toEqual([75, 74]);
    db.close();
  });
});

describe("versioned-cells jobs' two rounds (issue 12 item 6)", () => {
  const H: Address = "0x000000000000000000000000000000000000f00d";
  const N: Address = "0x0000000000000000000000000000000000000eee";
  const program = { keySet: "job2_test", elf: "AAEC", input: "05000000" };
  /** A job of `n` round-1 tasks as execute-job2.ts makes them (leases only: no witness here). */
  const job2 = (id: number, n: number): Parameters<Scheduler["addJob"]>[0] => ({
    id,
    epoch: 3,
    imageId: "99",
    circuit: "chunk2_test",
    record: { kind: "job2", keySet: "job2_test", program, output: "" },
    tasks: Array.from({ length: n }, (_, i) => {
      const lease = {
        index: i,
        t: i + 1,
        tin: [] as [number, number][],
        sIn: String(100 + i),
        sOut: String(101 + i),
        cyclesIn: 8 * i,
        cyclesRetired: 8,
      };
      return {
        index: i,
        input: {
          job2: 1,
          lease,
          sIn: lease.sIn,
          sOut: lease.sOut,
          cyclesRetired: "8",
        } as never,
        sIn: lease.sIn,
        sOut: lease.sOut,
      };
    }),
  });
  const record2 = { kind: "job2", keySet: "job2_test", program, job: "{}", output: "" } as const;

  function fresh() {
    const committed: number[] = [];
    const db = openDatabase(":memory:");
    const s = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
      leaseMs: 10_000,
      maxRejected: 10,
      admitRing: admitOnly(C),
      onCommitted: (id) => committed.push(id),
    });
    for (const [a, role] of [
      [A, "delegator"],
      [B, "delegator"],
      [N, "delegator"],
      [C, "orchestrator"],
      [H, "delegator"],
    ] as const)
      s.registerNode(a, role, "", 0);
    return { db, s, committed };
  }
  /** A well-formed proof whose public signals are `signals` (never verified: refused before). */
  const shaped = (index: number, signals: string[]): ChunkProof => ({
    circuit: "chunk2_test",
    index,
    publicSignals: signals as never,
    proof: {} as never,
  });

  it("round 1: leases and segments carry the program, take commitments (not proofs), and open round 2 once all are in", async () => {
    const { db, s, committed } = fresh();
    s.addJob(job2(40, 4), 0);
    // a ring carries round 1 too: a segment of commitments, delivered at once
    const seg1 = (await s.leaseSegment(C, 1, 1))!;
    expect(seg1.program).toEqual(program);
    expect(seg1.tasks.map((t) => t.index)).toEqual([0]);
    await refused(
      () => s.submitSegmentCommitments(C, seg1.leaseId, [{ index: 1, commitment: "5" }], 2),
      422,
      /exactly chunks 0, once each/,
    );
    expect(rejectedOf(db, C)).toBe(1);
    const seg2 = (await s.leaseSegment(C, 1, 2))!; // re-opened by the refusal
    expect(seg2.tasks.map((t) => t.index)).toEqual([0]);
    expect(
      s.submitSegmentCommitments(C, seg2.leaseId, [{ index: 0, commitment: "1000" }], 3),
    ).toEqual({ jobId: 40, chunks: 1, jobCommitted: false });
    // a delegator's round-1 lease
    const l1 = s.leaseChunk(A, 4, S)!;
    expect(l1.index).toBe(1);
    expect(l1.program).toEqual(program);
    expect((l1.input as unknown as { job2: number }).job2).toBe(1);
    await refused(
      s.submitChunk(A, l1.leaseId, shaped(1, []), 5),
      409,
      /round-1 commitment, not a proof/,
    );
    await refused(() => s.submitCommitment(B, l1.leaseId, "5", 5), 422, /belongs to another node/);
    await refused(
      () => s.submitCommitment(A, l1.leaseId, BN254_R.toString(), 5),
      422,
      /not a field element/,
    );
    expect(rejectedOf(db, A)).toBe(1);
    expect(s.submitCommitment(A, l1.leaseId, "1001", 6)).toEqual({
      jobId: 40,
      index: 1,
      jobCommitted: false,
    });
    await refused(() => s.submitCommitment(A, l1.leaseId, "1001", 6), 404, /no lease/);
    // a newcomer's (no stake, no accepted proof) is checked by the node before gammaJob
    const l2 = s.leaseChunk(N, 7)!;
    s.submitCommitment(N, l2.leaseId, "1002", 8);
    const l3 = s.leaseChunk(B, 9, S)!;
    expect(s.awaitingGamma()).toEqual([]);
    expect(s.submitCommitment(B, l3.leaseId, "1003", 10).jobCommitted).toBe(true);
    expect(committed).toEqual([40]);
    expect(s.awaitingGamma()).toEqual([40]);
    expect(s.uncheckedCommitments(40).map((u) => [u.index, u.task.committer])).toEqual([[2, N]]);
    expect(s.leaseChunk(H, 11, S)).toBeUndefined(); // nothing open between the rounds
    // the newcomer's was false: replaced, counted against it
    expect(s.settleCommitment(40, 2, "2002")).toBe(true);
    expect(rejectedOf(db, N)).toBe(1);
    expect(s.uncheckedCommitments(40)).toEqual([]);
    expect(s.commitments(40)).toEqual(["1000", "1001", "2002", "1003"]);
    expect(s.beginRound2(40, record2, "777")).toBe(true);
    expect(s.beginRound2(40, record2, "888")).toBe(false); // once
    const r2 = s.leaseChunk(H, 12, S)!;
    const w = r2.input as unknown as Record<string, unknown>;
    expect([r2.index, w.job2, w.gammaJob, w.commitment]).toEqual([0, 2, "777", "1000"]);
    expect(r2.program).toEqual(program);
    // round 2's statement: sIn, sOut, image, the prover, cycles, the commitment, gammaJob, and
    // the proof's own share; another commitment, gammaJob or prover is refused before pairing
    const good = ["100", "101", "99", addressToField(H).toString(), "8", "1000", "777", "5"];
    for (const [i, v, why] of [
      [5, "1001", /commitment is not this chunk's/],
      [6, "778", /gammaJob is not this chunk's/],
      [3, addressToField(A).toString(), /prover address is not this chunk's/],
    ] as const) {
      const sig = [...good];
      sig[i] = v;
      await refused(s.submitChunk(H, r2.leaseId, shaped(0, sig), 13), 422, why);
    }
    // a segment of round-2 chunks carries the program to the ring; no commitments taken for it
    const seg = (await s.leaseSegment(C, 8, 14))!;
    expect(seg.program).toEqual(program);
    expect(seg.tasks.map((t) => t.index)).toEqual([1, 2, 3]);
    await refused(
      () => s.submitSegmentCommitments(C, seg.leaseId, [{ index: 1, commitment: "1" }], 15),
      409,
      /no chunk waiting for its commitment/,
    );
  });

  it("a dispute: a false one counted against the disputer; a true one against the committer, whose other commitments are checked before round 2 starts again", async () => {
    const { db, s } = fresh();
    s.addJob(job2(41, 3), 0);
    for (const [who, c] of [
      [A, "1000"],
      [B, "1001"],
      [B, "1002"],
    ] as const) {
      const l = s.leaseChunk(who, 1, S)!;
      s.submitCommitment(who, l.leaseId, c, 2);
    }
    s.beginRound2(41, record2, "777");
    const l = s.leaseChunk(H, 3, S)!;
    expect(l.index).toBe(0);
    await refused(
      () => s.dispute(H, l.leaseId, "1000", 4),
      422,
      /the one the chunk was leased with/,
    );
    s.dispute(H, l.leaseId, "1234", 4);
    const first = s.disputes[0]!;
    expect(first).toEqual({
      jobId: 41,
      index: 0,
      holder: H,
      claimed: "1234",
      disputed: "1000",
      gammaJob: "777",
    });
    const l0 = s.leaseChunk(H, 5, S)!; // the lease was given back at once
    expect(l0.index).toBe(0);
    // the node's own round 1 says 1000: the disputer lied; the chunk's commitment now stands
    expect(s.resolveDispute(s.disputes.shift()!, "1000")).toBe(false);
    expect(rejectedOf(db, H)).toBe(2);
    await refused(() => s.dispute(H, l0.leaseId, "1234", 6), 422, /checked by this node/);
    // B's chunk 1 is disputed truly: B counted, every chunk back to round 1, B's other
    // commitment (chunk 2) to be checked before gammaJob is drawn again
    const l1 = s.leaseChunk(H, 7, S)!;
    expect(l1.index).toBe(1);
    s.dispute(H, l1.leaseId, "1501", 7);
    expect(s.resolveDispute(s.disputes.shift()!, "1501")).toBe(true);
    expect(rejectedOf(db, B)).toBe(1);
    expect(s.awaitingGamma()).toEqual([41]);
    expect(s.uncheckedCommitments(41).map((u) => u.index)).toEqual([2]);
    expect(s.settleCommitment(41, 2, "1002")).toBe(false); // it was right
    expect(s.commitments(41)).toEqual(["1000", "1501", "1002"]);
    expect(s.leaseChunk(A, 8, S)).toBeUndefined();
    // a dispute from the old gammaJob counts against no one
    expect(s.resolveDispute(first, "5")).toBe(false);
    expect([rejectedOf(db, A), rejectedOf(db, H)]).toEqual([0, 3]);
    expect(s.beginRound2(41, record2, "999")).toBe(true);
    const again = s.leaseChunk(B, 9, S)!;
    expect((again.input as unknown as Record<string, unknown>).gammaJob).toBe("999");
  });

  it("a job whose proven shares do not sum to 0 is not proven: every commitment is checked again", () => {
    const { s } = fresh();
    s.addJob(job2(42, 2), 0);
    for (const c of ["1000", "1001"]) {
      const l = s.leaseChunk(A, 1, S)!;
      s.submitCommitment(A, l.leaseId, c, 2);
    }
    // the job's own proofs' shares: 3 + 4 + 5; the chunks' shares must bring it to 0
    const own = { boundary: { jobSum: "3n" }, input: { jobSum: "4n" }, output: { jobSum: "5n" } };
    s.beginRound2(42, { ...record2, job: JSON.stringify(own) }, "777");
    const db = (s as unknown as { db: DatabaseSync }).db;
    const prove = (index: number, share: bigint) =>
      db
        .prepare(
          "UPDATE tasks SET status = 'done', proof = '{}', prover = ?, witness = json_set(witness, '$.jobSum', ?) WHERE job_id = 42 AND idx = ?",
        )
        .run(A, share.toString(), index);
    prove(0, 1n);
    prove(1, BN254_R - 13n); // 1 + (r − 13) + 12 = r: balanced
    expect(
      (s as unknown as { markIfProven(j: number, n: number): boolean }).markIfProven(42, 3),
    ).toBe(true);
    db.prepare("UPDATE jobs SET status = 'proving' WHERE id = 42").run();
    prove(1, BN254_R - 12n); // off by one
    expect(
      (s as unknown as { markIfProven(j: number, n: number): boolean }).markIfProven(42, 4),
    ).toBe(false);
    expect(s.awaitingGamma()).toEqual([42]);
    expect(s.uncheckedCommitments(42).map((u) => u.index)).toEqual([0, 1]);
  });
});
