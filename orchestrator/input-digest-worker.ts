/**
 * Worker process of the input intake (inputs.ts): answers each task (the input bytes) with the
 * job input digest of those bytes as a decimal string (WorkerPool protocol, pool-child.ts).
 *
 * The digest is the reverse Poseidon chain of prover/executor/digest.ts (`inputSuffixDigests`):
 * D_n = 0, D_i = Poseidon(b_i, D_{i+1}), the digest is D_0. It is restated here, not imported,
 * because digest.ts is not erasable TypeScript and a worker runs without the loader of its
 * parent (vitest, tsx); the input test checks both give the same digest.
 * (Erasable TypeScript only: Node runs it with or without a loader.)
 */
import { buildPoseidon } from "circomlibjs";
import { serveTasks } from "./pool-child.ts";

const poseidon = buildPoseidon();
serveTasks(async (task: Uint8Array) => {
  const p = await poseidon;
  let d = 0n;
  for (let i = task.length - 1; i >= 0; i--) d = p.F.toObject(p([task[i]!, d]));
  return d.toString();
});
