/**
 * Whole jobs under the versioned-cells design (issue 12; not wired into the network yet): the
 * full chunk (circuits/zkvm/chunk2.circom, `Chunk2`: the core between two state digests, with
 * its public inputs), the input and output proofs (io.circom), the boundary proof's share (the
 * model's: its circuit is not built yet), and the verifier's checks beyond the proofs
 * (prover/zkvm/verify2.ts). Every proof's witness is computed and checked against its
 * constraints (no Groth16 here: the keys of a K = 8 chunk add nothing the witness does not).
 *
 * The protocol as a delegator and the verifier run it: round 1, each chunk's first witness
 * gives its commitment (the core's transcript) and lookup counts; the verifier's gammaJob is
 * derived from every chunk's sIn and commitment and the I/O proofs' public values; round 2,
 * each proof is computed at that gammaJob and outputs its share of the job-wide sum.
 *
 * - three committed guests (fibonacci, sort, ledger: reads, writes), every chunk accepted, the
 *   chain from the image's entry to the halted final state, the shares summing to 0;
 * - what no single chunk can catch, each accepted by its own chunk and refused by the job:
 *   a chunk that reads a value never written (a register's paged-in value changed where the
 *   chunk only overwrites it), a write dropped between chunks (a chunk taking the version
 *   before the last write), proofs at a gammaJob not derived from the commitments, chunks out
 *   of order, a chunk starting inside a transfer that never began;
 * - refused by the chunk itself: a commitment that is not its transcript (one that omits an
 *   advice value), another cycle count, a state digest that is not its state's.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  executeChunked,
  getPoseidon,
  imageOpening,
  loadElf,
  imageIdOf,
  MemoryTree,
  type ChunkRecord,
  type ImageOpening,
  type ProgramImage,
} from "../prover/executor/index.ts";
import { inputClaim } from "../prover/executor/io-elements.ts";
import { element, logDerivativeSum, R } from "../prover/executor/versions.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator, witnessOrNull } from "../prover/zkvm/mutation.ts";
import { compileVariant, readSymbols } from "../prover/zkvm/mutation-variants.ts";
import {
  jobGamma,
  Job2Error,
  verifyJob2,
  type Chunk2Public,
  type Job2,
} from "../prover/zkvm/verify2.ts";
import {
  boundaryInputs,
  chunk2Inputs,
  chunk2Limits,
  countLookups,
  nPlain,
  JobVersions,
  state2Fields,
  type Chunk2CoreConfig,
} from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const CFG: Chunk2CoreConfig = { K: 8, NC: 96, TB: 6, M: 20, MB: 16, NM: 2 };
const NPLAIN = nPlain(CFG.TB);
const MAXB = 64;
const PUBLIC = [
  "sIn",
  "sOut",
  "imageId",
  "prover",
  "cyclesRetired",
  "commitment",
  "gammaJob",
  "jobSum",
] as const;
const CHAIN = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  jobId: 7n,
} as const;
const PROVER = 0xa11cen;
/** Round 1's stand-in for gammaJob (the transcript does not depend on it; a witness needs one). */
const ROUND1_GAMMA =
  0x2f6b_91c4_07de_35a8_c1e2_4b7d_9a06_3f58_e4c7_12b9_d0a3_6e85_17f2_c94b_3a60_8d1en % (1n << 250n);
const SOME_GAMMA =
  0x1b7e_52d9_a08c_64f3_3e91_c7a2_5d04_b86e_f139_2ac5_7e80_d46b_9c13_f2a7_0e58_c3b9n % (1n << 250n);

type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;
interface Build {
  wc: Wc;
  sym: Map<string, number>;
}
let probe: Build;
let checked: Build;
let inputProof: Build;
let outputProof: Build;
let boundary: Build;
/** Pages the boundary proof lists at most (the guests below touch fewer). */
const NP = 24;
let p: Awaited<ReturnType<typeof getPoseidon>>;

async function build(
  file: string,
  template: string,
  params: number[],
  publicInputs: string[],
  label: string,
  noAsserts = false,
  optimization?: "O2",
): Promise<Build> {
  const v = await compileVariant(
    {
      file,
      template,
      params,
      publicInputs,
      label,
      sym: true,
      noAsserts,
      ...(optimization ? { optimization, r1cs: true } : {}),
    },
    { cacheDir: defaultCacheDir() },
  );
  return { wc: await loadWitnessCalculator(v.wasmPath), sym: await readSymbols(v.symPath!) };
}

