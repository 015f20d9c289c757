/**
 * The worker pool (worker-pool.ts) with a test worker (test/helpers/pool-worker.ts): tasks
 * round-trip through a child process, a worker that dies costs only its task (the next one
 * gets a fresh process), a flood past the queue is refused at once, and close ends every
 * worker and fails what was running or waiting.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PoolBusyError, WorkerPool } from "./worker-pool.ts";

type Task = { echo?: unknown; sleep?: number; exit?: number };
type Result = { echo: unknown; pid: number };
const script = new URL("../test/helpers/pool-worker.ts", import.meta.url);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let pool: WorkerPool<Task, Result> | undefined;
afterEach(async () => {
  await pool?.close();
});

describe("WorkerPool (child processes)", () => {
  it("runs tasks in a child process, copying typed arrays and bigints both ways", async () => {
    pool = new WorkerPool<Task, Result>(script);
    const r = await pool.run({ echo: { b: new Uint8Array([1, 2, 3]), n: 2n ** 70n } });
    expect(r.pid).not.toBe(process.pid);
    expect(r.echo).toEqual({ b: new Uint8Array([1, 2, 3]), n: 2n ** 70n });
  });

  it("a worker that dies fails its own task only; the next task gets a new worker", async () => {
    pool = new WorkerPool<Task, Result>(script);
    const first = await pool.run({ echo: 1 });
    await expect(pool.run({ exit: 3 })).rejects.toThrow("worker exited with code 3");
    const next = await pool.run({ echo: 2 });
    expect(next.echo).toBe(2);
    expect(next.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
  });

  it("refuses a flood past its queue at once, and runs what it queued", async () => {
    pool = new WorkerPool<Task, Result>(script, { size: 1, maxQueue: 2 });
    const running = pool.run({ sleep: 300, echo: "a" });
    const queued = [pool.run({ echo: "b" }), pool.run({ echo: "c" })];
    await expect(pool.run({ echo: "d" })).rejects.toBeInstanceOf(PoolBusyError);
    expect(pool.pending).toBe(3);
    expect((await Promise.all([running, ...queued])).map((r) => r.echo)).toEqual(["a", "b", "c"]);
  });

  it("close ends every worker and fails what was running or waiting", async () => {
    const p = new WorkerPool<Task, Result>(script, { size: 1 });
    const { pid } = await p.run({ echo: 0 });
    const running = expect(p.run({ sleep: 60_000 })).rejects.toThrow("closed");
    const waiting = expect(p.run({ echo: 1 })).rejects.toThrow("closed");
    await p.close();
    await running;
    await waiting;
    await expect(p.run({ echo: 2 })).rejects.toThrow("closed");
    expect(alive(pid)).toBe(false);
  });
});
