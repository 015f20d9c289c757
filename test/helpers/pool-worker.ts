/**
 * A worker for orchestrator/worker-pool.test.ts: answers `{ echo }` with its value and its pid,
 * sleeps `{ sleep }` ms first, and dies mid-task on `{ exit }` (a worker that crashes).
 * (Erasable TypeScript only.)
 */
import { serveTasks } from "../../orchestrator/pool-child.ts";

serveTasks(async (t: { echo?: unknown; sleep?: number; exit?: number }) => {
  if (t.sleep) await new Promise((r) => setTimeout(r, t.sleep));
  if (t.exit !== undefined) process.exit(t.exit);
  return { echo: t.echo, pid: process.pid };
});