const signalOf = (b: Build, w: bigint[]) => (n: string) => {
  const i = b.sym.get(`main.${n}`);
  if (i === undefined) throw new Error(`no signal ${n}`);
  return w[i]!;
};
const dec = (v: bigint | number) => BigInt(v).toString();

/** A job as a prover prepares it: each chunk's inputs (round 1 done), and its run. */
interface Prepared {
  name: string;
  image: ProgramImage;
  opening: ImageOpening;
  chunks: ChunkRecord[];
  input: Uint8Array;
  output: Uint8Array;
  /** Each chunk's inputs with its counts and commitment, at gammaJob 0 (not yet drawn). */
  inputs: Record<string, unknown>[];
  versions: JobVersions;
}

async function prepare(name: string, input: Uint8Array): Promise<Prepared> {
  const image = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${name}.elf`)));
  const opening = await imageOpening(image);
  const run = await executeChunked(image, input, chunk2Limits(CFG.K));
  const versions = new JobVersions(image);
  const inputs: Record<string, unknown>[] = [];
  for (const chunk of run.chunks) {
    const ctx = versions.context(chunk.index + 1, ROUND1_GAMMA, PROVER);
    const x = chunk2Inputs(p, CFG, opening, chunk, ctx);
    versions.record(x);
    inputs.push(await round1(x));
  }
  return { name, image, opening, chunks: run.chunks, input, output: run.output, inputs, versions };
}

/** Round 1: the counts and the commitment (the transcript), from a witness without asserts. */
async function round1(x: Record<string, unknown>): Promise<Record<string, unknown>> {
  const w = await probe.wc.calculateWitness(x as never, true);
  const m = countLookups(CFG, NPLAIN, (n) => signalOf(probe, w)(`core.${n}`));
  const counted = { ...x, m };
  const w2 = await probe.wc.calculateWitness(counted as never, true);
  return { ...counted, commitment: dec(signalOf(probe, w2)("core.transcript")) };
}

/** Round 2: the share at gammaJob; the inputs a chunk proof is made from. */
async function round2(x: Record<string, unknown>, gamma: bigint): Promise<Record<string, unknown>> {
  const at = { ...x, gammaJob: dec(gamma) };
  const w = await probe.wc.calculateWitness(at as never, true);
  return { ...at, jobSum: dec(signalOf(probe, w)("core.jobSum")) };
}

const publicOf = (x: Record<string, unknown>): Chunk2Public =>
  Object.fromEntries(PUBLIC.map((k) => [k, BigInt(x[k] as string)])) as unknown as Chunk2Public;

const padded = (b: Uint8Array) => [
  ...Array.from(b, BigInt),
  ...Array<bigint>(MAXB - b.length).fill(0n),
];
/** SHA-256 of b as the I/O proofs output it: two 128-bit halves. */
const halves = (b: Uint8Array) => {
  const h = BigInt(`0x${createHash("sha256").update(b).digest("hex")}`);
  return { digestHi: h >> 128n, digestLo: h & ((1n << 128n) - 1n) };
};

/** The boundary proof's share as the model computes it (versions.ts's elements). */
function boundaryShare(j: Prepared, gamma: bigint): bigint {
  const xs: bigint[] = [];
  const signs: number[] = [];
  for (const c of j.versions.boundary()) {
    xs.push(element(c.cell, c.image, 0), element(c.cell, c.vlast, c.tlast));
    signs.push(1, -1);
  }
  return logDerivativeSum(gamma, xs, signs);
}

/**
 * The job as the verifier receives it, with every proof's witness computed and checked:
 * `inputs` (a cheating prover's, or the honest ones) go through round 2 at the gammaJob
 * `gammaOf` gives (derived by default), the boundary proof's inputs through `boundaryOf`;
 * `accepted` tells whether every chunk's witness satisfied its constraints, `boundaryAccepted`
 * the boundary proof's.
 */
async function assemble(
  j: Prepared,
  inputs = j.inputs,
  gammaOf: (base: Parameters<typeof jobGamma>[0]) => bigint = jobGamma,
  boundaryOf: (x: Record<string, unknown>) => Record<string, unknown> = (x) => x,
): Promise<{ job: Job2; accepted: boolean[]; boundaryAccepted: boolean; boundaryModel: bigint }> {
  const claim = inputClaim(j.chunks, j.input);
  const inPub = { ...halves(j.input), read: BigInt(claim.read), ends: BigInt(claim.ends) };
  const outPub = halves(j.output);
  const zero = { gammaJob: 0n, jobSum: 0n };
  // the boundary proof: its commitment (round 1, any gammaJob), then its share
  const bIn = (g: bigint) =>
    boundaryOf(boundaryInputs(p, j.image, j.opening, j.versions.boundary(), NP, g));
  const bw1 = await witnessOrNull(boundary.wc, bIn(ROUND1_GAMMA));
  const bCommit = bw1 ? signalOf(boundary, bw1)("commitment") : 0n;
  const base = {
    ...CHAIN,
    chunks: inputs.map(publicOf),
    boundary: { commitment: bCommit },
    input: { ...inPub, ...zero },
    output: { ...outPub, ...zero },
  };
  const gamma = gammaOf(base);
  const bw = await witnessOrNull(boundary.wc, bIn(gamma));
  const chunks: Chunk2Public[] = [];
  const accepted: boolean[] = [];
  for (const x of inputs) {
    const y = await round2(x, gamma);
    accepted.push((await witnessOrNull(checked.wc, y)) !== null);
    chunks.push(publicOf(y));
  }
  const io = async (b: Build, x: Record<string, unknown>) => {
    const w = await b.wc.calculateWitness({ ...x, gammaJob: gamma } as never, true);
    return signalOf(b, w)("jobSum");
  };
  const inSum = await io(inputProof, {
    len: j.input.length,
    in: padded(j.input),
    read: claim.read,
    ends: claim.ends,
  });
  const outSum = await io(outputProof, { len: j.output.length, out: padded(j.output) });
  const last = j.chunks[j.chunks.length - 1]!.stateOut;
  return {
    job: {
      ...base,
      chunks,
      image: j.opening,
      inputDigest: { hi: inPub.digestHi, lo: inPub.digestLo },
      boundary: {
        imageId: imageIdOf(p, j.opening),
        commitment: bCommit,
        gammaJob: gamma,
        jobSum: bw ? signalOf(boundary, bw)("jobSum") : 0n,
      },
      input: { ...inPub, gammaJob: gamma, jobSum: inSum },
      output: { ...outPub, gammaJob: gamma, jobSum: outSum },
      final: {
        pc: last.pc,
        exitCode: last.exitCode,
        cycles: last.cycles,
        inputPosition: last.inputPosition,
        outputPosition: last.outputPosition!,
      },
    },
    accepted,
    boundaryAccepted: bw !== null,
    boundaryModel: boundaryShare(j, gamma),
  };
}

const jobs: Prepared[] = [];

beforeAll(async () => {
  p = await getPoseidon();
  const params = [CFG.K, CFG.NC, CFG.TB, CFG.M, CFG.MB, CFG.NM];
  const file = "circuits/zkvm/chunk2.circom";
  probe = await build(file, "Chunk2", params, [...PUBLIC], "chunk2-full-probe", true);
  checked = await build(file, "Chunk2", params, [...PUBLIC], "chunk2-full");
  // the same builds as test/io-circuit.test.ts (cached)
  inputProof = await build(
    "circuits/zkvm/io.circom",
    "InputProof",
    [MAXB],
    ["gammaJob", "read", "ends"],
    "io-InputProof-o2",
    false,
    "O2",
  );
  outputProof = await build(
    "circuits/zkvm/io.circom",
    "OutputProof",
    [MAXB],
    ["gammaJob"],
    "io-OutputProof-o2",
    false,
    "O2",
  );
  boundary = await build(
    "circuits/zkvm/boundary.circom",
    "Boundary",
    [NP, 14],
    ["imageId", "gammaJob"],
    "boundary-o2",
    false,
    "O2",
  );
  for (const name of ["fibonacci", "sort", "ledger"])
    jobs.push(await prepare(name, GUEST_INPUTS[name]!));
}, 900_000);

/** The inputs of chunk `i` changed by `f` (then round 1 again, as the cheating prover would). */
async function forged(
  j: Prepared,
  i: number,
  f: (x: Record<string, unknown>) => Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const out = j.inputs.slice();
  out[i] = await round1(f({ ...j.inputs[i]!, m: Array<string>(272).fill("0") }));
  return out;
}

/** The circuit step and slot where chunk `i` first writes register `rd` without reading it. */
function firstOverwrite(j: Prepared, i: number): { k: number; rd: number } | null {
  const x = j.inputs[i]!;
  const d = x.d as string[][];
  let k = 0;
  for (const r of j.chunks[i]!.stepRecords) {
    // slot 4 (rd, whose old value no instruction uses) reads the version the chunk paged in
    // (distance = its time - 1): the chunk's first access to rd
    if (!r.io && r.rd !== 0 && Number(d[k]![4]) === 5 * k + 4) return { k, rd: r.rd };
    k += r.io && r.io.done === 0 ? 2 : 1; // a transfer's first step is SYSA and SYSB
  }
  return null;
}

const change = (x: Record<string, unknown>, key: string, at: number, v: string) => {
  const a = (x[key] as string[]).slice();
  a[at] = v;
  return { ...x, [key]: a };
};

describe("whole jobs of versioned-cells chunks (issue 12)", () => {
  it("proves every chunk, chains them, derives gammaJob and balances the job", async () => {
    for (const j of jobs) {
      const { job, accepted, boundaryAccepted, boundaryModel } = await assemble(j);
      expect(accepted.every(Boolean), j.name).toBe(true);
      expect(boundaryAccepted, j.name).toBe(true);
      expect(job.boundary.jobSum, `${j.name}: the boundary proof's share`).toBe(boundaryModel);
      const r = verifyJob2(p, job);
      expect(r.cycles, j.name).toBe(BigInt(j.chunks[j.chunks.length - 1]!.stateOut.cycles));
      expect(job.chunks.every((c) => c.gammaJob === r.gammaJob)).toBe(true);
      // each sOut is the next chunk's sIn, from the executor's own states
      j.chunks.forEach((c, i) => {
        if (i > 0) expect(j.inputs[i]!.sIn, `${j.name} ${i}`).toBe(j.inputs[i - 1]!.sOut);
        expect(state2Fields(c.stateIn, i + 1)[1]).toBe(BigInt(i + 1));
      });
    }
    // every job read input and wrote output
    expect(jobs.every((j) => j.output.length > 0 && j.input.length > 0)).toBe(true);
  });

  it("refuses a chunk that reads a register value never written (accepted alone)", async () => {
    const j = jobs.find((x) => x.name === "sort")!;
    const i = j.inputs.findIndex((_, n) => n > 0 && firstOverwrite(j, n) !== null);
    const { k, rd } = firstOverwrite(j, i)!;
    const x = j.inputs[i]!;
    const vin = BigInt((x.vin as string[])[rd]!);
    const other = dec((vin + 1n) & 0xffffffffn);
    const inputs = await forged(j, i, (y) => {
      const val = (y.val as string[][]).map((r) => r.slice());
      val[k]![4] = other; // the step's read of rd sees the forged paged-in value
      return { ...change(y, "vin", rd, other), val };
    });
    const { job, accepted } = await assemble(j, inputs);
    expect(accepted.every(Boolean)).toBe(true); // every chunk alone is fine
    expect(() => verifyJob2(p, job)).toThrow(/does not balance/);
  });

  it("refuses a write dropped between chunks (a chunk taking the older version)", async () => {
    const j = jobs.find((x) => x.name === "sort")!;
    // chunk i overwrites rd first; chunk i - 1 changed rd: chunk i takes chunk i - 2's version
    const vout = (n: number, c: number) => (j.inputs[n]!.vout as string[])[c]!;
    const i = j.inputs.findIndex((_, n) => {
      const f = n >= 2 ? firstOverwrite(j, n) : null;
      return f !== null && vout(n - 1, f.rd) !== vout(n - 2, f.rd);
    });
    expect(i).toBeGreaterThanOrEqual(2);
    const { k, rd } = firstOverwrite(j, i)!;
    const older = vout(i - 2, rd);
    const inputs = await forged(j, i, (y) => {
      const val = (y.val as string[][]).map((r) => r.slice());
      val[k]![4] = older;
      return change(change({ ...y, val }, "vin", rd, older), "tin", rd, dec(i - 1));
    });
    const { job, accepted } = await assemble(j, inputs);
    expect(accepted.every(Boolean)).toBe(true);
    expect(() => verifyJob2(p, job)).toThrow(/does not balance/);
  });

  it("refuses proofs at a gammaJob not derived from the commitments", async () => {
    const j = jobs[0]!;
    // one chunk's commitment left out of the derivation, or a constant: the proofs are all
    // fine and the sum even balances (the run is honest), but the verifier derives its own
    for (const gammaOf of [
      (b: Parameters<typeof jobGamma>[0]) => jobGamma({ ...b, chunks: b.chunks.slice(1) }),
      (b: Parameters<typeof jobGamma>[0]) => jobGamma({ ...b, boundary: { commitment: 0n } }),
      () => 12345n,
    ]) {
      const { job, accepted } = await assemble(j, j.inputs, gammaOf);
      expect(accepted.every(Boolean)).toBe(true);
      expect(() => verifyJob2(p, job)).toThrow(/not the one derived/);
    }
  });

  it("refuses a job whose input proof commits to another input than the job's", async () => {
    // the prover ran and proved everything on input x' (honestly): the contract holds x's digest
    const j = jobs.find((x) => x.name === "sort")!;
    const { job } = await assemble(j);
    expect(() => verifyJob2(p, job)).not.toThrow();
    const other = halves(Uint8Array.from(j.input, (b, i) => (i === 0 ? b ^ 1 : b)));
    expect(() =>
      verifyJob2(p, { ...job, inputDigest: { hi: other.digestHi, lo: other.digestLo } }),
    ).toThrow(/another input/);
    // and the verifier's own limits: a public value outside the field, a memory too large
    const big = { ...job, chunks: [{ ...job.chunks[0]!, prover: R }, ...job.chunks.slice(1)] };
    expect(() => verifyJob2(p, big)).toThrow(/outside the field/);
    const mem = { ...job, image: { ...job.image, memorySize: 1 << 21 } };
    expect(() => verifyJob2(p, mem)).toThrow(/chunk allows/);
  });

  it("refuses chunks out of order, and a chunk starting inside a transfer that never began", async () => {
    const j = jobs.find((x) => x.name === "ledger")!;
    const swapped = j.inputs.slice();
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    const a = await assemble(j, swapped);
    expect(() => verifyJob2(p, a.job)).toThrow(Job2Error);
    // ioIn of a chunk outside any call set to "inside a write of fd 1": its sIn must change
    // with it (refused by the circuit otherwise) and then it no longer chains
    const i = j.inputs.findIndex((x, n) => n > 0 && (x.ioIn as string[])[0] === "0");
    const io = ["1", "0", "1", "1", "1", "0"];
    const withIo = { ...j.inputs[i]!, ioIn: io };
    expect(await witnessOrNull(checked.wc, await round2(withIo, SOME_GAMMA))).toBeNull();
    const st = state2Fields(j.chunks[i]!.stateIn, i + 1);
    st.splice(6, 6, ...io.map(BigInt));
    const resealed = j.inputs.slice();
    resealed[i] = { ...withIo, sIn: dec(p.F.toObject(p(st))) };
    const b = await assemble(j, resealed);
    expect(() => verifyJob2(p, b.job)).toThrow(/does not start where/);
  });

  it("refuses a boundary proof listing a page twice, another image, a page left out, another version", async () => {
    const j = jobs.find((x) => x.name === "ledger")!;
    type X = Record<string, unknown>;
    const rows = (x: X, key: string) => (x[key] as string[][]).map((r) => r.slice());
    const usedPages = (x: X) => (x.used as string[]).filter((u) => u === "1").length;
    const copySlot = (x: X, from: number, to: number): X => {
      const y: X = { ...x, used: (x.used as string[]).slice(), page: (x.page as string[]).slice() };
      (y.used as string[])[to] = (x.used as string[])[from]!;
      (y.page as string[])[to] = (x.page as string[])[from]!;
      for (const key of ["words", "sib", "vlast", "tlast"]) {
        const r = rows(x, key);
        r[to] = r[from]!.slice();
        y[key] = r;
      }
      return y;
    };
    const honest = await assemble(j);
    expect(honest.boundaryAccepted).toBe(true);
    const n = usedPages(boundaryInputs(p, j.image, j.opening, j.versions.boundary(), NP, 1n));
    expect(n).toBeGreaterThan(2);
    // refused by the boundary proof itself
    const twice = await assemble(j, j.inputs, jobGamma, (x) => copySlot(x, n - 1, n));
    expect(twice.boundaryAccepted, "a page listed twice").toBe(false);
    const otherImage = await assemble(j, j.inputs, jobGamma, (x) => {
      const w = rows(x, "words");
      w[0]![3] = dec((BigInt(w[0]![3]!) + 1n) & 0xffffffffn);
      return { ...x, words: w };
    });
    expect(otherImage.boundaryAccepted, "an image word changed").toBe(false);
    // accepted by the boundary proof, refused by the job's sum
    const leftOut = await assemble(j, j.inputs, jobGamma, (x) => {
      const empty = copySlot(x, NP - 1, n - 1); // the last listed page: an unused slot's zeros
      return empty;
    });
    expect(leftOut.boundaryAccepted, "a page left out").toBe(true);
    expect(() => verifyJob2(p, leftOut.job), "a page left out").toThrow(/does not balance/);
    const touched = (x: X) => {
      const t = rows(x, "tlast");
      for (let i = 0; i < n; i++) {
        const k = t[i]!.findIndex((v) => v !== "0");
        if (k >= 0) return [i, k] as const;
      }
      throw new Error("no touched word");
    };
    const another = await assemble(j, j.inputs, jobGamma, (x) => {
      const [i, k] = touched(x);
      const v = rows(x, "vlast");
      v[i]![k] = dec((BigInt(v[i]![k]!) + 1n) & 0xffffffffn);
      return { ...x, vlast: v };
    });
    expect(another.boundaryAccepted, "another last version").toBe(true);
    expect(() => verifyJob2(p, another.job), "another last version").toThrow(/does not balance/);
    // a page below RAM_START (page 0: zeros, a valid path in the image's tree), where an
    // access must find no cell: refused
    const tree = MemoryTree.fromMemory(p, j.image.memory);
    const low = await assemble(j, j.inputs, jobGamma, (x) => {
      const shift = <T>(a: T[], first: T) => [first, ...a.slice(0, -1)];
      return {
        ...x,
        used: shift(x.used as string[], "1"),
        page: shift(x.page as string[], "0"),
        words: shift(rows(x, "words"), Array<string>(16).fill("0")),
        sib: shift(rows(x, "sib"), tree.siblings(0).map(dec)),
        vlast: shift(rows(x, "vlast"), Array<string>(16).fill("0")),
        tlast: shift(rows(x, "tlast"), Array<string>(16).fill("0")),
      };
    });
    expect(low.boundaryAccepted, "a page below RAM_START").toBe(false);
    const sp = await assemble(j, j.inputs, jobGamma, (x) => {
      const r = (x.regV as string[]).slice();
      r[2] = dec(BigInt(r[2]!) + 4n);
      return { ...x, regV: r };
    });
    expect(sp.boundaryAccepted).toBe(true);
    expect(() => verifyJob2(p, sp.job), "sp's last version").toThrow(/does not balance/);
  });

  it("refuses a commitment that is not the transcript, another cycle count, a false state", async () => {
    const j = jobs[0]!;
    const x = await round2(j.inputs[2]!, SOME_GAMMA);
    expect(await witnessOrNull(checked.wc, x)).not.toBeNull();
    const bad: [string, Record<string, unknown>][] = [
      [
        "commitment + 1 (a transcript omitting or changing an advice value)",
        { ...x, commitment: dec(BigInt(x.commitment as string) + 1n) },
      ],
      ["one cycle more", { ...x, cyclesRetired: dec(BigInt(x.cyclesRetired as string) + 1n) }],
      ["sOut of another state", { ...x, sOut: x.sIn }],
      ["sIn of another state", { ...x, sIn: x.sOut }],
      ["another image", { ...x, imageId: dec(BigInt(x.imageId as string) + 1n) }],
      ["another share", { ...x, jobSum: dec((BigInt(x.jobSum as string) + 1n) % R) }],
    ];
    for (const [what, y] of bad) expect(await witnessOrNull(checked.wc, y), what).toBeNull();
  });
});
