/**
 * Leasing and acceptance of chunk tasks (the orchestrator's core service; HTTP handlers only
 * call it). A job's run, executed once, becomes one task per chunk holding the circuit inputs
 * (with the prover address left at 0 for the delegator to fill in). A delegator leases one
 * task at a time with a deadline; an expired lease is re-issued to the next caller; a proof is
 * accepted only if its public signals are exactly this task's (S_in, S_out, image ID, and the
 * leaseholder's own address) and it verifies (batched with other arrivals). Every rejection
 * is counted against the node; past `maxRejected` it gets no more leases.
 *
 * Fresh keys cost nothing, so suspension per key alone does not bound what strangers cost. A
 * node is *unproven* until one of its submissions has been accepted; for unproven nodes:
 * - their proofs are verified in a batch of their own (BatchingVerifier.verifyAlone), never
 *   with other nodes' proofs, so a bad one costs only its own check;
 * - all of them together get at most `unproven.proofs` proof verifications per
 *   `unproven.windowMs` (a token bucket shared by every unproven node). Past it a submission
 *   is answered 429 before any curve arithmetic: not counted as a rejection, and the lease is
 *   kept, so an honest newcomer retries (the delegator daemon does) and graduates with its
 *   first accepted proof.
 * A proof or bundle crediting the zero address is refused (counted): its reward could never be
 * claimed and it would make the epoch's settlement fail on chain.
 */
import { randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { Groth16Proof } from "snarkjs";
import { getAddress } from "viem";
import type { Address, ChunkProof } from "../prover/zkvm/prover.ts";
import type { RunProof } from "../prover/zkvm/run.ts";
import type { ChunkWitnessInput } from "../prover/zkvm/witness.ts";
import type { BatchItem } from "../prover/verify/batch.ts";
import type { BatchingVerifier, Verdict } from "./batch-verifier.ts";
import { RateLimiter } from "./rate-limit.ts";
import { transaction } from "./store.ts";

/** A refused call, with the HTTP status that says why. */
export class SchedulerError extends Error {
  override readonly name = "SchedulerError";
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 429,
    message: string,
  ) {
    super(message);
  }
}

/** What a delegator receives: one chunk to prove before `deadline` (ms since the epoch). */
export interface ChunkLease {
  leaseId: string;
  deadline: number;
  jobId: number;
  index: number;
  circuit: string;
  /** Circuit inputs with `prover` = "0": set it to your address (as a decimal field element). */
  input: ChunkWitnessInput;
}

/** A run as executed, without its chunk proofs (they arrive one by one). */
export type RunSkeleton = Omit<RunProof, "chunks">;

export interface NewJob {
  id: number;
  epoch: number;
  imageId: string;
  circuit: string;
  /** The executed run (root orchestrators); a segment from a parent has none. */
  run?: RunSkeleton;
  /** Segment jobs of a child orchestrator: the lease and job at the parent. */
  parent?: { lease: string; job: number };
  tasks: SegmentTask[];
}

/** One chunk of a task list: circuit inputs (prover 0) and the statement's states. */
export interface SegmentTask {
  index: number;
  input: ChunkWitnessInput;
  sIn: string;
  sOut: string;
}

/** What a child orchestrator receives: consecutive chunks of one job, due by `deadline`. */
export interface SegmentLease {
  leaseId: string;
  deadline: number;
  jobId: number;
  circuit: string;
  imageId: string;
  tasks: SegmentTask[];
}

/** One proven chunk of a segment bundle: the proof and the prover address it binds. */
export interface BundleProof {
  index: number;
  prover: Address;
  proof: Groth16Proof;
}

export interface SchedulerOptions {
  leaseMs: number;
  /** Deadline of a segment lease (default 10 × leaseMs). */
  segmentLeaseMs?: number;
  /** Rejected submissions after which a node gets no more leases. */
  maxRejected: number;
  /**
   * Proof verifications for nodes with no accepted submission yet, across all of them, per
   * window (default 60 per 60 s). A bundle of n proofs costs n (at most `proofs`).
   */
  unproven?: { proofs: number; windowMs: number };
  /** Called when a job's last chunk is accepted. */
  onJobProven?: (jobId: number) => void;
  /** Called for every verdict (metrics). */
  onVerdict?: (accepted: boolean, holder: string, provingMs: number) => void;
}

