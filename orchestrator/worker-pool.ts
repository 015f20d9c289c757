/**
 * A small pool of worker threads for CPU-bound work the orchestrator must not do on its event
 * loop (a slow hash would stall every request and every lease deadline behind it).
 *
 * A worker script answers each `{ id, task }` message with `{ id, result }` or
 * `{ id, error }`, one task at a time; see input-digest-worker.ts. Tasks wait in a queue of at
 * most `maxQueue`; past it `run` throws {@link PoolBusyError} at once, so a flood costs queue
 * slots, not memory. Workers start on first use, do not keep the process alive, and a worker
 * that dies is replaced (its task fails).
 *
 * @example
 * const pool = new WorkerPool<Uint8Array, string>(new URL("./w.ts", import.meta.url));
 * const digest = await pool.run(bytes, [bytes.buffer]);
 * await pool.close();
 */
import { Worker, type TransferListItem } from "node:worker_threads";

/**
 * The `workerData` of a worker that loads ffjavascript (snarkjs, circomlibjs): that package
 * loads `web-worker`, which, imported in any worker thread, takes the thread over as one of its
 * own workers and imports `workerData.mod`; this gives it an empty module to import.
 */
export const WEB_WORKER_SHIM = { mod: "data:text/javascript,", type: "module" } as const;

/** The queue is full: try again later (HTTP 503). */
export class PoolBusyError extends Error {
  override readonly name = "PoolBusyError";
}

export interface WorkerPoolOptions {
  /** Worker threads (default 1: these machines have 2 cores, one is the event loop's). */
  size?: number;
  /** Tasks waiting beyond those running (default 16). */
  maxQueue?: number;
  /** Passed to every worker. */
  workerData?: unknown;
  /** Node options of the workers (default: the process's own); see {@link TS_WORKER_EXEC_ARGV}. */
  execArgv?: string[];
}

/**
 * Node options for a worker that imports the project's TypeScript modules: a worker thread
 * runs without the loader of its parent (vitest, tsx), and Node's own type stripping refuses
 * what is not erasable (parameter properties, enums), so it transforms them instead.
 */
export const TS_WORKER_EXEC_ARGV = [
  "--experimental-transform-types",
  "--disable-warning=ExperimentalWarning",
];

interface Job<T, R> {
  id: number;
  task: T;
  transfer: readonly TransferListItem[];
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface Slot<T, R> {
  worker: Worker;
  job?: Job<T, R>;
}

export class WorkerPool<T, R> {
  private slots: Slot<T, R>[] = [];
  private readonly queue: Job<T, R>[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly script: URL,
    private readonly o: WorkerPoolOptions = {},
  ) {}

  /** Tasks running or waiting. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job).length;
  }

  /** Runs `task` on a worker; `transfer` lists buffers moved (not copied) to it. */
  run(task: T, transfer: readonly TransferListItem[] = []): Promise<R> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    if (this.queue.length >= (this.o.maxQueue ?? 16))
      return Promise.reject(new PoolBusyError("busy: too many tasks waiting; retry later"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; running and waiting tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error("the worker pool is closed"));
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) s.job?.reject(new Error("the worker pool is closed"));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < (this.o.size ?? 1)) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, task: job.task }, job.transfer);
    }
  }

  private spawn(): Slot<T, R> {
    const worker = new Worker(this.script, {
      workerData: this.o.workerData,
      ...(this.o.execArgv ? { execArgv: this.o.execArgv } : {}),
    });
    worker.unref();
    const slot: Slot<T, R> = { worker };
    worker.on("message", (m: { id: number; result?: R; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = undefined;
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.result as R);
      this.dispatch();
    });
    const fail = (e: Error) => {
      this.slots = this.slots.filter((s) => s !== slot);
      slot.job?.reject(e);
      slot.job = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}
