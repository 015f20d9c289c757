/**
 * Inputs of jobs submitted on chain by digest only. Their bytes reach the orchestrator over the
 * API (`POST /v1/jobs/:jobId/input`, signed like every POST), are hashed off the event loop
 * (input-digest-worker.ts, on a {@link WorkerPool}) and kept only if they hash to the digest the
 * chain recorded; the chain service then executes the job.
 *
 * What a stranger can make the orchestrator do is bounded: an upload is at most
 * {@link MAX_INPUT_BYTES} (a larger one is refused from its content-length, unread); only a job
 * the chain announced and whose input is still missing is hashed for, one upload per job at a
 * time; at most `maxQueue` uploads wait for the hashing worker (503 past it). Anyone may supply
 * an input (the digest decides, not the sender); the signature makes the sender accountable and
 * rate-limited per key. Hashing 64 KiB (one Poseidon per byte) takes a few seconds of one core.
 */
import type { DatabaseSync } from "node:sqlite";
import { MAX_INPUT_BYTES } from "./api.ts";
import { PoolBusyError, WorkerPool } from "./worker-pool.ts";

export { MAX_INPUT_BYTES };

/** An upload refused, with the HTTP status to answer. */
/** A digest as every client prints it: 0x and 64 hex digits (stored as decimal text). */
const hex64 = (d: string) => `0x${BigInt(d).toString(16).padStart(64, "0")}`;

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly status: 404 | 409 | 413 | 422 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface InputIntakeOptions {
  /** Hashing worker processs (default 1). */
  workers?: number;
  /** Uploads waiting for a worker (default 8). */
  maxQueue?: number;
}

export class InputIntake {
  private readonly pool: WorkerPool<Uint8Array, string>;
  /** Jobs whose upload is being hashed now. */
  private readonly hashing = new Set<number>();

  constructor(
    private readonly db: DatabaseSync,
    o: InputIntakeOptions = {},
  ) {
    this.pool = new WorkerPool(new URL("./input-digest-worker.ts", import.meta.url), {
      size: o.workers ?? 1,
      maxQueue: o.maxQueue ?? 8,
    });
  }

  /**
   * Throws InputError unless job `jobId` is known and still waits for its input: called before
   * an upload is read. 404 unknown job, 409 input known or being checked.
   */
  expect(jobId: number): void {
    const row = this.db
      .prepare("SELECT input IS NOT NULL AS known FROM intake WHERE id = ?")
      .get(jobId) as { known: number } | undefined;
    if (!row) throw new InputError(404, `job ${jobId} is not known (yet) to this orchestrator`);
    if (row.known) throw new InputError(409, `job ${jobId} already has its input`);
    if (this.hashing.has(jobId))
      throw new InputError(409, `an input of job ${jobId} is being checked; wait for its answer`);
  }

  /**
   * Stores `input` as job `jobId`'s if it hashes to the job's digest (hashed on a worker
   * thread). @throws InputError 404/409 as {@link expect}, 413 too long, 422 another digest,
   * 503 the hashing queue is full.
   */
  async provide(jobId: number, input: Uint8Array): Promise<void> {
    if (input.length > MAX_INPUT_BYTES)
      throw new InputError(413, `an input is at most ${MAX_INPUT_BYTES} bytes`);
    this.expect(jobId);
    this.hashing.add(jobId);
    let digest: string;
    try {
      digest = await this.pool.run(input);
    } catch (e) {
      if (e instanceof PoolBusyError) throw new InputError(503, e.message);
      throw e;
    } finally {
      this.hashing.delete(jobId);
    }
    const row = this.db
      .prepare("SELECT input_digest FROM intake WHERE id = ? AND input IS NULL")
      .get(jobId) as { input_digest: string } | undefined;
    if (!row) throw new InputError(409, `job ${jobId} already has its input`);
    if (digest !== row.input_digest)
      throw new InputError(
        422,
        `input digest ${hex64(digest)} is not job ${jobId}'s (${hex64(row.input_digest)})`,
      );
    this.db.prepare("UPDATE intake SET input = ? WHERE id = ? AND input IS NULL").run(input, jobId);
  }

  /** Stops the hashing worker. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