interface TaskRow {
  job_id: number;
  idx: number;
  circuit: string;
  witness: string;
  s_in: string;
  s_out: string;
  image_id: string;
  status: string;
  lease_id: string | null;
}

/** The cycles a task's chunk retires: a public input of its proof, from its circuit inputs. */
function cyclesRetiredOf(witness: string): string {
  return String((JSON.parse(witness) as { cyclesRetired: string }).cyclesRetired);
}

/** The zero address: no proof may credit it. */
const ZERO_PROVER = 0n;
const ZERO_PROVER_REFUSED =
  "prover address 0x0 refused: no one could claim its reward and the epoch would not settle";

export class Scheduler {
  /** The verification budget shared by every unproven node (one bucket). */
  private readonly unproven: RateLimiter;
  private readonly unprovenProofs: number;

  constructor(
    private readonly db: DatabaseSync,
    private readonly verifier: BatchingVerifier,
    private readonly o: SchedulerOptions,
  ) {
    const u = o.unproven ?? { proofs: 60, windowMs: 60_000 };
    this.unprovenProofs = u.proofs;
    this.unproven = new RateLimiter((u.proofs * 1000) / u.windowMs, u.proofs, 1);
  }

  /** Records a job and its chunk tasks (idempotent: a known job is left as it is). */
  addJob(job: NewJob, now = Date.now()): boolean {
    return transaction(this.db, () => {
      const known = this.db.prepare("SELECT 1 FROM jobs WHERE id = ?").get(job.id);
      if (known) return false;
      this.db
        .prepare(
          `INSERT INTO jobs (id, epoch, image_id, status, chunks, run, created_at, parent_lease, parent_job)
           VALUES (?, ?, ?, 'proving', ?, ?, ?, ?, ?)`,
        )
        .run(
          job.id,
          job.epoch,
          job.imageId,
          job.tasks.length,
          job.run ? JSON.stringify(job.run) : null,
          now,
          job.parent?.lease ?? null,
          job.parent?.job ?? null,
        );
      const ins = this.db.prepare(
        "INSERT INTO tasks (job_id, idx, circuit, witness, s_in, s_out, image_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
      );
      for (const t of job.tasks)
        ins.run(job.id, t.index, job.circuit, JSON.stringify(t.input), t.sIn, t.sOut, job.imageId);
      return true;
    });
  }

  /** Records a job that cannot be proven (bad input, trap, too long), with the reason. */
  failJob(id: number, epoch: number, imageId: string, error: string, now = Date.now()): void {
    this.db
      .prepare(
        "INSERT OR IGNORE INTO jobs (id, epoch, image_id, status, error, created_at) VALUES (?, ?, ?, 'failed', ?, ?)",
      )
      .run(id, epoch, imageId, error, now);
  }

  /** Registers (or refreshes) a node. */
  registerNode(
    address: string,
    role: "delegator" | "orchestrator",
    name: string,
    now = Date.now(),
  ) {
    this.db
      .prepare(
        `INSERT INTO nodes (address, role, name, registered_at, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(address) DO UPDATE SET role = excluded.role, name = excluded.name, last_seen = excluded.last_seen`,
      )
      .run(address, role, name, now, now);
    return this.node(address)!;
  }

  node(address: string) {
    return this.db.prepare("SELECT * FROM nodes WHERE address = ?").get(address) as
      | {
          address: string;
          role: string;
          name: string;
          registered_at: number;
          last_seen: number;
          accepted: number;
          rejected: number;
        }
      | undefined;
  }

  private requireNode(holder: string, now: number) {
    const n = this.node(holder);
    if (!n) throw new SchedulerError(403, `node ${holder} is not registered (POST /v1/nodes)`);
    if (n.rejected >= this.o.maxRejected)
      throw new SchedulerError(
        403,
        `node ${holder} is suspended: ${n.rejected} rejected submissions (limit ${this.o.maxRejected})`,
      );
    this.db.prepare("UPDATE nodes SET last_seen = ? WHERE address = ?").run(now, holder);
    return n;
  }

