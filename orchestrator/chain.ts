/**
 * The orchestrator's side of the chain: follow JobRegistry events (images, jobs, inputs) from
 * a persisted block cursor (inputs of jobs submitted by digest alone arrive over the API:
 * inputs.ts); execute each job once and hand its chunks to the scheduler; once an epoch has
 * ended and its jobs are proven, assemble the Universal Proof and submit it with
 * EpochManager.submitEpoch. A revert is decoded and diagnosed (a job settled by someone else
 * is dropped and the rest retried; anything else is recorded and retried with backoff); a
 * transaction without a receipt is sent again. Accepted proofs live in the database and are
 * never discarded by a failed submission.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "pino";
import {
  createWalletClient,
  http,
  type Abi,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
} from "viem";
import {
  executeChunked,
  getPoseidon,
  imageIdOf,
  imageOpening,
  loadElf,
} from "../prover/executor/index.ts";
import type { Groth16VerificationKey } from "../prover/verify/batch.ts";
import { chunkLimits, runSkeleton, verifyRun } from "../prover/zkvm/run.ts";
import { chunkWitness, type ChunkCircuitConfig } from "../prover/zkvm/witness.ts";
import {
  artifactAbi,
  contracts,
  revertReason,
  type Deployment,
  type LooseContract,
} from "../scripts/lib/wallet.ts";
import type { Scheduler } from "./scheduler.ts";
import { getMeta, setMeta, transaction } from "./store.ts";
import { universalProof } from "./universal-proof.ts";

export interface ChainServiceOptions {
  rpc: string;
  chain: Chain;
  publicClient: PublicClient;
  deployment: Deployment;
  account: PrivateKeyAccount;
  config: ChunkCircuitConfig;
  vk: Groth16VerificationKey;
  log: Logger;
  /** Longest run executed (cycles); longer jobs fail and are left to refund. */
  maxCycles?: number;
  /** Submit with what is proven when the deadline is this close (seconds). */
  deadlineMarginS?: number;
  /** Called after an epoch lands (metrics). */
  onEpoch?: (epoch: number, gas: bigint, chunks: number) => void;
}

export class ChainService {
  private readonly c: { jobs: LooseContract; epochs: LooseContract };
  private readonly jobsAbi: Abi;
  private readonly wallet;

  constructor(
    private readonly db: DatabaseSync,
    private readonly scheduler: Scheduler,
    private readonly o: ChainServiceOptions,
  ) {
    this.wallet = createWalletClient({
      chain: o.chain,
      transport: http(o.rpc),
      account: o.account,
    });
    const all = contracts(o.deployment, { public: o.publicClient, wallet: this.wallet });
    this.c = { jobs: all.jobs, epochs: all.epochs };
    this.jobsAbi = artifactAbi("JobRegistry");
  }

  get address() {
    return this.o.account.address;
  }

  /** One round: new events, new jobs executed, due epochs submitted. */
  async tick(): Promise<void> {
    await this.syncEvents();
    await this.intake();
    await this.submitDueEpochs();
  }

  /** Reads JobRegistry events after the cursor, up to the latest block. */
  async syncEvents(): Promise<void> {
    const latest = await this.o.publicClient.getBlockNumber();
    const from = BigInt(getMeta(this.db, "cursor") ?? this.o.deployment.block) + 1n;
    if (from > latest) return;
    const to = latest - from > 5000n ? from + 5000n : latest;
    const logs = (await this.o.publicClient.getContractEvents({
      address: this.o.deployment.contracts.jobs,
      abi: this.jobsAbi,
      fromBlock: from,
      toBlock: to,
    })) as unknown as { eventName: string; args: Record<string, unknown> }[];
    // Chain reads first: the writes below are one synchronous transaction.
    const s0 = new Map<string, string>();
    for (const l of logs)
      if (l.eventName === "JobSubmitted") {
        const job = await this.c.jobs.read.job([l.args.jobId]);
        s0.set(String(l.args.jobId), String(job.s0));
      }
    // Inputs after jobs, whatever the order of the events within a transaction.
    const ordered = [
      ...logs.filter((l) => l.eventName !== "JobInput"),
      ...logs.filter((l) => l.eventName === "JobInput"),
    ];
    transaction(this.db, () => {
      for (const l of ordered) {
        const a = l.args;
        if (l.eventName === "ImageRegistered") {
          this.db
            .prepare("INSERT OR IGNORE INTO images (image_id, elf) VALUES (?, ?)")
            .run(String(a.imageId), Buffer.from((a.elf as Hex).slice(2), "hex"));
        } else if (l.eventName === "JobSubmitted") {
          this.db
            .prepare(
              "INSERT OR IGNORE INTO intake (id, epoch, image_id, input_digest, s0) VALUES (?, ?, ?, ?, ?)",
            )
            .run(
              Number(a.jobId),
              Number(a.epoch),
              String(a.imageId),
              String(a.inputDigest),
              s0.get(String(a.jobId))!,
            );
        } else if (l.eventName === "JobInput") {
          this.db
            .prepare("UPDATE intake SET input = ? WHERE id = ? AND input IS NULL")
            .run(Buffer.from((a.input as Hex).slice(2), "hex"), Number(a.jobId));
        }
      }
      setMeta(this.db, "cursor", String(to));
    });
  }

