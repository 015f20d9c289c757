/**
 * Rings: a child orchestrator's link to its parent. It registers with the parent as an
 * orchestrator, leases segments (consecutive chunks of one of the parent's jobs), and turns
 * each into a local job that its own scheduler serves to its delegators — or, as segments
 * again, to its own children: the protocol is the same at every depth. When every chunk of a
 * segment has been proven and verified here, the bundle (each proof with the prover address it
 * binds, and the rings below that carried its chunks) goes up to the parent, which verifies it
 * again; the chain credits the provers inside the proofs, and the rings as assemblers, whatever
 * the depth.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "pino";
import type { Groth16Proof } from "snarkjs";
import type { Address } from "../prover/zkvm/prover.ts";
import { ApiError, type OrchestratorClient } from "./client.ts";
import type { Job2Record } from "./execute-job2.ts";
import type { Scheduler } from "./scheduler.ts";

export interface ParentLinkOptions {
  /** Chunks asked for per segment. */
  segmentChunks?: number;
  /** Segments held at once. */
  maxSegments?: number;
}

export class ParentLink {
  private registered = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly scheduler: Scheduler,
    private readonly parent: OrchestratorClient,
    private readonly log: Logger,
    private readonly o: ParentLinkOptions = {},
  ) {}

  /** One round: deliver finished segments, then lease new ones while there is room. */
  async tick(now = Date.now()): Promise<void> {
    if (!this.registered) {
      await this.parent.register("orchestrator");
      this.registered = true;
      this.log.info({ parent: this.parent.base }, "registered with the parent");
    }
    await this.forwardDisputes();
    // a segment whose lease at the parent has ended is the parent's again
    for (const j of this.db
      .prepare(
        "SELECT id FROM jobs WHERE parent_lease IS NOT NULL AND status = 'proving' AND deadline IS NOT NULL AND deadline < ?",
      )
      .all(now) as { id: number }[])
      this.scheduler.dropJob(j.id, "gone", "the parent's segment lease ended");
    await this.deliver();
    const held = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM jobs WHERE parent_lease IS NOT NULL AND status = 'proving'",
      )
      .get() as { n: number };
    if (held.n >= (this.o.maxSegments ?? 1)) return;
    const seg = await this.parent.leaseSegment(this.o.segmentChunks ?? 8);
    if (!seg) return;
    const next = this.db.prepare("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM jobs").get() as {
      id: number;
    };
    this.scheduler.addJob({
      id: next.id,
      epoch: 0,
      imageId: seg.imageId,
      circuit: seg.circuit,
      parent: { lease: seg.leaseId, job: seg.jobId },
      // The parent's segment deadline bounds the leases this ring hands out below it.
      deadline: seg.deadline,
      // a versioned-cells segment (round 2): its program goes with each chunk's lease below
      ...(seg.program
        ? {
            record: {
              kind: "job2",
              keySet: seg.program.keySet,
              program: seg.program,
              output: "",
            } satisfies Job2Record,
          }
        : {}),
      tasks: seg.tasks,
    });
    this.log.info(
      { parentJob: seg.jobId, chunks: seg.tasks.map((t) => t.index), local: next.id },
      "segment leased from the parent",
    );
  }

  /**
   * A dispute raised by one of this ring's delegators (its own commitment of a round-2 chunk
   * differs from the one leased): the parent settles it, so it goes up with the chunk's index
   * and the segment goes back to the parent (this ring answers for the dispute).
   */
  private async forwardDisputes(): Promise<void> {
    for (let d = this.scheduler.disputes.shift(); d; d = this.scheduler.disputes.shift()) {
      const j = this.db
        .prepare("SELECT parent_lease, parent_job FROM jobs WHERE id = ? AND status = 'proving'")
        .get(d.jobId) as { parent_lease: string; parent_job: number } | undefined;
      if (!j) continue;
      try {
        await this.parent.dispute(j.parent_lease, d.claimed, d.index);
        this.log.warn({ parentJob: j.parent_job, chunk: d.index }, "dispute forwarded up");
      } catch (e) {
        if (e instanceof ApiError && e.transient) {
          this.scheduler.disputes.unshift(d);
          throw e;
        }
        this.log.warn({ parentJob: j.parent_job, err: (e as Error).message }, "dispute refused");
      }
      this.scheduler.dropJob(d.jobId, "gone", "a dispute sent the segment back to the parent");
    }
  }

  /** Sends every proven segment's bundle up; a refused or expired one is dropped. */
  private async deliver(): Promise<void> {
    // versioned-cells segments of round 1: their commitments, once every one is in
    for (const j of this.scheduler.committedSegments()) {
      let status = "delivered";
      let error: string | null = null;
      try {
        await this.parent.submitCommitments(j.parentLease, j.items);
        this.log.info(
          { parentJob: j.parentJob, chunks: j.items.length },
          "segment commitments delivered",
        );
      } catch (e) {
        if (e instanceof ApiError && e.transient) throw e;
        status = "refused";
        error = (e as Error).message;
        this.log.warn({ parentJob: j.parentJob, err: error }, "segment commitments refused");
      }
      this.db
        .prepare("UPDATE jobs SET status = ?, error = ? WHERE id = ?")
        .run(status, error, j.id);
    }
    const ready = this.db
      .prepare(
        "SELECT id, parent_lease, parent_job FROM jobs WHERE parent_lease IS NOT NULL AND status = 'proven'",
      )
      .all() as { id: number; parent_lease: string; parent_job: number }[];
    for (const j of ready) {
      const rows = this.db
        .prepare(
          "SELECT idx, proof, prover, json_extract(witness, '$.jobSum') AS jobSum FROM tasks WHERE job_id = ? ORDER BY idx",
        )
        .all(j.id) as { idx: number; proof: string; prover: string; jobSum: string | null }[];
      const proofs = rows.map((r) => ({
        index: r.idx,
        prover: r.prover as Address,
        proof: JSON.parse(r.proof) as Groth16Proof,
        // a versioned-cells chunk's share, from its accepted proof
        ...(r.jobSum !== null ? { jobSum: String(r.jobSum) } : {}),
      }));
      let status = "delivered";
      let error: string | null = null;
      try {
        // The rings below this one that carried any of its chunks: credited as assemblers.
        await this.parent.submitBundle(j.parent_lease, proofs, this.scheduler.carriersOf([j.id]));
        this.log.info({ parentJob: j.parent_job, chunks: rows.length }, "segment delivered");
      } catch (e) {
        if (e instanceof ApiError && e.transient) throw e; // try again next round
        status = "refused";
        error = (e as Error).message;
        this.log.warn({ parentJob: j.parent_job, err: error }, "segment refused by the parent");
      }
      this.db
        .prepare("UPDATE jobs SET status = ?, error = ? WHERE id = ?")
        .run(status, error, j.id);
    }
  }
}