  /**
   * Leases the next chunk to prove (an open one, or one whose lease expired) to `holder`, or
   * returns undefined when there is none.
   */
  leaseChunk(holder: Address, now = Date.now()): ChunkLease | undefined {
    this.requireNode(holder, now);
    return transaction(this.db, () => {
      const t = this.db
        .prepare(
          `SELECT t.* FROM tasks t LEFT JOIN leases l ON t.lease_id = l.id
           WHERE t.status = 'open' OR (t.status = 'leased' AND (l.id IS NULL OR l.deadline < ?))
           ORDER BY t.job_id, t.idx LIMIT 1`,
        )
        .get(now) as TaskRow | undefined;
      if (!t) return undefined;
      const leaseId = randomBytes(16).toString("hex");
      const deadline = now + this.o.leaseMs;
      this.db
        .prepare(
          "INSERT INTO leases (id, holder, kind, deadline, created_at) VALUES (?, ?, 'chunk', ?, ?)",
        )
        .run(leaseId, holder, deadline, now);
      this.db
        .prepare(
          "UPDATE tasks SET status = 'leased', lease_id = ?, attempts = attempts + 1 WHERE job_id = ? AND idx = ?",
        )
        .run(leaseId, t.job_id, t.idx);
      // An expired segment lease keeps its other chunks until they are re-issued one by one.
      if (t.lease_id) this.dropIfEmpty(t.lease_id);
      return {
        leaseId,
        deadline,
        jobId: t.job_id,
        index: t.idx,
        circuit: t.circuit,
        input: JSON.parse(t.witness) as ChunkWitnessInput,
      };
    });
  }

  /** Deletes a lease that no longer holds any chunk. */
  private dropIfEmpty(leaseId: string): void {
    this.db
      .prepare(
        "DELETE FROM leases WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tasks WHERE lease_id = ? AND status = 'leased')",
      )
      .run(leaseId, leaseId);
  }

  /** Gives a lease back (a delegator stopping): its task is open again at once. */
  releaseLease(holder: Address, leaseId: string): void {
    transaction(this.db, () => {
      const l = this.lease(leaseId);
      if (l.holder !== holder) throw new SchedulerError(403, `lease ${leaseId} is not yours`);
      this.reopen(leaseId);
    });
  }

  /** Ends a lease and opens its chunks to the next caller. */
  private reopen(leaseId: string): void {
    this.db
      .prepare("UPDATE tasks SET status = 'open', lease_id = NULL WHERE lease_id = ?")
      .run(leaseId);
    this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
  }

  private lease(leaseId: string) {
    const l = this.db.prepare("SELECT * FROM leases WHERE id = ?").get(leaseId) as
      | { id: string; holder: string; kind: string; deadline: number; created_at: number }
      | undefined;
    if (!l) throw new SchedulerError(404, `no lease ${leaseId} (never issued, or re-issued)`);
    return l;
  }

  private reject(holder: string, why: string): never {
    this.db.prepare("UPDATE nodes SET rejected = rejected + 1 WHERE address = ?").run(holder);
    this.o.onVerdict?.(false, holder, 0);
    throw new SchedulerError(422, why);
  }

  /**
   * Verifies one node's proofs: batched with other arrivals if the node has had a submission
   * accepted, else alone and within the unproven nodes' budget (429 past it, not counted).
   */
  private async verifyFor(
    node: { address: string; accepted: number },
    items: BatchItem[],
    now: number,
  ): Promise<Verdict[]> {
    if (node.accepted > 0) return Promise.all(items.map((i) => this.verifier.verify(i)));
    const cost = Math.min(items.length, this.unprovenProofs);
    if (!this.unproven.take("unproven", now, cost))
      throw new SchedulerError(
        429,
        `busy: nodes without an accepted proof get at most ${this.unprovenProofs} proof ` +
          `verifications per ${(this.o.unproven?.windowMs ?? 60_000) / 1000} s together; retry later`,
      );
    return this.verifier.verifyAlone(items);
  }

