import { describe, expect, it } from "vitest";
import {
  executeChunked,
  initialState,
  initialStateDigest,
  type ChunkedExecution,
  type ChunkOptions,
} from "./chunks.ts";
import {
  extendOutputDigest,
  getPoseidon,
  imageId,
  inputDigest,
  inputSuffixDigests,
  merkleRootFromPath,
  MemoryTree,
  outputDigest,
  pageHash,
  pageWords,
  stateDigest,
} from "./digest.ts";
import { loadElf, type ProgramImage } from "./elf.ts";
import { execute } from "./execute.ts";
import { ECALL, encB, encI, encJ, encR, encS, encU, exitSeq, li, programElf } from "./testing.ts";

const MEMORY_SIZE = 1 << 14; // 256 pages, depth 8: keeps the Merkle checks quick
const addi = (rd: number, rs1: number, imm: number) => encI(imm, rs1, 0, rd, 0x13);
const add = (rd: number, rs1: number, rs2: number) => encR(0, rs2, rs1, 0, rd, 0x33);

// Reads the whole input, one byte per call, to 0x3000; stores i*i to 0x2000 + 4*i for
// i < 20 (two pages); writes the first 24 of those bytes to the public output, one call per
// byte; exits 7.
const program = [
  ...li(9, 0x3000),
  ...li(17, 63),
  ...li(10, 0), // read:
  addi(11, 9, 0),
  ...li(12, 64),
  ECALL,
  encB(12, 0, 10, 0), // beq a0, x0, done
  add(9, 9, 10),
  encJ(-32, 0), // j read
  ...li(5, 0), // done:
  ...li(6, 20),
  ...li(7, 0x2000),
  encR(1, 5, 5, 0, 8, 0x33), // loop: mul x8 = i*i
  encS(0, 8, 7, 2), // sw x8, 0(x7)
  addi(5, 5, 1),
  addi(7, 7, 4),
  encB(-16, 6, 5, 4), // blt i, 20, loop
  ...li(9, 0x2000),
  ...li(13, 0x2018),
  ...li(17, 64),
  ...li(10, 1), // write:
  addi(11, 9, 0),
  encR(0x20, 9, 13, 0, 12, 0x33), // sub a2 = end - x9
  ECALL,
  add(9, 9, 10),
  encB(-24, 13, 9, 4), // blt x9, end, write
  ...li(10, 7),
  ...exitSeq(),
];

// Stores to and loads from 40 pages (0x2000 + 64*i), one page per loop iteration.
const strided = [
  ...li(5, 0),
  ...li(6, 40),
  ...li(7, 0x2000),
  encS(0, 5, 7, 2), // loop: sw x5, 0(x7)
  encI(0, 7, 2, 8, 0x03), // lw x8, 0(x7)
  addi(5, 5, 1),
  addi(7, 7, 64),
  encB(-16, 6, 5, 4), // blt x5, x6, loop
  ...li(10, 0),
  ...exitSeq(),
];

/**
 * Checks everything a chunk chain promises: S_0, the links, the committed states, the I/O
 * bytes and digests, chunk sizes and limits, and (with records) the sequential page proofs,
 * the page contents, and that every page a step touched is recorded.
 */
