/**
 * Leasing and acceptance of chunk tasks (the orchestrator's core service; HTTP handlers only
 * call it). A job's run, executed once, becomes one task per chunk holding the circuit inputs
 * (with the prover address left at 0 for the delegator to fill in). A delegator leases one
 * task at a time with a deadline; an expired lease is re-issued to the next caller; a proof is
 * accepted only if its public signals are exactly this task's (S_in, S_out, image ID, and the
 * leaseholder's own address) and it verifies (batched with other arrivals). Every rejection
 * is counted against the node; past `maxRejected` it gets no more leases.
 *
 * Leases cannot be hoarded (issue 14):
 * - a node holds at most `limits.chunkLeases` chunk leases and `limits.segmentLeases` segment
 *   leases at once (429 past it: prove or release one first), and a segment is at most
 *   `limits.segmentChunks` chunks (a larger request gets that many);
 * - segments go only to orchestrators that `admitRing` accepts: in a node, those registered on
 *   chain with this node as their parent and active (see ring-admission.ts); with no check
 *   configured, no segment is leased at all;
 * - an expired lease is swept (its chunks open again) and counts against its holder like a
 *   refused proof, unless it was cut short by its job's deadline (shorter than `leaseMs`);
 * - a job may have a deadline (`NewJob.deadline`, ms): when every chunk must be proven for the
 *   epoch's submission (a root: the epoch's on-chain deadline minus its submission margin).
 *   Leases end at least `reserveMs` (default `leaseMs`) before it, so an abandoned chunk can
 *   still be re-issued, or proven by the node itself (`localProver`), in that reserve. A lease
 *   that would be cut below half of `leaseMs` that way runs to the deadline instead (the last
 *   chance); a segment is leased only with at least `leaseMs` before the reserve.
 * - chunks are leased fairly: jobs due soon (within `reserveMs + 2·leaseMs` of their deadline)
 *   first, earliest deadline first; otherwise the job with the fewest chunks in flight, then
 *   the earliest deadline, then the lowest id. So a huge job never starves a small one that
 *   arrives after it, and a job about to miss its epoch goes before everything else.
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
 * Leases cost a key nothing either, so what a key may hold grows with what it has shown
 * (`leaseChunk`'s `staked`, from the chain, see stake-check.ts):
 * - a staked key may hold `limits.chunkLeases` chunk leases;
 * - an unstaked key 1 + its accepted proofs (at most `limits.chunkLeases`): leases are earned
 *   by proving, and each expired one counts against the key;
 * - unstaked keys with no accepted proof (newcomers) hold one lease each, and `newcomers.leases`
 *   all together: a thousand fresh keys hoard at most that many chunks for a lease time, while
 *   staked and proven delegators lease as before. A newcomer past the pool gets 429 (retry; or
 *   stake to skip the queue) only when there is work to lease.
 * A proof or bundle crediting the zero address is refused (counted): its reward could never be
 * claimed and it would make the epoch's settlement fail on chain.
 *
 * Versioned-cells jobs (execute-job2.ts) are leased in two rounds. Round 1: each chunk's task
 * (`Job2TaskInput`, job2 = 1) is leased with the job's program, and its delegator answers with
 * the chunk's commitment (`submitCommitment`; not a proof: it earns no standing). Once every
 * chunk's is in, `onCommitted` derives gammaJob and `beginRound2` opens every chunk again
 * (job2 = 2) with gammaJob and the commitment drawn from; its proof must name both, and its
 * share (its eighth signal) is recorded for the Universal Proof. A round-2 delegator whose own
 * commitment differs disputes it (`dispute`): the lease is given back and `onDispute` settles
 * it with the orchestrator's own round 1 of the chunk, counting the lie against whoever told
 * it (`resolveDispute`: a lying committer's commitment is replaced and round 2 starts again at
 * the new gammaJob). Round-1 tasks are leased to delegators only, not in segments.
 */
import { randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { Groth16Proof } from "snarkjs";
import { getAddress } from "viem";
import type { Address, ChunkProof } from "../prover/zkvm/prover.ts";
import type { RunProof } from "../prover/zkvm/run.ts";
import type { LeaseReceipt } from "./receipts.ts";
import type { ChunkWitnessInput } from "../prover/zkvm/witness.ts";
import type { Job2Program, Job2Record, Job2TaskInput } from "./execute-job2.ts";
import type { BatchItem } from "../prover/verify/batch.ts";
import type { BatchingVerifier, Verdict } from "./batch-verifier.ts";
import { RateLimiter } from "./rate-limit.ts";
import { transaction } from "./store.ts";

/** A refused call, with the HTTP status that says why. */
export class SchedulerError extends Error {
  override readonly name = "SchedulerError";
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 429 | 503,
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
  /** The orchestrator's signed receipt of this lease (added by the HTTP service). */
  receipt?: LeaseReceipt;
  /** A versioned-cells chunk's job program (its `input` is then a Job2TaskInput). */
  program?: Job2Program;
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
  /** A versioned-cells job's record instead (execute-job2.ts's Job2Record, JSON-safe). */
  record?: object;
  /** Segment jobs of a child orchestrator: the lease and job at the parent. */
  parent?: { lease: string; job: number };
  /**
   * When every chunk must be proven (ms since the Unix epoch, this machine's clock): leases
   * end before it (see the module doc). None: leases simply last `leaseMs`.
   */
  deadline?: number;
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
  /** A versioned-cells job's program (its tasks are round-2 Job2TaskInputs). */
  program?: Job2Program;
}

/** One proven chunk of a segment bundle: the proof and the prover address it binds. */
export interface BundleProof {
  index: number;
  prover: Address;
  proof: Groth16Proof;
  /** A versioned-cells chunk's share of the job-wide sum (its proof's eighth signal). */
  jobSum?: string;
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
  /** Concurrent leases per node, and the largest segment (defaults 8, 2 and 64 chunks). */
  limits?: { chunkLeases?: number; segmentLeases?: number; segmentChunks?: number };
  /**
   * Newcomers (keys with no accepted proof and no stake, see the module doc) share `leases`
   * chunk leases at once, all of them together (default 4); `hint` tells a refused one how to
   * skip the queue (e.g. "stake at least 0.1 ETH in Staking").
   */
  newcomers?: { leases?: number; hint?: string };
  /**
   * Whether `address` may lease segments: undefined if so, else why not (403). May throw a
   * SchedulerError (e.g. 503 when the chain cannot be read). Without it no segment is leased.
   */
  admitRing?: (address: Address) => Promise<string | undefined>;
  /** Time kept before a job's deadline for re-issuing or proving leftovers (default leaseMs). */
  reserveMs?: number;
  /**
   * This node's own address when it proves chunks itself (`--prove-locally`): it is offered
   * only chunks of jobs inside their reserve (the last resort), is not capped, and its
   * expired leases are not counted; its leases last `leaseMs` whatever the deadline.
   */
  localProver?: Address;
  /** Called when an expired lease is swept (counted = held against its holder). */
  onExpired?: (holder: string, kind: string, counted: boolean) => void;
  /** Called when a job's last chunk is accepted. */
  onJobProven?: (jobId: number) => void;
  /** Called for every verdict (metrics). */
  onVerdict?: (accepted: boolean, holder: string, provingMs: number) => void;
  /**
   * Verifiers of other circuits' proofs, by circuit name (a versioned-cells chunk's key);
   * tasks of any other circuit are checked by the node's verifier.
   */
  verifiers?: Record<string, BatchingVerifier>;
  /** Called when every chunk of a versioned-cells job has its round-1 commitment. */
  onCommitted?: (jobId: number) => void;
  /** Called when a round-2 delegator disputes the commitment its chunk was leased with. */
  onDispute?: (d: Dispute) => void;
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

/** A versioned-cells chunk task's input, or undefined for a chunk-circuit task. */
function job2Of(t: Pick<TaskRow, "witness">): Job2TaskInput | undefined {
  const w = JSON.parse(t.witness) as Partial<Job2TaskInput>;
  return w.job2 === 1 || w.job2 === 2 ? (w as Job2TaskInput) : undefined;
}

/** BN254's scalar field order: a public signal is below it. */
const FIELD = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

/**
 * The public signals a proof of task `t` by `prover` must have: its statement (S_in, S_out,
 * image ID, the prover, the cycles it retires) and, for a versioned-cells chunk (round 2), the
 * commitment gammaJob was drawn from, gammaJob, and its share `jobSum` (the proof's own: the
 * proof binds it to the chunk, and the job's shares must sum to 0 on chain).
 */
function expectedSignals(
  t: TaskRow,
  prover: string,
  jobSum?: string,
): { values: string[]; names: string[] } {
  const w = JSON.parse(t.witness) as Record<string, unknown>;
  const values = [t.s_in, t.s_out, t.image_id, BigInt(prover).toString(), String(w.cyclesRetired)];
  const names = ["S_in", "S_out", "image ID", "prover address", "cycles retired"];
  const j2 = job2Of(t);
  if (j2) {
    const share = jobSum !== undefined && /^[0-9]{1,78}$/.test(jobSum) ? BigInt(jobSum) : FIELD;
    values.push(String(j2.commitment), String(j2.gammaJob), String(share < FIELD ? share : "-"));
    names.push("commitment", "gammaJob", "share of the job-wide sum");
  } else if ("gammaJob" in w) {
    // a task of the orchestrator's own two rounds (before 2026-12-02): complete inputs
    values.push(String(w.commitment), String(w.gammaJob), String(w.jobSum));
    names.push("commitment", "gammaJob", "share of the job-wide sum");
  }
  return { values, names };
}

/** The zero address: no proof may credit it. */
const ZERO_PROVER = 0n;
const ZERO_PROVER_REFUSED =
  "prover address 0x0 refused: no one could claim its reward and the epoch would not settle";

/** A round-2 delegator's dispute of the commitment its chunk was leased with. */
export interface Dispute {
  jobId: number;
  index: number;
  holder: Address;
  claimed: string;
  /** The commitment and gammaJob the disputed lease held (a later round 2 makes it moot). */
  disputed: string;
  gammaJob: string;
}

export class Scheduler {
  /** Disputes not settled yet (the chain service settles them, `resolveDispute`). */
  readonly disputes: Dispute[] = [];
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
          `INSERT INTO jobs (id, epoch, image_id, status, chunks, run, created_at, parent_lease, parent_job, deadline)
           VALUES (?, ?, ?, 'proving', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          job.id,
          job.epoch,
          job.imageId,
          job.tasks.length,
          job.run ? JSON.stringify(job.run) : job.record ? JSON.stringify(job.record) : null,
          now,
          job.parent?.lease ?? null,
          job.parent?.job ?? null,
          job.deadline ?? null,
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

  /** The node's own address, proving locally (see SchedulerOptions.localProver). */
  private isLocal(holder: string): boolean {
    return (
      this.o.localProver !== undefined && holder.toLowerCase() === this.o.localProver.toLowerCase()
    );
  }

  private get reserveMs(): number {
    return this.o.reserveMs ?? this.o.leaseMs;
  }

  /**
   * Sweeps every lease past its deadline: its chunks are open again, and the lease counts
   * against its holder like a refused proof (once per lease), unless it was cut short by its
   * job's deadline (shorter than `leaseMs`) or is the node's own. Runs before every lease and
   * in the node's loop; a proof that arrives after its deadline but before the sweep is still
   * accepted. Returns the number of leases swept.
   */
  expireLeases(now = Date.now()): number {
    const swept = transaction(this.db, () => {
      const expired = this.db
        .prepare("SELECT id, holder, kind, deadline, created_at FROM leases WHERE deadline < ?")
        .all(now) as {
        id: string;
        holder: string;
        kind: string;
        deadline: number;
        created_at: number;
      }[];
      const count = this.db.prepare("UPDATE nodes SET rejected = rejected + 1 WHERE address = ?");
      return expired.map((l) => {
        const counted = l.deadline - l.created_at >= this.o.leaseMs && !this.isLocal(l.holder);
        if (counted) count.run(l.holder);
        this.reopen(l.id);
        return { ...l, counted };
      });
    });
    for (const l of swept) this.o.onExpired?.(l.holder, l.kind, l.counted);
    return swept.length;
  }

  /** 429 when `holder` already holds `max` leases of this kind. */
  private checkCap(holder: string, kind: "chunk" | "segment", max: number, why?: string): void {
    const held = this.db
      .prepare("SELECT COUNT(*) AS n FROM leases WHERE holder = ? AND kind = ?")
      .get(holder, kind) as { n: number };
    if (held.n >= max)
      throw new SchedulerError(
        429,
        `${holder} holds ${held.n} ${kind} leases, the most it may hold at once` +
          (why ? ` (${why})` : "") +
          `: deliver or release one first`,
      );
  }

  /** Chunk leases newcomers hold now, all together (see the module doc). */
  newcomerLeases(): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM leases WHERE kind = 'chunk' AND newcomer = 1")
        .get() as { n: number }
    ).n;
  }

  /** 429 when newcomers already hold every lease of their pool. */
  private checkNewcomerPool(): void {
    const pool = this.o.newcomers?.leases ?? 4;
    const held = this.newcomerLeases();
    if (held >= pool)
      throw new SchedulerError(
        429,
        `nodes with no accepted proof and no stake hold ${held} chunk leases, the most they may ` +
          `hold together; retry later` +
          (this.o.newcomers?.hint ? `, or ${this.o.newcomers.hint} to lease now` : ""),
      );
  }

  /**
   * The job to lease from next among proving jobs with open chunks (and the condition
   * `where` on job `j`): due soon first (earliest deadline), then the fewest chunks in flight,
   * the earliest deadline, the lowest id.
   */
  private nextJob(
    now: number,
    where = "",
    params: Record<string, number> = {},
  ): { id: number; deadline: number | null } | undefined {
    const soon = now + this.reserveMs + 2 * this.o.leaseMs;
    const due = "(j.deadline IS NOT NULL AND j.deadline > :now AND j.deadline <= :soon)";
    return this.db
      .prepare(
        `SELECT j.id AS id, j.deadline AS deadline,
           SUM(t.status = 'open') AS open, SUM(t.status = 'leased') AS inflight
         FROM tasks t JOIN jobs j ON j.id = t.job_id
         WHERE j.status = 'proving' AND t.status IN ('open', 'leased') ${where}
         GROUP BY j.id HAVING open > 0
         ORDER BY ${due} DESC, CASE WHEN ${due} THEN j.deadline END, inflight,
           j.deadline IS NULL, j.deadline, j.id
         LIMIT 1`,
      )
      .get({ ...params, now, soon }) as { id: number; deadline: number | null } | undefined;
  }

  /** The deadline of a chunk lease issued `now` for a job due at `due` (see the module doc). */
  private chunkLeaseEnd(due: number | null, now: number): number {
    const full = now + this.o.leaseMs;
    if (due === null || due <= now) return full;
    const regular = Math.min(full, due - this.reserveMs);
    if (regular - now >= this.o.leaseMs / 2) return regular;
    return Math.min(full, due); // the last chance: inside the reserve
  }

  /**
   * Leases the next chunk to prove to `holder` (see the module doc for which), or returns
   * undefined when there is none. 429 when the holder has its fill of leases (`who.staked`: it
   * has stake on chain; see the module doc), or is a newcomer and the newcomers' pool is full.
   */
  leaseChunk(
    holder: Address,
    now = Date.now(),
    who: { staked?: boolean } = {},
  ): ChunkLease | undefined {
    const node = this.requireNode(holder, now);
    this.expireLeases(now);
    const local = this.isLocal(holder);
    const max = this.o.limits?.chunkLeases ?? 8;
    const newcomer = !local && !who.staked && node.accepted === 0;
    return transaction(this.db, () => {
      // The node itself proves only what would otherwise miss its deadline.
      const job = local
        ? this.nextJob(now, "AND j.deadline IS NOT NULL AND j.deadline <= :reserveEnd", {
            reserveEnd: now + this.reserveMs,
          })
        : this.nextJob(now);
      // Nothing to lease is said as such (204), whatever the caller holds.
      if (!job) return undefined;
      if (!local)
        this.checkCap(
          holder,
          "chunk",
          who.staked ? max : Math.min(max, 1 + node.accepted),
          who.staked
            ? undefined
            : `an unstaked node holds at most 1 + its accepted proofs (${node.accepted}), up to ${max}` +
                (this.o.newcomers?.hint ? `; ${this.o.newcomers.hint} to hold ${max}` : ""),
        );
      if (newcomer) this.checkNewcomerPool();
      const t = this.db
        .prepare("SELECT * FROM tasks WHERE job_id = ? AND status = 'open' ORDER BY idx LIMIT 1")
        .get(job.id) as unknown as TaskRow;
      const leaseId = randomBytes(16).toString("hex");
      // The last resort is not cut short: late, the job is still carried into a later epoch.
      // round 1 is a rebuild and two witnesses, not a proof: a quarter of a lease
      const round1 = job2Of(t)?.job2 === 1;
      const end = local ? now + this.o.leaseMs : this.chunkLeaseEnd(job.deadline, now);
      const deadline = round1 ? Math.min(end, now + Math.ceil(this.o.leaseMs / 4)) : end;
      this.db
        .prepare(
          "INSERT INTO leases (id, holder, kind, deadline, created_at, newcomer) VALUES (?, ?, 'chunk', ?, ?, ?)",
        )
        .run(leaseId, holder, deadline, now, newcomer ? 1 : 0);
      this.db
        .prepare(
          "UPDATE tasks SET status = 'leased', lease_id = ?, attempts = attempts + 1 WHERE job_id = ? AND idx = ?",
        )
        .run(leaseId, t.job_id, t.idx);
      const program = job2Of(t) ? this.programOf(t.job_id) : undefined;
      return {
        leaseId,
        deadline,
        jobId: t.job_id,
        index: t.idx,
        circuit: t.circuit,
        input: JSON.parse(t.witness) as ChunkWitnessInput,
        ...(program ? { program } : {}),
      };
    });
  }

  /** A versioned-cells job's program, from its record. */
  private programOf(jobId: number): Job2Program {
    const rec = this.jobRecord(jobId);
    const program = rec ? (JSON.parse(rec) as Partial<Job2Record>).program : undefined;
    if (!program) throw new Error(`job ${jobId}: a versioned-cells job without its program`);
    return program;
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
      | {
          id: string;
          holder: string;
          kind: string;
          deadline: number;
          created_at: number;
          newcomer: number;
        }
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
   * accepted, else alone and, unless it was staked when it leased, within the unproven nodes'
   * budget (429 past it, not counted).
   */
  private async verifyFor(
    node: { address: string; accepted: number },
    items: BatchItem[],
    now: number,
    staked = false,
    circuit?: string,
  ): Promise<Verdict[]> {
    const verifier = this.verifierOf(circuit);
    if (node.accepted > 0) return Promise.all(items.map((i) => verifier.verify(i)));
    // Staked when it leased: alone, but not from the budget fresh keys share (they cannot
    // starve a delegator that paid its way in).
    if (staked) return verifier.verifyAlone(items);
    const cost = Math.min(items.length, this.unprovenProofs);
    if (!this.unproven.take("unproven", now, cost))
      throw new SchedulerError(
        429,
        `busy: nodes without an accepted proof get at most ${this.unprovenProofs} proof ` +
          `verifications per ${(this.o.unproven?.windowMs ?? 60_000) / 1000} s together; retry later`,
      );
    return verifier.verifyAlone(items);
  }

  /** The verifier of a circuit's proofs: its own (`verifiers`), else the node's. */
  private verifierOf(circuit: string | undefined): BatchingVerifier {
    return (circuit !== undefined && this.o.verifiers?.[circuit]) || this.verifier;
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
    if (l.kind !== "chunk" || !t || t.status !== "leased")
      throw new SchedulerError(409, `lease ${leaseId} holds no chunk waiting for a proof`);
    const j2 = job2Of(t);
    if (j2?.job2 === 1)
      throw new SchedulerError(
        409,
        `lease ${leaseId} is for chunk ${t.idx}'s round-1 commitment, not a proof (POST /v1/tasks/${leaseId}/commitment)`,
      );
    if (proof.circuit !== t.circuit)
      this.reject(holder, `proven with ${proof.circuit}, the task is for ${t.circuit}`);
    if (proof.index !== t.idx)
      this.reject(holder, `proof of chunk ${proof.index}, leased ${t.idx}`);
    const { values: expected, names } = expectedSignals(t, holder, proof.publicSignals[7]);
    if (proof.publicSignals.length !== expected.length)
      this.reject(
        holder,
        `${proof.publicSignals.length} public signals, expected ${expected.length}`,
      );
    for (let i = 0; i < expected.length; i++)
      if (proof.publicSignals[i] !== expected[i])
        this.reject(holder, `public signal ${names[i]} is not this chunk's (${expected[i]})`);
    const verdict = (
      await this.verifyFor(
        node,
        [{ proof: proof.proof, publicSignals: proof.publicSignals }],
        now,
        l.kind === "chunk" && l.newcomer === 0,
        t.circuit,
      )
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
      if (j2) this.setShare(t.job_id, t.idx, proof.publicSignals[7]!);
      this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
      this.db.prepare("UPDATE nodes SET accepted = accepted + 1 WHERE address = ?").run(holder);
      return this.markIfProven(t.job_id, now);
    });
    this.o.onVerdict?.(true, holder, now - l.created_at);
    if (jobProven) this.o.onJobProven?.(t.job_id);
    return { jobId: t.job_id, index: t.idx, jobProven };
  }

  /** Records a versioned-cells chunk's share (its accepted proof's eighth signal). */
  private setShare(jobId: number, index: number, jobSum: string): void {
    this.db
      .prepare(
        "UPDATE tasks SET witness = json_set(witness, '$.jobSum', ?) WHERE job_id = ? AND idx = ?",
      )
      .run(jobSum, jobId, index);
  }

  /**
   * Accepts a versioned-cells chunk's round-1 commitment from its leaseholder, or throws
   * SchedulerError: 404 unknown lease, 403 another's, 409 not a round-1 lease any more, 422 not
   * a field element (counted). When it is the job's last, `onCommitted` is called.
   */
  submitCommitment(
    holder: Address,
    leaseId: string,
    commitment: string,
    now = Date.now(),
  ): { jobId: number; index: number; jobCommitted: boolean } {
    this.requireNode(holder, now);
    const l = this.lease(leaseId);
    if (l.holder !== holder) this.reject(holder, `lease ${leaseId} belongs to another node`);
    const t = this.db.prepare("SELECT * FROM tasks WHERE lease_id = ?").get(leaseId) as
      TaskRow | undefined;
    if (l.kind !== "chunk" || !t || t.status !== "leased" || job2Of(t)?.job2 !== 1)
      throw new SchedulerError(409, `lease ${leaseId} holds no chunk waiting for its commitment`);
    if (!/^[0-9]{1,78}$/.test(commitment) || BigInt(commitment) >= FIELD)
      this.reject(holder, `commitment ${commitment.slice(0, 80)} is not a field element`);
    const jobCommitted = transaction(this.db, () => {
      // a key with nothing at stake (a newcomer's lease) has its commitment checked by this
      // node before gammaJob is drawn: fresh keys cannot make round 2 start again
      this.db
        .prepare(
          `UPDATE tasks SET status = 'committed', lease_id = NULL,
             witness = json_set(witness, '$.commitment', ?, '$.committer', ?, '$.unchecked', ?)
           WHERE job_id = ? AND idx = ?`,
        )
        .run(commitment, holder, l.newcomer, t.job_id, t.idx);
      this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
      return this.allCommitted(t.job_id);
    });
    if (jobCommitted) this.o.onCommitted?.(t.job_id);
    return { jobId: t.job_id, index: t.idx, jobCommitted };
  }

  private allCommitted(jobId: number): boolean {
    const left = this.db
      .prepare("SELECT COUNT(*) AS n FROM tasks WHERE job_id = ? AND status != 'committed'")
      .get(jobId) as { n: number };
    const job = this.db.prepare("SELECT status FROM jobs WHERE id = ?").get(jobId) as
      { status: string } | undefined;
    return left.n === 0 && job?.status === "proving";
  }

  /** Versioned-cells jobs whose every chunk is committed, waiting for gammaJob (restarts). */
  awaitingGamma(): number[] {
    return (
      this.db
        .prepare(
          `SELECT j.id AS id FROM jobs j WHERE j.status = 'proving' AND j.parent_lease IS NULL AND EXISTS
             (SELECT 1 FROM tasks t WHERE t.job_id = j.id)
           AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id AND t.status != 'committed')`,
        )
        .all() as { id: number }[]
    ).map((r) => r.id);
  }

  /** A committed job's chunks whose commitment came from a key with nothing at stake. */
  uncheckedCommitments(jobId: number): { index: number; task: Job2TaskInput }[] {
    return (
      this.db
        .prepare(
          "SELECT idx, witness FROM tasks WHERE job_id = ? AND status = 'committed' AND json_extract(witness, '$.unchecked') = 1 ORDER BY idx",
        )
        .all(jobId) as { idx: number; witness: string }[]
    ).map((r) => ({ index: r.idx, task: JSON.parse(r.witness) as Job2TaskInput }));
  }

  /**
   * This node's own round 1 of a committed chunk (`truth`): a different reported commitment
   * is counted against its committer and replaced. Returns whether it was false.
   */
  settleCommitment(jobId: number, index: number, truth: string): boolean {
    return transaction(this.db, () => {
      const t = this.job2Task(jobId, index);
      if (!t || t.job2 !== 1) return false;
      const wrong = t.commitment !== truth;
      if (wrong && t.committer) {
        this.db
          .prepare("UPDATE nodes SET rejected = rejected + 1 WHERE address = ?")
          .run(t.committer);
        this.o.onVerdict?.(false, t.committer, 0);
      }
      this.db
        .prepare(
          "UPDATE tasks SET witness = json_set(witness, '$.commitment', ?, '$.unchecked', 0, '$.verified', 1) WHERE job_id = ? AND idx = ?",
        )
        .run(truth, jobId, index);
      return wrong;
    });
  }

  /** A versioned-cells job's round-1 commitments in chunk order (decimal). */
  commitments(jobId: number): string[] {
    const rows = this.db
      .prepare("SELECT witness FROM tasks WHERE job_id = ? ORDER BY idx")
      .all(jobId) as { witness: string }[];
    return rows.map((r, i) => {
      const c = (JSON.parse(r.witness) as Job2TaskInput).commitment;
      if (c === undefined) throw new Error(`job ${jobId}: chunk ${i} has no commitment`);
      return c;
    });
  }

  /**
   * Opens round 2 of a versioned-cells job whose every chunk is committed: its record (with
   * gammaJob's job and proofs) stored, every chunk open again at gammaJob. False if the job is
   * no longer waiting for it (dropped, or a chunk re-opened for round 1 meanwhile).
   */
  beginRound2(jobId: number, record: Job2Record, gammaJob: string): boolean {
    return transaction(this.db, () => {
      if (!this.allCommitted(jobId)) return false;
      this.db.prepare("UPDATE jobs SET run = ? WHERE id = ?").run(JSON.stringify(record), jobId);
      this.db
        .prepare(
          `UPDATE tasks SET status = 'open', lease_id = NULL,
             witness = json_set(witness, '$.job2', 2, '$.gammaJob', ?)
           WHERE job_id = ?`,
        )
        .run(gammaJob, jobId);
      return true;
    });
  }

  /**
   * A round-2 delegator's dispute: its own commitment of the chunk it leased is `claimed`, not
   * the one gammaJob was drawn from. The lease is given back at once and `onDispute` settles
   * it (`resolveDispute`); 409 if the lease is not a round-2 chunk's any more.
   */
  dispute(
    holder: Address,
    leaseId: string,
    claimed: string,
    now = Date.now(),
    /** A segment lease's chunk (a ring forwarding its delegator's dispute). */
    index?: number,
  ): void {
    this.requireNode(holder, now);
    const l = this.lease(leaseId);
    if (l.holder !== holder) this.reject(holder, `lease ${leaseId} belongs to another node`);
    const segment = l.kind === "segment";
    if (segment !== (index !== undefined))
      throw new SchedulerError(409, `a dispute names a chunk for a segment lease, and only then`);
    const t = (
      segment
        ? this.db.prepare("SELECT * FROM tasks WHERE lease_id = ? AND idx = ?").get(leaseId, index!)
        : this.db.prepare("SELECT * FROM tasks WHERE lease_id = ?").get(leaseId)
    ) as TaskRow | undefined;
    const w = t ? job2Of(t) : undefined;
    if (!t || t.status !== "leased" || w?.job2 !== 2)
      throw new SchedulerError(409, `lease ${leaseId} holds no round-2 chunk to dispute`);
    if (!/^[0-9]{1,78}$/.test(claimed) || BigInt(claimed) >= FIELD)
      this.reject(holder, `commitment ${claimed.slice(0, 80)} is not a field element`);
    if (claimed === w.commitment)
      this.reject(holder, `commitment ${claimed} is the one the chunk was leased with`);
    // a commitment this node computed itself stands: the dispute is false, at no cost
    if ((w as { verified?: number }).verified === 1)
      this.reject(holder, `chunk ${t.idx}'s commitment was checked by this node: it is right`);
    transaction(this.db, () => this.reopen(leaseId));
    const d: Dispute = {
      jobId: t.job_id,
      index: t.idx,
      holder,
      claimed,
      disputed: String(w.commitment),
      gammaJob: String(w.gammaJob),
    };
    // one dispute of a chunk at a time: a repeated one adds no work
    if (!this.disputes.some((x) => x.jobId === d.jobId && x.index === d.index))
      this.disputes.push(d);
    this.o.onDispute?.(d);
  }

  /** A versioned-cells chunk's task input, or undefined. */
  job2Task(jobId: number, index: number): Job2TaskInput | undefined {
    const t = this.db
      .prepare("SELECT witness FROM tasks WHERE job_id = ? AND idx = ?")
      .get(jobId, index) as { witness: string } | undefined;
    return t ? job2Of(t) : undefined;
  }

  /**
   * Settles a dispute with the orchestrator's own round 1 of the chunk (`truth`): if the
   * recorded commitment is right, the disputer lied (counted against it); else the committer
   * did (counted), the chunk's commitment becomes `truth`, and the job goes back to waiting for
   * gammaJob with every chunk proof of it dropped. Returns whether round 2 must start again.
   */
  resolveDispute(d: Dispute, truth: string): boolean {
    return transaction(this.db, () => {
      const t = this.db
        .prepare("SELECT * FROM tasks WHERE job_id = ? AND idx = ?")
        .get(d.jobId, d.index) as TaskRow | undefined;
      const w = t ? job2Of(t) : undefined;
      const job = this.db.prepare("SELECT status FROM jobs WHERE id = ?").get(d.jobId) as
        { status: string } | undefined;
      // the job moved on (dropped, settled, or round 2 began again since): no one is counted
      if (
        !t ||
        !w ||
        w.job2 !== 2 ||
        job?.status !== "proving" ||
        w.commitment !== d.disputed ||
        w.gammaJob !== d.gammaJob
      )
        return false;
      const count = this.db.prepare("UPDATE nodes SET rejected = rejected + 1 WHERE address = ?");
      this.db
        .prepare(
          "UPDATE tasks SET witness = json_set(witness, '$.verified', 1) WHERE job_id = ? AND idx = ?",
        )
        .run(d.jobId, d.index);
      if (w.commitment === truth) {
        count.run(d.holder);
        this.o.onVerdict?.(false, d.holder, 0);
        return false;
      }
      if (w.committer) {
        count.run(w.committer);
        this.o.onVerdict?.(false, w.committer, 0);
      }
      this.db
        .prepare(
          "UPDATE tasks SET witness = json_set(witness, '$.commitment', ?) WHERE job_id = ? AND idx = ?",
        )
        .run(truth, d.jobId, d.index);
      // every other commitment of the liar is checked before gammaJob is drawn again
      this.backToRound1(d.jobId, w.committer ?? "all");
      return true;
    });
  }

  /**
   * Leases up to `maxChunks` (at most `limits.segmentChunks`) consecutive open chunks of one
   * job to a child orchestrator, or returns undefined when there are none. 403 unless the
   * holder registered here as an orchestrator and `admitRing` admits it (an active ring
   * registered on chain under this node); 429 when it holds its fill of segment leases.
   */
  async leaseSegment(
    holder: Address,
    maxChunks: number,
    now = Date.now(),
  ): Promise<SegmentLease | undefined> {
    const n = this.requireNode(holder, now);
    if (n.role !== "orchestrator")
      throw new SchedulerError(403, `segments are for orchestrators; ${holder} is a ${n.role}`);
    if (!this.o.admitRing)
      throw new SchedulerError(
        403,
        "this orchestrator leases no segments: it cannot check rings on chain (give it an RPC)",
      );
    const refused = await this.o.admitRing(holder);
    if (refused !== undefined)
      throw new SchedulerError(
        403,
        `segments are only for active orchestrators registered on chain under this one: ${refused}`,
      );
    this.expireLeases(now);
    return transaction(this.db, () => {
      this.checkCap(holder, "segment", this.o.limits?.segmentLeases ?? 2);
      const want = Math.min(maxChunks, this.o.limits?.segmentChunks ?? 64);
      const segmentMs = this.o.segmentLeaseMs ?? 10 * this.o.leaseMs;
      // Only jobs that leave a ring at least leaseMs before their reserve (or have no deadline
      // any more to keep: none, or one already passed).
      const job = this.nextJob(
        now,
        "AND (j.deadline IS NULL OR j.deadline <= :now OR j.deadline - :reserve - :now >= :lease)",
        { reserve: this.reserveMs, lease: this.o.leaseMs },
      );
      if (!job) return undefined;
      const rows = this.db
        .prepare("SELECT * FROM tasks WHERE job_id = ? AND status = 'open' ORDER BY idx LIMIT ?")
        .all(job.id, want) as unknown as TaskRow[];
      // Consecutive only: stop at the first chunk someone else holds (or has proven), and of
      // one round (a versioned-cells segment is all commitments or all proofs).
      const round = (r: TaskRow) => job2Of(r)?.job2 ?? 0;
      const take: TaskRow[] = [];
      for (const r of rows) {
        if (r.idx !== rows[0]!.idx + take.length || round(r) !== round(rows[0]!)) break;
        take.push(r);
      }
      const leaseId = randomBytes(16).toString("hex");
      // (a round-1 segment gets a segment's time too: the ring below it leases it on in
      // sub-segments, each within its own reserve, before its delegators commit)
      const deadline =
        job.deadline === null || job.deadline <= now
          ? now + segmentMs
          : Math.min(now + segmentMs, job.deadline - this.reserveMs);
      this.db
        .prepare(
          "INSERT INTO leases (id, holder, kind, deadline, created_at) VALUES (?, ?, 'segment', ?, ?)",
        )
        .run(leaseId, holder, deadline, now);
      const up = this.db.prepare(
        "UPDATE tasks SET status = 'leased', lease_id = ?, attempts = attempts + 1 WHERE job_id = ? AND idx = ?",
      );
      for (const r of take) up.run(leaseId, r.job_id, r.idx);
      const program = job2Of(take[0]!) ? this.programOf(job.id) : undefined;
      return {
        leaseId,
        deadline,
        jobId: job.id,
        circuit: take[0]!.circuit,
        imageId: take[0]!.image_id,
        ...(program ? { program } : {}),
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
   * A child's segment lease and the chunks it still holds, all waiting for `want` (round-1
   * commitments, or proofs): 404 unknown lease, 422 another's (counted), 409 not a segment or
   * holding nothing of that kind.
   */
  private heldSegment(
    holder: Address,
    leaseId: string,
    want: "commitments" | "proofs",
    now: number,
  ) {
    const node = this.requireNode(holder, now);
    const l = this.lease(leaseId);
    if (l.holder !== holder) this.reject(holder, `lease ${leaseId} belongs to another node`);
    if (l.kind !== "segment") throw new SchedulerError(409, `lease ${leaseId} is not a segment`);
    const tasks = this.db
      .prepare("SELECT * FROM tasks WHERE lease_id = ? AND status = 'leased' ORDER BY idx")
      .all(leaseId) as unknown as TaskRow[];
    const round1 = want === "commitments";
    if (tasks.length === 0 || tasks.some((t) => (job2Of(t)?.job2 === 1) !== round1))
      throw new SchedulerError(
        409,
        `lease ${leaseId} holds no chunk waiting for ${round1 ? "its commitment" : "a proof"}`,
      );
    return { node, l, tasks };
  }

  /**
   * Accepts a child's round-1 commitments for a segment lease of versioned-cells chunks: one
   * per chunk the lease still holds, each a field element (else refused, counted, and the
   * chunks re-opened). The child ring answers for them: an admitted ring has stake on chain,
   * so they are not checked before gammaJob; one found false by a dispute counts against it.
   */
  submitSegmentCommitments(
    holder: Address,
    leaseId: string,
    items: { index: number; commitment: string; unchecked?: boolean }[],
    now = Date.now(),
  ): { jobId: number; chunks: number; jobCommitted: boolean } {
    const { tasks } = this.heldSegment(holder, leaseId, "commitments", now);
    const byIndex = new Map(items.map((x) => [x.index, x.commitment]));
    const unchecked = new Set(items.filter((x) => x.unchecked).map((x) => x.index));
    if (
      byIndex.size !== items.length ||
      items.length !== tasks.length ||
      tasks.some((t) => !byIndex.has(t.idx))
    ) {
      transaction(this.db, () => this.reopen(leaseId));
      this.reject(
        holder,
        `the commitments must be exactly chunks ${tasks.map((t) => t.idx).join(",")}, once each`,
      );
    }
    const bad = items.find(
      (x) => !/^[0-9]{1,78}$/.test(x.commitment) || BigInt(x.commitment) >= FIELD,
    );
    if (bad) {
      transaction(this.db, () => this.reopen(leaseId));
      this.reject(holder, `chunk ${bad.index}: commitment is not a field element`);
    }
    const jobId = tasks[0]!.job_id;
    const jobCommitted = transaction(this.db, () => {
      // what the ring's own newcomers reported, it did not check: this node checks those
      const set = this.db.prepare(
        `UPDATE tasks SET status = 'committed', lease_id = NULL,
           witness = json_set(witness, '$.commitment', ?, '$.committer', ?, '$.unchecked', ?)
         WHERE job_id = ? AND idx = ? AND lease_id = ?`,
      );
      for (const t of tasks)
        set.run(byIndex.get(t.idx)!, holder, unchecked.has(t.idx) ? 1 : 0, jobId, t.idx, leaseId);
      this.db.prepare("DELETE FROM leases WHERE id = ?").run(leaseId);
      return this.allCommitted(jobId);
    });
    if (jobCommitted) this.o.onCommitted?.(jobId);
    return { jobId, chunks: tasks.length, jobCommitted };
  }

  /**
   * A child's versioned-cells segment job whose every chunk is committed (ring.ts delivers
   * the commitments up): its round-1 commitments by chunk index of the parent.
   */
  committedSegments(): {
    id: number;
    parentLease: string;
    parentJob: number;
    items: { index: number; commitment: string; unchecked: boolean }[];
  }[] {
    const jobs = this.db
      .prepare(
        `SELECT id, parent_lease, parent_job FROM jobs j WHERE parent_lease IS NOT NULL AND status = 'proving'
           AND EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id)
           AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id AND t.status != 'committed')`,
      )
      .all() as { id: number; parent_lease: string; parent_job: number }[];
    return jobs.map((j) => ({
      id: j.id,
      parentLease: j.parent_lease,
      parentJob: j.parent_job,
      items: (
        this.db
          .prepare(
            "SELECT idx, json_extract(witness, '$.commitment') AS c, json_extract(witness, '$.unchecked') AS u FROM tasks WHERE job_id = ? ORDER BY idx",
          )
          .all(j.id) as { idx: number; c: string; u: number | null }[]
      ).map((r) => ({ index: r.idx, commitment: String(r.c), unchecked: r.u === 1 })),
    }));
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
    carriers: readonly Address[] = [],
  ): Promise<{ jobId: number; chunks: number; jobProven: boolean }> {
    const { node, l, tasks } = this.heldSegment(holder, leaseId, "proofs", now);
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
      const { values } = expectedSignals(t, p.prover, p.jobSum);
      if (values.includes("-")) this.reject(holder, `chunk ${t.idx}: no share of the job-wide sum`);
      return { proof: p.proof, publicSignals: values };
    });
    const verdicts = await this.verifyFor(node, items, now, false, tasks[0]!.circuit);
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
        "UPDATE tasks SET status = 'done', proof = ?, prover = ?, proved_at = ?, lease_id = NULL, carriers = ? WHERE job_id = ? AND idx = ?",
      );
      // The child carried these chunks, with the rings below it that it names (checked on
      // chain as descendants of the root before they are paid: see ChainService).
      const carried = JSON.stringify([...new Set([holder, ...carriers].map((a) => getAddress(a)))]);
      for (const t of tasks) {
        const p = byIndex.get(t.idx)!;
        done.run(JSON.stringify(p.proof), getAddress(p.prover), now, carried, t.job_id, t.idx);
        if (job2Of(t)) this.setShare(t.job_id, t.idx, p.jobSum!);
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
    if (!this.balanced(jobId)) {
      // a false commitment that no one disputed (its chunk proven under it): check them all
      this.backToRound1(jobId, "all");
      return false;
    }
    this.db
      .prepare(
        "UPDATE jobs SET status = 'proven', proven_at = ? WHERE id = ? AND status = 'proving'",
      )
      .run(now, jobId);
    return true;
  }

  /**
   * Whether a versioned-cells job's shares (its chunks' proofs' and its own three proofs', in
   * its record once round 2 began) sum to 0 mod r; true for any other job, and for a ring's
   * segment (its parent checks the whole job).
   */
  private balanced(jobId: number): boolean {
    const rec = this.jobRecord(jobId);
    const job = rec ? (JSON.parse(rec) as Partial<Job2Record>).job : undefined;
    if (!job) return true;
    const own = JSON.parse(job) as Record<string, { jobSum?: string }>;
    const shares = (
      this.db
        .prepare("SELECT json_extract(witness, '$.jobSum') AS s FROM tasks WHERE job_id = ?")
        .all(jobId) as { s: string | null }[]
    ).map((r) => r.s);
    if (shares.some((x) => x === null)) return false;
    const num = (x: string) => BigInt(x.endsWith("n") ? x.slice(0, -1) : x);
    let sum = 0n;
    for (const x of shares) sum += num(x!);
    for (const k of ["boundary", "input", "output"]) sum += num(String(own[k]!.jobSum));
    return sum % FIELD === 0n;
  }

  /**
   * Sends a versioned-cells job back to waiting for gammaJob: every chunk committed (its round
   * 1 again), its proofs dropped, and the commitments of `check` ("all", or one committer's)
   * marked for this node to check before gammaJob is drawn again (a commitment it computed
   * itself stays checked).
   */
  private backToRound1(jobId: number, check: string): void {
    const held = this.db
      .prepare("SELECT DISTINCT lease_id FROM tasks WHERE job_id = ? AND status = 'leased'")
      .all(jobId) as { lease_id: string }[];
    for (const l of held) this.reopen(l.lease_id);
    this.db
      .prepare(
        `UPDATE tasks SET status = 'committed', lease_id = NULL, proof = NULL, prover = NULL,
           proved_at = NULL, witness = json_remove(json_set(witness, '$.job2', 1, '$.unchecked',
             CASE WHEN json_extract(witness, '$.verified') = 1 THEN 0
                  WHEN ? = 'all' OR json_extract(witness, '$.committer') = ? THEN 1
                  ELSE json_extract(witness, '$.unchecked') END), '$.gammaJob', '$.jobSum')
         WHERE job_id = ?`,
      )
      .run(check, check, jobId);
    this.db.prepare("UPDATE jobs SET status = 'proving', proven_at = NULL WHERE id = ?").run(jobId);
  }

  /** The orchestrators below this node that carried any chunk of these jobs (deduplicated). */
  carriersOf(jobIds: readonly number[]): Address[] {
    const out = new Set<Address>();
    const q = this.db.prepare(
      "SELECT carriers FROM tasks WHERE job_id = ? AND carriers IS NOT NULL",
    );
    for (const id of jobIds)
      for (const r of q.all(id) as { carriers: string }[])
        for (const a of JSON.parse(r.carriers) as Address[]) out.add(a);
    return [...out];
  }

  /** The run proof of a proven job, from its skeleton and accepted chunk proofs. */
  runProof(jobId: number): RunProof {
    const j = this.db.prepare("SELECT run, status FROM jobs WHERE id = ?").get(jobId) as
      { run: string | null; status: string } | undefined;
    if (!j?.run) throw new Error(`job ${jobId} is unknown or failed`);
    if ((JSON.parse(j.run) as { kind?: string }).kind === "job2")
      throw new Error(`job ${jobId} is a versioned-cells job: see chunkProofs and jobRecord`);
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

  /**
   * A proven job's chunk proofs in order, each with the prover it credits (a versioned-cells
   * job's: the rest of its Universal Proof is in its `run` record, see execute-job.ts).
   */
  chunkProofs(jobId: number): { prover: Address; proof: Groth16Proof; jobSum: string }[] {
    const rows = this.db
      .prepare(
        "SELECT idx, proof, prover, status, json_extract(witness, '$.jobSum') AS jobSum FROM tasks WHERE job_id = ? ORDER BY idx",
      )
      .all(jobId) as {
      idx: number;
      proof: string | null;
      prover: string | null;
      status: string;
      jobSum: string | null;
    }[];
    if (rows.length === 0) throw new Error(`job ${jobId} is unknown or failed`);
    return rows.map((r) => {
      if (r.status !== "done" || !r.proof || !r.prover)
        throw new Error(`job ${jobId}: chunk ${r.idx} is not proven yet`);
      return {
        prover: getAddress(r.prover),
        proof: JSON.parse(r.proof) as Groth16Proof,
        jobSum: (() => {
          if (r.jobSum === null) throw new Error(`job ${jobId}: chunk ${r.idx} has no share`);
          return String(r.jobSum);
        })(),
      };
    });
  }

  /** A job's record as stored at execution (JSON), or undefined for an unknown or failed job. */
  jobRecord(jobId: number): string | undefined {
    const j = this.db.prepare("SELECT run FROM jobs WHERE id = ?").get(jobId) as
      { run: string | null } | undefined;
    return j?.run ?? undefined;
  }

  /**
   * Sets the deadline (ms, this machine's clock) of the proving jobs of `epoch` that this node
   * took from the chain (a root refreshes it as the chain's clock moves).
   */
  setEpochDeadline(epoch: number, deadline: number): void {
    this.db
      .prepare(
        "UPDATE jobs SET deadline = ? WHERE epoch = ? AND parent_lease IS NULL AND status = 'proving'",
      )
      .run(deadline, epoch);
  }

  /**
   * Throws away the accepted proof of chunk `index` of job `jobId` (the chain refused it) and
   * opens the chunk again: the job is proving until someone proves it anew.
   */
  reopenChunk(jobId: number, index: number, why: string): void {
    transaction(this.db, () => {
      const r = this.db
        .prepare(
          `UPDATE tasks SET status = 'open', lease_id = NULL, proof = NULL, prover = NULL, proved_at = NULL
           WHERE job_id = ? AND idx = ? AND status = 'done'`,
        )
        .run(jobId, index);
      if (r.changes === 0) return;
      this.db
        .prepare(
          "UPDATE jobs SET status = 'proving', proven_at = NULL, error = ? WHERE id = ? AND status = 'proven'",
        )
        .run(why, jobId);
    });
  }

  /** Gives up a job for good (`status` says why: e.g. gone, settled elsewhere; failed). */
  dropJob(jobId: number, status: "gone" | "failed", why: string): void {
    transaction(this.db, () => {
      this.db.prepare("UPDATE jobs SET status = ?, error = ? WHERE id = ?").run(status, why, jobId);
      const held = this.db
        .prepare("SELECT DISTINCT lease_id FROM tasks WHERE job_id = ? AND status = 'leased'")
        .all(jobId) as { lease_id: string }[];
      for (const l of held) this.reopen(l.lease_id);
      this.db.prepare("DELETE FROM tasks WHERE job_id = ? AND status != 'done'").run(jobId);
    });
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