  /**
   * Accepts the proof of a leased chunk, or throws SchedulerError: 404 unknown lease, 403 not
   * the holder's, 409 no longer leased (expired and re-issued, or already proven), 422 wrong
   * statement or invalid proof (counted against the holder, and the task is re-opened), 429
   * an unproven node past the shared budget (not counted; the lease stays).
   */
  async submitChunk(
    holder: Address,
    leaseId: string,
    proof: ChunkProof,
    now = Date.now(),
  ): Promise<{ jobId: number; index: number; jobProven: boolean }> {
    const node = this.requireNode(holder, now);
    if (BigInt(holder) === ZERO_PROVER) this.reject(holder, ZERO_PROVER_REFUSED);
    const l = this.lease(leaseId);
    if (l.holder !== holder) this.reject(holder, `lease ${leaseId} belongs to another node`);
    const t = this.db.prepare("SELECT * FROM tasks WHERE lease_id = ?").get(leaseId) as
      TaskRow | undefined;
    if (!t || t.status !== "leased")
      throw new SchedulerError(409, `lease ${leaseId} holds no chunk waiting for a proof`);
    if (proof.circuit !== t.circuit)
      this.reject(holder, `proven with ${proof.circuit}, the task is for ${t.circuit}`);
    if (proof.index !== t.idx)
      this.reject(holder, `proof of chunk ${proof.index}, leased ${t.idx}`);
    const expected = [
      t.s_in,
      t.s_out,
      t.image_id,
      BigInt(holder).toString(),
      cyclesRetiredOf(t.witness),
    ];
    const names = ["S_in", "S_out", "image ID", "prover address", "cycles retired"];
    if (proof.publicSignals.length !== expected.length)
      this.reject(
        holder,
        `${proof.publicSignals.length} public signals, expected ${expected.length}`,
      );
    for (let i = 0; i < expected.length; i++)
      if (proof.publicSignals[i] !== expected[i])
        this.reject(holder, `public signal ${names[i]} is not this chunk's (${expected[i]})`);
    const verdict = (
      await this.verifyFor(node, [{ proof: proof.proof, publicSignals: proof.publicSignals }], now)
    )[0]!;
    if (!verdict.valid) {
      transaction(this.db, () => this.reopen(leaseId));
      this.reject(holder, `invalid proof: ${verdict.reason}`);
    }
    const jobProven = transaction(this.db, () => {
      const still = this.db
        .prepare("SELECT status FROM tasks WHERE lease_id = ? AND status = 'leased'")
        .get(leaseId);
      if (!still) throw new SchedulerError(409, `lease ${leaseId} was re-issued meanwhile`);
      this.db
        .prepare(
          "UPDATE tasks SET status = 'done', proof = ?, prover = ?, proved_at = ?, lease_id = NULL WHERE job_id = ? AND idx = ?",
        )
        .run(JSON.stringify(proof.proof), holder, now, t.job_id, t.idx);
      this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
      this.db.prepare("UPDATE nodes SET accepted = accepted + 1 WHERE address = ?").run(holder);
      return this.markIfProven(t.job_id, now);
    });
    this.o.onVerdict?.(true, holder, now - l.created_at);
    if (jobProven) this.o.onJobProven?.(t.job_id);
    return { jobId: t.job_id, index: t.idx, jobProven };
  }