async function checkChain(
  image: ProgramImage,
  input: Uint8Array,
  options: ChunkOptions,
  run: ChunkedExecution,
): Promise<void> {
  const p = await getPoseidon();
  const K = options.chunkSize;
  const remaining = inputSuffixDigests(p, input);
  const first = run.chunks[0]!;
  expect(first.stateIn).toEqual(await initialState(image, await inputDigest(input)));
  expect(first.sIn).toBe(await initialStateDigest(image, await inputDigest(input)));
  // latest contents of every page, starting from the initial image
  const memory = image.memory.slice();
  // Poseidon16 is slow (~0.6 ms); code pages recur in every chunk
  const leaves = new Map<string, bigint>();
  const leaf = (words: Uint32Array) => {
    const key = words.join();
    let h = leaves.get(key);
    if (h === undefined) leaves.set(key, (h = pageHash(p, words)));
    return h;
  };
  let out = 0n;
  const output: number[] = [];
  for (const [j, c] of run.chunks.entries()) {
    expect(c.index).toBe(j);
    if (j === 0) expect(stateDigest(p, c.stateIn)).toBe(c.sIn);
    else {
      expect(c.sIn).toBe(run.chunks[j - 1]!.sOut);
      expect(c.stateIn).toEqual(run.chunks[j - 1]!.stateOut);
    }
    expect(stateDigest(p, c.stateOut)).toBe(c.sOut);
    expect(c.steps).toBeGreaterThanOrEqual(1);
    expect(c.steps).toBeLessThanOrEqual(K);
    expect(c.startCycle).toBe(c.stateIn.cycles);
    expect(c.stateOut.cycles - c.stateIn.cycles).toBe(c.steps);
    expect(c.stateOut.halted).toBe(j === run.chunks.length - 1);
    // input: bytes read, and the state holds the digest of what is left
    const { inputPosition: from } = c.stateIn;
    const { inputPosition: to } = c.stateOut;
    expect(c.inputBytes).toEqual([...input.subarray(from, to)]);
    expect(c.stateOut.inputRemaining).toBe(remaining[to]);
    expect(c.inputBytes.length).toBeLessThanOrEqual(options.maxInputBytes ?? Infinity);
    // output: bytes written, and the state holds the digest of everything so far
    out = extendOutputDigest(p, out, Uint8Array.from(c.outputBytes));
    output.push(...c.outputBytes);
    expect(c.stateOut.outputDigest).toBe(out);
    expect(c.outputBytes.length).toBeLessThanOrEqual(options.maxOutputBytes ?? Infinity);
    if (options.records === false) continue;
    expect(c.stepRecords.length).toBe(c.steps);
    // pages: ascending, within the limit, proofs chain from stateIn's root to stateOut's
    const indices = c.pages.map((pg) => pg.index);
    expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
    expect(c.pages.length).toBeLessThanOrEqual(options.maxPages ?? Infinity);
    let root = c.stateIn.memoryRoot;
    for (const pg of c.pages) {
      expect(pg.before).toEqual(pageWords(memory, pg.index));
      expect(merkleRootFromPath(p, leaf(pg.before), pg.index, pg.siblings)).toBe(root);
      root = merkleRootFromPath(p, leaf(pg.after), pg.index, pg.siblings);
      memory.set(new Uint8Array(pg.after.slice().buffer), pg.index * 64);
    }
    expect(root).toBe(c.stateOut.memoryRoot);
    for (const s of c.stepRecords) {
      expect(indices).toContain(s.pc >>> 6);
      if (s.memory) expect(indices).toContain(s.memory.wordAddress >>> 6);
    }
  }
  expect(Uint8Array.from(output)).toEqual(run.output);
  // every write went through a page record
  if (options.records !== false) expect(memory).toEqual(run.machine.mem);
}

