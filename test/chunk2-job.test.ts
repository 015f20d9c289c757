/**
 * Whole jobs under the versioned-cells design (issue 12; what the network settles since 2026-12-02): the
 * full chunk (circuits/zkvm/chunk2.circom, `Chunk2`: the core between two state digests, with
 * its public inputs), the boundary proof (boundary.circom), the input and output proofs
 * (io.circom), and the verifier's checks beyond the proofs: off chain (prover/zkvm/verify2.ts),
 * where every proof's witness is computed and checked against its constraints, and on chain
 * (contracts/JobVerifier2.sol), with real Groth16 proofs of the registry's test circuits. The
 * prover's side is prover/zkvm/job2.ts.
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
 *   advice value), another cycle count, a state digest that is not its state's;
 * - on chain: the honest jobs accepted, the same attacks refused by the contract (the sum, or
 *   the pairing check of proofs whose public inputs the contract writes itself).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  keccak256,
  type Address,
  type BaseError,
  type Hex,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { getPoseidon, loadElf, MemoryTree } from "../prover/executor/index.ts";
import { ECALL, encI, exitSeq, li, programElf } from "../prover/executor/testing.ts";
import { element, logDerivativeSum, R } from "../prover/executor/versions.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator, witnessOrNull } from "../prover/zkvm/mutation.ts";
import { compileVariant, readSymbols } from "../prover/zkvm/mutation-variants.ts";
import { jobGamma, Job2Error, verifyJob2 } from "../prover/zkvm/verify2.ts";
import {
  boundaryInputs,
  digestOfState2Fields,
  state2Fields,
  type Chunk2CoreConfig,
} from "../prover/zkvm/witness2.ts";
import {
  CHUNK2_PUBLIC,
  digestHalves,
  Job2Prover,
  job2Claim,
  job2Image,
  job2ProofList,
  jobsProofList,
  loadChunk2Probe,
  proveJob2,
  type Job2Keys,
  type Prepared2,
  type Proofs2,
} from "../prover/zkvm/job2.ts";
import { deployJobVerifier2, JOB2_TEST_CIRCUITS } from "../scripts/lib/deploy.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const CFG: Chunk2CoreConfig = { K: 8, NC: 96, TB: 6, M: 20, MB: 16, NM: 2 };
const MAXB = 64;
const CHAIN = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  jobId: 7n,
} as const;
const PROVER = 0xa11cen;
const SOME_GAMMA =
  0x1b7e_52d9_a08c_64f3_3e91_c7a2_5d04_b86e_f139_2ac5_7e80_d46b_9c13_f2a7_0e58_c3b9n % (1n << 250n);

type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;
interface Build {
  wc: Wc;
  sym: Map<string, number>;
}
let checked: Build;
/** The prover's side (prover/zkvm/job2.ts), with a boundary proof of NP pages. */
let kit: Job2Prover;
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

const dec = (v: bigint | number) => BigInt(v).toString();

/** A job as a prover prepares it (round 1 done), with its guest's name. */
type Prepared = Prepared2 & { name: string };

