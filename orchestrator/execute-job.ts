/**
 * Executing a job once, the orchestrator's most expensive step besides verification: load the
 * ELF, open its image (a Poseidon commitment to memory), run it in chunks and build every
 * chunk's circuit inputs. It runs on a worker process ({@link JobExecutor}, via
 * execute-job-worker.ts), so a long job never stalls the HTTP service, lease deadlines or the
 * chain loop: its cost is one core, for as long as it takes.
 *
 * @example
 * const ex = new JobExecutor();
 * const job = await ex.execute({ elf, input, circuit, maxCycles: 10_000, vk, prover });
 * await ex.close();
 */
import {
  executeChunked,
  getPoseidon,
  imageIdOf,
  imageOpening,
  loadElf,
} from "../prover/executor/index.ts";
import type { Groth16VerificationKey } from "../prover/verify/batch.ts";
import type { Address } from "../prover/zkvm/prover.ts";
import { chunkLimits, runSkeleton } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import type { RunSkeleton, SegmentTask } from "./scheduler.ts";
import { PoolBusyError, TS_WORKER_EXEC_ARGV, WorkerPool } from "./worker-pool.ts";
import type {
  AssembleJob2Task,
  CommitChunkTask,
  Job2Record,
  Job2WorkerTask,
  PrepareJob2Task,
  PreparedJob2Result,
} from "./execute-job2.ts";

export interface ExecuteJobTask {
  elf: Uint8Array;
  input: Uint8Array;
  /** The chunk circuit's configuration name. */
  circuit: string;
  /** Longest run executed; a longer one fails. */
  maxCycles: number;
  vk: Groth16VerificationKey;
  /** The address recorded in the run skeleton (the orchestrator's). */
  prover: Address;
  /** Refuse (before executing) an ELF whose image ID is not this one. */
  imageId?: string;
}

export interface ExecutedJob {
  imageId: string;
  /** S_0 of the run. */
  s0: string;
  cycles: number;
  run: RunSkeleton;
  /** One task per chunk (circuit inputs with prover 0). */
  tasks: SegmentTask[];
}

/** Executes one job on the calling thread (the worker's body; tests may call it directly). */
export async function executeJob(t: ExecuteJobTask): Promise<ExecutedJob> {
  const config = chunkCircuitConfig(t.circuit);
  const image = loadElf(new Uint8Array(t.elf));
  const opening = await imageOpening(image);
  const imageId = imageIdOf(await getPoseidon(), opening).toString();
  if (t.imageId !== undefined && imageId !== t.imageId)
    throw new Error("the published ELF does not hash to the image ID");
  const exec = await executeChunked(image, new Uint8Array(t.input), {
    ...chunkLimits(config),
    maxCycles: t.maxCycles,
  });
  const ctx = { config, opening };
  return {
    imageId,
    s0: exec.chunks[0]!.sIn.toString(),
    cycles: exec.cycles,
    run: runSkeleton(exec, ctx, t.vk, t.prover),
    tasks: exec.chunks.map((c) => ({
      index: c.index,
      input: chunkWitness(config, opening, c, 0n),
      sIn: c.sIn.toString(),
      sOut: c.sOut.toString(),
    })),
  };
}

/** Jobs executed one at a time on a worker process (`workers` of them at once). */
export class JobExecutor {
  private readonly pool: WorkerPool<ExecuteJobTask | Job2WorkerTask, unknown>;

  constructor(o: { workers?: number } = {}) {
    this.pool = new WorkerPool(new URL("./execute-job-worker.ts", import.meta.url), {
      size: o.workers ?? 1,
      maxQueue: 64,
      execArgv: TS_WORKER_EXEC_ARGV,
    });
  }

  /** Jobs executing or waiting. */
  get pending(): number {
    return this.pool.pending;
  }

  /** Executes `task` off the event loop; rejects with the executor's error (trap, too long…). */
  async execute(task: ExecuteJobTask): Promise<ExecutedJob> {
    return (await this.run(task)) as ExecutedJob;
  }

  /** Prepares a versioned-cells job: its round-1 tasks, no witness (execute-job2.ts). */
  async prepare2(task: PrepareJob2Task): Promise<PreparedJob2Result> {
    return (await this.run(task)) as PreparedJob2Result;
  }

  /** After round 1: gammaJob and the job's three proofs (execute-job2.ts). */
  async assemble2(task: AssembleJob2Task): Promise<{ record: Job2Record; gammaJob: string }> {
    return (await this.run(task)) as { record: Job2Record; gammaJob: string };
  }

  /** The orchestrator's own round 1 of one chunk (a dispute): its commitment. */
  async commit2(task: CommitChunkTask): Promise<string> {
    return (await this.run(task)) as string;
  }

  private async run(task: ExecuteJobTask | Job2WorkerTask) {
    try {
      return await this.pool.run(task);
    } catch (e) {
      if (e instanceof PoolBusyError) throw new Error("too many jobs waiting to be executed");
      throw e;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
