import { readFileSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { executeChunked } from "../prover/executor/chunks.ts";
import { getPoseidon, merkleRootFromPath, pageHash } from "../prover/executor/digest.ts";
import { loadElf } from "../prover/executor/elf.ts";
import { execute } from "../prover/executor/execute.ts";

const elf = (name: string) =>
  loadElf(new Uint8Array(readFileSync(new URL(`elf/${name}.elf`, import.meta.url))));
const le32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

describe("guest ELFs built by guests/build.sh", () => {
  it("fibonacci matches a TypeScript computation", () => {
    const image = elf("fibonacci");
    for (const n of [0, 1, 2, 20, 47, 100, 1000]) {
      let a = 0,
        b = 1;
      for (let i = 0; i < n; i++) [a, b] = [b, (a + b) >>> 0];
      const r = execute(image, le32(n));
      expect(r.exitCode).toBe(0);
      expect(r.output).toEqual(le32(a));
    }
  });

  it("sha256 of the input matches @noble/hashes", () => {
    const image = elf("sha256");
    for (const len of [0, 3, 55, 56, 63, 64, 65, 1000, 5000]) {
      const input = Uint8Array.from({ length: len }, (_, i) => (i * 131 + 7) & 255);
      const r = execute(image, input);
      expect(r.exitCode).toBe(0);
      expect(r.output).toEqual(sha256(input));
    }
  });

  it("sort orders the input words like Array.prototype.sort", () => {
    const image = elf("sort");
    for (const n of [0, 1, 2, 100, 3000]) {
      const words = Uint32Array.from(
        { length: n },
        (_, i) => (Math.imul(i + 1, 2654435761) ^ (i << 7)) >>> 0,
      );
      const r = execute(image, new Uint8Array(words.buffer));
      expect(r.exitCode).toBe(0);
      expect(new Uint32Array(r.output.slice().buffer)).toEqual(words.slice().sort());
    }
  });

  it("ledger applies valid transfers and hashes balances like a TS model", () => {
    const image = elf("ledger");
    const n = 17;
    const words: number[] = [n];
    for (let i = 0; i < n; i++) words.push(i * 100);
    for (let k = 0; k < 300; k++) words.push((k * 7) % 19, (k * 13) % 18, (k * 37) % 250);
    const bal = words.slice(1, n + 1);
    let applied = 0;
    for (let k = n + 1; k + 2 < words.length; k += 3) {
      const [from, to, amount] = [words[k]!, words[k + 1]!, words[k + 2]!];
      if (from >= n || to >= n || bal[from]! < amount) continue;
      bal[from]! -= amount;
      bal[to]! += amount;
      applied++;
    }
    let h = 2166136261;
    for (const b of new Uint8Array(Uint32Array.from(bal).buffer))
      h = Math.imul(h ^ b, 16777619) >>> 0;
    const r = execute(image, new Uint8Array(Uint32Array.from(words).buffer));
    expect(r.exitCode).toBe(0);
    expect([...new Uint32Array(r.output.slice().buffer)]).toEqual([applied, h]);
    expect(applied).toBeGreaterThan(10);
  });

  it("allinsn: every R-type/M instruction and branch on edge values matches a BigInt model", () => {
    const E = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 31, 32, 0xfffffff9];
    const u = (x: number) => BigInt(x >>> 0);
    const s = (x: number) => BigInt(x | 0);
    const w = (x: bigint) => Number(BigInt.asUintN(32, x));
    const MIN = 0x80000000;
    const ops: ((a: number, b: number) => number)[] = [
      (a, b) => w(u(a) + u(b)),
      (a, b) => w(u(a) - u(b)),
      (a, b) => w(u(a) << (u(b) & 31n)),
      (a, b) => (s(a) < s(b) ? 1 : 0),
      (a, b) => (u(a) < u(b) ? 1 : 0),
      (a, b) => w(u(a) ^ u(b)),
      (a, b) => w(u(a) >> (u(b) & 31n)),
      (a, b) => w(s(a) >> (u(b) & 31n)),
      (a, b) => w(u(a) | u(b)),
      (a, b) => w(u(a) & u(b)),
      (a, b) => w(u(a) * u(b)),
      (a, b) => w((s(a) * s(b)) >> 32n),
      (a, b) => w((s(a) * u(b)) >> 32n),
      (a, b) => w((u(a) * u(b)) >> 32n),
      (a, b) => (b === 0 ? 0xffffffff : a === MIN && b === 0xffffffff ? MIN : w(s(a) / s(b))),
      (a, b) => (b === 0 ? 0xffffffff : w(u(a) / u(b))),
      (a, b) => (b === 0 ? a : a === MIN && b === 0xffffffff ? 0 : w(s(a) % s(b))),
      (a, b) => (b === 0 ? a : w(u(a) % u(b))),
    ];
    const branches: ((a: number, b: number) => boolean)[] = [
      (a, b) => a === b,
      (a, b) => a !== b,
      (a, b) => s(a) < s(b),
      (a, b) => s(a) >= s(b),
      (a, b) => u(a) < u(b),
      (a, b) => u(a) >= u(b),
    ];
    // The guest folds every result into h = (h ^ x) * 16777619 mod 2^32 (see allinsn.c).
    let h = 2166136261;
    const fold = (x: number) => (h = Math.imul((h ^ x) >>> 0, 16777619) >>> 0);
    for (const a of E) for (const b of E) for (const op of ops) fold(op(a, b));
    const F = E.slice(0, 5);
    for (const a of F) for (const b of F) for (const br of branches) fold(br(a, b) ? 1 : 0);
    const r = execute(elf("allinsn"));
    expect(r.exitCode).toBe(0);
    expect([...new Uint32Array(r.output.slice().buffer)]).toEqual([h]);
  });

  it("chunked sha256 run has the same output and a connected chain", async () => {
    const image = elf("sha256");
    const input = new TextEncoder().encode("abc");
    const run = await executeChunked(image, input, { chunkSize: 1000, records: false });
    expect(run.output).toEqual(sha256(input));
    for (let j = 0; j + 1 < run.chunks.length; j++)
      expect(run.chunks[j]!.sOut).toBe(run.chunks[j + 1]!.sIn);
  });

  it("chunked ledger run with page and I/O limits: chain, limits, page proofs", async () => {
    const image = elf("ledger");
    const words = [3, 50, 0, 7, 0, 1, 20, 1, 2, 5, 2, 0, 100];
    const input = new Uint8Array(Uint32Array.from(words).buffer);
    const options = { chunkSize: 500, maxPages: 6, maxInputBytes: 8, maxOutputBytes: 4 };
    const run = await executeChunked(image, input, options);
    expect(run.output).toEqual(execute(image, input).output);
    const p = await getPoseidon();
    for (const [j, c] of run.chunks.entries()) {
      if (j > 0) expect(c.sIn).toBe(run.chunks[j - 1]!.sOut);
      expect(c.steps).toBeLessThanOrEqual(500);
      expect(c.pages.length).toBeLessThanOrEqual(6);
      expect(c.inputBytes.length).toBeLessThanOrEqual(8);
      expect(c.outputBytes.length).toBeLessThanOrEqual(4);
      let root = c.stateIn.memoryRoot;
      for (const pg of c.pages) {
        expect(merkleRootFromPath(p, pageHash(p, pg.before), pg.index, pg.siblings)).toBe(root);
        root = merkleRootFromPath(p, pageHash(p, pg.after), pg.index, pg.siblings);
      }
      expect(root).toBe(c.stateOut.memoryRoot);
    }
    expect(run.chunks.at(-1)!.stateOut.halted).toBe(true);
    expect(run.chunks.flatMap((c) => c.outputBytes)).toEqual([...run.output]);
  });
});