  /** Executes every job whose image and input are known and turns it into chunk tasks. */
  async intake(): Promise<void> {
    const rows = this.db
      .prepare(
        `SELECT i.*, im.elf FROM intake i JOIN images im ON im.image_id = i.image_id
         WHERE i.input IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.id)
         ORDER BY i.id`,
      )
      .all() as {
      id: number;
      epoch: number;
      image_id: string;
      s0: string;
      input: Uint8Array;
      elf: Uint8Array;
    }[];
    for (const r of rows) {
      try {
        const image = loadElf(new Uint8Array(r.elf));
        const opening = await imageOpening(image);
        if (imageIdOf(await getPoseidon(), opening).toString() !== r.image_id)
          throw new Error("the published ELF does not hash to the image ID");
        // The job settles only within its declared bound (cycles, and chunks of its epoch's room).
        const job = (await this.c.jobs.read.job([BigInt(r.id)])) as {
          cycleBound: bigint;
          maxChunks: number;
        };
        const bound = Number(job.cycleBound);
        const exec = await executeChunked(image, new Uint8Array(r.input), {
          ...chunkLimits(this.o.config),
          maxCycles: Math.min(this.o.maxCycles ?? 1_000_000, bound),
        });
        if (exec.chunks[0]!.sIn.toString() !== r.s0)
          throw new Error("S_0 of the execution differs from the chain's");
        if (exec.chunks.length > job.maxChunks)
          throw new Error(
            `the run needs ${exec.chunks.length} chunk proofs, more than the ${job.maxChunks} its bound reserved`,
          );
        const ctx = { config: this.o.config, opening };
        this.scheduler.addJob({
          id: r.id,
          epoch: r.epoch,
          imageId: r.image_id,
          circuit: this.o.config.name,
          run: runSkeleton(exec, ctx, this.o.vk, this.address),
          tasks: exec.chunks.map((c) => ({
            index: c.index,
            input: chunkWitness(this.o.config, opening, c, 0n),
            sIn: c.sIn.toString(),
            sOut: c.sOut.toString(),
          })),
        });
        this.o.log.info(
          { job: r.id, epoch: r.epoch, cycles: exec.cycles, chunks: exec.chunks.length },
          "job executed, chunks open for leasing",
        );
      } catch (e) {
        this.scheduler.failJob(r.id, r.epoch, r.image_id, (e as Error).message);
        this.o.log.warn({ job: r.id, err: (e as Error).message }, "job cannot be proven");
      }
    }
  }

  /** Submits the Universal Proof of every ended epoch whose jobs are proven. */
  async submitDueEpochs(): Promise<void> {
    // The next block's time: at least the last block's, and the wall clock (a development
    // chain mines only on transactions, so its last block can be old).
    const block = await this.o.publicClient.getBlock();
    const wall = BigInt(Math.floor(Date.now() / 1000));
    const now = block.timestamp > wall ? block.timestamp : wall;
    const epochs = this.db
      .prepare(
        `SELECT DISTINCT j.epoch FROM jobs j LEFT JOIN epochs e ON e.epoch = j.epoch
         WHERE j.status = 'proven' AND (e.status IS NULL OR e.status = 'retry') ORDER BY j.epoch`,
      )
      .all() as { epoch: number }[];
    for (const { epoch } of epochs) {
      const end = BigInt(await this.c.epochs.read.epochEnd([BigInt(epoch)]));
      if (now < end) continue;
      const deadline = BigInt(await this.c.epochs.read.deadline([BigInt(epoch)]));
      const proving = this.db
        .prepare("SELECT COUNT(*) AS n FROM jobs WHERE epoch = ? AND status = 'proving'")
        .get(epoch) as { n: number };
      const margin = BigInt(this.o.deadlineMarginS ?? 60);
      if (proving.n > 0 && now < deadline - margin) continue; // wait for the rest
      const assigned = String(await this.c.epochs.read.assignedSubmitter([BigInt(epoch)]));
      if (assigned.toLowerCase() !== this.address.toLowerCase() && now <= deadline) {
        this.o.log.info({ epoch, assigned }, "epoch assigned to another root; not submitting");
        this.setEpoch(epoch, "not-assigned", { error: `assigned to ${assigned}` });
        continue;
      }
      await this.submitEpoch(epoch);
    }
    await this.declareUnprovableEpochs(now);
  }

