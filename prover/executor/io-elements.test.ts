/**
 * The input and output in the job-wide sum (io-elements.ts), on word-mode runs of the committed
 * guests: honest runs balance at any γ; every way a chunk or the input and output proofs could
 * disagree about the bytes moved is refused (the sum is not 0, or the input proof's own rule
 * throws). What ties a chunk's claimed bytes to its memory is the chunk circuit
 * (test/chunk2-circuit.test.ts checks its share equals chunkIoShare).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUEST_INPUTS } from "../../test/helpers/guests.ts";
import { REPO_ROOT } from "../setup/registry.ts";
import { executeChunked, type ChunkRecord } from "./chunks.ts";
import { loadElf } from "./elf.ts";
import {
  chunkIoShare,
  inputClaim,
  inputProofShare,
  ioBalance,
  ioElement,
  IO_END,
  IO_INPUT,
  type InputClaim,
} from "./io-elements.ts";
import { R, VersionError } from "./versions.ts";

const GAMMAS = [0x1234_5678_9abc_def0_0fed_cba9_8765_4321n, R - 77n, 2n ** 200n + 3n];

async function run(name: string) {
  const image = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${name}.elf`)));
  const input = GUEST_INPUTS[name]!;
  const { chunks, output } = await executeChunked(image, input, {
    chunkSize: 8,
    circuitAccounting: true,
    io: "word",
  });
  return { chunks, input, output, claim: inputClaim(chunks, input) };
}

/** The chunks with chunk `i` replaced by `f` of it. */
const withChunk = (cs: ChunkRecord[], i: number, f: (c: ChunkRecord) => ChunkRecord) =>
  cs.map((c, j) => (j === i ? f(c) : c));

describe("input and output bytes in the job-wide sum", () => {
  it("balances for honest word-mode runs, the input's end included", async () => {
    let ends = 0;
    for (const name of ["sha256", "ledger", "allinsn"]) {
      const r = await run(name);
      for (const g of GAMMAS) expect(ioBalance(r.chunks, r.claim, r.output, g), name).toBe(0n);
      ends += r.claim.ends;
      expect(r.claim.read, name).toBe(r.chunks.flatMap((c) => c.inputBytes).length);
    }
    expect(ends).toBeGreaterThan(0); // at least one run reads to the end of its input
  });

  it("refuses every disagreement about the bytes moved", async () => {
    const r = await run("sha256");
    const { chunks, claim, output } = r;
    const g = GAMMAS[0]!;
    const reading = chunks.findIndex((c) => c.inputBytes.length > 1);
    const writing = chunks.findIndex((c) => c.outputBytes.length > 0);
    const ending = chunks.findIndex((c) => c.stepRecords.some((s) => s.io?.ended));
    expect(Math.min(reading, writing, ending)).toBeGreaterThanOrEqual(0);
    const flip = (bs: number[], at: number) => bs.map((b, i) => (i === at ? b ^ 1 : b));
    const out = (f: (o: number[]) => number[]) => Uint8Array.from(f([...output]));
    const attacks: [string, ChunkRecord[], InputClaim, Uint8Array][] = [
      [
        "a chunk reads a byte the input does not have there",
        withChunk(chunks, reading, (c) => ({ ...c, inputBytes: flip(c.inputBytes, 0) })),
        claim,
        output,
      ],
      [
        "a chunk reads its input from one position back (a byte read twice)",
        withChunk(chunks, reading, (c) => ({
          ...c,
          stateIn: { ...c.stateIn, inputPosition: c.stateIn.inputPosition - 1 },
        })),
        claim,
        output,
      ],
      [
        "a chunk's two input bytes swapped",
        withChunk(chunks, reading, (c) => ({
          ...c,
          inputBytes: [c.inputBytes[1]!, c.inputBytes[0]!, ...c.inputBytes.slice(2)],
        })),
        claim,
        output,
      ],
      ["the output proof commits to a changed byte", chunks, claim, out((o) => flip(o, 0))],
      ["the output proof drops the last byte", chunks, claim, out((o) => o.slice(0, -1))],
      ["the output proof adds a byte", chunks, claim, out((o) => [...o, 10])],
      [
        "a chunk writes at the wrong output position",
        withChunk(chunks, writing, (c) => ({
          ...c,
          stateIn: { ...c.stateIn, outputPosition: c.stateIn.outputPosition! + 1 },
        })),
        claim,
        output,
      ],
      [
        "the input proof produces one byte fewer",
        chunks,
        { ...claim, read: claim.read - 1 },
        output,
      ],
      ["the input proof produces one end more", chunks, { ...claim, ends: claim.ends + 1 }, output],
      ["the input proof produces no end", chunks, { ...claim, ends: 0 }, output],
      [
        "a chunk finds the end where the input has not ended (a read stopped early)",
        withChunk(chunks, reading, (c) => ({
          ...c,
          stepRecords: c.stepRecords.map((s, i) =>
            i === c.stepRecords.findIndex((t) => t.io?.kind === "read" && t.io.n > 0)
              ? { ...s, io: { ...s.io!, ended: true } }
              : s,
          ),
        })),
        { ...claim, ends: claim.ends + 1 },
        output,
      ],
    ];
    const refused = (cs: ChunkRecord[], cl: InputClaim, o: Uint8Array) => {
      try {
        return ioBalance(cs, cl, o, g) !== 0n;
      } catch (e) {
        if (e instanceof VersionError) return true;
        throw e;
      }
    };
    for (const [what, cs, cl, o] of attacks) expect(refused(cs, cl, o), what).toBe(true);
    expect(refused(chunks, claim, output)).toBe(false);

    // a false end the input proof would have to produce: refused by its own rule
    expect(() => inputProofShare({ ...claim, read: claim.read - 1, ends: 1 })).toThrow(
      VersionError,
    );
    expect(() => inputProofShare({ ...claim, read: claim.input.length + 1 })).toThrow(VersionError);
    // a chunk claiming more input bytes than its reads moved
    const padded = { ...chunks[reading]!, inputBytes: [...chunks[reading]!.inputBytes, 0] };
    expect(() => chunkIoShare(padded)).toThrow(/claims more/);
  });

  it("keeps input, output and the end apart, and refuses byte-mode chunks", async () => {
    // positions and tags never overlap: the same (position, byte) as input and as output,
    // and the end at a position, are distinct elements
    expect(ioElement(IO_INPUT, 5, 7)).not.toBe(ioElement(2, 5, 7));
    expect(ioElement(IO_INPUT, 5, IO_END)).not.toBe(ioElement(IO_INPUT, 6, 0));
    expect(ioElement(IO_INPUT, 2 ** 32 - 1, IO_END) < 2n ** 97n).toBe(true);
    const image = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", "sha256.elf")));
    const { chunks } = await executeChunked(image, GUEST_INPUTS.sha256!, { chunkSize: 64 });
    expect(() => chunkIoShare(chunks[0]!)).toThrow(/word-mode/);
  });
});
