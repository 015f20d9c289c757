/**
 * circuits/zkvm/versions.circom (issue 12's cross-chunk memory argument, not yet wired into
 * the chunk circuit), compiled alone: its constraint count per cell slot, its sum equal to the
 * reference model's (prover/executor/versions.ts) on real chunks, and the witnesses a cheating
 * prover would try refused — a version not older than the chunk (or older than 2^TB chunks), a
 * cell paged twice or out of order, a register out of its fixed slot, a gap in the used slots,
 * values out of range, and every hint (the inverses) forged; and a "negative" version time,
 * which the gadget lets through, shown to consume an element nobody produces.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadElf } from "../prover/executor/elf.ts";
import { getPoseidon } from "../prover/executor/digest.ts";
import {
  chunkCommitment,
  executeVersioned,
  logDerivativeSum,
  element,
  R,
  REGISTERS,
  TIME_BITS,
  versionTime,
  type VersionedChunk,
} from "../prover/executor/versions.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator } from "../prover/zkvm/mutation.ts";
import { compileVariant, PATH_BASE } from "../prover/zkvm/mutation-variants.ts";

const NC = 256;
const CB = 24;
const TB = TIME_BITS;
const GAMMA = 0x2b1f9c7d_4e8a0163_5d2c9b7e_a1f04386_97e5c2d1_0b6a4f38_e2d19c75_3a8b6e4fn % R;

type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;
let wc: Wc;
let chunks: VersionedChunk[];

function inputsOf(c: VersionedChunk, hov = [0n, 0n, 0n, 0n, 0n, 0n]) {
  const pad = <T>(xs: T[], z: T) => [...xs, ...Array<T>(NC - xs.length).fill(z)];
  return {
    gamma: GAMMA,
    t: BigInt(versionTime(c)),
    used: pad(
      c.cells.map(() => 1n),
      0n,
    ),
    cell: pad(
      c.cells.map((x) => BigInt(x.cell)),
      0n,
    ),
    vin: pad(
      c.cells.map((x) => BigInt(x.vin)),
      0n,
    ),
    tin: pad(
      c.cells.map((x) => BigInt(x.tin)),
      0n,
    ),
    vout: pad(
      c.cells.map((x) => BigInt(x.vout)),
      0n,
    ),
    hov,
  };
}

/** The chunk's share of the job-wide sum, from the model. */
function modelShare(c: VersionedChunk): bigint {
  const xs: bigint[] = [];
  const signs: number[] = [];
  for (const x of c.cells) {
    xs.push(element(x.cell, x.vout, versionTime(c)), element(x.cell, x.vin, x.tin));
    signs.push(1, -1);
  }
  return logDerivativeSum(GAMMA, xs, signs);
}

/** The constraint count of `template(params)` in versions.circom, compiled with --O2. */
async function constraintsOf(template: string, params: number[], label: string): Promise<number> {
  const v = await compileVariant(
    {
      file: "circuits/zkvm/versions.circom",
      template,
      params,
      publicInputs: template === "CellVersions" ? ["gamma"] : [],
      label,
      r1cs: true,
      optimization: "O2",
    },
    { cacheDir: defaultCacheDir() },
  );
  return ((await snarkjs.r1cs.info(v.r1csPath!)) as { nConstraints: number }).nConstraints;
}

async function sumOf(inputs: ReturnType<typeof inputsOf>): Promise<bigint> {
  const w = await wc.calculateWitness(inputs as never, true);
  return BigInt(w[1]!); // the first output
}

async function refused(inputs: ReturnType<typeof inputsOf>): Promise<void> {
  await expect(wc.calculateWitness(inputs as never, true)).rejects.toThrow();
}

