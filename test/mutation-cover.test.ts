/**
 * The mutation harness's chunk selection: the chunks it picks show every step behaviour of a
 * run, and what earlier runs covered is not picked again; the committed record of behaviours
 * run with 0 survivors (circuits/zkvm/mutation-covered.json) is exactly the committed guests'.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { executeChunked, loadElf } from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { coveringChunks, stepBehaviour } from "../prover/zkvm/mutation.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const run = async (g: string) =>
  executeChunked(
    loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`))),
    GUEST_INPUTS[g]!,
    { chunkSize: 8, maxPages: 4, maxInputBytes: 4, maxOutputBytes: 4, circuitAccounting: true },
  );
const behaviours = (chunks: { stepRecords: Parameters<typeof stepBehaviour>[0][] }[]) =>
  new Set(chunks.flatMap((c) => c.stepRecords.map(stepBehaviour)));

describe("coveringChunks", () => {
  it("picks few chunks that cover every behaviour of the run, first and last included", async () => {
    const { chunks } = await run("sha256");
    const picked = coveringChunks(chunks);
    expect(picked[0]).toBe(0);
    expect(picked.at(-1)).toBe(chunks.length - 1);
    expect(picked.length).toBeLessThan(chunks.length / 10);
    expect(behaviours(picked.map((i) => chunks[i]!))).toEqual(behaviours(chunks));
  });

  it("tells apart what the circuit treats differently", async () => {
    const { chunks } = await run("allinsn");
    const all = behaviours(chunks);
    // allinsn divides by zero and by -1, branches taken and not, writes x0.
    expect([...all].some((b) => b.split(":")[2] === "0")).toBe(true);
    expect([...all].some((b) => b.split(":")[2] === "-1")).toBe(true);
    expect([...all].some((b) => b.endsWith(":j:") || b.endsWith(":j:x0"))).toBe(true);
    expect(all.size).toBeGreaterThan(100);
  });

  it("skips behaviours already covered", async () => {
    const { chunks } = await run("fibonacci");
    const covered = new Set<string>();
    const first = coveringChunks(chunks, covered);
    expect(covered).toEqual(behaviours(chunks));
    // Everything is covered now: only the first and last chunk remain.
    expect(coveringChunks(chunks, covered)).toEqual([0, chunks.length - 1]);
    expect(first.length).toBeGreaterThan(2);
  });

  it("has a record of mutated behaviours that is exactly what the committed guests show", async () => {
    // A guest change that adds behaviours needs a harness run (`npm run mutate -- --covered
    // circuits/zkvm/mutation-covered.json --record …`); one that loses some must not go unseen.
    const record = JSON.parse(
      readFileSync(`${REPO_ROOT}/circuits/zkvm/mutation-covered.json`, "utf8"),
    ) as string[];
    const all = new Set<string>();
    for (const g of Object.keys(GUEST_INPUTS))
      for (const b of behaviours((await run(g)).chunks)) all.add(b);
    expect([...all].sort()).toEqual([...record].sort());
  });
});
