/**
 * The versioned-cells memory argument (issue 12's design, reference model): the honest run of
 * every committed guest balances, and chunks that each look fine alone but disagree about
 * memory do not — a value never written, a write dropped between chunks, a version consumed
 * before it exists; and the boundary rule that stops a second image version is what makes the
 * stale read fail (shown by removing it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUEST_INPUTS } from "../../test/helpers/guests.ts";
import { REPO_ROOT } from "../setup/registry.ts";
import { loadElf } from "./elf.ts";
import { execute } from "./execute.ts";
import {
  checkBoundary,
  checkChunkCells,
  executeVersioned,
  R,
  REGISTERS,
  versionBalance,
  versionTime,
  VersionError,
  verifyVersions,
  type VersionedChunk,
  type VersionedRun,
} from "./versions.ts";

const elf = (g: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${g}.elf`)));
/** A γ nobody chose: fixed random bits (the network derives it from the proofs' commitments). */
const GAMMA = 0x1d7c3e9f_52a8b4c1_9e0f6d23_7a5b8c91_44e2f0a7_b36d18c5_0f9a2e71_6c4d3b85n % R;

const clone = (r: VersionedRun): VersionedRun => structuredClone(r);
const balances = (r: VersionedRun) => versionBalance(r.chunks, r.boundary, GAMMA) === 0n;

/**
 * A RAM cell that chunk `j` pages in and an earlier chunk `i` wrote (changed its value); with
 * `firstToucher`, one whose writer `i` took it from the image.
 */
function crossChunkWrite(r: VersionedRun, firstToucher = false) {
  const lastWrite = new Map<number, number>();
  for (let j = 0; j < r.chunks.length; j++) {
    for (const x of r.chunks[j]!.cells) {
      if (x.cell < REGISTERS) continue;
      const i = lastWrite.get(x.cell);
      if (i === undefined || versionTime(r.chunks[i]!) !== x.tin) continue;
      if (firstToucher && r.chunks[i]!.cells.find((c) => c.cell === x.cell)!.tin !== 0) continue;
      return { i, j, cell: x.cell };
    }
    for (const x of r.chunks[j]!.cells) if (x.vin !== x.vout) lastWrite.set(x.cell, j);
  }
  throw new Error("no cell written in one chunk and read in a later one");
}