beforeAll(async () => {
  const common = {
    file: "circuits/zkvm/versions.circom",
    template: "CellVersions",
    params: [NC, CB, TB, 1],
    publicInputs: ["gamma"],
  };
  const cacheDir = defaultCacheDir();
  // The instrumented build (every `<--` overridable through `hov`) for the witnesses; an
  // --O2 build for the constraint count.
  const v = await compileVariant(
    { ...common, label: "versions-instrumented", instrument: true },
    { cacheDir },
  );
  wc = await loadWitnessCalculator(v.wasmPath);
  const sha = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", "sha256.elf")));
  chunks = executeVersioned(sha, new Uint8Array(300).fill(7), 1024).chunks;
}, 600_000);

describe("the versioned-cells gadget (issue 12, alone)", () => {
  it("costs a bounded number of constraints per cell slot (printed)", async () => {
    // With vout range-checked here (alone), and without (as the chunk will use it: its
    // memory check hands over values it range-checked already).
    const perSlot: number[] = [];
    for (const voutChecked of [1, 0]) {
      const n = await constraintsOf(
        "CellVersions",
        [NC, CB, TB, voutChecked],
        `versions-o2-${voutChecked}`,
      );
      perSlot.push(n / NC);
      console.log(
        `CellVersions(${NC}, ${CB}, ${TB}, vout checked ${voutChecked}): ${n} constraints, ${(n / NC).toFixed(1)} per cell slot`,
      );
    }
    // A memory slot: used, prefix, order (CB), vin (32), vout (32 or 0), age (TB), 2 elements,
    // 2 inverses; a register slot has no order check and no used flag.
    expect(perSlot[0]).toBeLessThanOrEqual(2 + CB + 32 + 32 + TB + 4 + 2);
    expect(perSlot[1]).toBeLessThanOrEqual(perSlot[0]! - 31);
  }, 600_000);

  it("outputs the model's share of the sum on real chunks", async () => {
    expect(Math.max(...chunks.map((c) => c.cells.length))).toBeLessThanOrEqual(NC);
    for (const c of [chunks[0]!, chunks[1]!, chunks[chunks.length - 1]!])
      expect(await sumOf(inputsOf(c))).toBe(modelShare(c));
  });

  it("refuses a version not older than the chunk (a read from the future)", async () => {
    const c = structuredClone(chunks[1]!);
    c.cells[40]!.tin = versionTime(c);
    await refused(inputsOf(c));
  });

  it("refuses a cell paged twice, or out of order", async () => {
    const twice = structuredClone(chunks[1]!);
    twice.cells.splice(40, 0, { ...twice.cells[40]! });
    await refused(inputsOf(twice));
    const swapped = structuredClone(chunks[1]!);
    [swapped.cells[40], swapped.cells[41]] = [swapped.cells[41]!, swapped.cells[40]!];
    await refused(inputsOf(swapped));
  });

  it("refuses a gap in the used slots and a value or time out of range", async () => {
    const c = chunks[1]!;
    const gap = inputsOf(c);
    gap.used[40] = 0n;
    await refused(gap);
    const big = inputsOf(c);
    big.vin[5] = 1n << 32n;
    await refused(big);
    const old = structuredClone(c);
    old.cells[40]!.tin = versionTime(c) - 1 - 2 ** TB; // older than 2^TB chunks: not a time
    await refused(inputsOf(old));
    const unusedValue = inputsOf(c);
    unusedValue.vout[NC - 1] = 1n << 32n;
    await refused(unusedValue);
  });

  it("refuses a register out of its slot", async () => {
    const c = chunks[1]!;
    const moved = inputsOf(c);
    moved.cell[3] = 4n;
    await refused(moved);
    const unpaged = inputsOf(c);
    unpaged.used[REGISTERS - 1] = 0n;
    await refused(unpaged);
    const noMemory = inputsOf(c);
    noMemory.cell[REGISTERS] = BigInt(REGISTERS - 1); // a register again, as a memory cell
    await refused(noMemory);
  });

  it('takes a "negative" tin as the consumption of an element no producer emits', async () => {
    // The gadget range-checks t − 1 − tin, not tin (versions.circom says why): tin = r − 1
    // passes, and the share it outputs consumes cell + 2^32·vin − 2^64, an element with no
    // producer — the model's test shows the job-wide sum cannot balance then.
    const c = structuredClone(chunks[1]!);
    c.cells[40]!.tin = -1;
    const inputs = inputsOf(c);
    inputs.tin[40] = R - 1n;
    expect(await sumOf(inputs)).toBe(modelShare(c));
    expect(element(c.cells[40]!.cell, c.cells[40]!.vin, -1) < 0n).toBe(true);
  });

  it("refuses every forged inverse: on a used slot, and on an unused one", async () => {
    const c = chunks[1]!;
    const path = 1n; // the main component itself
    const site = (statement: number, k: number) => BigInt(1024 * statement + k);
    // invIn[3] (statement 0) and invOut[3] (statement 1) of a used slot, off by one.
    const honest = await wc.calculateWitness(inputsOf(c) as never, true);
    expect(honest.length).toBeGreaterThan(0);
    for (const statement of [0, 1])
      await refused(inputsOf(c, [path, site(statement, 3), 12345n, 0n, 0n, 0n]));
    // An unused slot's inverse made non-zero would shift the sum at will.
    for (const statement of [0, 1])
      await refused(inputsOf(c, [path, site(statement, NC - 1), 1n, 0n, 0n, 0n]));
    // (With both hints of one slot overridden the same way the sum still cannot move.)
    await refused(inputsOf(c, [path, site(0, NC - 2), 7n, path, site(1, NC - 2), 7n]));
    expect(PATH_BASE).toBe(1n << 24n);
  });
});

