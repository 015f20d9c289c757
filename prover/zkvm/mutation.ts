/**
 * The mutation harness: take valid chunk witnesses, change one prover-supplied value at a
 * time, and check that the circuit rejects every change.
 *
 * A mutation "survives" when the circuit's witness calculator (circom's wasm, which checks
 * every `===` constraint as it goes) still completes. Values are the circuit's inputs, i.e.
 * everything a dishonest prover controls directly: the values each access slot reads
 * (instruction words, register values, memory words), the distances to their previous
 * writes (which address history a read claims), input-queue bytes, the state-in fields (pc,
 * registers, halted flag, exit code, input position, digests), the page indices and page
 * contents, final register and memory values with their times, and the input/output slot
 * bytes. Every other signal is derived from these by the circuit's own hints and pinned by
 * its constraints.
 */
import { readFileSync } from "node:fs";
import { WitnessCalculatorBuilder, type WitnessCalculator } from "circom_runtime";
import { decode, type ChunkRecord } from "../executor/index.ts";
import type { ChunkWitnessInput } from "./witness.ts";

type Signal = string | Signal[];

/** One change to one witness input. */
export interface Mutation {
  /** Signal path, e.g. "val[3][1]". */
  path: string;
  from: string;
  to: string;
}

export interface MutationReport {
  tried: number;
  survivors: Mutation[];
}

const P = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

/** Candidate new values for a value: +1, -1 (mod p), a flipped low bit, a flipped bit 31. */
function variants(v: string): string[] {
  const x = BigInt(v);
  const out = new Set([(x + 1n) % P, (x + P - 1n) % P, x ^ 1n, x ^ (1n << 31n)]);
  out.delete(x);
  return [...out].map((y) => y.toString());
}

function leaves(
  s: Signal,
  path: string,
  out: [string, (string | number)[]][],
  keys: (string | number)[],
) {
  if (typeof s === "string") out.push([path, keys]);
  else s.forEach((c, i) => leaves(c, `${path}[${i}]`, out, [...keys, i]));
}

function setAt(w: ChunkWitnessInput, keys: (string | number)[], v: string): ChunkWitnessInput {
  const copy = structuredClone(w);
  let node: Record<string | number, Signal> = copy;
  for (let i = 0; i < keys.length - 1; i++) node = node[keys[i]!] as unknown as typeof node;
  node[keys[keys.length - 1]!] = v;
  return copy;
}

function getAt(w: ChunkWitnessInput, keys: (string | number)[]): string {
  let node: unknown = w;
  for (const k of keys) node = (node as Record<string | number, unknown>)[k];
  return node as string;
}

/** Loads the circuit's witness calculator once (reused across mutations). */
export async function loadWitnessCalculator(wasmPath: string): Promise<WitnessCalculator> {
  return WitnessCalculatorBuilder(new Uint8Array(readFileSync(wasmPath)));
}

/** The witness of `inputs`, or null when a constraint it checks fails. */
export async function witnessOrNull(
  wc: WitnessCalculator,
  inputs: object,
): Promise<bigint[] | null> {
  // circom's runtime prints the failing template to the console; a rejection is expected here.
  const { error, log } = console;
  console.error = console.log = () => {};
  try {
    return await wc.calculateWitness(inputs as never, true);
  } catch {
    return null;
  } finally {
    console.error = error;
    console.log = log;
  }
}

/** True when the witness calculator accepts `w` (every constraint it checks holds). */
export async function accepts(wc: WitnessCalculator, w: ChunkWitnessInput): Promise<boolean> {
  return (await witnessOrNull(wc, w)) !== null;
}

/** The input paths the harness mutates by default: everything except the public prover tag. */
export function defaultTargets(path: string): boolean {
  return path !== "prover";
}

/**
 * Mutates every selected input of every witness with each of its variants.
 * @throws if an unmutated witness is itself rejected (the harness would prove nothing).
 */
export async function runMutations(
  wc: WitnessCalculator,
  witnesses: readonly ChunkWitnessInput[],
  select: (path: string) => boolean = defaultTargets,
  onProgress?: (tried: number) => void,
): Promise<MutationReport> {
  const report: MutationReport = { tried: 0, survivors: [] };
  for (const w of witnesses) {
    if (!(await accepts(wc, w))) throw new Error("an unmutated witness is rejected");
    const paths: [string, (string | number)[]][] = [];
    for (const [k, v] of Object.entries(w)) leaves(v, k, paths, [k]);
    for (const [path, keys] of paths) {
      if (!select(path)) continue;
      const from = getAt(w, keys);
      for (const to of variants(from)) {
        report.tried++;
        if (await accepts(wc, setAt(w, keys, to))) report.survivors.push({ path, from, to });
        onProgress?.(report.tried);
      }
    }
  }
  return report;
}

/**
 * What a step exercises in the circuit: its decoded operation; the signs of its operands and
 * whether the second is 0 or -1 (division by zero, overflow); for memory the byte lane; for
 * ecalls the syscall and bytes moved; whether it jumped; whether rd is x0. Chunks that
 * together show every behaviour of a run are what the harness needs; the rest repeat them.
 */
export function stepBehaviour(s: ChunkRecord["stepRecords"][number]): string {
  const [op] = decode(s.instruction);
  const jumped = s.nextPc !== (s.pc + 4) >>> 0;
  const b = s.rs2Value === 0 ? "0" : s.rs2Value === -1 ? "-1" : s.rs2Value < 0 ? "-" : "+";
  return [
    op,
    s.rs1Value < 0 ? "-" : "+",
    b,
    s.memory ? s.memory.address & 3 : "",
    s.io ? `${s.io.kind}${s.io.n}` : "",
    jumped ? "j" : "",
    s.rd === 0 ? "x0" : "",
  ].join(":");
}

/**
 * Indices of a small set of chunks that together cover every step behaviour of `chunks` not
 * already in `covered` (greedy set cover), plus the first and last chunk (entry and input,
 * exit and padding) unless `endpoints` is false. Adds what they cover to `covered`, so
 * successive runs share the work.
 */
export function coveringChunks(
  chunks: readonly ChunkRecord[],
  covered: Set<string> = new Set(),
  {
    endpoints = true,
    behaviour = stepBehaviour,
  }: {
    endpoints?: boolean;
    /** What tells steps apart (default: stepBehaviour). */
    behaviour?: (s: ChunkRecord["stepRecords"][number]) => string;
  } = {},
): number[] {
  const sets = chunks.map((c) => new Set(c.stepRecords.map(behaviour)));
  const picked = new Set(endpoints ? [0, chunks.length - 1] : []);
  for (const i of picked) for (const b of sets[i]!) covered.add(b);
  for (;;) {
    let best = -1;
    let gain = 0;
    sets.forEach((set, i) => {
      let g = 0;
      for (const b of set) if (!covered.has(b)) g++;
      if (g > gain) [best, gain] = [i, g];
    });
    if (best < 0) break;
    picked.add(best);
    for (const b of sets[best]!) covered.add(b);
  }
  return [...picked].sort((a, b) => a - b);
}
