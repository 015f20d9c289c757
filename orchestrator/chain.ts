/**
 * The orchestrator's side of the chain: follow JobRegistry events (images, jobs, inputs) from
 * a persisted block cursor (inputs of jobs submitted by digest alone arrive over the API:
 * inputs.ts); execute each job once, in a worker process (execute-job.ts: the round goes on
 * meanwhile, nearest epoch first), and hand its chunks to the scheduler with the time by which
 * they must be proven; once an epoch has ended and its jobs are proven, assemble the Universal
 * Proof and submit it with EpochManager.submitEpoch. Accepted proofs live in the database and
 * are never discarded by a failed submission; a transaction without a receipt is sent again.
 *
 * Versioned-cells jobs (JobRegistry version 2, s0 = 0): executed with both rounds and their
 * three job proofs on the worker (execute-job2.ts; the image's ELF kept only if it opens to the
 * image ID), their chunks leased with complete inputs, settled with EpochManager.submitEpoch2.
 * An epoch takes one Universal Proof, of one kind: the kind of its longest-waiting job; the
 * other kind's jobs are carried into a later epoch.
 *
 * Deadlines. A job's chunks must be proven by its epoch's on-chain deadline less the submission
 * margin (`deadlineMarginS`), converted to this machine's clock every round (a development
 * chain's clock jumps); the scheduler ends leases before that. Jobs of an epoch assigned to
 * another root get no deadline: this root proves them only as a backup (see rescue).
 *
 * Reverts. A revert that names a job or a chunk is applied to exactly that job and the rest is
 * sent again at once: a job no longer pending (`Jobs__NotPending`: settled by someone else,
 * refunded) is dropped as gone; a chunk proof crediting 0x0 (`Epoch__ZeroProver`) is thrown
 * away and the chunk re-opened; a run the chain can never accept (`Epoch__IdleChunk`,
 * `Epoch__TooManyChunks`, `Epoch__OverCycleBound`, `Epoch__NoChunks`, `Epoch__ChainLength`,
 * `Epoch__ChunkCycles`) drops its job as failed; `Epoch__JobNotDue` moves the job to the epoch
 * the chain gives. Any other revert is recorded with a hash of what was sent (`epochs.reverted`)
 * and retried next round; the same revert for the same content twice stops the epoch
 * (`stuck`, logged as an error) until what it would send changes: never the same failing
 * transaction over and over.
 *
 * Liveness. An epoch assigned to another root waits (`waiting`) until its deadline; past it,
 * any active orchestrator may submit, so this root rescues it with the jobs it has proven
 * (slashing the root that missed it, and taking the bounty). A job proven after its epoch was
 * closed on chain (submitted or declared, by anyone) is carried into the next Universal Proof
 * this root submits — at once: if no epoch of its own is due, it goes alone in the latest ended
 * epoch this root may submit (one nobody was assigned, or past its deadline). The chain allows
 * carrying an earlier epoch's job by that epoch's root at any time, by anyone after its deadline.
 */
import { createHash } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "pino";
import {
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  http,
  type Abi,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
} from "viem";
import type { Groth16VerificationKey } from "../prover/verify/batch.ts";
import type { Address } from "../prover/zkvm/prover.ts";
import { verifyRun } from "../prover/zkvm/run.ts";
import type { ChunkCircuitConfig } from "../prover/zkvm/witness.ts";
import {
  artifactAbi,
  contracts,
  loadAbis,
  revertReason,
  type Deployment,
  type LooseContract,
} from "../client/chain.ts";
import { concentricClient, readJob, type ConcentricClient } from "../client/actions.ts";
import { JobExecutor } from "./execute-job.ts";
import type { Scheduler } from "./scheduler.ts";
import { getMeta, setMeta, transaction } from "./store.ts";
import { universalProof } from "./universal-proof.ts";
import { job2Submission, type Job2Record } from "./execute-job2.ts";
import { jobsProofList } from "../prover/zkvm/job2.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { getPoseidon, imageIdOf, imageOpening, loadElf } from "../prover/executor/index.ts";

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
  /** Where circuit artifacts are cached (versioned-cells jobs' keys and round-1 build). */
  cacheDir?: string;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** Reverts whose first argument is a job the chain will never settle from this run. */
const UNSETTLEABLE = new Set([
  "Epoch__JobMismatch",
  "Epoch__JobVersion",
  "Epoch__IdleChunk",
  "Epoch__TooManyChunks",
  "Epoch__OverCycleBound",
  "Epoch__NoChunks",
  "Epoch__ChainLength",
  "Epoch__ChunkCycles",
]);

/** The decoded custom error of a contract revert (`Name(arg, …)`), or undefined if none. */
function contractRevert(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (!(r instanceof ContractFunctionRevertedError)) return undefined;
  return revertReason(e);
}