describe("versioned cells (issue 12 design, reference model)", () => {
  const runs = new Map<string, VersionedRun>();
  const bigSha = new Uint8Array(2000).map((_, i) => (i * 7) & 0xff);

  it("balances on every committed guest, at K = 8 and K = 1,024, with the plain run's result", () => {
    const cases: [string, Uint8Array][] = [...Object.entries(GUEST_INPUTS), ["sha256", bigSha]];
    for (const [g, input] of cases)
      for (const k of [8, 1024]) {
        const image = elf(g);
        const r = executeVersioned(image, input, k);
        const plain = execute(image, input);
        expect(r.result.output).toEqual(plain.output);
        expect(r.result.cycles).toBe(plain.cycles);
        expect(r.chunks.reduce((s, c) => s + (c.end - c.start), 0)).toBe(plain.cycles);
        verifyVersions(r.chunks, r.boundary, GAMMA);
        // Each chunk's consumed version is exactly the previous toucher's produced one.
        const last = new Map<number, { v: number; t: number }>();
        for (const b of r.boundary) last.set(b.cell, { v: b.image, t: 0 });
        for (const c of r.chunks)
          for (const x of c.cells) {
            expect({ v: x.vin, t: x.tin }).toEqual(last.get(x.cell));
            last.set(x.cell, { v: x.vout, t: versionTime(c) });
          }
        for (const b of r.boundary) expect({ v: b.vlast, t: b.tlast }).toEqual(last.get(b.cell));
        runs.set(`${g}/${k}/${input.length}`, r);
      }
    expect(runs.get("sha256/1024/2000")!.chunks.length).toBeGreaterThan(100);
  });

  it("attack: a chunk reads a value never written (one paged-in value changed)", () => {
    const r = clone(runs.get("sha256/8/2")!);
    const { j, cell } = crossChunkWrite(r);
    const x = r.chunks[j]!.cells.find((c) => c.cell === cell)!;
    x.vin = (x.vin + 1) >>> 0;
    expect(balances(r)).toBe(false);
    expect(() => verifyVersions(r.chunks, r.boundary, GAMMA)).toThrow(/do not balance/);
  });

  it("attack: a write dropped between chunks (a later chunk pages in the version before it)", () => {
    const r = clone(runs.get("sha256/8/2")!);
    const { i, j, cell } = crossChunkWrite(r);
    const written = r.chunks[i]!.cells.find((c) => c.cell === cell)!;
    const x = r.chunks[j]!.cells.find((c) => c.cell === cell)!;
    // The stale read: chunk j takes what chunk i consumed, as if i had never written.
    x.vin = written.vin;
    x.tin = written.tin;
    checkChunkRulesStillHold(r.chunks[j]!);
    expect(balances(r)).toBe(false);
  });

  it("refuses a second image version of a cell; without that rule a stale image read balances", () => {
    const r = clone(runs.get("sha256/8/2")!);
    // A cell whose first toucher wrote it and a later chunk paged it in from that write.
    const { i, j, cell } = crossChunkWrite(r, true);
    const first = r.chunks[i]!.cells.find((c) => c.cell === cell)!;
    expect(first.tin).toBe(0);
    const x = r.chunks[j]!.cells.find((c) => c.cell === cell)!;
    const skipped = { v: x.vin, t: x.tin };
    // Chunk j reads the image value instead of chunk i's write…
    x.vin = first.vin;
    x.tin = 0;
    expect(balances(r)).toBe(false);
    // …which balances if the boundary may list the cell twice: a second image version for j
    // to consume, and a second "last version" consuming what j skipped.
    const b = r.boundary.findIndex((c) => c.cell === cell);
    r.boundary.splice(b, 0, { cell, image: first.vin, vlast: skipped.v, tlast: skipped.t });
    expect(balances(r)).toBe(true);
    expect(() => checkBoundary(r.boundary)).toThrow(/not strictly increasing/);
    expect(() => verifyVersions(r.chunks, r.boundary, GAMMA)).toThrow(VersionError);
  });

  it("attack: a read from the future balances the sum; only the time rule refuses it", () => {
    const r = clone(runs.get("sha256/8/2")!);
    // The last three touchers a < b < c of one RAM cell, where c's value differs from the one b
    // should read.
    const touchers = new Map<number, number[]>();
    for (let k = 0; k < r.chunks.length; k++)
      for (const x of r.chunks[k]!.cells)
        if (x.cell >= REGISTERS) touchers.set(x.cell, [...(touchers.get(x.cell) ?? []), k]);
    let found: { cell: number; a: number; b: number; c: number } | undefined;
    for (const [cell, ks] of touchers) {
      if (ks.length < 3) continue;
      const [a, b, c] = ks.slice(-3) as [number, number, number];
      const at = (k: number) => r.chunks[k]!.cells.find((x) => x.cell === cell)!;
      if (at(c).vout !== at(b).vin) {
        found = { cell, a, b, c };
        break;
      }
    }
    const { cell, a, b, c } = found!;
    const at = (k: number) => r.chunks[k]!.cells.find((x) => x.cell === cell)!;
    const fin = r.boundary.find((x) => x.cell === cell)!;
    expect(fin.tlast).toBe(versionTime(r.chunks[c]!)); // c is the last toucher
    // b reads what c will write; the boundary takes a's version as the last one instead.
    const aOut = { v: at(a).vout, t: versionTime(r.chunks[a]!) };
    at(b).vin = at(c).vout;
    at(b).tin = versionTime(r.chunks[c]!);
    fin.vlast = aOut.v;
    fin.tlast = aOut.t;
    expect(balances(r)).toBe(true);
    expect(() => verifyVersions(r.chunks, r.boundary, GAMMA)).toThrow(/not before/);
  });

  it("refuses a chunk consuming a version that is not older than itself, or a cell twice", () => {
    const r = clone(runs.get("fibonacci/8/4")!);
    const c = r.chunks[3]!;
    const x = c.cells[REGISTERS]!;
    x.tin = versionTime(c);
    expect(() => verifyVersions(r.chunks, r.boundary, GAMMA)).toThrow(/not before/);
    const r2 = clone(runs.get("fibonacci/8/4")!);
    const c2 = r2.chunks[3]!;
    c2.cells.splice(REGISTERS, 0, { ...c2.cells[REGISTERS]! });
    expect(() => verifyVersions(r2.chunks, r2.boundary, GAMMA)).toThrow(/strictly increasing/);
  });

  it('refuses a version at a "negative" time (r − j) by the sum: the chunk checks no tin >= 0', () => {
    // The circuit range-checks t − 1 − tin, not tin: tin = −j (the field element r − j) passes
    // the chunk's own rules, packs to cell + 2^32·v − 2^64·j, which no producer emits (every
    // produced element is cell + 2^32·v + 2^64·t with all three in range, below r), so the
    // job-wide sum cannot balance — whatever value the chunk claims for it.
    const r = clone(runs.get("sort/8/12")!);
    const c = r.chunks[5]!;
    const x = c.cells[REGISTERS + 1]!;
    for (const j of [1, 2 ** 20]) {
      const forged = clone(r);
      const y = forged.chunks[5]!.cells[REGISTERS + 1]!;
      y.tin = -j;
      expect(() => checkChunkCells(forged.chunks[5]!)).not.toThrow();
      expect(balances(forged)).toBe(false);
    }
    expect(x.tin).toBeGreaterThanOrEqual(0);
    expect(balances(r)).toBe(true);
  });

  it("refuses a run whose last chunk's writes are dropped (the boundary consumes older versions)", () => {
    const r = clone(runs.get("sort/8/12")!);
    const b = r.boundary.find((x) => x.tlast > 1 && x.cell >= REGISTERS)!;
    const toucher = r.chunks.find((c) => versionTime(c) === b.tlast)!;
    const x = toucher.cells.find((c) => c.cell === b.cell)!;
    b.vlast = x.vin;
    b.tlast = x.tin;
    expect(balances(r)).toBe(false);
  });
});

/** The stale read breaks no single chunk's own rules: only the job-wide sum sees it. */
function checkChunkRulesStillHold(c: VersionedChunk): void {
  const t = versionTime(c);
  for (const x of c.cells) expect(x.tin).toBeLessThan(t);
}
