/** Helpers shared by the benchmark scripts. */
import { encB, encI, exitSeq, li, programElf, xorshift32 } from "../prover/executor/testing.ts";

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

const words = (w: number[]) => new Uint8Array(Uint32Array.from(w).buffer);
/** A fixed pseudo-random stream, so the workloads are the same on every run. */
const rnd = xorshift32(0xc0ffee);
/**
 * The bench workloads: each committed guest on an input that runs it over several chunks of
 * 1,024 cycles (allinsn takes no input: its one run, 5 chunks). Fixed, so every run measures
 * the same jobs.
 */
export const BENCH_WORKLOADS: Record<string, Uint8Array> = {
  fibonacci: words([20_000]),
  sort: words(Array.from({ length: 1_000 }, () => rnd())),
  ledger: words([
    64,
    ...Array.from({ length: 64 }, () => 1_000_000),
    ...Array.from({ length: 1_500 }, () => [rnd() % 64, rnd() % 64, rnd() % 1_000]).flat(),
  ]),
  sha256: Uint8Array.from({ length: 2_048 }, () => rnd() & 0xff),
  allinsn: new Uint8Array(0),
};