/** Whether an ELF (hex) loads and its image opens to `imageId` (the ID both registries compute). */
async function elfOpensTo(elf: Hex, imageId: string): Promise<boolean> {
  try {
    const opening = await imageOpening(loadElf(Buffer.from(elf.slice(2), "hex")));
    return imageIdOf(await getPoseidon(), opening).toString() === imageId;
  } catch {
    return false;
  }
}

/** The row of an intake job ready to execute. */
interface IntakeRow {
  id: number;
  epoch: number;
  image_id: string;
  s0: string;
  input: Uint8Array;
  elf: Uint8Array;
}

export class ChainService {
  private readonly c: { jobs: LooseContract; epochs: LooseContract; registry: LooseContract };
  /** The same client the CLI and the app SDK use (client/actions.ts), for reading jobs. */
  private readonly sdk: ConcentricClient;
  private readonly jobsAbi: Abi;
  private readonly wallet;
  /** Jobs are executed here, off the event loop. */
  private readonly executor = new JobExecutor();
  /** The intake run in progress (one at a time). */
  private intaking: Promise<void> | undefined;
  private closed = false;
  /** The latest block seen, and how far the chain's clock was ahead of ours then (s). */
  private lastBlock: { number: bigint | null; ahead: bigint } = { number: null, ahead: 0n };
  /** End and deadline of each epoch seen (fixed by the deployment). */
  private readonly times = new Map<number, { end: bigint; deadline: bigint }>();

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
    this.c = { jobs: all.jobs, epochs: all.epochs, registry: all.registry };
    this.sdk = concentricClient({
      public: o.publicClient,
      deployment: o.deployment,
      abis: loadAbis(),
    });
    this.jobsAbi = artifactAbi("JobRegistry");
  }

  get address() {
    return this.o.account.address;
  }

  /**
   * One round: new events; jobs executed (started in the background, on the worker); proving
   * deadlines refreshed; due epochs submitted, rescued or carried.
   */
  async tick(): Promise<void> {
    await this.syncEvents();
    if (!(await this.activeOnChain())) return;
    this.intake().catch((e: Error) =>
      this.o.log.error({ err: e.message }, "job intake failed; retrying next round"),
    );
    this.advanceJob2().catch((e: Error) =>
      this.o.log.error({ err: e.message }, "versioned-cells round failed; retrying next round"),
    );
    await this.refreshDeadlines();
    await this.submitDueEpochs();
  }

  private active = { value: false, checkedAt: 0, warnedAt: 0 };

  /**
   * Whether this node's account is an active orchestrator on chain (registered, not leaving,
   * staked at least the minimum): checked every 30 s. Until it is, the node follows events but
   * executes, proves and submits nothing, and says once a minute what it waits for.
   */
  private async activeOnChain(now = Date.now()): Promise<boolean> {
    if (now - this.active.checkedAt < 30_000) return this.active.value;
    const me = this.address;
    const active = Boolean(await this.c.registry.read.isActive([me]));
    this.active = { ...this.active, value: active, checkedAt: now };
    if (!active && now - this.active.warnedAt >= 60_000) {
      const o = (await this.c.registry.read.orchestrator([me])) as {
        registered: boolean;
        leavingAt: bigint;
      };
      const why = !o.registered
        ? "is not registered as an orchestrator (concentric register-orchestrator)"
        : o.leavingAt !== 0n
          ? "is leaving the registry"
          : "holds less than the minimum stake (concentric stake)";
      this.o.log.warn({ account: me }, `account ${me} ${why}: waiting, executing nothing`);
      this.active.warnedAt = now;
    }
    return active;
  }

  /** Stops executing jobs (the one on the worker is abandoned, and executed again on restart). */
  async close(): Promise<void> {
    this.closed = true;
    await this.executor.close();
    await this.intaking?.catch(() => undefined);
    await this.advancing?.catch(() => undefined);
  }

  /**
   * The chain's time for the next block: at least the last block's, and the wall clock (a
   * development chain mines only on transactions, so its last block can be old) moved by how
   * far ahead of it the chain was when its latest block was new (a development chain's clock
   * that was set forward stays ahead, and runs on).
   */
  private async chainNow(): Promise<bigint> {
    const block = await this.o.publicClient.getBlock();
    const wall = BigInt(Math.floor(Date.now() / 1000));
    if (block.number !== this.lastBlock.number) {
      const ahead = block.timestamp - wall;
      this.lastBlock = { number: block.number, ahead: ahead > 0n ? ahead : 0n };
    }
    const clock = wall + this.lastBlock.ahead;
    return block.timestamp > clock ? block.timestamp : clock;
  }

  private get margin(): bigint {
    return BigInt(this.o.deadlineMarginS ?? 60);
  }

  /** When `epoch` ends and its submission deadline (chain seconds; cached). */
  private async epochTimes(epoch: number): Promise<{ end: bigint; deadline: bigint }> {
    let t = this.times.get(epoch);
    if (!t) {
      t = {
        end: BigInt(await this.c.epochs.read.epochEnd([BigInt(epoch)])),
        deadline: BigInt(await this.c.epochs.read.deadline([BigInt(epoch)])),
      };
      this.times.set(epoch, t);
    }
    return t;
  }

  private isMe(address: string): boolean {
    return address.toLowerCase() === this.address.toLowerCase();
  }

  /**
   * When the chunks of `epoch`'s jobs must be proven, on this machine's clock (ms): the epoch's
   * deadline less the submission margin. Undefined for an epoch assigned to another root (this
   * root proves its jobs only as a backup, needed once that root's deadline has passed).
   */
  private async proveBy(epoch: number, now: bigint): Promise<number | undefined> {
    const assigned = String(await this.c.epochs.read.assignedSubmitter([BigInt(epoch)]));
    if (!this.isMe(assigned) && assigned !== ZERO_ADDRESS) return undefined;
    const { deadline } = await this.epochTimes(epoch);
    return Date.now() + Number(deadline - this.margin - now) * 1000;
  }

  /** Moves the proving deadlines of unfinished jobs with the chain's clock. */
  private async refreshDeadlines(): Promise<void> {
    const epochs = this.db
      .prepare(
        "SELECT DISTINCT epoch FROM jobs WHERE status = 'proving' AND parent_lease IS NULL AND deadline IS NOT NULL",
      )
      .all() as { epoch: number }[];
    if (epochs.length === 0) return;
    const now = await this.chainNow();
    for (const { epoch } of epochs) {
      const at = await this.proveBy(epoch, now);
      if (at !== undefined) this.scheduler.setEpochDeadline(epoch, at);
    }
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
        const job = await readJob(this.sdk, { jobId: BigInt(l.args.jobId as bigint) });
        s0.set(String(l.args.jobId), String(job.s0));
      }
    // An image's ELF is kept only if it opens to the image ID: the chain cannot check it, so
    // a stranger could publish garbage under an honest image first (the first valid one wins).
    const validElf = new Set<number>();
    for (const [i, l] of logs.entries())
      if (l.eventName === "ImageRegistered" || l.eventName === "Image2Registered") {
        const id = String(l.args.imageId);
        if (this.db.prepare("SELECT 1 FROM images WHERE image_id = ?").get(id)) continue;
        if (await elfOpensTo(l.args.elf as Hex, id)) validElf.add(i);
        else
          this.o.log.warn({ imageId: id }, "published ELF does not open to its image ID: ignored");
      }
    // Inputs after jobs, whatever the order of the events within a transaction.
    const ordered = [
      ...logs.filter(
        (l, i) =>
          l.eventName !== "JobInput" && (l.eventName.startsWith("Image") ? validElf.has(i) : true),
      ),
      ...logs.filter((l) => l.eventName === "JobInput"),
    ];
    transaction(this.db, () => {
      for (const l of ordered) {
        const a = l.args;
        if (l.eventName === "ImageRegistered" || l.eventName === "Image2Registered") {
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

  /**
   * Executes every job whose image and input are known, one at a time in the worker process
   * (nearest epoch first), and turns each into chunk tasks. Returns the run in progress if
   * there is one; resolves when no job is left to execute.
   */
  intake(): Promise<void> {
    this.intaking ??= this.drainIntake().finally(() => {
      this.intaking = undefined;
    });
    return this.intaking;
  }

  private async drainIntake(): Promise<void> {
    const next = this.db.prepare(
      `SELECT i.*, im.elf FROM intake i JOIN images im ON im.image_id = i.image_id
       WHERE i.input IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.id)
       ORDER BY i.epoch, i.id LIMIT 1`,
    );
    for (;;) {
      if (this.closed) return;
      const r = next.get() as IntakeRow | undefined;
      if (!r) return;
      await this.executeOne(r);
    }
  }

  private async executeOne(r: IntakeRow): Promise<void> {
    // Chain reads first: if they fail, the round fails and the job is tried again later.
    // The job settles only within its declared bound (cycles, and chunks of its epoch's room).
    const job = await readJob(this.sdk, { jobId: BigInt(r.id) });
    if (job.status !== "pending") {
      // Settled or refunded already (e.g. by another root, or before a restart): nothing to do.
      this.scheduler.failJob(r.id, r.epoch, r.image_id, `the job is no longer pending on chain`);
      return;
    }
    const now = await this.chainNow();
    const deadline = await this.proveBy(r.epoch, now);
    // A versioned-cells job (version 2) has no S_0 of its own (JobRegistry: s0 = 0).
    if (r.s0 === "0") return this.executeJob2(r, job, deadline);
    try {
      const ex = await this.executor.execute({
        elf: new Uint8Array(r.elf),
        input: new Uint8Array(r.input),
        circuit: this.o.config.name,
        maxCycles: Math.min(this.o.maxCycles ?? 1_000_000, Number(job.cycleBound)),
        vk: this.o.vk,
        prover: this.address,
        imageId: r.image_id,
      });
      if (ex.s0 !== r.s0) throw new Error("S_0 of the execution differs from the chain's");
      if (ex.tasks.length > job.maxChunks)
        throw new Error(
          `the run needs ${ex.tasks.length} chunk proofs, more than the ${job.maxChunks} its bound reserved`,
        );
      this.scheduler.addJob({
        id: r.id,
        epoch: r.epoch,
        imageId: r.image_id,
        circuit: this.o.config.name,
        run: ex.run,
        ...(deadline !== undefined ? { deadline } : {}),
        tasks: ex.tasks,
      });
      this.o.log.info(
        { job: r.id, epoch: r.epoch, cycles: ex.cycles, chunks: ex.tasks.length },
        "job executed, chunks open for leasing",
      );
    } catch (e) {
      if (this.closed) return; // the worker was stopped, not the job refused
      this.scheduler.failJob(r.id, r.epoch, r.image_id, (e as Error).message);
      this.o.log.warn({ job: r.id, err: (e as Error).message }, "job cannot be proven");
    }
  }

  /**
   * Prepares a versioned-cells job on the worker (execute-job2.ts: no witness) and opens its
   * chunks for round 1: each delegator reports its chunk's commitment; `advanceJob2` then
   * derives gammaJob and opens round 2.
   */
  private async executeJob2(
    r: IntakeRow,
    job: { cycleBound: bigint; maxChunks: number },
    deadline: number | undefined,
  ): Promise<void> {
    const d = this.o.deployment;
    try {
      if (!d.keySet2 || !d.contracts.jobVerifier2)
        throw new Error("the deployment records no versioned-cells key set or JobVerifier2");
      const ex = await this.executor.prepare2({
        kind: "job2",
        elf: new Uint8Array(r.elf),
        input: new Uint8Array(r.input),
        keySet: d.keySet2,
        maxCycles: Math.min(this.o.maxCycles ?? 1_000_000, Number(job.cycleBound)),
        maxChunks: job.maxChunks,
        imageId: r.image_id,
        cacheDir: this.o.cacheDir ?? defaultCacheDir(),
      });
      if (ex.tasks.length > job.maxChunks)
        throw new Error(
          `the run needs ${ex.tasks.length} chunk proofs, more than the ${job.maxChunks} its bound reserved`,
        );
      this.scheduler.addJob({
        id: r.id,
        epoch: r.epoch,
        imageId: r.image_id,
        circuit: ex.circuit,
        record: ex.record,
        ...(deadline !== undefined ? { deadline } : {}),
        tasks: ex.tasks,
      });
      this.o.log.info(
        { job: r.id, epoch: r.epoch, cycles: ex.cycles, chunks: ex.tasks.length, kind: "job2" },
        "job prepared, chunks open for their round-1 commitments",
      );
    } catch (e) {
      if (this.closed) return;
      this.scheduler.failJob(r.id, r.epoch, r.image_id, (e as Error).message);
      this.o.log.warn({ job: r.id, err: (e as Error).message }, "job cannot be proven");
    }
  }

  private advancing: Promise<void> | undefined;
  private readonly job2Failures = new Map<number, number>();
  private readonly disputeFailures = new Map<string, number>();

  /**
   * Versioned-cells jobs between rounds, on the worker (one pass at a time, in the
   * background): disputes settled with this node's own round 1 of the chunk, then every job
   * whose chunks are all committed assembled at its gammaJob and opened for round 2.
   */
  advanceJob2(): Promise<void> {
    this.advancing ??= this.advanceOnce().finally(() => (this.advancing = undefined));
    return this.advancing;
  }

  private async advanceOnce(): Promise<void> {
    const d = this.o.deployment;
    const cacheDir = this.o.cacheDir ?? defaultCacheDir();
    for (let x = this.scheduler.disputes[0]; x; x = this.scheduler.disputes[0]) {
      const dispute = x;
      const rec = this.scheduler.jobRecord(dispute.jobId);
      const task = this.scheduler.job2Task(dispute.jobId, dispute.index);
      if (!rec || !task) {
        this.scheduler.disputes.shift();
        continue;
      }
      // taken off the queue once settled; an error leaves it for the next pass (three tries)
      let truth: string;
      try {
        truth = await this.executor.commit2({
          kind: "job2-commit",
          program: (JSON.parse(rec) as Job2Record).program,
          lease: task.lease,
          cacheDir,
        });
      } catch (e) {
        if (this.closed) return;
        const key = `${dispute.jobId}:${dispute.index}`;
        const n = (this.disputeFailures.get(key) ?? 0) + 1;
        this.disputeFailures.set(key, n);
        if (n >= 3) this.scheduler.disputes.shift();
        this.o.log.warn({ job: dispute.jobId, err: (e as Error).message }, "dispute not settled");
        break;
      }
      this.scheduler.disputes.shift();
      const again = this.scheduler.resolveDispute(dispute, truth);
      this.o.log.warn(
        {
          job: dispute.jobId,
          chunk: dispute.index,
          disputer: dispute.holder,
          liar: again ? "committer" : "disputer",
        },
        again
          ? "dispute upheld: the chunk's commitment was false; round 2 starts again"
          : "dispute refused: the chunk's commitment was right",
      );
    }
    for (const id of this.scheduler.awaitingGamma()) {
      const rec = JSON.parse(this.scheduler.jobRecord(id)!) as Job2Record;
      try {
        // commitments from keys with nothing at stake: this node's own round 1 first
        for (const u of this.scheduler.uncheckedCommitments(id)) {
          const truth = await this.executor.commit2({
            kind: "job2-commit",
            program: rec.program,
            lease: u.task.lease,
            cacheDir,
          });
          if (this.scheduler.settleCommitment(id, u.index, truth))
            this.o.log.warn(
              { job: id, chunk: u.index, committer: u.task.committer },
              "a false round-1 commitment from an unstaked key replaced",
            );
        }
        if (!d.contracts.jobVerifier2) throw new Error("the deployment records no JobVerifier2");
        const a = await this.executor.assemble2({
          kind: "job2-assemble",
          program: rec.program,
          commitments: this.scheduler.commitments(id),
          chainId: String(d.chainId),
          contract: d.contracts.jobVerifier2,
          jobId: String(id),
          cacheDir,
        });
        if (this.scheduler.beginRound2(id, a.record, a.gammaJob))
          this.o.log.info(
            { job: id, gammaJob: a.gammaJob },
            "every commitment in: gammaJob derived, the job's own proofs made, chunks open for round 2",
          );
      } catch (e) {
        if (this.closed) return;
        // a worker that died or a busy pool may pass: three tries before the job is given up
        const n = (this.job2Failures.get(id) ?? 0) + 1;
        this.job2Failures.set(id, n);
        if (n < 3) {
          this.o.log.warn({ job: id, err: (e as Error).message, tries: n }, "job round failed");
          continue;
        }
        this.scheduler.dropJob(id, "failed", (e as Error).message);
        this.o.log.warn({ job: id, err: (e as Error).message }, "job cannot be proven");
      }
    }
  }

  /**
   * Submits the Universal Proof of every ended epoch whose jobs are proven (its own, or
   * another root's once that root's deadline passed), then carries late jobs.
   */
  async submitDueEpochs(): Promise<void> {
    const now = await this.chainNow();
    const epochs = this.db
      .prepare(
        `SELECT DISTINCT j.epoch, e.status FROM jobs j LEFT JOIN epochs e ON e.epoch = j.epoch
         WHERE j.status = 'proven' AND j.parent_lease IS NULL
           AND (e.status IS NULL OR e.status IN ('retry', 'waiting', 'not-assigned', 'stuck'))
         ORDER BY j.epoch`,
      )
      .all() as { epoch: number; status: string | null }[];
    for (const { epoch, status } of epochs) {
      const { end, deadline } = await this.epochTimes(epoch);
      if (now < end) continue;
      const record = (await this.c.epochs.read.epochRecord([BigInt(epoch)])) as {
        submitter: string;
      };
      if (record.submitter !== ZERO_ADDRESS) {
        // Closed on chain (by another root, or by this one in a run whose receipt was lost):
        // what this root proved of it is carried, if still pending.
        this.setEpoch(epoch, "closed", { error: `closed on chain by ${record.submitter}` });
        continue;
      }
      const assigned = String(await this.c.epochs.read.assignedSubmitter([BigInt(epoch)]));
      const mine = this.isMe(assigned) || assigned === ZERO_ADDRESS;
      if (!mine && now <= deadline) {
        if (status !== "waiting") {
          this.o.log.info(
            { epoch, assigned, deadline: Number(deadline) },
            "epoch assigned to another root; rescued here if it misses its deadline",
          );
          this.setEpoch(epoch, "waiting", { error: `assigned to ${assigned}` });
        }
        continue;
      }
      const proving = this.db
        .prepare("SELECT COUNT(*) AS n FROM jobs WHERE epoch = ? AND status = 'proving'")
        .get(epoch) as { n: number };
      if (mine && proving.n > 0 && now < deadline - this.margin) continue; // wait for the rest
      if (!mine) this.o.log.warn({ epoch, assigned }, "rescuing an epoch its root missed");
      await this.submitEpoch(epoch);
    }
    await this.carryLateJobs(now);
    await this.declareUnprovableEpochs(now);
  }

  /**
   * Proven jobs of earlier epochs that a Universal Proof for `host` may carry: their epoch is
   * closed on chain, and it is this root's (or nobody's), or its deadline has passed.
   */
  private async carryable(host: number, now: bigint): Promise<number[]> {
    const rows = this.db
      .prepare(
        `SELECT j.id, j.epoch FROM jobs j JOIN epochs e ON e.epoch = j.epoch
         WHERE j.status = 'proven' AND j.parent_lease IS NULL AND j.epoch < ?
           AND e.status IN ('submitted', 'closed', 'declared') ORDER BY j.epoch, j.id`,
      )
      .all(host) as { id: number; epoch: number }[];
    const out: number[] = [];
    for (const r of rows) {
      const assigned = String(await this.c.epochs.read.assignedSubmitter([BigInt(r.epoch)]));
      const { deadline } = await this.epochTimes(r.epoch);
      if (this.isMe(assigned) || assigned === ZERO_ADDRESS || now > deadline) out.push(r.id);
    }
    return out;
  }

  /**
   * Late jobs no due epoch took this round go alone, in the latest ended epoch this root may
   * submit: not closed, without jobs of its own here, and nobody's (or this root's, or past
   * its deadline).
   */
  private async carryLateJobs(now: bigint): Promise<void> {
    const current = Number(await this.c.epochs.read.currentEpoch());
    const waiting = this.db
      .prepare(
        `SELECT MIN(j.epoch) AS first FROM jobs j JOIN epochs e ON e.epoch = j.epoch
         WHERE j.status = 'proven' AND j.parent_lease IS NULL
           AND e.status IN ('submitted', 'closed', 'declared')`,
      )
      .get() as { first: number | null };
    if (waiting.first === null) return;
    for (let host = current - 1; host > waiting.first && host >= current - 8; host--) {
      const { end, deadline } = await this.epochTimes(host);
      if (now < end) continue;
      const taken = this.db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM intake WHERE epoch = :e) OR EXISTS (SELECT 1 FROM epochs
             WHERE epoch = :e AND status NOT IN ('retry', 'stuck')) AS taken`,
        )
        .get({ e: host }) as { taken: number };
      if (taken.taken) continue;
      const record = (await this.c.epochs.read.epochRecord([BigInt(host)])) as {
        submitter: string;
      };
      if (record.submitter !== ZERO_ADDRESS) continue;
      const assigned = String(await this.c.epochs.read.assignedSubmitter([BigInt(host)]));
      if (!(this.isMe(assigned) || assigned === ZERO_ADDRESS || now > deadline)) continue;
      if ((await this.carryable(host, now)).length === 0) return;
      this.o.log.info({ host }, "carrying jobs proven after their epoch closed");
      await this.submitEpoch(host);
      return;
    }
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
    f: {
      jobs?: number;
      chunks?: number;
      tx?: string;
      gas?: string;
      error?: string;
      /** The revert to remember (JSON { reason, content }); kept when not given. */
      reverted?: string;
    } = {},
  ) {
    this.db
      .prepare(
        `INSERT INTO epochs (epoch, status, jobs, chunks, tx_hash, gas, error, attempts, updated_at, reverted)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT(epoch) DO UPDATE SET status = excluded.status,
           jobs = COALESCE(excluded.jobs, jobs), chunks = COALESCE(excluded.chunks, chunks),
           tx_hash = COALESCE(excluded.tx_hash, tx_hash), gas = COALESCE(excluded.gas, gas),
           error = excluded.error, attempts = attempts + 1, updated_at = excluded.updated_at,
           reverted = COALESCE(excluded.reverted, reverted)`,
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
        f.reverted ?? null,
      );
  }

  /**
   * The rings that carried chunks of these jobs, at any depth, as the bundles named them —
   * kept only if the chain shows each is an active orchestrator registered below this root
   * (its parent links lead here within MAX_DEPTH), so a child cannot name outsiders to share
   * the assemblers' pay.
   */
  async assemblersOf(jobIds: readonly number[]): Promise<Address[]> {
    const me = this.address.toLowerCase();
    const out: Address[] = [];
    for (const a of this.scheduler.carriersOf(jobIds)) {
      if (!(await this.c.registry.read.isActive([a]))) continue;
      let at: string = a;
      for (let depth = 0; depth < 8; depth++) {
        const o = (await this.c.registry.read.orchestrator([at])) as { parent: string };
        at = o.parent;
        if (at.toLowerCase() === me) {
          out.push(a);
          break;
        }
        if (/^0x0{40}$/.test(at)) break;
      }
    }
    return out;
  }

  /** Assembles, checks and submits one epoch; diagnoses a failure. */
  async submitEpoch(epoch: number): Promise<void> {
    // Each revert that names a job removes or re-opens that job: at most one round per job.
    for (let round = 0; round < 1000; round++)
      if ((await this.submitOnce(epoch)) !== "again") return;
  }

  /**
   * A hash of what a submission for `epoch` with jobs `ids` sends (and of whether the epoch's
   * deadline has passed, which changes who may send it).
   */
  private contentKey(epoch: number, ids: readonly number[], late: boolean): string {
    const h = createHash("sha256").update(`${epoch}:${late}`);
    const q = this.db.prepare("SELECT idx, prover, proof FROM tasks WHERE job_id = ? ORDER BY idx");
    for (const id of ids) {
      h.update(`|job ${id}`);
      for (const r of q.all(id) as { idx: number; prover: string | null; proof: string | null }[])
        h.update(`|${r.idx}:${r.prover}:${r.proof}`);
    }
    return h.digest("hex");
  }

  /** The epoch's recorded status and last revert. */
  private epochRow(epoch: number): { status?: string; reason?: string; content?: string } {
    const row = this.db
      .prepare("SELECT status, reverted FROM epochs WHERE epoch = ?")
      .get(epoch) as { status: string; reverted: string | null } | undefined;
    if (!row) return {};
    const r = row.reverted ? (JSON.parse(row.reverted) as { reason: string; content: string }) : {};
    return { status: row.status, ...r };
  }

  /**
   * One attempt at `epoch`: "again" when a revert named a job, which was dropped or re-opened,
   * and the rest should be sent at once.
   */
  private async submitOnce(epoch: number): Promise<"again" | "done"> {
    const now = await this.chainNow();
    const own = (
      this.db
        .prepare(
          "SELECT id FROM jobs WHERE epoch = ? AND status = 'proven' AND parent_lease IS NULL ORDER BY id",
        )
        .all(epoch) as { id: number }[]
    ).map((r) => r.id);
    const all = [...own, ...(await this.carryable(epoch, now))];
    if (all.length === 0) return "done";
    // One Universal Proof per epoch, of one kind (submitEpoch or submitEpoch2): the kind of
    // the job waiting longest (earliest epoch, then lowest id) goes; the other kind's jobs are
    // carried into a later epoch, so neither kind can be starved by a stream of the other.
    const v2 = all.filter((id) => this.isJob2(id));
    const v1 = all.filter((id) => !this.isJob2(id));
    const first = this.db
      .prepare(
        `SELECT id FROM jobs WHERE id IN (${all.map(() => "?").join(",")}) ORDER BY epoch, id LIMIT 1`,
      )
      .get(...all) as { id: number };
    if (v2.length > 0 && (v1.length === 0 || v2.includes(first.id)))
      return this.submitOnce2(epoch, v2, own.filter((id) => v2.includes(id)).length, now);
    const ids = v1;
    const content = this.contentKey(epoch, ids, now > (await this.epochTimes(epoch)).deadline);
    const last = this.epochRow(epoch);
    if (last.status === "stuck" && last.content === content) return "done"; // failed twice so
    const runs = [];
    for (const id of ids) {
      const run = this.scheduler.runProof(id);
      await verifyRun(this.o.vk, run); // never send what would not verify
      runs.push({ jobId: BigInt(id), run });
    }
    const up = await universalProof(runs);
    const assemblers = await this.assemblersOf(ids);
    const log = this.o.log.child({
      epoch,
      jobs: ids.length,
      chunks: up.proofs.length,
      assemblers: assemblers.length,
    });
    return this.send(
      epoch,
      ids,
      content,
      up.proofs.length,
      log,
      { carried: ids.filter((i) => !own.includes(i)).length },
      () => this.c.epochs.write.submitEpoch([BigInt(epoch), up.jobs, assemblers, up.proofs]),
    );
  }

  /**
   * Sends one epoch's Universal Proof (`write`), waits for its receipt and records the outcome:
   * the jobs settled, the epoch submitted with its gas; a revert goes to onRevert, a lost
   * receipt to the next round.
   */
  private async send(
    epoch: number,
    ids: readonly number[],
    content: string,
    chunks: number,
    log: Logger,
    extra: Record<string, unknown>,
    write: () => Promise<Hex>,
  ): Promise<"again" | "done"> {
    let hash: Hex;
    try {
      hash = await write();
    } catch (e) {
      return this.onRevert(epoch, ids, content, e, log);
    }
    this.setEpoch(epoch, "sent", { jobs: ids.length, chunks, tx: hash });
    let receipt;
    try {
      receipt = await this.o.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
    } catch (e) {
      log.warn({ hash, err: (e as Error).message }, "no receipt (dropped?); will send again");
      this.setEpoch(epoch, "retry", { error: `no receipt for ${hash}` });
      return "done";
    }
    if (receipt.status !== "success") return this.onRevert(epoch, ids, content, undefined, log);
    const settled = this.db.prepare(
      "UPDATE jobs SET status = 'settled', tx_hash = ? WHERE id = ? AND status = 'proven'",
    );
    for (const id of ids) settled.run(hash, id);
    this.setEpoch(epoch, "submitted", {
      jobs: ids.length,
      chunks,
      tx: hash,
      gas: receipt.gasUsed.toString(),
    });
    log.info(
      { hash, gas: receipt.gasUsed.toString(), ...extra },
      "Universal Proof verified on chain",
    );
    this.o.onEpoch?.(epoch, receipt.gasUsed, chunks);
    return "done";
  }

  /** Whether a job of this node is a versioned-cells job (its record says so). */
  private isJob2(id: number): boolean {
    const rec = this.scheduler.jobRecord(id);
    return rec !== undefined && (JSON.parse(rec) as { kind?: string }).kind === "job2";
  }

  /** submitOnce for versioned-cells jobs: EpochManager.submitEpoch2 (see submitOnce). */
  private async submitOnce2(
    epoch: number,
    ids: readonly number[],
    own: number,
    now: bigint,
  ): Promise<"again" | "done"> {
    const content = this.contentKey(epoch, ids, now > (await this.epochTimes(epoch)).deadline);
    const last = this.epochRow(epoch);
    if (last.status === "stuck" && last.content === content) return "done";
    const subs: Awaited<ReturnType<typeof job2Submission>>[] = [];
    for (const id of ids) {
      try {
        subs.push(
          await job2Submission(
            JSON.parse(this.scheduler.jobRecord(id)!) as Job2Record,
            this.scheduler.chunkProofs(id),
          ),
        );
      } catch (e) {
        // never expected (a job is proven only when its shares balance), and never allowed
        // to hold the epoch's other jobs up: this one is given up, the rest go next round
        this.scheduler.dropJob(id, "failed", `not submittable: ${(e as Error).message}`);
        this.o.log.error({ job: id, err: (e as Error).message }, "a proven job fails its check");
        return "again";
      }
    }
    const chunks = subs.reduce((s, x) => s + x.proofs.chunks.length, 0);
    const assemblers = await this.assemblersOf(ids);
    const log = this.o.log.child({
      epoch,
      jobs: ids.length,
      chunks,
      assemblers: assemblers.length,
    });
    return this.send(
      epoch,
      ids,
      content,
      chunks,
      log,
      { carried: ids.length - own, kind: "job2" },
      () =>
        this.c.epochs.write.submitEpoch2([
          BigInt(epoch),
          subs.map((x) => x.input),
          assemblers,
          jobsProofList(subs.map((x) => x.proofs)),
        ]),
    );
  }

  /**
   * Applies a failed submission of `ids` for `epoch` (`e` the error; undefined: the
   * transaction was mined and reverted). See the module doc.
   */
  private onRevert(
    epoch: number,
    ids: readonly number[],
    content: string,
    e: unknown,
    log: Logger,
  ): "again" | "done" {
    const revert = e === undefined ? "the transaction reverted when mined" : contractRevert(e);
    if (revert === undefined) {
      // Not a revert (the RPC node unreachable, a nonce race, …): next round.
      const reason = revertReason(e) ?? (e as Error).message;
      log.warn({ reason }, "epoch submission failed; retrying next round");
      this.setEpoch(epoch, "retry", { error: reason });
      return "done";
    }
    const [, name = "", args = ""] = /^(\w+)\((.*)\)$/.exec(revert) ?? [];
    const [first = "", second = ""] = args.split(", ");
    const job = /^\d+$/.test(first) && ids.includes(Number(first)) ? Number(first) : undefined;
    if (job !== undefined) {
      if (name === "Jobs__NotPending") {
        this.scheduler.dropJob(job, "gone", revert);
        log.warn(
          { job, reason: revert },
          "job no longer pending (settled or refunded); sending the rest",
        );
      } else if (name === "Epoch__ZeroProver") {
        this.scheduler.reopenChunk(job, Number(second), revert);
        log.warn(
          { job, chunk: Number(second), reason: revert },
          "chunk proof refused on chain; re-opened, sending the rest",
        );
      } else if (UNSETTLEABLE.has(name)) {
        this.scheduler.dropJob(job, "failed", revert);
        log.error(
          { job, reason: revert },
          "the chain will never settle this run; job dropped, sending the rest",
        );
      } else if (name === "Epoch__JobNotDue") {
        this.db.prepare("UPDATE jobs SET epoch = ? WHERE id = ?").run(Number(second), job);
        log.warn({ job, reason: revert }, "job belongs to a later epoch; moved, sending the rest");
      } else return this.recordRevert(epoch, content, revert, log);
      this.setEpoch(epoch, "retry", { error: revert });
      return "again";
    }
    if (name === "Epoch__AlreadySubmitted") {
      // Someone closed it first: what is still pending of it is carried.
      this.setEpoch(epoch, "closed", { error: revert });
      return "done";
    }
    return this.recordRevert(epoch, content, revert, log);
  }

  /**
   * A revert that names no job: retried next round, unless it is the same revert for the same
   * content as last time (then the epoch is `stuck` until its content changes). Epoch__NotEnded
   * only says "too early" (clocks differ): always retried.
   */
  private recordRevert(epoch: number, content: string, reason: string, log: Logger): "done" {
    const last = this.epochRow(epoch);
    const same =
      last.reason === reason && last.content === content && !reason.startsWith("Epoch__NotEnded(");
    const reverted = JSON.stringify({ reason, content });
    if (same) {
      log.error(
        { reason },
        "epoch submission reverted twice for the same reason with the same content: stopped until its content changes",
      );
      this.setEpoch(epoch, "stuck", { error: reason, reverted });
    } else {
      log.warn({ reason }, "epoch submission reverted; retrying next round");
      this.setEpoch(epoch, "retry", { error: reason, reverted });
    }
    return "done";
  }
}
