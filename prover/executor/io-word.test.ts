// Word-mode I/O (execute's `io: "word"`, issue 12 item 5): read and write move whole buffers,
// in transfer steps of at most one memory word, and a chunk may end inside a transfer.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { executeChunked, type ChunkOptions } from "./chunks.ts";
import { loadElf } from "./elf.ts";
import { createMachine, execute, runSteps } from "./execute.ts";
import { Trap } from "./trap.ts";
import { ECALL, encI, exitSeq, li, programElf } from "./testing.ts";

const MEMORY_SIZE = 1 << 14;
const addi = (rd: number, rs1: number, imm: number) => encI(imm, rs1, 0, rd, 0x13);
const call = (a7: number, fd: number, buf: number, len: number) => [
  ...li(17, a7),
  ...li(10, fd),
  ...li(11, buf),
  ...li(12, len),
  ECALL,
];
const save = (rd: number) => addi(rd, 10, 0);

// read(0, 0x3001, 10) -> x20; read(0, 0x3001, 10) -> x21 (end of input); write(1, 0x3001,
// 7) -> x22; write(2, 0x3002, 2) -> x23; read(5, ..) -> x24 (-1); write(1, .., 0) -> x25.
const program = [
  ...call(63, 0, 0x3001, 10),
  save(20),
  ...call(63, 0, 0x3001, 10),
  save(21),
  ...call(64, 1, 0x3001, 7),
  save(22),
  ...call(64, 2, 0x3002, 2),
  save(23),
  ...call(63, 5, 0x3001, 10),
  save(24),
  ...call(64, 1, 0x3001, 0),
  save(25),
  ...li(10, 0),
  ...exitSeq(),
];
const image = loadElf(programElf(program), { memorySize: MEMORY_SIZE });
const input = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);

describe("word-mode I/O (whole buffers)", () => {
  it("write moves all len bytes and returns len; read moves min(len, input left)", () => {
    const r = execute(image, input, { io: "word" });
    expect([...r.registers.slice(20, 26)]).toEqual([7, 0, 7, 2, -1, 0]);
    expect([...r.output]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...r.debug]).toEqual([2, 3]);
    // byte mode, the default, still moves one byte per call (what today's chunk proves)
    const b = execute(image, input);
    expect([...b.registers.slice(20, 26)]).toEqual([1, 1, 1, 1, -1, 0]);
    expect([...b.output]).toEqual([2]); // the second read overwrote 0x3001
    // a retired ecall is one cycle in both modes, however many steps its transfer took
    expect(r.cycles).toBe(b.cycles);
  });

  it("records one transfer step per word, with the bytes each moved", async () => {
    const run = await executeChunked(image, input, { chunkSize: 1000, io: "word" });
    const steps = run.chunks.flatMap((c) => c.stepRecords).filter((s) => s.io);
    const io = steps.map((s) => [s.io!.kind, s.io!.done, s.io!.bytes, s.io!.last]);
    expect(io).toEqual([
      // 0x3001..0x3003, 0x3004..0x3007, then 0x3008 finds the input ended: moves nothing
      ["read", 0, [1, 2, 3], false],
      ["read", 3, [4, 5, 6, 7], false],
      ["read", 7, [], true],
      ["read", 0, [], true],
      ["write", 0, [1, 2, 3], false],
      ["write", 3, [4, 5, 6, 7], true],
      ["write", 0, [2, 3], true],
      ["read", 0, [], true],
      ["write", 0, [], true],
    ]);
    // a step's memory record is the one word it moved bytes through
    expect(steps[1]!.memory).toEqual({
      address: 0x3004,
      wordAddress: 0x3004,
      before: 0,
      after: 0x07060504,
      write: true,
    });
    expect(steps[2]!.memory).toBeUndefined();
    // the reads that asked for bytes and found the input's end (not the refused fd 3)
    expect(steps.map((s) => s.io!.ended)).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    // only the last step of a call writes a0 and moves the pc on
    expect(steps.map((s) => s.nextPc === s.pc)).toEqual(io.map(([, , , last]) => !last));
    expect(steps.filter((s) => s.io!.last).map((s) => s.rdValue)).toEqual([7, 0, 7, 2, -1, 0]);
  });

  it("a chunk may end inside a transfer: the chain carries ioDone and the bytes add up", async () => {
    for (const K of [2, 3, 5]) {
      const options: ChunkOptions = { chunkSize: K, io: "word", circuitAccounting: true };
      const run = await executeChunked(image, input, options);
      expect(run.output).toEqual(execute(image, input, { io: "word" }).output);
      expect(run.chunks.flatMap((c) => c.outputBytes)).toEqual([...run.output]);
      expect(run.chunks.flatMap((c) => c.inputBytes)).toEqual([...input]);
      for (const [j, c] of run.chunks.entries()) {
        if (j > 0) expect(c.stateIn).toEqual(run.chunks[j - 1]!.stateOut);
        const before = run.chunks.slice(0, j);
        expect(c.stateIn.outputPosition).toBe(before.flatMap((b) => b.outputBytes).length);
        expect(c.stateIn.inputPosition).toBe(before.flatMap((b) => b.inputBytes).length);
        const first = c.stepRecords[0]!;
        expect(first.io?.done ?? 0).toBe(c.stateIn.ioDone);
      }
      const inside = run.chunks.filter((c) => c.stateOut.ioDone! > 0);
      expect(inside.length).toBeGreaterThan(0);
    }
  });

  it("the committed guests give the same output and exit in both modes", () => {
    const elf = (name: string) =>
      loadElf(
        new Uint8Array(readFileSync(new URL(`../../guests/elf/${name}.elf`, import.meta.url))),
      );
    const inputs: [string, Uint8Array][] = [
      ["fibonacci", Uint8Array.from([20, 0, 0, 0])],
      ["sha256", Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255)],
      ["sort", Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255)],
      ["allinsn", new Uint8Array(0)],
    ];
    for (const [name, inp] of inputs) {
      const img = elf(name);
      const a = execute(img, inp);
      const b = execute(img, inp, { io: "word" });
      expect([name, b.exitCode, [...b.output]]).toEqual([name, a.exitCode, [...a.output]]);
      // the runtime's loops make fewer calls when each call moves more
      if (inp.length > 4) expect(b.cycles).toBeLessThan(a.cycles);
    }
  });

  it("a bad buffer traps at its first bad word, before that word's bytes move", () => {
    // write(1, MEMORY_SIZE - 6, 12): 6 bytes in RAM, then the end of memory
    const off = loadElf(programElf([...call(64, 1, MEMORY_SIZE - 6, 12), ...exitSeq()]), {
      memorySize: MEMORY_SIZE,
    });
    const m = createMachine(off, input, { io: "word" }, false);
    const e = (() => {
      try {
        runSteps(m, Infinity);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(Trap);
    expect((e as Trap).cause).toBe("access-fault");
    // the two words inside memory moved (2 + 4 bytes); nothing of the one past its end
    expect([m.output.len, m.ioDone]).toEqual([6, 6]);
    // read into the code (at 0x1000): refused as a store to code
    const code = loadElf(programElf([...call(63, 0, 0x1002, 4), ...exitSeq()]), {
      memorySize: MEMORY_SIZE,
    });
    expect(() => execute(code, input, { io: "word" })).toThrow(/store-to-code/);
  });

  it("refuses input/output limits below one word's bytes", async () => {
    for (const limit of [{ maxInputBytes: 3 }, { maxOutputBytes: 1 }]) {
      await expect(
        executeChunked(image, input, { chunkSize: 8, io: "word", ...limit }),
      ).rejects.toThrow(RangeError);
    }
  });
});
