import { describe, expect, it } from "vitest";
import { executeChunked, initialStateDigest } from "./chunks.ts";
import { getPoseidon, imageId, inputDigest, MemoryTree, outputDigest } from "./digest.ts";
import { loadElf } from "./elf.ts";
import { execute } from "./execute.ts";
import { ECALL, encB, encI, encR, encS, exitSeq, li, programElf } from "./testing.ts";

// A loop that reads the input, then stores i*i to 0x2000 + 4*i for i < 20 and writes
// those 80 bytes to the public output.
const program = [
  ...li(10, 0),
  ...li(11, 0x3000),
  ...li(12, 16),
  ...li(17, 63),
  ECALL,
  ...li(5, 0), // i
  ...li(6, 20),
  ...li(7, 0x2000), // ptr
  encR(1, 5, 5, 0, 8, 0x33), // mul x8 = i*i
  encS(0, 8, 7, 2), // sw x8, 0(x7)
  encI(1, 5, 0, 5, 0x13), // i++
  encI(4, 7, 0, 7, 0x13), // ptr += 4
  encB(-16, 6, 5, 4), // blt i, 20, loop
  ...li(10, 1),
  ...li(11, 0x2000),
  ...li(12, 80),
  ...li(17, 64),
  ECALL,
  ...li(10, 7),
  ...exitSeq(),
];

describe("chunked execution", () => {
  const image = loadElf(programElf(program));
  const input = new Uint8Array([1, 2, 3, 4, 5]);

  it("forms a chain from S_0 to a halted state, same result as plain execution", async () => {
    const plain = execute(image, input);
    for (const K of [1, 7, 64, 10_000]) {
      const run = await executeChunked(image, input, { chunkSize: K });
      expect(run.exitCode).toBe(7);
      expect(run.cycles).toBe(plain.cycles);
      expect(run.output).toEqual(plain.output);
      expect(run.chunks.length).toBe(Math.ceil(plain.cycles / K));
      expect(run.chunks[0]!.sIn).toBe(await initialStateDigest(image, await inputDigest(input)));
      for (let j = 0; j + 1 < run.chunks.length; j++) {
        expect(run.chunks[j]!.sOut).toBe(run.chunks[j + 1]!.sIn);
        expect(run.chunks[j]!.steps).toBe(K);
      }
      const steps = run.chunks.flatMap((c) => c.stepRecords);
      expect(steps.length).toBe(plain.cycles);
      // incremental memory root equals a from-scratch root of the final memory
      const p = await getPoseidon();
      expect(run.memoryRoot).toBe(MemoryTree.fromMemory(p, run.machine.mem).root());
      expect(run.outputDigest).toBe(await outputDigest(plain.output));
      expect(run.inputDigest).toBe(await inputDigest(input));
    }
  });

  it("records steps: registers, memory accesses and pcs", async () => {
    const run = await executeChunked(image, input, { chunkSize: 50 });
    const steps = run.chunks.flatMap((c) => c.stepRecords);
    const stores = steps.filter((s) => s.memory?.write);
    expect(stores.length).toBe(20);
    expect(stores[3]!.memory).toMatchObject({ wordAddress: 0x200c, before: 0, after: 9 });
    for (let i = 0; i + 1 < steps.length; i++) expect(steps[i]!.nextPc).toBe(steps[i + 1]!.pc);
    const mul = steps.find((s) => s.instruction === encR(1, 5, 5, 0, 8, 0x33) && s.rs1Value === 4)!;
    expect(mul).toMatchObject({ rd: 8, rdValue: 16, rs2Value: 4 });
  });

  it("records: false gives the same digests", async () => {
    const a = await executeChunked(image, input, { chunkSize: 9 });
    const b = await executeChunked(image, input, { chunkSize: 9, records: false });
    expect(b.chunks.map((c) => c.sOut)).toEqual(a.chunks.map((c) => c.sOut));
    expect(b.chunks.every((c) => c.stepRecords.length === 0)).toBe(true);
  });

  it("the digests depend on the input and the image", async () => {
    const a = await executeChunked(image, input, { chunkSize: 1000 });
    const b = await executeChunked(image, new Uint8Array([1, 2, 3, 4, 6]), { chunkSize: 1000 });
    expect(a.chunks[0]!.sIn).not.toBe(b.chunks[0]!.sIn);
    const other = loadElf(programElf([...li(10, 8), ...exitSeq()]));
    expect(await imageId(other)).not.toBe(await imageId(image));
    expect(await imageId(loadElf(programElf(program)))).toBe(await imageId(image));
  });
});
