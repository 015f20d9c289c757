/**
 * Worker process of the web app's job preparation (prepare-job.ts): answers each task with the
 * prepared job (WorkerPool protocol, pool-child.ts); started with TS_WORKER_EXEC_ARGV, as
 * execute-job-worker.ts says. (Erasable TypeScript only.)
 */
import { serveTasks } from "./pool-child.ts";

const lib = import("./prepare-job.ts");
serveTasks(async (task: unknown) => {
  const { prepareJob } = await lib;
  return prepareJob(task as Parameters<typeof prepareJob>[0]);
});