describe("chunked execution", () => {
  const image = loadElf(programElf(program), { memorySize: MEMORY_SIZE });
  const input = new Uint8Array([1, 2, 3, 4, 5]);

  it("forms a chain from S_0 to a halted state, same result as plain execution", async () => {
    const plain = execute(image, input);
    expect(plain.exitCode).toBe(7);
    expect(plain.output.length).toBe(24);
    for (const K of [1, 7, 64, 10_000]) {
      const options = { chunkSize: K };
      const run = await executeChunked(image, input, options);
      await checkChain(image, input, options, run);
      expect(run.exitCode).toBe(7);
      expect(run.cycles).toBe(plain.cycles);
      expect(run.output).toEqual(plain.output);
      // without limits, every chunk but the last has exactly K steps
      expect(run.chunks.length).toBe(Math.ceil(plain.cycles / K));
      expect(run.chunks.slice(0, -1).every((c) => c.steps === K)).toBe(true);
      expect(run.chunks.flatMap((c) => c.stepRecords).length).toBe(plain.cycles);
      const p = await getPoseidon();
      expect(run.memoryRoot).toBe(MemoryTree.fromMemory(p, run.machine.mem).root());
      expect(run.outputDigest).toBe(await outputDigest(plain.output));
      expect(run.inputDigest).toBe(await inputDigest(input));
    }
  });

  it("maxChunks stops a run that needs more chunks, before it goes on", async () => {
    const n = (await executeChunked(image, input, { chunkSize: 7 })).chunks.length;
    expect((await executeChunked(image, input, { chunkSize: 7, maxChunks: n })).chunks.length).toBe(
      n,
    );
    await expect(
      executeChunked(image, input, { chunkSize: 7, maxChunks: n - 1, records: false }),
    ).rejects.toThrow(`the run needs more than ${n - 1} chunks`);
  });

  it("records steps: registers, memory accesses, I/O and pcs", async () => {
    const run = await executeChunked(image, input, { chunkSize: 50 });
    const steps = run.chunks.flatMap((c) => c.stepRecords);
    for (let i = 0; i + 1 < steps.length; i++) expect(steps[i]!.nextPc).toBe(steps[i + 1]!.pc);
    const stores = steps.filter((s) => (s.instruction & 0x7f) === 0x23);
    expect(stores.length).toBe(20);
    expect(stores[3]!.memory).toMatchObject({ wordAddress: 0x200c, before: 0, after: 9 });
    expect(stores[3]).toMatchObject({ rd: 0, rdValue: 0 });
    const mul = steps.find((s) => s.instruction === encR(1, 5, 5, 0, 8, 0x33) && s.rs1Value === 4)!;
    expect(mul).toMatchObject({ rd: 8, rdValue: 16, rs2Value: 4 });

    const reads = steps.filter((s) => s.io?.kind === "read");
    expect(reads.length).toBe(6); // five bytes, then end of input
    expect(reads[1]).toMatchObject({
      rd: 10,
      rdValue: 1,
      io: { kind: "read", fd: 0, address: 0x3001, byte: 2, n: 1 },
      memory: { address: 0x3001, wordAddress: 0x3000, before: 0x01, after: 0x0201, write: true },
    });
    expect(reads[5]).toMatchObject({ rd: 10, rdValue: 0, io: { n: 0, byte: 0, address: 0x3005 } });
    expect(reads[5]!.memory).toBeUndefined();

    const writes = steps.filter((s) => s.io?.kind === "write");
    expect(writes.length).toBe(24);
    expect(writes.map((s) => s.io!.byte)).toEqual([...run.output]);
    expect(writes[12]).toMatchObject({
      rd: 10,
      rdValue: 1,
      io: { kind: "write", fd: 1, address: 0x200c, byte: 9, n: 1 },
      memory: { address: 0x200c, wordAddress: 0x200c, before: 9, after: 9, write: false },
    });
    const exit = steps.at(-1)!;
    expect(exit).toMatchObject({ instruction: ECALL, rd: 0, rdValue: 0 });
    expect(exit.io).toBeUndefined();
  });

  it("rd and rdValue are right for every kind of instruction", async () => {
    const code = [
      encB(8, 0, 0, 0), // beq x0, x0, +8 (taken)
      0xffffffff, // skipped
      encB(8, 0, 0, 1), // bne x0, x0 (not taken)
      addi(0, 0, 5), // addi x0, x0, 5
      encI(0, 0, 0, 0, 0x0f), // fence
      encU(0x5000, 0, 0x37), // lui x0 (rd field 0)
      encJ(4, 0), // jal x0, +4
      encJ(4, 1), // jal x1, +4
      ...li(5, 0x2000),
      encS(0, 1, 5, 2), // sw x1, 0(x5)
      encI(0, 5, 2, 6, 0x03), // lw x6, 0(x5)
      ...li(17, 63),
      ...li(10, 3),
      ECALL, // read(3, ...) -> -1
      ...li(17, 64),
      ...li(10, 1),
      ...li(12, 0),
      ECALL, // write(1, buf, 0) -> 0
      ...li(10, 9),
      ...exitSeq(),
    ];
    const img = loadElf(programElf(code), { memorySize: MEMORY_SIZE });
    const run = await executeChunked(img, new Uint8Array(), { chunkSize: 1000 });
    const rd = run.chunks[0]!.stepRecords.map((s) => [s.rd, s.rdValue]);
    expect(rd).toEqual([
      [0, 0], // beq
      [0, 0], // bne
      [0, 0], // addi x0
      [0, 0], // fence
      [0, 0], // lui x0
      [0, 0], // jal x0
      [1, 0x1020], // jal x1
      [5, 0x2000], // lui
      [5, 0x2000], // addi
      [0, 0], // sw
      [6, 0x1020], // lw
      [17, 0],
      [17, 63],
      [10, 0],
      [10, 3],
      [10, -1], // read with a bad fd
      [17, 0],
      [17, 64],
      [10, 0],
      [10, 1],
      [12, 0],
      [12, 0],
      [10, 0], // write of 0 bytes
      [10, 0],
      [10, 9],
      [17, 0],
      [17, 93],
      [0, 0], // exit
    ]);
    const [bad, empty] = run.chunks[0]!.stepRecords.filter((s) => s.io);
    const none = { byte: 0, n: 0, done: 0, bytes: [], last: true, ended: false };
    expect(bad!.io).toEqual({ kind: "read", fd: 3, address: 0, ...none });
    expect(empty!.io).toEqual({ kind: "write", fd: 1, address: 0, ...none });
    expect(bad!.memory).toBeUndefined();
  });

  it("records: false gives the same digests, with and without limits", async () => {
    for (const limits of [{}, { maxPages: 3, maxInputBytes: 2, maxOutputBytes: 5 }]) {
      const a = await executeChunked(image, input, { chunkSize: 9, ...limits });
      const options = { chunkSize: 9, records: false, ...limits };
      const b = await executeChunked(image, input, options);
      await checkChain(image, input, options, b);
      expect(b.chunks.map((c) => c.sOut)).toEqual(a.chunks.map((c) => c.sOut));
      expect(b.chunks.every((c) => c.stepRecords.length === 0 && c.pages.length === 0)).toBe(true);
    }
  });

  it("maxPages = 2 on a program touching 40 pages still forms a valid chain", async () => {
    const img = loadElf(programElf(strided), { memorySize: MEMORY_SIZE });
    const plain = execute(img);
    for (const K of [3, 64]) {
      const options = { chunkSize: K, maxPages: 2 };
      const run = await executeChunked(img, new Uint8Array(), options);
      await checkChain(img, new Uint8Array(), options, run);
      expect(run.cycles).toBe(plain.cycles);
      expect(new Set(run.chunks.flatMap((c) => c.pages.map((pg) => pg.index))).size).toBe(41);
      if (K === 64) {
        // cut before every store to a new page: one chunk per loop iteration
        expect(run.chunks.length).toBe(40);
        expect(run.chunks.filter((c) => c.steps < K && !c.stateOut.halted).length).toBe(39);
      }
    }
  });

  it("maxInputBytes and maxOutputBytes cut a chunk before a byte too many", async () => {
    const K = 10_000;
    const options = { chunkSize: K, maxInputBytes: 2, maxOutputBytes: 3 };
    const run = await executeChunked(image, input, options);
    await checkChain(image, input, options, run);
    expect(run.output).toEqual(execute(image, input).output);
    expect(run.chunks.map((c) => c.inputBytes.length).filter((n) => n > 0)).toEqual([2, 2, 1]);
    // two chunks read 2 bytes each; the third reads the last byte and writes 3; then 7 x 3
    expect(run.chunks.map((c) => c.outputBytes.length)).toEqual([0, 0, ...new Array(8).fill(3)]);
    for (const c of run.chunks) {
      expect(c.steps).toBeLessThan(K);
      // a chunk is only cut when its next step would move one byte too many
      if (!c.stateOut.halted)
        expect(c.inputBytes.length === 2 || c.outputBytes.length === 3).toBe(true);
    }
  });

  it("refuses a chunk size or limit that cannot make progress", async () => {
    const bad: Partial<ChunkOptions>[] = [
      { chunkSize: 0 },
      { chunkSize: 1.5 },
      { maxPages: 1 },
      { maxPages: 2.5 },
      { maxInputBytes: 0 },
      { maxOutputBytes: 0 },
      { maxOutputBytes: -1 },
    ];
    for (const o of bad)
      await expect(executeChunked(image, input, { chunkSize: 10, ...o })).rejects.toThrow(
        RangeError,
      );
  });

  it("the digests depend on the input and the image", async () => {
    const a = await executeChunked(image, input, { chunkSize: 1000 });
    const b = await executeChunked(image, new Uint8Array([1, 2, 3, 4, 6]), { chunkSize: 1000 });
    expect(a.chunks[0]!.sIn).not.toBe(b.chunks[0]!.sIn);
    const other = loadElf(programElf([...li(10, 8), ...exitSeq()]), { memorySize: MEMORY_SIZE });
    expect(await imageId(other)).not.toBe(await imageId(image));
    const same = loadElf(programElf(program), { memorySize: MEMORY_SIZE });
    expect(await imageId(same)).toBe(await imageId(image));
    expect(await imageId(loadElf(programElf(program)))).not.toBe(await imageId(image));
  });
});