  /**
   * Leases up to `maxChunks` consecutive open (or expired) chunks of one job to a child
   * orchestrator, or returns undefined when there are none.
   */
  leaseSegment(holder: Address, maxChunks: number, now = Date.now()): SegmentLease | undefined {
    const n = this.requireNode(holder, now);
    if (n.role !== "orchestrator")
      throw new SchedulerError(403, `segments are for orchestrators; ${holder} is a ${n.role}`);
    return transaction(this.db, () => {
      const free = `(t.status = 'open' OR (t.status = 'leased' AND (l.id IS NULL OR l.deadline < ?)))`;
      const first = this.db
        .prepare(
          `SELECT t.job_id, t.idx FROM tasks t LEFT JOIN leases l ON t.lease_id = l.id
           WHERE ${free} ORDER BY t.job_id, t.idx LIMIT 1`,
        )
        .get(now) as { job_id: number; idx: number } | undefined;
      if (!first) return undefined;
      const rows = this.db
        .prepare(
          `SELECT t.* FROM tasks t LEFT JOIN leases l ON t.lease_id = l.id
           WHERE t.job_id = ? AND t.idx >= ? AND t.idx < ? AND ${free} ORDER BY t.idx`,
        )
        .all(first.job_id, first.idx, first.idx + maxChunks, now) as unknown as TaskRow[];
      // Consecutive only: stop at the first chunk someone else holds.
      const take: TaskRow[] = [];
      for (const r of rows) {
        if (r.idx !== first.idx + take.length) break;
        take.push(r);
      }
      const leaseId = randomBytes(16).toString("hex");
      const deadline = now + (this.o.segmentLeaseMs ?? 10 * this.o.leaseMs);
      this.db
        .prepare(
          "INSERT INTO leases (id, holder, kind, deadline, created_at) VALUES (?, ?, 'segment', ?, ?)",
        )
        .run(leaseId, holder, deadline, now);
      const up = this.db.prepare(
        "UPDATE tasks SET status = 'leased', lease_id = ?, attempts = attempts + 1 WHERE job_id = ? AND idx = ?",
      );
      for (const r of take) {
        up.run(leaseId, r.job_id, r.idx);
        if (r.lease_id) this.dropIfEmpty(r.lease_id);
      }
      return {
        leaseId,
        deadline,
        jobId: first.job_id,
        circuit: take[0]!.circuit,
        imageId: take[0]!.image_id,
        tasks: take.map((r) => ({
          index: r.idx,
          input: JSON.parse(r.witness) as ChunkWitnessInput,
          sIn: r.s_in,
          sOut: r.s_out,
        })),
      };
    });
  }

  /**
   * Accepts a child's bundle for a segment lease: one proof per chunk still held by the lease,
   * each for that chunk's statement with the prover address it names (the delegator that made
   * it, credited on chain). All verified in one batch (of their own while the child is
   * unproven); a single bad proof refuses the bundle, counts against the child and re-opens
   * the chunks. A bundle naming the zero address as a prover is refused (counted) unverified.
   */
  async submitSegment(
    holder: Address,
    leaseId: string,
    proofs: BundleProof[],
    now = Date.now(),
  ): Promise<{ jobId: number; chunks: number; jobProven: boolean }> {
    const node = this.requireNode(holder, now);
    const l = this.lease(leaseId);
    if (l.holder !== holder) this.reject(holder, `lease ${leaseId} belongs to another node`);
    if (l.kind !== "segment") throw new SchedulerError(409, `lease ${leaseId} is not a segment`);
    const tasks = this.db
      .prepare("SELECT * FROM tasks WHERE lease_id = ? AND status = 'leased' ORDER BY idx")
      .all(leaseId) as unknown as TaskRow[];
    if (tasks.length === 0)
      throw new SchedulerError(409, `lease ${leaseId} holds no chunk waiting for a proof`);
    const byIndex = new Map(proofs.map((p) => [p.index, p]));
    if (byIndex.size !== proofs.length) this.reject(holder, "a chunk appears twice in the bundle");
    const missing = tasks.filter((t) => !byIndex.has(t.idx)).map((t) => t.idx);
    if (missing.length > 0 || proofs.length !== tasks.length)
      this.reject(
        holder,
        `the bundle must prove exactly chunks ${tasks.map((t) => t.idx).join(",")}`,
      );
    const zero = proofs.filter((p) => BigInt(p.prover) === ZERO_PROVER).map((p) => p.index);
    if (zero.length > 0) this.reject(holder, `chunk ${zero.join(",")}: ${ZERO_PROVER_REFUSED}`);
    const items = tasks.map((t) => {
      const p = byIndex.get(t.idx)!;
      return {
        proof: p.proof,
        publicSignals: [
          t.s_in,
          t.s_out,
          t.image_id,
          BigInt(p.prover).toString(),
          cyclesRetiredOf(t.witness),
        ],
      };
    });
    const verdicts = await this.verifyFor(node, items, now);
    const bad = verdicts.findIndex((v) => !v.valid);
    if (bad >= 0) {
      transaction(this.db, () => this.reopen(leaseId));
      const v = verdicts[bad]! as { reason: string };
      this.reject(holder, `chunk ${tasks[bad]!.idx}: invalid proof: ${v.reason}`);
    }
    const jobId = tasks[0]!.job_id;
    const jobProven = transaction(this.db, () => {
      const held = this.db
        .prepare("SELECT COUNT(*) AS n FROM tasks WHERE lease_id = ? AND status = 'leased'")
        .get(leaseId) as { n: number };
      if (held.n !== tasks.length)
        throw new SchedulerError(409, `lease ${leaseId} was re-issued meanwhile`);
      const done = this.db.prepare(
        "UPDATE tasks SET status = 'done', proof = ?, prover = ?, proved_at = ?, lease_id = NULL WHERE job_id = ? AND idx = ?",
      );
      for (const t of tasks) {
        const p = byIndex.get(t.idx)!;
        done.run(JSON.stringify(p.proof), getAddress(p.prover), now, t.job_id, t.idx);
      }
      this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
      this.db
        .prepare("UPDATE nodes SET accepted = accepted + ? WHERE address = ?")
        .run(tasks.length, holder);
      return this.markIfProven(jobId, now);
    });
    for (let i = 0; i < tasks.length; i++) this.o.onVerdict?.(true, holder, now - l.created_at);
    if (jobProven) this.o.onJobProven?.(jobId);
    return { jobId, chunks: tasks.length, jobProven };
  }

