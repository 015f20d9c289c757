/**
 * The delegator daemon: registers with an orchestrator, then leases chunks, proves them with
 * Groth16 under its own address and submits them, until stopped. Transient failures (the
 * orchestrator unreachable, 5xx, rate limits) are retried with exponential backoff; a refused
 * proof is logged and the daemon goes on. Stopping (`stop()`, Ctrl-C in the CLI) lets the chunk
 * in hand finish and be submitted; `stop({ release: true })` (a second Ctrl-C) gives the lease
 * back at once instead, so another delegator can take it before its deadline.
 *
 * A versioned-cells chunk (a lease with the job's `program`) comes in two rounds
 * (execute-job2.ts): round 1 rebuilds the chunk from its lease and the program and reports its
 * commitment; round 2 rebuilds it again, checks the commitment it was leased with (a different
 * one is disputed, and the lease given back), adds its share at gammaJob and proves it.
 */
import type { Logger } from "pino";
import type { LocalAccount } from "viem/accounts";
import {
  defaultCacheDir,
  getCircuitArtifacts,
  type CircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { createHash } from "node:crypto";
import { imageOpening, loadElf } from "../prover/executor/index.ts";
import { getPoseidon } from "../prover/executor/digest.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import { Chunk2Rounds, CommitmentMismatch, loadChunk2Probe } from "../prover/zkvm/job2.ts";
import { Groth16ChunkProver, addressToField, type ChunkProof } from "../prover/zkvm/prover.ts";
import { programBytes, type Job2Program, type Job2TaskInput } from "./execute-job2.ts";
import { ApiError, OrchestratorClient } from "./client.ts";
import { verifyLeaseReceipt, type LeaseReceipt } from "./receipts.ts";
import type { ChunkLease } from "./scheduler.ts";

export interface DelegatorOptions {
  orchestrator: string;
  account: Pick<LocalAccount, "address" | "signMessage">;
  log: Logger;
  workers?: number;
  name?: string;
  cacheDir?: string;
  /** Idle poll interval when there is nothing to prove (ms). */
  pollMs?: number;
  /** Longest backoff (ms). */
  maxBackoffMs?: number;
  /** Called after every accepted proof (progress display). */
  onProof?: (p: { jobId: number; index: number; seconds: number; total: number }) => void;
  /** Overrides the prover (tests use it to submit deliberately wrong proofs). */
  prove?: (lease: ChunkLease, input: ChunkLease["input"]) => Promise<ChunkProof>;
}

/** A job program as the chunk rounds take it. */
interface ProgramParts {
  image: ReturnType<typeof loadElf>;
  opening: Awaited<ReturnType<typeof imageOpening>>;
  input: Uint8Array;
}

export class Delegator {
  private readonly client: OrchestratorClient;
  private stopping = false;
  private releaseNow = false;
  private readonly inHand = new Set<string>();
  private readonly provers = new Map<string, Promise<Groth16ChunkProver>>();
  private readonly rounds = new Map<string, Promise<Chunk2Rounds>>();
  /** The last job program's parts (a delegator proves many chunks of one job in a row). */
  private program: { key: string; parts: Promise<ProgramParts> } | undefined;
  private wake: (() => void) | undefined;
  accepted = 0;
  rejected = 0;

  constructor(private readonly o: DelegatorOptions) {
    this.client = new OrchestratorClient(o.orchestrator, o.account);
  }

  /** Runs until stopped; resolves when every worker has finished. */
  async run(): Promise<void> {
    await this.retrying(() => this.client.register("delegator", this.o.name));
    this.o.log.info(
      { orchestrator: this.client.base, address: this.o.account.address },
      "registered",
    );
    const workers = Math.max(1, this.o.workers ?? 1);
    await Promise.all(Array.from({ length: workers }, (_, i) => this.worker(i)));
  }

  /** Stops after the chunk in hand (or at once, returning the lease, with release: true). */
  stop({ release = false }: { release?: boolean } = {}): void {
    this.stopping = true;
    if (release) {
      this.releaseNow = true;
      for (const id of this.inHand)
        void this.client
          .release(id)
          .catch((e) => this.o.log.warn({ err: String(e) }, "release failed"));
    }
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Calls `fn` until it succeeds or fails for a non-transient reason; backs off meanwhile. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    let delay = 250;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ApiError) || !e.transient || this.stopping) throw e;
        this.o.log.warn({ err: e.message, retryInMs: delay }, "transient error; retrying");
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.o.maxBackoffMs ?? 30_000);
      }
    }
  }

  private prover(circuit: string): Promise<Groth16ChunkProver> {
    let p = this.provers.get(circuit);
    if (!p) {
      p = getCircuitArtifacts(circuit, {
        cacheDir: this.o.cacheDir ?? defaultCacheDir(),
        log: (m) => this.o.log.info(m),
      }).then((a: CircuitArtifacts) => new Groth16ChunkProver(a));
      this.provers.set(circuit, p);
    }
    return p;
  }

  /** A key set's chunk rounds (its round-1 build compiled on first use, then cached). */
  private roundsOf(keySet: string): Promise<Chunk2Rounds> {
    let r = this.rounds.get(keySet);
    if (!r) {
      const { cfg } = keySetCircuits(keySet);
      r = (async () =>
        new Chunk2Rounds(
          await getPoseidon(),
          cfg,
          await loadChunk2Probe(cfg, this.o.cacheDir ?? defaultCacheDir(), (m) =>
            this.o.log.info(m),
          ),
        ))();
      this.rounds.set(keySet, r);
      r.catch(() => this.rounds.delete(keySet));
    }
    return r;
  }

  private partsOf(g: Job2Program): Promise<ProgramParts> {
    const key = createHash("sha256").update(g.elf).update("/").update(g.input).digest("hex");
    if (this.program?.key !== key) {
      const { elf, input } = programBytes(g);
      const parts = (async () => {
        const image = loadElf(elf);
        return { image, opening: await imageOpening(image), input };
      })();
      this.program = { key, parts };
    }
    return this.program.parts;
  }

  /**
   * A versioned-cells chunk's lease: round 1 (its commitment, reported) or round 2 (the
   * circuit inputs of its proof under this delegator's address), or undefined when it was
   * disputed (its lease given back).
   */
  private async job2(
    lease: ChunkLease & { program: Job2Program },
    log: Logger,
  ): Promise<Record<string, unknown> | undefined> {
    const w = lease.input as unknown as Job2TaskInput;
    const rounds = await this.roundsOf(lease.program.keySet);
    const parts = await this.partsOf(lease.program);
    if (w.job2 === 1) {
      const x = await rounds.commitLease(parts, w.lease);
      await this.retrying(() => this.client.commit(lease.leaseId, String(x.commitment)));
      log.info({ job: lease.jobId, chunk: lease.index }, "round-1 commitment reported");
      return undefined;
    }
    try {
      return await rounds.proveLease(parts, w.lease, {
        gammaJob: BigInt(w.gammaJob!),
        commitment: BigInt(w.commitment!),
        prover: addressToField(this.o.account.address),
      });
    } catch (e) {
      if (!(e instanceof CommitmentMismatch)) throw e;
      await this.retrying(() => this.client.dispute(lease.leaseId, e.mine.toString()));
      log.warn({ job: lease.jobId, chunk: lease.index, err: e.message }, "commitment disputed");
      return undefined;
    }
  }

  /** Receipts of the leases this delegator proved (its evidence of who leased it what). */
  readonly receipts: LeaseReceipt[] = [];

  /**
   * Proves nothing without the orchestrator's signed receipt for exactly this lease, to this
   * delegator: the evidence that the ring leased the chunk to it (kept, and logged with the
   * signature, so it outlives the process).
   */
  private async checkReceipt(lease: ChunkLease): Promise<void> {
    const r = lease.receipt;
    const ok =
      r !== undefined &&
      r.leaseId === lease.leaseId &&
      r.jobId === lease.jobId &&
      r.index === lease.index &&
      r.sIn === String(lease.input.sIn) &&
      r.sOut === String(lease.input.sOut) &&
      r.cyclesRetired === String(lease.input.cyclesRetired) &&
      r.prover.toLowerCase() === this.o.account.address.toLowerCase() &&
      (await verifyLeaseReceipt(r));
    if (!ok) throw new Error(`lease ${lease.leaseId} came without a valid signed receipt`);
    this.receipts.push(r);
    this.o.log.info({ receipt: r }, "lease receipt");
  }

  private async worker(id: number): Promise<void> {
    const log = this.o.log.child({ worker: id });
    while (!this.stopping) {
      let lease: ChunkLease | undefined;
      try {
        lease = await this.retrying(() => this.client.lease());
      } catch (e) {
        if (this.stopping) break;
        log.error({ err: (e as Error).message }, "cannot lease; pausing");
        await this.sleep(this.o.maxBackoffMs ?? 30_000);
        continue;
      }
      if (!lease) {
        await this.sleep(this.o.pollMs ?? 1000);
        continue;
      }
      this.inHand.add(lease.leaseId);
      const t0 = performance.now();
      try {
        await this.checkReceipt(lease);
        let input: Record<string, unknown> | undefined;
        if (lease.program) {
          input = await this.job2(lease as ChunkLease & { program: Job2Program }, log);
          if (!input) continue; // a commitment reported, or a dispute
        } else {
          input = { ...lease.input, prover: addressToField(this.o.account.address).toString() };
        }
        const proof = this.o.prove
          ? await this.o.prove(lease, input as ChunkLease["input"])
          : await (
              await this.prover(lease.circuit)
            ).proveWitness(lease.index, input as ChunkLease["input"]);
        if (this.releaseNow) break;
        const r = await this.retrying(() => this.client.submit(lease.leaseId, proof));
        this.accepted++;
        const seconds = (performance.now() - t0) / 1000;
        log.info(
          { job: r!.jobId, chunk: r!.index, seconds: +seconds.toFixed(2) },
          "proof accepted",
        );
        this.o.onProof?.({ jobId: r!.jobId, index: r!.index, seconds, total: this.accepted });
      } catch (e) {
        if (e instanceof ApiError && !e.transient) {
          this.rejected++;
          log.warn({ job: lease.jobId, chunk: lease.index, err: e.message }, "proof refused");
          if (e.status === 403) {
            this.stopping = true; // suspended or unregistered: proving more would be wasted
            throw e;
          }
        } else if (!this.stopping) {
          log.error({ err: (e as Error).message }, "proving failed; returning the lease");
          await this.client.release(lease.leaseId).catch(() => undefined);
        }
      } finally {
        this.inHand.delete(lease.leaseId);
      }
    }
  }
}
