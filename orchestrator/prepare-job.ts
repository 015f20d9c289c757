/**
 * What the web app needs to submit a job (explorer-api.ts, `POST /v1/app/prepare`): the image
 * ID of an ELF, the arguments of `JobRegistry.registerImage`, the input's digest (what a job
 * over 64 bytes commits on chain), and the run on its input (cycles, exit code, output),
 * executed once. Runs on a worker process (prepare-job-worker.ts) through
 * {@link JobPreparer}, so a stranger's long run never stalls the orchestrator's event loop.
 */
import { imageRegistration } from "../client/guest.ts";
import { execute, inputDigest, loadElf } from "../prover/executor/index.ts";
import { PoolBusyError, TS_WORKER_EXEC_ARGV, WorkerPool } from "./worker-pool.ts";

export interface PrepareJobTask {
  elf: Uint8Array;
  input: Uint8Array;
  /** Longest run executed; a longer one is refused. */
  maxCycles: number;
}

export interface PreparedJob {
  imageId: string;
  registerImage: {
    entry: number;
    memorySize: number;
    codeStart: number;
    codeEnd: number;
    initRoot: string;
  };
  /** The input's digest (decimal), as the SDK's prepareJob computes it (client/guest.ts). */
  inputDigest: string;
  cycles: number;
  exitCode: number;
  output: Uint8Array;
}

/** Why a job cannot be prepared (the ELF does not load, or the run does not exit in time). */
export class PrepareError extends Error {
  override readonly name = "PrepareError";
}

/** Prepares one job on the calling thread (the worker's body; tests may call it directly). */
export async function prepareJob(t: PrepareJobTask): Promise<PreparedJob> {
  let program;
  let reg;
  try {
    program = loadElf(new Uint8Array(t.elf));
    // The image ID and registerImage's arguments as the SDK computes them for every client.
    reg = await imageRegistration(new Uint8Array(t.elf));
  } catch (e) {
    throw new PrepareError(`not a loadable RV32IM ELF: ${(e as Error).message}`);
  }
  let run;
  try {
    run = execute(program, new Uint8Array(t.input), { maxCycles: t.maxCycles });
  } catch (e) {
    throw new PrepareError(
      `the run does not exit within ${t.maxCycles} cycles: ${(e as Error).message}`,
    );
  }
  return {
    imageId: reg.imageId.toString(),
    registerImage: {
      entry: reg.image.entry,
      memorySize: reg.image.memorySize,
      codeStart: reg.image.codeStart,
      codeEnd: reg.image.codeEnd,
      initRoot: reg.image.initRoot.toString(),
    },
    inputDigest: (await inputDigest(new Uint8Array(t.input))).toString(),
    cycles: run.cycles,
    exitCode: run.exitCode,
    output: run.output,
  };
}

/** Jobs prepared one at a time on a worker process, with a short queue (busy past it). */
export class JobPreparer {
  private readonly pool = new WorkerPool<PrepareJobTask, PreparedJob>(
    new URL("./prepare-job-worker.ts", import.meta.url),
    { size: 1, maxQueue: 8, execArgv: TS_WORKER_EXEC_ARGV },
  );

  /**
   * @throws PrepareError (the worker's refusal, by message prefix), PoolBusyError when full.
   */
  async prepare(task: PrepareJobTask): Promise<PreparedJob> {
    try {
      return await this.pool.run(task);
    } catch (e) {
      if (e instanceof PoolBusyError) throw e;
      const m = (e as Error).message;
      if (/^(not a loadable|the run does not exit)/.test(m)) throw new PrepareError(m);
      throw e;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
