/**
 * Worker thread of the job executor (execute-job.ts): answers `{ id, task }` with
 * `{ id, result }` (the executed job) or `{ id, error }` (WorkerPool protocol).
 *
 * The executor, witness and run modules are not erasable TypeScript, and a worker thread runs
 * without the loader of its parent (vitest, tsx): the pool starts this worker with
 * TS_WORKER_EXEC_ARGV (Node transforms the TypeScript itself). circomlibjs loads ffjavascript,
 * which loads `web-worker`; imported in a worker thread, that package takes the thread over as
 * one of its own workers and imports `workerData.mod` (the pool gives it WEB_WORKER_SHIM, an
 * empty module). So this script listens on its port before anything is imported or awaited,
 * and imports the executor only then: no message is lost to that package's listener.
 * (Erasable TypeScript only.)
 */
import { parentPort } from "node:worker_threads";

if (parentPort) {
  const port = parentPort;
  const lib = import("./execute-job.ts");
  port.on("message", async ({ id, task }: { id: number; task: unknown }) => {
    try {
      const { executeJob } = await lib;
      const result = await executeJob(task as Parameters<typeof executeJob>[0]);
      port.postMessage({ id, result });
    } catch (e) {
      port.postMessage({ id, error: (e as Error).message });
    }
  });
}