  /**
   * Epochs assigned to this root that ended with jobs but nothing it can settle (every job
   * failed: it traps, exceeds its bound, or its input never arrived) are declared before the
   * deadline (EpochManager.declareEpoch), so the root is not slashed for jobs nobody can prove.
   */
  private async declareUnprovableEpochs(now: bigint): Promise<void> {
    const margin = BigInt(this.o.deadlineMarginS ?? 60);
    const epochs = this.db
      .prepare(
        `SELECT DISTINCT i.epoch FROM intake i LEFT JOIN epochs e ON e.epoch = i.epoch
         WHERE e.status IS NULL OR e.status = 'retry'
         ORDER BY i.epoch`,
      )
      .all() as { epoch: number }[];
    for (const { epoch } of epochs) {
      const live = this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM jobs WHERE epoch = ? AND status IN ('proving', 'proven')",
        )
        .get(epoch) as { n: number };
      if (live.n > 0) continue;
      const e = BigInt(epoch);
      if (now < BigInt(await this.c.epochs.read.epochEnd([e]))) continue;
      const deadline = BigInt(await this.c.epochs.read.deadline([e]));
      if (now > deadline) continue;
      // Inputs may still arrive, and jobs still be executed, until close to the deadline.
      const waiting = this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM intake i WHERE i.epoch = ?
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.id)`,
        )
        .get(epoch) as { n: number };
      if (waiting.n > 0 && now < deadline - margin) continue;
      const assigned = String(await this.c.epochs.read.assignedSubmitter([e]));
      if (assigned.toLowerCase() !== this.address.toLowerCase()) continue;
      try {
        const hash = await this.c.epochs.write.declareEpoch([e]);
        const receipt = await this.o.publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
        this.setEpoch(epoch, "declared", { tx: hash });
        this.o.log.warn({ epoch }, "epoch declared: none of its jobs can be proven");
      } catch (err) {
        // Not retried: a declaration that reverted would revert again for the same reason.
        const reason = revertReason(err);
        this.setEpoch(epoch, "declare-failed", { error: reason });
        this.o.log.error({ epoch, reason }, "epoch declaration failed");
      }
    }
  }

  private setEpoch(
    epoch: number,
    status: string,
    f: { jobs?: number; chunks?: number; tx?: string; gas?: string; error?: string } = {},
  ) {
    this.db
      .prepare(
        `INSERT INTO epochs (epoch, status, jobs, chunks, tx_hash, gas, error, attempts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT(epoch) DO UPDATE SET status = excluded.status,
           jobs = COALESCE(excluded.jobs, jobs), chunks = COALESCE(excluded.chunks, chunks),
           tx_hash = COALESCE(excluded.tx_hash, tx_hash), gas = COALESCE(excluded.gas, gas),
           error = excluded.error, attempts = attempts + 1, updated_at = excluded.updated_at`,
      )
      .run(
        epoch,
        status,
        f.jobs ?? 0,
        f.chunks ?? 0,
        f.tx ?? null,
        f.gas ?? null,
        f.error ?? null,
        Date.now(),
      );
  }

  /** Assembles, checks and submits one epoch; diagnoses a failure. */
  async submitEpoch(epoch: number): Promise<void> {
    const ids = (
      this.db
        .prepare("SELECT id FROM jobs WHERE epoch = ? AND status = 'proven' ORDER BY id")
        .all(epoch) as { id: number }[]
    ).map((r) => r.id);
    const runs = [];
    for (const id of ids) {
      const run = this.scheduler.runProof(id);
      await verifyRun(this.o.vk, run); // never send what would not verify
      runs.push({ jobId: BigInt(id), run });
    }
    const up = await universalProof(runs);
    const log = this.o.log.child({ epoch, jobs: ids.length, chunks: up.proofs.length });
    let hash: Hex;
    try {
      hash = await this.c.epochs.write.submitEpoch([BigInt(epoch), up.jobs, [], up.proofs]);
    } catch (e) {
      const reason = revertReason(e) ?? (e as Error).message;
      const m = /Jobs__NotPending\((\d+)/.exec(reason);
      if (m) {
        // Settled (or refunded) by someone else: drop that job and try again with the rest.
        this.db
          .prepare("UPDATE jobs SET status = 'gone', error = ? WHERE id = ?")
          .run(reason, Number(m[1]));
        log.warn({ reason }, "a job is no longer pending; retrying without it");
        this.setEpoch(epoch, "retry", { error: reason });
        return;
      }
      log.error({ reason }, "epoch submission reverted");
      this.setEpoch(epoch, "retry", { error: reason });
      return;
    }
    this.setEpoch(epoch, "sent", { jobs: ids.length, chunks: up.proofs.length, tx: hash });
    let receipt;
    try {
      receipt = await this.o.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
    } catch (e) {
      log.warn({ hash, err: (e as Error).message }, "no receipt (dropped?); will send again");
      this.setEpoch(epoch, "retry", { error: `no receipt for ${hash}` });
      return;
    }
    if (receipt.status !== "success") {
      this.setEpoch(epoch, "retry", { error: `transaction ${hash} reverted` });
      return;
    }
    this.db
      .prepare(
        `UPDATE jobs SET status = 'settled', tx_hash = ? WHERE epoch = ? AND status = 'proven'`,
      )
      .run(hash, epoch);
    this.setEpoch(epoch, "submitted", {
      jobs: ids.length,
      chunks: up.proofs.length,
      tx: hash,
      gas: receipt.gasUsed.toString(),
    });
    log.info({ hash, gas: receipt.gasUsed.toString() }, "Universal Proof verified on chain");
    this.o.onEpoch?.(epoch, receipt.gasUsed, up.proofs.length);
  }
}
