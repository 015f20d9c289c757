/**
 * The worker side of a {@link WorkerPool} (worker-pool.ts): a child process that answers each
 * `{ id, task }` message on its IPC channel with `{ id, result }` or `{ id, error }`, and exits
 * when its parent goes away (the channel closes), so no worker outlives the orchestrator.
 * (Erasable TypeScript only: worker scripts import it before any loader could help.)
 */
export function serveTasks<T, R>(handle: (task: T) => Promise<R> | R): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("a pool worker runs as a child process with an IPC channel");
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (m: { id: number; task: T }) => {
    try {
      const result = await handle(m.task);
      send({ id: m.id, result });
    } catch (e) {
      send({ id: m.id, error: (e as Error).message });
    }
  });
}
