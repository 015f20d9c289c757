/**
 * Worker process of the job executor (execute-job.ts): answers each task with the executed job
 * (WorkerPool protocol, pool-child.ts). The executor, witness and run modules are not erasable
 * TypeScript, and a worker runs without the loader of its parent (vitest, tsx): the pool starts
 * it with TS_WORKER_EXEC_ARGV (Node transforms the TypeScript itself).
 * (Erasable TypeScript only.)
 */
import { serveTasks } from "./pool-child.ts";

const lib = import("./execute-job.ts");
const lib2 = import("./execute-job2.ts");
serveTasks(async (task: unknown) => {
  const kind = (task as { kind?: string }).kind;
  if (kind === "job2") {
    const { prepareJob2Task } = await lib2;
    return prepareJob2Task(task as Parameters<typeof prepareJob2Task>[0]);
  }
  if (kind === "job2-assemble") {
    const { assembleJob2Task } = await lib2;
    return assembleJob2Task(task as Parameters<typeof assembleJob2Task>[0]);
  }
  if (kind === "job2-commit") {
    const { commitChunkTask } = await lib2;
    return commitChunkTask(task as Parameters<typeof commitChunkTask>[0]);
  }
  const { executeJob } = await lib;
  return executeJob(task as Parameters<typeof executeJob>[0]);
});
