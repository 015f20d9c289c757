/** Helpers shared by the benchmark scripts. */
import { encB, encI, exitSeq, li, programElf } from "../prover/executor/testing.ts";

/** Median of a non-empty list (the upper one of the middle pair for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of nothing");
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time in ms of `runs` sequential calls of `f`. */
export async function timeMs(runs: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** exit(0) after a counting loop of `loops` iterations (none for 0): 2 cycles an iteration. */
export function loopElf(loops: number): Uint8Array {
  const T0 = 5; // x5 = t0
  const body = loops === 0 ? [] : [...li(T0, loops), encI(-1, T0, 0, T0, 0x13), encB(-4, 0, T0, 1)]; // addi; bnez
  return programElf([...body, encI(0, 0, 0, 10, 0x13), ...exitSeq()]);
}

/**
 * Fewest loop iterations for which `chunksOf` (the executor's chunk count of `loopElf(loops)`)
 * gives exactly n chunks of `k` steps.
 */
export async function loopsFor(
  n: number,
  k: number,
  chunksOf: (loops: number) => Promise<number>,
): Promise<number> {
  if ((await chunksOf(0)) === n) return 0;
  let loops = Math.max(1, Math.floor((k * (n - 1)) / 2) - 4);
  while ((await chunksOf(loops)) < n) loops++;
  if ((await chunksOf(loops)) !== n) throw new Error(`no loop count gives ${n} chunks`);
  return loops;
}
