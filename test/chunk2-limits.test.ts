/**
 * How a job is cut for the versioned-cells chunk (`chunk2Limits`): by K steps and by the NC − 32
 * memory words a chunk can page. Found by the production bench (a sort of 1,000 words: its
 * first chunk read 1,019 words into memory, and its witness was refused, "touches 1019 memory
 * cells > 224"): an honest job the production chunk could not prove. No circuit here: the
 * witness builder refuses what the circuit cannot hold.
 *
 * Not yet enough for such a job: a chunk cut by the cell limit inside a long transfer is padded
 * with idle steps, and Step2 allows no idle step inside a transfer (`f[49] === ioOn`), so the
 * circuit refuses that chunk (bench:prove2 --guests shows it on the sort workload). Letting
 * idle steps carry the io state through is the next circuit change (issue 12's closing note).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { WitnessError } from "../prover/zkvm/witness.ts";
import { chunk2CoreInputs, chunk2Limits, type Chunk2CoreConfig } from "../prover/zkvm/witness2.ts";

/** The production chunk's shape (circuits.json: chunk2_K1024_NC256_TB13_M20_MB17_NM4). */
const PROD: Chunk2CoreConfig = { K: 1024, NC: 256, TB: 13, M: 20, MB: 17, NM: 4 };
const sortElf = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/sort.elf`)));
const words = Array.from({ length: 1_000 }, (_, i) => (i * 2_654_435_761) >>> 0);
const input = new Uint8Array(Uint32Array.from(words).buffer);

describe("cutting a job for the versioned-cells chunk", () => {
  it("pages at most NC − 32 words a chunk, so every chunk of a memory-heavy job fits its cells", async () => {
    const opening = await imageOpening(sortElf);
    const { chunks, output } = await executeChunked(sortElf, input, chunk2Limits(PROD));
    const sorted = [...words].sort((a, b) => a - b);
    expect(Array.from(new Uint32Array(output.slice().buffer))).toEqual(sorted);
    let cut = 0;
    for (const chunk of chunks) {
      const x = chunk2CoreInputs(PROD, opening, chunk);
      const used = (x.used as string[]).filter((u) => u === "1").length;
      expect(used).toBeLessThanOrEqual(PROD.NC);
      if (chunk.steps < PROD.K && chunk !== chunks[chunks.length - 1]) cut++;
    }
    expect(cut).toBeGreaterThan(0); // the cell limit did cut chunks short of K steps
  });

  it("without the cell limit the same job has a chunk no witness fits", async () => {
    const opening = await imageOpening(sortElf);
    const { maxCells: _, ...byStepsOnly } = chunk2Limits(PROD);
    const { chunks } = await executeChunked(sortElf, input, byStepsOnly);
    expect(() => chunks.forEach((c) => chunk2CoreInputs(PROD, opening, c))).toThrow(WitnessError);
  });

  it("refuses a configuration or limit that could not make progress", async () => {
    expect(() => chunk2Limits({ K: 8, NC: 33 })).toThrow(RangeError);
    await expect(executeChunked(sortElf, input, { chunkSize: 8, maxCells: 1 })).rejects.toThrow(
      /maxCells must be an integer >= 2/,
    );
  });
});