async function prepare(name: string, input: Uint8Array): Promise<Prepared> {
  const image = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${name}.elf`)));
  return { name, ...(await kit.prepare(image, input, PROVER)) };
}

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
 * The job as the verifier receives it (`Job2Prover.assemble`), with every chunk's witness
 * checked: `inputs` (a cheating prover's, or the honest ones) go through round 2 at the
 * gammaJob `gammaOf` gives (derived by default), the boundary proof's inputs through
 * `boundaryOf`; `accepted` tells whether every chunk's witness satisfied its constraints,
 * `boundaryAccepted` the boundary proof's. `on` assembles it for another prover (the registry's
 * circuits) and chain.
 */
async function assemble(
  j: Prepared,
  inputs = j.inputs,
  gammaOf: (base: Parameters<typeof jobGamma>[0]) => bigint = jobGamma,
  boundaryOf: (x: Record<string, unknown>) => Record<string, unknown> = (x) => x,
  on: {
    kit: Job2Prover;
    chain: typeof CHAIN | { chainId: bigint; contract: Address; jobId: bigint };
  } = {
    kit,
    chain: CHAIN,
  },
) {
  const a = await on.kit.assemble(j, on.chain, { inputs, gammaOf, boundaryOf });
  const accepted: boolean[] = [];
  for (const y of a.proofInputs.chunks)
    accepted.push((await witnessOrNull(checked.wc, y)) !== null);
  return { ...a, accepted, boundaryModel: boundaryShare(j, a.job.boundary.gammaJob) };
}

const jobs: Prepared[] = [];

beforeAll(async () => {
  p = await getPoseidon();
  const params = [CFG.K, CFG.NC, CFG.TB, CFG.M, CFG.MB, CFG.NM];
  const file = "circuits/zkvm/chunk2.circom";
  checked = await build(file, "Chunk2", params, [...CHUNK2_PUBLIC], "chunk2-full");
  // the same builds as test/io-circuit.test.ts (cached)
  const inputProof = await build(
    "circuits/zkvm/io.circom",
    "InputProof",
    [MAXB],
    ["gammaJob", "read", "ends"],
    "io-InputProof-o2",
    false,
    "O2",
  );
  const outputProof = await build(
    "circuits/zkvm/io.circom",
    "OutputProof",
    [MAXB],
    ["gammaJob"],
    "io-OutputProof-o2",
    false,
    "O2",
  );
  const boundary = await build(
    "circuits/zkvm/boundary.circom",
    "Boundary",
    [NP, 14],
    ["imageId", "gammaJob"],
    "boundary-o2",
    false,
    "O2",
  );
  kit = new Job2Prover(p, CFG, NP, MAXB, await loadChunk2Probe(CFG, defaultCacheDir()), {
    boundary: boundary.wc,
    input: inputProof.wc,
    output: outputProof.wc,
  });
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
  out[i] = await kit.round1(f({ ...j.inputs[i]!, m: Array<string>(272).fill("0") }));
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

/** The job's chunks with one that reads a register value never written (its paged-in value changed). */
async function neverWritten(j: Prepared): Promise<Record<string, unknown>[]> {
  const i = j.inputs.findIndex((_, n) => n > 0 && firstOverwrite(j, n) !== null);
  const { k, rd } = firstOverwrite(j, i)!;
  const x = j.inputs[i]!;
  const vin = BigInt((x.vin as string[])[rd]!);
  const other = dec((vin + 1n) & 0xffffffffn);
  return forged(j, i, (y) => {
    const val = (y.val as string[][]).map((r) => r.slice());
    val[k]![4] = other; // the step's read of rd sees the forged paged-in value
    return { ...change(y, "vin", rd, other), val };
  });
}

/**
 * The job's chunks with a write dropped between chunks: chunk i overwrites rd first, chunk
 * i - 1 changed rd, and chunk i takes chunk i - 2's version instead.
 */
async function droppedWrite(j: Prepared): Promise<Record<string, unknown>[]> {
  const vout = (n: number, c: number) => (j.inputs[n]!.vout as string[])[c]!;
  const i = j.inputs.findIndex((_, n) => {
    const f = n >= 2 ? firstOverwrite(j, n) : null;
    return f !== null && vout(n - 1, f.rd) !== vout(n - 2, f.rd);
  });
  if (i < 2) throw new Error(`${j.name}: no chunk overwrites a register its predecessor changed`);
  const { k, rd } = firstOverwrite(j, i)!;
  const older = vout(i - 2, rd);
  return forged(j, i, (y) => {
    const val = (y.val as string[][]).map((r) => r.slice());
    val[k]![4] = older;
    return change(change({ ...y, val }, "vin", rd, older), "tin", rd, dec(i - 1));
  });
}

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
    const { job, accepted } = await assemble(j, await neverWritten(j));
    expect(accepted.every(Boolean)).toBe(true); // every chunk alone is fine
    expect(() => verifyJob2(p, job)).toThrow(/does not balance/);
  });

  it("refuses a write dropped between chunks (a chunk taking the older version)", async () => {
    const j = jobs.find((x) => x.name === "sort")!;
    const { job, accepted } = await assemble(j, await droppedWrite(j));
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
    const other = digestHalves(Uint8Array.from(j.input, (b, i) => (i === 0 ? b ^ 1 : b)));
    expect(() =>
      verifyJob2(p, { ...job, inputDigest: { hi: other.digestHi, lo: other.digestLo } }),
    ).toThrow(/another input/);
    // and the verifier's own limits: a public value outside the field, a memory too large
    const big = { ...job, chunks: [{ ...job.chunks[0]!, prover: R }, ...job.chunks.slice(1)] };
    expect(() => verifyJob2(p, big)).toThrow(/outside the field/);
    const mem = { ...job, image: { ...job.image, memorySize: 1 << 21 } };
    expect(() => verifyJob2(p, mem)).toThrow(/chunk allows/);
    // the output proof opens the final state the contract does not hash: another state or
    // another exit code than the last chunk's is refused
    const sOut = job.chunks[job.chunks.length - 1]!.sOut;
    const opened = (o: Partial<typeof job.output>) => ({ ...job, output: { ...job.output, ...o } });
    expect(() => verifyJob2(p, opened({ sFinal: (sOut + 1n) % R }))).toThrow(/another final/);
    expect(() => verifyJob2(p, opened({ exitCode: job.output.exitCode + 1n }))).toThrow(
      /exit code/,
    );
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
    expect(await witnessOrNull(checked.wc, await kit.round2(withIo, SOME_GAMMA))).toBeNull();
    const st = state2Fields(j.chunks[i]!.stateIn, i + 1);
    st.splice(6, 6, ...io.map(BigInt));
    const resealed = j.inputs.slice();
    resealed[i] = { ...withIo, sIn: dec(digestOfState2Fields(p, st)) };
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
    const x = await kit.round2(j.inputs[2]!, SOME_GAMMA);
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

describe("on chain: contracts/JobVerifier2.sol with real Groth16 proofs", () => {
  let keys: Job2Keys;
  /** The prover with the registry's circuits (a boundary proof of 8 pages). */
  let kit8: Job2Prover;
  let verifier: Awaited<ReturnType<typeof deployJobVerifier2>>;
  let publicClient: Awaited<ReturnType<NetworkConnection["viem"]["getPublicClient"]>>;
  let viem: NetworkConnection["viem"];
  let chain: { chainId: bigint; contract: Address; jobId: bigint };

  beforeAll(async () => {
    const [chunk, bnd, input, output] = await Promise.all(
      Object.values(JOB2_TEST_CIRCUITS).map((n) => getTestArtifacts(n)),
    );
    keys = { chunk: chunk!, boundary: bnd!, input: input!, output: output! };
    kit8 = await Job2Prover.fromArtifacts(p, CFG, 8, MAXB, kit.probe, keys);
    const connection = await network.create();
    viem = connection.viem;
    publicClient = await connection.viem.getPublicClient();
    verifier = await deployJobVerifier2(connection);
    chain = { chainId: 31337n, contract: verifier.address, jobId: 7n };
  }, 900_000);

  /** The job assembled for this contract (gammaJob as it derives it), or a cheat's. */
  const onChain = (
    j: Prepared,
    inputs = j.inputs,
    gammaOf: (base: Parameters<typeof jobGamma>[0]) => bigint = jobGamma,
  ) => assemble(j, inputs, gammaOf, (x) => x, { kit: kit8, chain });

  /**
   * The honest job assembled for this contract and its proofs, proven once per job and
   * shared by the tests below (each fibonacci proof set takes most of a minute).
   */
  const honestRuns = new Map<
    string,
    Promise<{ a: Awaited<ReturnType<typeof onChain>>; proofs: Proofs2 }>
  >();
  const honest = (j: Prepared) => {
    let r = honestRuns.get(j.name);
    if (!r) {
      r = onChain(j).then(async (a) => ({
        a,
        proofs: await proveJob2(keys, a.job, a.proofInputs),
      }));
      honestRuns.set(j.name, r);
    }
    return r;
  };

  /** Registers the job's image with the contract (again: a no-op); returns its ID. */
  async function register(j: Prepared): Promise<bigint> {
    const img = job2Image(j.opening);
    const hash = await verifier.write.registerImage([img]);
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    return verifier.read.imageIdOf([img]);
  }

  /**
   * Calls the contract with the job's claim as its prover submits it (`claimOf` lets a test
   * change the claim, `inputDigest` the job's input). Returns the result and the call's gas, or
   * throws the contract's error.
   */
  async function submit(
    j: Prepared,
    a: Awaited<ReturnType<typeof assemble>>,
    proofs: Proofs2,
    claimOf: (c: ReturnType<typeof job2Claim>) => ReturnType<typeof job2Claim> = (c) => c,
    inputDigest = a.job.inputDigest,
  ) {
    const imageId = await register(j);
    const args = [
      imageId,
      inputDigest.hi,
      inputDigest.lo,
      claimOf(job2Claim(a.job)),
      job2ProofList(proofs),
    ] as const;
    const result = await verifier.read.verify(args as never);
    const gas = await publicClient.estimateContractGas({
      address: verifier.address,
      abi: verifier.abi,
      functionName: "verify" as never,
      args: args as never,
    });
    return { result, gas, n: a.job.chunks.length };
  }

  it("verifies a whole job's proofs, deriving gammaJob and the chain's ends itself", async () => {
    for (const name of ["fibonacci", "sort"]) {
      const j = jobs.find((x) => x.name === name)!;
      const { a, proofs } = await honest(j);
      expect(() => verifyJob2(p, a.job)).not.toThrow();
      const { result, gas, n } = await submit(j, a, proofs);
      const last = j.chunks[j.chunks.length - 1]!.stateOut;
      expect(result.cycles, name).toBe(BigInt(last.cycles));
      expect(result.exitCode, name).toBe(last.exitCode >>> 0);
      expect(result.gammaJob).toBe(a.job.boundary.gammaJob);
      const h = digestHalves(j.output);
      expect(BigInt(result.outputDigest)).toBe((h.digestHi << 128n) | h.digestLo);
      console.log(
        `${name}: ${n} chunks, ${last.cycles} cycles: verify ${gas} gas, ${(Number(gas) / n).toFixed(0)} per chunk`,
      );
    }
  }, 900_000);

  it("verifies several jobs in one pairing product, each as alone; proofs moved between jobs refused", async () => {
    const [fib, sort] = ["fibonacci", "sort"].map((n) => jobs.find((x) => x.name === n)!);
    const runs = [await honest(fib!), await honest(sort!)];
    const a = runs.map((r) => r.a);
    const proofs = runs.map((r) => r.proofs);
    const ids = [await register(fib!), await register(sort!)];
    const input = (i: number, claimOf = (c: ReturnType<typeof job2Claim>) => c) => ({
      imageId: ids[i]!,
      inputHi: a[i]!.job.inputDigest.hi,
      inputLo: a[i]!.job.inputDigest.lo,
      claim: claimOf(job2Claim(a[i]!.job)),
    });
    const both = [input(0), input(1)];
    const call = (js: unknown[], ps: bigint[][]) => verifier.read.verifyJobs([js, ps] as never);
    const result = (await call(both, jobsProofList(proofs))) as readonly {
      cycles: bigint;
      exitCode: number;
      gammaJob: bigint;
    }[];
    for (const [i, j] of [fib!, sort!].entries()) {
      const alone = await submit(j, a[i]!, proofs[i]!);
      expect(result[i]).toEqual(alone.result);
      expect((result[i] as unknown as { jobId: bigint }).jobId).toBe(chain.jobId);
    }
    // one job through verifyJobs is verify
    expect(await call([input(0)], jobsProofList([proofs[0]!]))).toEqual([result[0]]);
    const gas = await publicClient.estimateContractGas({
      address: verifier.address,
      abi: verifier.abi,
      functionName: "verifyJobs" as never,
      args: [both, jobsProofList(proofs)] as never,
    });
    const alone =
      (await submit(fib!, a[0]!, proofs[0]!)).gas + (await submit(sort!, a[1]!, proofs[1]!)).gas;
    console.log(
      `two jobs in one call: ${gas} gas, alone: ${alone} (two transactions' bases included)`,
    );
    expect(gas).toBeLessThan(alone);
    // the jobs' boundary proofs swapped (each a valid proof, of the other job), the jobs in
    // the other order than their proofs, a job's chunk proofs given to the other job, a proof
    // missing, no jobs
    const list = jobsProofList(proofs);
    const n = a[0]!.job.chunks.length + a[1]!.job.chunks.length;
    const swapped = [...list];
    [swapped[n], swapped[n + 1]] = [list[n + 1]!, list[n]!];
    await expect(call(both, swapped)).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    await expect(call([input(1), input(0)], list)).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    const [p0, p1] = proofs as [Proofs2, Proofs2];
    const chunksCrossed = [
      ...p1.chunks,
      ...p0.chunks,
      ...[p0.boundary, p1.boundary, p0.input, p1.input, p0.output, p1.output],
    ];
    await expect(call(both, chunksCrossed)).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    await expect(call(both, list.slice(1))).rejects.toThrow(/Job2__ProofCount/);
    await expect(call([], [])).rejects.toThrow(/Job2__NoJobs/);
    // one job's claim broken: the whole call is refused with that job's rule
    await expect(
      call([input(0), input(1, (c) => ({ ...c, outputSum: 1n }))], list),
    ).rejects.toThrow(/Job2__Unbalanced/);
  }, 900_000);

  it("accepts a job whose long write leaves chunks retiring no instruction, not a last such chunk", async () => {
    // write(1, buf, 64) of a 64-byte data segment, then exit(0): the write's 16 words take 17
    // steps (SYSA, then SYSB until the last word), so a whole K = 8 chunk lies inside it
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 1) & 0xff);
    const code = [
      ...li(10, 1),
      ...li(11, 0x2000),
      ...li(12, 64),
      ...li(17, 64),
      ECALL,
      encI(0, 0, 0, 10, 0x13), // a0 = 0
      ...exitSeq(),
    ];
    const image = loadElf(programElf(code, { vaddr: 0x2000, bytes }));
    const j: Prepared = {
      name: "write64",
      ...(await kit8.prepare(image, new Uint8Array(0), PROVER)),
    };
    expect(j.output).toEqual(bytes);
    const a = await onChain(j);
    expect(a.job.chunks.some((c) => c.cyclesRetired === 0n)).toBe(true);
    expect(() => verifyJob2(p, a.job)).not.toThrow();
    const proofs = await proveJob2(keys, a.job, a.proofInputs);
    const { result } = await submit(j, a, proofs);
    expect(result.cycles).toBe(BigInt(a.job.final.cycles));
    // the last chunk must retire one: none can be appended after the halt
    const n = a.job.chunks.length;
    await expect(
      submit(j, a, proofs, (c) => ({
        ...c,
        chunks: c.chunks.map((x, i) => (i === n - 1 ? { ...x, cycles: 0 } : x)),
      })),
    ).rejects.toThrow(/Job2__IdleChunk/);
  }, 900_000);

  it("refuses a read of a value never written and a write dropped between chunks", async () => {
    const j = jobs.find((x) => x.name === "fibonacci")!;
    for (const inputs of [await neverWritten(j), await droppedWrite(j)]) {
      const a = await onChain(j, inputs);
      expect(a.accepted.every(Boolean)).toBe(true); // every proof exists
      const proofs = await proveJob2(keys, a.job, a.proofInputs);
      await expect(submit(j, a, proofs)).rejects.toThrow(/Job2__Unbalanced/);
    }
  }, 900_000);

  it("refuses proofs at a gammaJob not derived from the commitments, and a commitment that is not the chunk's transcript", async () => {
    const j = jobs.find((x) => x.name === "fibonacci")!;
    // the prover leaves one chunk's commitment out of gammaJob: every proof is valid at its
    // gammaJob and the sum balances, but the contract derives its own and writes it in
    const a = await onChain(j, j.inputs, (b) => jobGamma({ ...b, chunks: b.chunks.slice(1) }));
    expect(a.accepted.every(Boolean)).toBe(true);
    await expect(submit(j, a, await proveJob2(keys, a.job, a.proofInputs))).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    // a claimed commitment that omits an advice value (the transcript of chunk 1 with one
    // advice value changed): gammaJob follows the claim, and no proof of that commitment exists
    const x1 = j.inputs[1]!;
    const d = (x1.d as string[][]).map((r) => r.slice());
    d[0]![0] = dec(BigInt(d[0]![0]!) + 1n);
    const other = BigInt(
      (await kit.round1({ ...x1, d, m: Array<string>(272).fill("0") })).commitment as string,
    );
    expect(other).not.toBe(BigInt(x1.commitment as string));
    const { a: h, proofs } = await honest(j);
    await expect(
      submit(j, h, proofs, (c) => ({
        ...c,
        chunks: c.chunks.map((x, i) => (i === 1 ? { ...x, commitment: other } : x)),
      })),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
  }, 900_000);

  it("checks the four keys in one pairing product: a proof in another key's slot, miscounted keys, bad inputs and points refused", async () => {
    const j = jobs.find((x) => x.name === "fibonacci")!;
    const { a, proofs: mine } = await honest(j);
    const proofs = job2ProofList(mine);
    await expect(submit(j, a, mine)).resolves.toBeDefined();
    const multi = await viem.getContractAt("IGroth16MultiVerifier", await verifier.read.VERIFIER());
    // the inputs JobVerifier2 writes, in its order: every chunk's, then boundary, input, output
    const job = a.job;
    const inputs = [
      ...job.chunks.flatMap((c) => CHUNK2_PUBLIC.map((k) => c[k])),
      ...[
        job.boundary.jobSum,
        job.boundary.commitment,
        job.boundary.imageId,
        job.boundary.gammaJob,
      ],
      ...[job.input.digestHi, job.input.digestLo, job.input.jobSum, job.input.gammaJob],
      ...[job.input.read, job.input.ends],
      ...[job.output.digestHi, job.output.digestLo, job.output.jobSum, job.output.gammaJob],
      ...[job.output.sFinal, job.output.exitCode],
    ];
    const n = BigInt(job.chunks.length);
    const context = keccak256(
      encodeAbiParameters(
        [{ type: "uint256" }, { type: "address" }, { type: "uint256" }],
        [chain.chainId, verifier.address, chain.jobId],
      ),
    );
    const call = (counts: bigint[], xs: bigint[], ps: bigint[][]) =>
      multi.read.verifyMulti([context, counts, xs, ps as never]);
    await expect(call([n, 1n, 1n, 1n], inputs, proofs)).resolves.toBeUndefined();
    // the context only seeds the r_j: valid proofs stay valid under any context (what ties them
    // to this job, contract and chain is gammaJob, in their inputs, which JobVerifier2 derives)
    await expect(
      multi.read.verifyMulti([keccak256(context), [n, 1n, 1n, 1n], inputs, proofs as never]),
    ).resolves.toBeUndefined();
    // the input proof and the output proof swapped, each with its own six inputs: each is a
    // valid proof of the other key
    const b = inputs.length - 16;
    const swapped = [
      ...inputs.slice(0, b + 4),
      ...inputs.slice(b + 10),
      ...inputs.slice(b + 4, b + 10),
    ];
    const ps = [...proofs];
    [ps[ps.length - 2], ps[ps.length - 1]] = [ps[ps.length - 1]!, ps[ps.length - 2]!];
    await expect(call([n, 1n, 1n, 1n], swapped, ps)).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    // the last chunk's proof counted as a second boundary proof, its first four inputs with it
    const c8 = Number(n - 1n) * 8;
    const relabelled = [
      ...inputs.slice(0, c8),
      ...inputs.slice(c8, c8 + 4),
      ...inputs.slice(c8 + 8),
    ];
    await expect(call([n - 1n, 2n, 1n, 1n], relabelled, proofs)).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    // counts that do not add up, a missing key, inputs of the wrong length, an input >= r
    await expect(call([n, 1n, 1n, 0n], inputs, proofs)).rejects.toThrow(
      /BatchVerifier__ProofCount/,
    );
    await expect(call([n, 1n, 1n], inputs, proofs)).rejects.toThrow(/BatchVerifier__KeyCount/);
    await expect(call([n, 1n, 1n, 1n], inputs.slice(1), proofs)).rejects.toThrow(
      /BatchVerifier__InputLength/,
    );
    const big = [...inputs];
    big[5] = big[5]! + R;
    await expect(call([n, 1n, 1n, 1n], big, proofs)).rejects.toThrow(
      /BatchVerifier__InputNotInField/,
    );
    await expect(call([2n ** 32n, 1n, 1n, 1n], inputs, proofs)).rejects.toThrow(
      /BatchVerifier__CountTooLarge/,
    );
    await expect(call([0n, 0n, 0n, 0n], [], [])).rejects.toThrow(/BatchVerifier__EmptyBatch/);
    // a point off its curve
    const off = proofs.map((p) => [...p]);
    off[1]![1] = off[1]![1]! + 1n;
    await expect(call([n, 1n, 1n, 1n], inputs, off)).rejects.toThrow(/BatchVerifier__InvalidPoint/);
    // the passing path leaves the point checks to the precompiles; a failing batch names the
    // first malformed proof: A at infinity (which ecMul accepts: the equation fails), C with a
    // coordinate >= p, B off the twist (only the pairing sees it), each in a later proof
    const named = async (j: number, w: number[], v: bigint[]) => {
      const bad = proofs.map((p) => [...p]);
      w.forEach((k, i) => (bad[j]![k] = v[i]!));
      const d = encodeFunctionData({
        abi: multi.abi,
        functionName: "verifyMulti",
        args: [context, [n, 1n, 1n, 1n], inputs, bad as never],
      });
      try {
        await publicClient.call({ to: multi.address, data: d });
      } catch (e) {
        const x = (e as BaseError).walk((y) => typeof (y as { data?: unknown }).data === "string");
        return decodeErrorResult({ abi: multi.abi, data: (x as unknown as { data: Hex }).data });
      }
      return null;
    };
    const P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;
    expect(await named(2, [0, 1], [0n, 0n])).toMatchObject({
      errorName: "BatchVerifier__InvalidPoint",
      args: [2n],
    });
    expect(await named(3, [6], [proofs[3]![6]! + P])).toMatchObject({
      errorName: "BatchVerifier__InvalidPoint",
      args: [3n],
    });
    expect(await named(Number(n), [2], [proofs[Number(n)]![2]! ^ 1n])).toMatchObject({
      errorName: "BatchVerifier__InvalidPoint",
      args: [n],
    });
  }, 900_000);

  /** IGroth16MultiVerifier's ABI (its errors bubble up through JobVerifier2). */
  const multiAbi = async () =>
    (await viem.getContractAt("IGroth16MultiVerifier", await verifier.read.VERIFIER())).abi;

  /** The custom error a raw call to the contract reverts with (name "none" if it does not). */
  async function revertOf(data: Hex): Promise<{ name: string; args?: readonly unknown[] }> {
    try {
      await publicClient.call({ to: verifier.address, data });
      return { name: "none" };
    } catch (e) {
      const withData = (e as BaseError).walk(
        (x) => typeof (x as { data?: unknown }).data === "string",
      ) as { data?: Hex } | null;
      if (!withData?.data) throw e;
      const d = decodeErrorResult({
        abi: [...verifier.abi, ...(await multiAbi())],
        data: withData.data,
      });
      return { name: d.errorName, args: d.args };
    }
  }

  it("verifies only registered images, and refuses claim words outside their types", async () => {
    const j = jobs.find((x) => x.name === "fibonacci")!;
    const { a, proofs: mine } = await honest(j);
    const proofs = job2ProofList(mine);
    const imageId = await register(j);
    const claim = job2Claim(a.job);
    const args = (id: bigint) => [id, a.job.inputDigest.hi, a.job.inputDigest.lo, claim, proofs];
    await expect(verifier.read.verify(args(imageId) as never)).resolves.toBeDefined();
    await expect(verifier.read.verify(args(imageId + 1n) as never)).rejects.toThrow(
      /Job2__UnknownImage/,
    );
    await expect(
      verifier.write.registerImage([{ ...job2Image(j.opening), memorySize: 2 ** 20 + 4 }]),
    ).rejects.toThrow(/Job2__MemoryTooLarge/);
    // the contract reads the chunks' words itself: a prover word with bits above its 160 and a
    // cycles word above its 32 (calldata the ABI encoder would never write) are refused before
    // any proof is looked at; chunk 1 gets a prover and cycles no other word has, to be found
    const odd = getAddress(`0x${"5a".repeat(20)}`);
    const marked = {
      ...claim,
      chunks: claim.chunks.map((x, i) => (i === 1 ? { ...x, prover: odd, cycles: 0x7a5c3 } : x)),
    };
    const data = encodeFunctionData({
      abi: verifier.abi,
      functionName: "verify",
      args: [imageId, a.job.inputDigest.hi, a.job.inputDigest.lo, marked, proofs] as never,
    });
    const at = data.indexOf(`${"0".repeat(24)}${"5a".repeat(20)}`);
    expect(at).toBeGreaterThan(0);
    expect(data.indexOf("5a".repeat(20), at + 64)).toBe(-1);
    expect(data.slice(at + 64, at + 128)).toBe((0x7a5c3).toString(16).padStart(64, "0"));
    const patch = (i: number) => `${data.slice(0, i)}01${data.slice(i + 2)}` as Hex;
    expect(await revertOf(patch(at))).toEqual({
      name: "Job2__NotInField",
      args: [(1n << 248n) | BigInt(odd)],
    });
    expect(await revertOf(patch(at + 64))).toEqual({
      name: "Job2__NotInField",
      args: [(1n << 248n) | 0x7a5c3n],
    });
    // unpatched, the same claim gets past the words to the pairing check (another prover)
    expect((await revertOf(data)).name).toBe("BatchVerifier__BatchCheckFailed");
  }, 900_000);

  it("refuses another input, a final state that is not the last chunk's, moved shares", async () => {
    const j = jobs.find((x) => x.name === "fibonacci")!;
    const { a, proofs } = await honest(j);
    await expect(submit(j, a, proofs)).resolves.toBeDefined();
    // each changes what the contract derives or writes into a proof's public inputs
    type Claim = ReturnType<typeof job2Claim>;
    const changes: [string, (c: Claim) => Claim][] = [
      ["exit code", (c) => ({ ...c, exitCode: c.exitCode + 1 })],
      ["final state", (c) => ({ ...c, finalState: c.finalState + 1n })],
      ["output digest", (c) => ({ ...c, outputLo: c.outputLo ^ 1n })],
      ["bytes read", (c) => ({ ...c, read: c.read + 1 })],
      [
        "a chunk's prover",
        (c) => ({
          ...c,
          chunks: c.chunks.map((x, i) =>
            i === 0 ? { ...x, prover: getAddress(`0x${"ee".repeat(20)}`) } : x,
          ),
        }),
      ],
      [
        "a chunk's cycles moved to another",
        (c) => ({
          ...c,
          chunks: c.chunks.map((x, i) =>
            i < 2 ? { ...x, cycles: x.cycles + (i === 0 ? 1 : -1) } : x,
          ),
        }),
      ],
      ["an inner state", (c) => ({ ...c, states: c.states.map((x, i) => (i === 0 ? x + 1n : x)) })],
      // a share moved from one proof to another keeps the sum, not the proofs
      [
        "a share moved",
        (c) => ({
          ...c,
          boundarySum: (c.boundarySum + 1n) % R,
          inputSum: (c.inputSum + R - 1n) % R,
        }),
      ],
    ];
    for (const [what, f] of changes)
      await expect(submit(j, a, proofs, f), what).rejects.toThrow(
        /BatchVerifier__BatchCheckFailed/,
      );
    await expect(submit(j, a, proofs, (c) => ({ ...c, outputSum: 1n }))).rejects.toThrow(
      /Job2__Unbalanced/,
    );
    await expect(submit(j, a, proofs, (c) => ({ ...c, states: [] }))).rejects.toThrow(
      /Job2__ChainLength/,
    );
    await expect(
      submit(j, a, proofs, (c) => ({
        ...c,
        chunks: c.chunks.map((x) => ({ ...x, prover: getAddress(`0x${"00".repeat(20)}`) })),
      })),
    ).rejects.toThrow(/Job2__ZeroProver/);
    // the job cut short: its last chunk dropped, the last but one's sOut (not halted) claimed as
    // the final state, that chunk's share moved to the output proof's so the sum balances.
    // Refused at the pairing, as any change of a proof's inputs is (gammaJob moves too); that no
    // output proof opens a state that is not halted is the circuit's (io-circuit.test.ts)
    const n = a.job.chunks.length;
    await expect(
      submit(j, a, { ...proofs, chunks: proofs.chunks.slice(0, -1) }, (c) => ({
        ...c,
        chunks: c.chunks.slice(0, -1),
        states: c.states.slice(0, -1),
        finalState: c.states[n - 2]!,
        outputSum: (c.outputSum + c.chunks[n - 1]!.jobSum) % R,
      })),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    // the prover ran the job on another input: its input proof's digest is not the job's
    const other = digestHalves(Uint8Array.from(j.input, (b, i) => (i === 0 ? b ^ 1 : b)));
    await expect(
      submit(j, a, proofs, (c) => c, { hi: other.digestHi, lo: other.digestLo }),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
  }, 900_000);
});
