/**
 * Worker process of the job executor (execute-job.ts): answers each task with the executed job
 * (WorkerPool protocol, pool-child.ts). The executor, witness and run modules are not erasable
 * TypeScript, and a worker runs without the loader of its parent (vitest, tsx): the pool starts
 * it with TS_WORKER_EXEC_ARGV (Node transforms the TypeScript itself).
 * (Erasable TypeScript only.)
 */
import { serveTasks } from "./pool-child.ts";

const lib = import("./execute-job.ts");
serveTasks(async (task: unknown) => {
  const { executeJob } = await lib;
  return executeJob(task as Parameters<typeof executeJob>[0]);
});
