/**
 * Worker thread of the web app's job preparation (prepare-job.ts): answers `{ id, task }` with
 * `{ id, result }` or `{ id, error }` (WorkerPool protocol). It listens before importing
 * anything, for the reason execute-job-worker.ts gives. (Erasable TypeScript only.)
 */
import { parentPort } from "node:worker_threads";

if (parentPort) {
  const port = parentPort;
  const lib = import("./prepare-job.ts");
  port.on("message", async ({ id, task }: { id: number; task: unknown }) => {
    try {
      const { prepareJob } = await lib;
      const result = await prepareJob(task as Parameters<typeof prepareJob>[0]);
      port.postMessage({ id, result });
    } catch (e) {
      port.postMessage({ id, error: (e as Error).message });
    }
  });
}
