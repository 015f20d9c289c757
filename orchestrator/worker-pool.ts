/**
 * A small pool of worker processes for CPU-bound work the orchestrator must not do on its event
 * loop (a slow hash would stall every request and every lease deadline behind it).
 *
 * A worker script serves tasks with {@link serveTasks} (pool-child.ts): it answers each
 * `{ id, task }` message with `{ id, result }` or `{ id, error }`, one task at a time. Tasks wait
 * in a queue of at most `maxQueue`; past it `run` throws {@link PoolBusyError} at once, so a
 * flood costs queue slots, not memory. Workers start on first use, do not keep the process
 * alive, and a worker that dies is replaced (its task fails).
 *
 * Workers are child processes, not worker threads. Every worker here loads ffjavascript's
 * WebAssembly (Poseidon through circomlibjs), and so do snarkjs's threads in the same process;
 * with Node 24.9, tearing down a worker thread whose isolate shares that compiled module with
 * live ones corrupted the heap now and then (`free(): invalid pointer` in
 * `wasm::NativeModule::~NativeModule`, seen in ~1 of 5 runs of test/attacks.test.ts at pool
 * close). A process has its own heap: closing it cannot touch the orchestrator's, and a worker
 * that crashes costs its task, not the root.
 *
 * @example
 * const pool = new WorkerPool<Uint8Array, string>(new URL("./w.ts", import.meta.url));
 * const digest = await pool.run(bytes);
 * await pool.close();
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The queue is full: try again later (HTTP 503). */
export class PoolBusyError extends Error {
  override readonly name = "PoolBusyError";
}

export interface WorkerPoolOptions {
  /** Worker processes (default 1: these machines have 2 cores, one is the event loop's). */
  size?: number;
  /** Tasks waiting beyond those running (default 16). */
  maxQueue?: number;
  /** Node options of the workers (default: no experimental warnings); see {@link TS_WORKER_EXEC_ARGV}. */
  execArgv?: string[];
}

/**
 * Node options for a worker that imports the project's TypeScript modules: a worker runs
 * without the loader of its parent (vitest, tsx), and Node's own type stripping refuses what is
 * not erasable (parameter properties, enums), so it transforms them instead.
 */
export const TS_WORKER_EXEC_ARGV = [
  "--experimental-transform-types",
  "--disable-warning=ExperimentalWarning",
];

interface Job<T, R> {
  id: number;
  task: T;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface Slot<T, R> {
  worker: ChildProcess;
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

  /** Runs `task` on a worker (copied to it with V8's serializer, as structured clone does). */
  run(task: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    if (this.queue.length >= (this.o.maxQueue ?? 16))
      return Promise.reject(new PoolBusyError("busy: too many tasks waiting; retry later"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
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
    await Promise.all(slots.map((s) => stop(s.worker)));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < (this.o.size ?? 1)) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      // A running task keeps the process alive (its caller awaits it); an idle worker does not.
      slot.worker.channel?.ref();
      slot.worker.send({ id: job.id, task: job.task });
    }
  }

  private spawn(): Slot<T, R> {
    const worker = fork(fileURLToPath(this.script), [], {
      execArgv: this.o.execArgv ?? ["--disable-warning=ExperimentalWarning"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    // Neither the process nor its channel keeps the orchestrator alive.
    worker.unref();
    worker.channel?.unref();
    const slot: Slot<T, R> = { worker };
    worker.on("message", (m: { id: number; result?: R; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = undefined;
      slot.worker.channel?.unref();
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.result as R);
      this.dispatch();
    });
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      this.slots = this.slots.filter((s) => s !== slot);
      slot.job?.reject(e);
      slot.job = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code, signal) =>
      fail(new Error(`worker exited with ${signal ? `signal ${signal}` : `code ${code}`}`)),
    );
    this.slots.push(slot);
    return slot;
  }
}

/** Ends a worker: SIGTERM, then SIGKILL if it has not exited within 2 s. */
function stop(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.kill("SIGKILL"), 2000);
    timer.unref();
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    worker.kill("SIGTERM");
  });
}
