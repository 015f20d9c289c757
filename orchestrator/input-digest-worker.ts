/**
 * Worker thread of the input intake (inputs.ts): answers `{ id, task: bytes }` with the job
 * input digest of those bytes as a decimal string, `{ id, result }` (WorkerPool protocol).
 *
 * The digest is the reverse Poseidon chain of prover/executor/digest.ts (`inputSuffixDigests`):
 * D_n = 0, D_i = Poseidon(b_i, D_{i+1}), the digest is D_0. It is restated here, not imported,
 * because digest.ts is not erasable TypeScript and a worker thread runs without the loader of
 * its parent (vitest, tsx); the input test checks both give the same digest.
 *
 * circomlibjs loads ffjavascript, which loads `web-worker`; imported in any worker thread, that
 * package takes the thread over as one of its own workers and imports `workerData.mod`. The
 * pool gives it WEB_WORKER_SHIM (worker-pool.ts: an empty module to import), and this script
 * listens on its port before anything is awaited, so no message is lost to that package's
 * listener.
 * (Erasable TypeScript only: Node runs it with or without a loader.)
 */
import { parentPort } from "node:worker_threads";
import { buildPoseidon } from "circomlibjs";

if (parentPort) {
  const port = parentPort;
  const poseidon = buildPoseidon();
  port.on("message", async ({ id, task }: { id: number; task: Uint8Array }) => {
    try {
      const p = await poseidon;
      let d = 0n;
      for (let i = task.length - 1; i >= 0; i--) d = p.F.toObject(p([task[i]!, d]));
      port.postMessage({ id, result: d.toString() });
    } catch (e) {
      port.postMessage({ id, error: (e as Error).message });
    }
  });
}