  private markIfProven(jobId: number, now: number): boolean {
    const left = this.db
      .prepare("SELECT COUNT(*) AS n FROM tasks WHERE job_id = ? AND status != 'done'")
      .get(jobId) as { n: number };
    if (left.n > 0) return false;
    this.db
      .prepare(
        "UPDATE jobs SET status = 'proven', proven_at = ? WHERE id = ? AND status = 'proving'",
      )
      .run(now, jobId);
    return true;
  }

  /** The run proof of a proven job, from its skeleton and accepted chunk proofs. */
  runProof(jobId: number): RunProof {
    const j = this.db.prepare("SELECT run, status FROM jobs WHERE id = ?").get(jobId) as
      { run: string | null; status: string } | undefined;
    if (!j?.run) throw new Error(`job ${jobId} is unknown or failed`);
    const rows = this.db
      .prepare(
        "SELECT idx, circuit, witness, s_in, s_out, image_id, proof, prover, status FROM tasks WHERE job_id = ? ORDER BY idx",
      )
      .all(jobId) as unknown as (TaskRow & { proof: string | null; prover: string | null })[];
    const chunks: ChunkProof[] = rows.map((r) => {
      if (r.status !== "done" || !r.proof || !r.prover)
        throw new Error(`job ${jobId}: chunk ${r.idx} is not proven yet`);
      return {
        circuit: r.circuit,
        index: r.idx,
        publicSignals: [
          r.s_in,
          r.s_out,
          r.image_id,
          BigInt(r.prover).toString(),
          cyclesRetiredOf(r.witness),
        ],
        proof: JSON.parse(r.proof) as Groth16Proof,
      };
    });
    return { ...(JSON.parse(j.run) as RunSkeleton), chunks };
  }

  /** Counts for the status endpoint and the dashboard. */
  counts() {
    const byStatus = (table: "tasks" | "jobs") =>
      Object.fromEntries(
        (
          this.db.prepare(`SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`).all() as {
            status: string;
            n: number;
          }[]
        ).map((r) => [r.status, r.n]),
      );
    return { tasks: byStatus("tasks"), jobs: byStatus("jobs") };
  }
}