describe("the chunk's commitment to its cells (issue 12, alone)", () => {
  let cc: Wc;
  const commitInputs = (c: VersionedChunk) => {
    const { gamma: _g, hov: _h, ...rest } = inputsOf(c);
    return rest;
  };
  const commitmentOf = async (inputs: ReturnType<typeof commitInputs>) =>
    BigInt((await cc.calculateWitness(inputs as never, true))[1]!);

  beforeAll(async () => {
    const v = await compileVariant(
      {
        file: "circuits/zkvm/versions.circom",
        template: "CellCommitment",
        params: [NC, TB],
        publicInputs: [],
        label: "commitment",
      },
      { cacheDir: defaultCacheDir() },
    );
    cc = await loadWitnessCalculator(v.wasmPath);
  }, 600_000);

  it("costs a few constraints per cycle (printed)", async () => {
    const n = await constraintsOf("CellCommitment", [NC, TB], "commitment-o2");
    console.log(
      `CellCommitment(${NC}, ${TB}): ${n} constraints, ${(n / NC).toFixed(1)} per cell slot, ${(n / 1024).toFixed(1)} per cycle at K = 1,024`,
    );
    expect(n / 1024).toBeLessThan(8);
  }, 600_000);

  it("equals the delegator's commitment (the model's) on real chunks", async () => {
    const p = await getPoseidon();
    for (const c of [chunks[0]!, chunks[1]!, chunks[chunks.length - 1]!])
      expect(await commitmentOf(commitInputs(c))).toBe(chunkCommitment(p, c, NC));
  });

  it("binds every part of every used slot, and nothing of an unused one", async () => {
    const c = chunks[1]!;
    const honest = await commitmentOf(commitInputs(c));
    const used = c.cells.length;
    for (const slot of [0, 31, 40, used - 1])
      for (const part of ["cell", "vin", "tin", "vout"] as const) {
        const x = commitInputs(c);
        x[part][slot] = x[part][slot]! + 1n;
        expect(await commitmentOf(x), `${part}[${slot}]`).not.toBe(honest);
      }
    // An unused slot's values are not part of the sum, and not of the commitment either:
    // whatever a prover puts there, C is the one everybody recomputes.
    const junk = commitInputs(c);
    junk.cell[NC - 1] = 12345n;
    junk.vin[NC - 1] = 7n;
    junk.vout[NC - 1] = 9n;
    expect(await commitmentOf(junk)).toBe(honest);
  });
});
