/**
 * A versioned-cells job as its prover makes it (issue 12; circuits/zkvm/README.md, the
 * two-round protocol; the orchestrator runs it in orchestrator/execute-job2.ts): the run cut into chunks, round 1 (each
 * chunk's lookup counts and commitment, the boundary proof's commitment), gammaJob derived as
 * the verifier derives it (verify2.ts, `jobGamma`), round 2 (every proof's inputs at gammaJob
 * and its share of the job-wide sum), then the Groth16 proofs and the claim a contract checks
 * (contracts/JobVerifier2.sol).
 *
 * Round 1 and the shares come from witnesses: the chunk's from a build of `Chunk2` without
 * its asserts (its first witness has no counts yet) with its symbols, the other proofs' from
 * their own circuits, whose outputs are the witness's first wires (boundary: jobSum,
 * commitment; input and output: digestHi, digestLo, jobSum).
 */
import { createHash } from "node:crypto";
import * as snarkjs from "snarkjs";
import { getAddress, type Address } from "viem";
import {
  executeChunked,
  imageIdOf,
  imageOpening,
  type ChunkRecord,
  type ImageOpening,
  type ProgramImage,
} from "../executor/index.ts";
import { inputClaim } from "../executor/io-elements.ts";
import type { CircuitArtifacts } from "../setup/artifacts.ts";
import { proofToWords } from "../verify/batch.ts";
import { loadWitnessCalculator, witnessOrNull } from "./mutation.ts";
import { compileVariant, readSymbols } from "./mutation-variants.ts";
import { leaseInputs2, type ChunkLease2, type PreparedJob2 } from "./prepare2.ts";
import { jobGamma, type Chunk2Public, type Job2 } from "./verify2.ts";
import {
  boundaryInputs,
  chunk2Inputs,
  chunk2Limits,
  countLookups,
  JobVersions,
  nPlain,
  type BoundaryCell2,
  type Chunk2CoreConfig,
} from "./witness2.ts";
import type { Poseidon } from "circomlibjs";

/** Chunk2's public inputs, in the circuit's order. */
export const CHUNK2_PUBLIC = [
  "sIn",
  "sOut",
  "imageId",
  "prover",
  "cyclesRetired",
  "commitment",
  "gammaJob",
  "jobSum",
] as const;

/** Round 1's stand-in for gammaJob (the transcript does not depend on it; a witness needs one). */
export const ROUND1_GAMMA =
  0x2f6b_91c4_07de_35a8_c1e2_4b7d_9a06_3f58_e4c7_12b9_d0a3_6e85_17f2_c94b_3a60_8d1en % (1n << 250n);

type Inputs = Record<string, unknown>;
type WitnessCalculator = Awaited<ReturnType<typeof loadWitnessCalculator>>;
const dec = (v: bigint | number) => BigInt(v).toString();

/** A witness calculator with the symbols of the signals read from it. */
export interface SymbolBuild {
  wc: WitnessCalculator;
  sym: Map<string, number>;
}

/** Chunk2 built without its asserts, with symbols: round 1's witnesses (cached per machine). */
export async function loadChunk2Probe(
  cfg: Chunk2CoreConfig,
  cacheDir: string,
  log?: (m: string) => void,
): Promise<SymbolBuild> {
  const v = await compileVariant(
    {
      file: "circuits/zkvm/chunk2.circom",
      template: "Chunk2",
      params: [cfg.K, cfg.NC, cfg.TB, cfg.M, cfg.MB, cfg.NM],
      publicInputs: [...CHUNK2_PUBLIC],
      label: "chunk2-full-probe",
      sym: true,
      noAsserts: true,
    },
    { cacheDir, ...(log ? { log } : {}) },
  );
  return { wc: await loadWitnessCalculator(v.wasmPath), sym: await readSymbols(v.symPath!) };
}

/** A job after round 1. */
export interface Prepared2 {
  image: ProgramImage;
  opening: ImageOpening;
  chunks: ChunkRecord[];
  input: Uint8Array;
  output: Uint8Array;
  /** Each chunk's inputs with its counts and commitment (gammaJob not yet drawn). */
  inputs: Inputs[];
  versions: JobVersions;
}

/** The inputs of every proof of a job, at its gammaJob. */
export interface ProofInputs2 {
  chunks: Inputs[];
  boundary: Inputs;
  input: Inputs;
  output: Inputs;
}

/** The job's proofs as points, [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy] each. */
export interface Proofs2 {
  chunks: bigint[][];
  boundary: bigint[];
  input: bigint[];
  output: bigint[];
}

/** What a job's own three proofs are made from, besides its chunks' public values. */
export interface JobParts2 {
  image: ProgramImage;
  opening: ImageOpening;
  /** The chunks' states and I/O (step records not needed). */
  chunks: ChunkRecord[];
  input: Uint8Array;
  output: Uint8Array;
  /** Every cell the job paged, with its image value and last version. */
  boundary: BoundaryCell2[];
}

/** A delegator's chunk whose round-1 commitment is not the one gammaJob was drawn from. */
export class CommitmentMismatch extends Error {
  override readonly name = "CommitmentMismatch";
  constructor(
    readonly index: number,
    readonly mine: bigint,
    readonly leased: bigint,
  ) {
    super(`chunk ${index}: its commitment is ${mine}, not the ${leased} gammaJob was drawn from`);
  }
}

export interface AssembleOptions {
  /** The chunks' round-1 inputs (default: the prepared ones; a test passes a cheat's). */
  inputs?: Inputs[];
  /** How gammaJob is drawn (default: as the verifier derives it). */
  gammaOf?: (base: Parameters<typeof jobGamma>[0]) => bigint;
  /** Changes the boundary proof's inputs (a test's cheat). */
  boundaryOf?: (x: Inputs) => Inputs;
}

/** SHA-256 of `b` as the I/O proofs output it: two 128-bit halves. */
export function digestHalves(b: Uint8Array): { digestHi: bigint; digestLo: bigint } {
  const h = BigInt(`0x${createHash("sha256").update(b).digest("hex")}`);
  return { digestHi: h >> 128n, digestLo: h & ((1n << 128n) - 1n) };
}

/**
 * One chunk's two rounds for a configuration `cfg` (what a delegator runs): round 1 (its
 * lookup counts and commitment) and round 2 (its share at gammaJob), from its inputs or from
 * its lease, with witnesses of `probe` (Chunk2 without its asserts).
 */
export class Chunk2Rounds {
  readonly nPlain: number;

  constructor(
    readonly p: Poseidon,
    readonly cfg: Chunk2CoreConfig,
    /** None where no chunk round runs (an orchestrator assembling a job's own proofs). */
    private readonly probeBuild: SymbolBuild | null,
  ) {
    this.nPlain = nPlain(cfg.TB);
  }

  /** The round-1 build. */
  get probe(): SymbolBuild {
    if (!this.probeBuild) throw new Error("no round-1 build: this prover runs no chunk round");
    return this.probeBuild;
  }

  protected probeSignal(w: bigint[], n: string): bigint {
    const i = this.probe.sym.get(`main.${n}`);
    if (i === undefined) throw new Error(`no signal ${n} in the round-1 build`);
    return w[i]!;
  }

  /** Round 1 of a chunk: its lookup counts, then its commitment (the core's transcript). */
  async round1(x: Inputs): Promise<Inputs> {
    const w = await this.probe.wc.calculateWitness(x as never, true);
    const m = countLookups(this.cfg, this.nPlain, (n) => this.probeSignal(w, `core.${n}`));
    const counted = { ...x, m };
    const w2 = await this.probe.wc.calculateWitness(counted as never, true);
    return { ...counted, commitment: dec(this.probeSignal(w2, "core.transcript")) };
  }

  /** Round 2 of a chunk: its share at gammaJob; the inputs its proof is made from. */
  async round2(x: Inputs, gamma: bigint): Promise<Inputs> {
    const at = { ...x, gammaJob: dec(gamma) };
    const w = await this.probe.wc.calculateWitness(at as never, true);
    return { ...at, jobSum: dec(this.probeSignal(w, "core.jobSum")) };
  }

  /**
   * A delegator's round 1 of one chunk: its inputs rebuilt from its lease (prepare2.ts), its
   * lookup counts and its commitment (under a placeholder prover: neither depends on it).
   */
  async commitLease(
    j: Pick<JobParts2, "image" | "opening" | "input">,
    lease: ChunkLease2,
  ): Promise<Inputs> {
    const x = await leaseInputs2(this.p, this.cfg, j.image, j.opening, j.input, lease, {
      gammaJob: ROUND1_GAMMA,
      prover: 1n,
    });
    return this.round1(x);
  }

  /**
   * A delegator's round 2 of one chunk: round 1 again (its counts), then its share at
   * gammaJob, proven under `prover`: the inputs its proof is made from.
   * @throws CommitmentMismatch when its commitment is not the one gammaJob was drawn from
   */
  async proveLease(
    j: Pick<JobParts2, "image" | "opening" | "input">,
    lease: ChunkLease2,
    at: { gammaJob: bigint; commitment: bigint; prover: bigint },
  ): Promise<Inputs> {
    const x = await this.commitLease(j, lease);
    const mine = BigInt(x.commitment as string);
    if (mine !== at.commitment) throw new CommitmentMismatch(lease.index, mine, at.commitment);
    return this.round2({ ...x, prover: dec(at.prover) }, at.gammaJob);
  }
}

/**
 * The prover's side of versioned-cells jobs for one configuration: a chunk of `cfg`, a
 * boundary proof of `np` pages, I/O proofs of `maxb` bytes.
 */
export class Job2Prover extends Chunk2Rounds {
  constructor(
    p: Poseidon,
    cfg: Chunk2CoreConfig,
    readonly np: number,
    readonly maxb: number,
    probe: SymbolBuild | null,
    /** The boundary, input and output circuits' witness calculators. */
    readonly wcs: {
      boundary: WitnessCalculator;
      input: WitnessCalculator;
      output: WitnessCalculator;
    },
  ) {
    super(p, cfg, probe);
  }

  /** One from the registry's artifacts (their witness calculators) and a round-1 probe. */
  static async fromArtifacts(
    p: Poseidon,
    cfg: Chunk2CoreConfig,
    np: number,
    maxb: number,
    probe: SymbolBuild | null,
    keys: Pick<Job2Keys, "boundary" | "input" | "output">,
  ): Promise<Job2Prover> {
    return new Job2Prover(p, cfg, np, maxb, probe, {
      boundary: await loadWitnessCalculator(keys.boundary.wasmPath),
      input: await loadWitnessCalculator(keys.input.wasmPath),
      output: await loadWitnessCalculator(keys.output.wasmPath),
    });
  }

  /** Runs a job (word mode) and does round 1 of every chunk, proven by `prover`. */
  async prepare(image: ProgramImage, input: Uint8Array, prover: bigint): Promise<Prepared2> {
    const opening = await imageOpening(image);
    const run = await executeChunked(image, input, chunk2Limits(this.cfg));
    const versions = new JobVersions(image);
    const inputs: Inputs[] = [];
    for (const chunk of run.chunks) {
      const ctx = versions.context(chunk.index + 1, ROUND1_GAMMA, prover);
      const x = chunk2Inputs(this.p, this.cfg, opening, chunk, ctx);
      versions.record(x);
      inputs.push(await this.round1(x));
    }
    return { image, opening, chunks: run.chunks, input, output: run.output, inputs, versions };
  }

  /**
   * Runs a job (word mode) and does round 1 of one chunk only, the one `pick` chooses from
   * every chunk's inputs (a delegator proves one chunk; a bench picks a chunk to time).
   */
  async prepareOne(
    image: ProgramImage,
    input: Uint8Array,
    prover: bigint,
    pick: (inputs: Inputs[]) => number,
  ): Promise<{ index: number; chunks: ChunkRecord[]; x: Inputs }> {
    const opening = await imageOpening(image);
    const run = await executeChunked(image, input, chunk2Limits(this.cfg));
    const versions = new JobVersions(image);
    const inputs: Inputs[] = [];
    for (const chunk of run.chunks) {
      const x = chunk2Inputs(
        this.p,
        this.cfg,
        opening,
        chunk,
        versions.context(chunk.index + 1, ROUND1_GAMMA, prover),
      );
      versions.record(x);
      inputs.push(x);
    }
    const index = pick(inputs);
    if (!inputs[index]) throw new Error(`no chunk ${index}: the job has ${inputs.length}`);
    return { index, chunks: run.chunks, x: await this.round1(inputs[index]) };
  }

  private padded(b: Uint8Array): bigint[] {
    if (b.length > this.maxb)
      throw new Error(`${b.length} bytes of I/O: the I/O proofs take ${this.maxb}`);
    return [...Array.from(b, BigInt), ...Array<bigint>(this.maxb - b.length).fill(0n)];
  }

  /**
   * The job as the verifier receives it (`verifyJob2`'s `Job2`) and every proof's inputs:
   * round 1 of the boundary proof, gammaJob, round 2 of every proof. `boundaryAccepted` tells
   * whether the boundary proof's witness satisfies its constraints (a cheat's may not).
   */
  async assemble(
    j: Prepared2,
    chain: { chainId: bigint; contract: Address; jobId: bigint },
    opts: AssembleOptions = {},
  ): Promise<{ job: Job2; proofInputs: ProofInputs2; boundaryAccepted: boolean }> {
    const { inputs = j.inputs } = opts;
    const r = await this.jobProofs(
      { ...j, boundary: j.versions.boundary() },
      inputs.map(chunkPublic),
      chain,
      opts,
    );
    const chunkInputs: Inputs[] = [];
    for (const x of inputs) chunkInputs.push(await this.round2(x, r.job.boundary.gammaJob));
    return {
      job: { ...r.job, chunks: chunkInputs.map(chunkPublic) },
      proofInputs: { ...r.proofInputs, chunks: chunkInputs },
      boundaryAccepted: r.boundaryAccepted,
    };
  }

  /**
   * The orchestrator's side after round 1: the job from its preparation and every chunk's
   * commitment (its delegators'), gammaJob derived, the boundary, input and output proofs'
   * inputs at it. The chunks' shares and provers are their proofs' (0 here until they arrive).
   */
  async assembleLeased(
    prep: PreparedJob2,
    j: Pick<JobParts2, "image" | "opening" | "input">,
    commitments: readonly bigint[],
    chain: { chainId: bigint; contract: Address; jobId: bigint },
  ): Promise<{ job: Job2; proofInputs: Omit<ProofInputs2, "chunks">; boundaryAccepted: boolean }> {
    if (commitments.length !== prep.leases.length)
      throw new Error(`${commitments.length} commitments for ${prep.leases.length} chunks`);
    const pubs = prep.leases.map((l, i): Chunk2Public => ({
      sIn: BigInt(l.sIn),
      sOut: BigInt(l.sOut),
      imageId: prep.imageId,
      prover: 0n,
      cyclesRetired: BigInt(l.cyclesRetired),
      commitment: commitments[i]!,
      gammaJob: 0n,
      jobSum: 0n,
    }));
    return this.jobProofs({ ...j, ...prep }, pubs, chain);
  }

  /**
   * gammaJob from the chunks' public values (their sIn and commitment) and the job's own
   * proofs' round 1, then those proofs' inputs and shares at it.
   */
  private async jobProofs(
    j: JobParts2,
    chunks: Chunk2Public[],
    chain: { chainId: bigint; contract: Address; jobId: bigint },
    opts: Pick<AssembleOptions, "gammaOf" | "boundaryOf"> = {},
  ): Promise<{ job: Job2; proofInputs: Omit<ProofInputs2, "chunks">; boundaryAccepted: boolean }> {
    const { gammaOf = jobGamma, boundaryOf = (x: Inputs) => x } = opts;
    const claim = inputClaim(j.chunks, j.input);
    const inPub = { ...digestHalves(j.input), read: BigInt(claim.read), ends: BigInt(claim.ends) };
    const outPub = digestHalves(j.output);
    const zero = { gammaJob: 0n, jobSum: 0n };
    const bIn = (g: bigint) =>
      boundaryOf(boundaryInputs(this.p, j.image, j.opening, j.boundary, this.np, g));
    // the boundary proof's outputs: wire 1 jobSum, wire 2 commitment
    const bw1 = await witnessOrNull(this.wcs.boundary, bIn(ROUND1_GAMMA));
    const bCommit = bw1 ? bw1[2]! : 0n;
    const base = {
      ...chain,
      chunks,
      boundary: { commitment: bCommit },
      input: { ...inPub, ...zero },
      output: { ...outPub, ...zero, sFinal: 0n, exitCode: 0n },
    };
    const gamma = gammaOf(base);
    const bw = await witnessOrNull(this.wcs.boundary, bIn(gamma));
    // the I/O proofs' outputs: digestHi, digestLo, jobSum
    const share = async (wc: WitnessCalculator, x: Inputs) =>
      (await wc.calculateWitness({ ...x, gammaJob: dec(gamma) } as never, true))[3]!;
    const inX = {
      len: j.input.length,
      in: this.padded(j.input),
      read: claim.read,
      ends: claim.ends,
    };
    const last = j.chunks[j.chunks.length - 1]!.stateOut;
    const imageId = imageIdOf(this.p, j.opening);
    // the output proof opens the last chunk's sOut: the final state, halted
    const sFinal = chunks[chunks.length - 1]!.sOut;
    const outX = {
      len: j.output.length,
      out: this.padded(j.output),
      sFinal: dec(sFinal),
      exitCode: last.exitCode >>> 0,
      imageId: dec(imageId),
      t: chunks.length + 1,
      cycles: last.cycles,
      pc: last.pc >>> 0,
      inPos: last.inputPosition,
    };
    return {
      job: {
        ...base,
        chunks: chunks.map((c) => ({ ...c, gammaJob: gamma })),
        image: j.opening,
        inputDigest: { hi: inPub.digestHi, lo: inPub.digestLo },
        boundary: {
          imageId,
          commitment: bCommit,
          gammaJob: gamma,
          jobSum: bw ? bw[1]! : 0n,
        },
        input: { ...inPub, gammaJob: gamma, jobSum: await share(this.wcs.input, inX) },
        output: {
          ...outPub,
          gammaJob: gamma,
          sFinal,
          exitCode: BigInt(last.exitCode >>> 0),
          jobSum: await share(this.wcs.output, outX),
        },
        final: {
          pc: last.pc,
          exitCode: last.exitCode,
          cycles: last.cycles,
          inputPosition: last.inputPosition,
          outputPosition: last.outputPosition!,
        },
      },
      proofInputs: {
        boundary: bIn(gamma),
        input: { ...inX, gammaJob: dec(gamma) },
        output: { ...outX, gammaJob: dec(gamma) },
      },
      boundaryAccepted: bw !== null,
    };
  }
}

/** A chunk's public values from its circuit inputs. */
const chunkPublic = (x: Inputs): Chunk2Public =>
  Object.fromEntries(
    CHUNK2_PUBLIC.map((k) => [k, BigInt(x[k] as string)]),
  ) as unknown as Chunk2Public;

/**
 * Every proof's public signals as its circuit orders them (outputs, then public inputs) and
 * JobVerifier2 writes them: each chunk's (CHUNK2_PUBLIC), the boundary proof's (jobSum,
 * commitment, imageId, gammaJob), the input proof's (digest, jobSum, gammaJob, read, ends),
 * the output proof's (digest, jobSum, gammaJob, sFinal, exitCode).
 */
export function job2PublicSignals(job: Job2) {
  const { boundary: b, input: i, output: o } = job;
  return {
    chunks: job.chunks.map((c) => CHUNK2_PUBLIC.map((k) => c[k])),
    boundary: [b.jobSum, b.commitment, b.imageId, b.gammaJob],
    input: [i.digestHi, i.digestLo, i.jobSum, i.gammaJob, i.read, i.ends],
    output: [o.digestHi, o.digestLo, o.jobSum, o.gammaJob, o.sFinal, o.exitCode],
  };
}

/** The Groth16 keys of a job's four circuits. */
export interface Job2Keys {
  chunk: CircuitArtifacts;
  boundary: CircuitArtifacts;
  input: CircuitArtifacts;
  output: CircuitArtifacts;
}

const prove = (a: CircuitArtifacts, x: Inputs) =>
  snarkjs.groth16.fullProve(x as never, a.wasmPath, a.zkeyPath);

/**
 * Proves every proof of an assembled job; each proof's public signals must be the ones the
 * verifier writes in (the order contracts/JobVerifier2.sol uses).
 * @throws Error naming the proof whose public signals differ
 */
export async function proveJob2(keys: Job2Keys, job: Job2, pi: ProofInputs2): Promise<Proofs2> {
  const same = (what: string, got: string[], want: bigint[]) => {
    if (got.length !== want.length || got.some((g, i) => BigInt(g) !== want[i]))
      throw new Error(`${what}: public signals [${got.join(", ")}] are not the claim's`);
  };
  const want = job2PublicSignals(job);
  const chunks: bigint[][] = [];
  for (const [i, x] of pi.chunks.entries()) {
    const { proof, publicSignals } = await prove(keys.chunk, x);
    same(`chunk ${i}`, publicSignals, want.chunks[i]!);
    chunks.push([...proofToWords(proof)]);
  }
  const b = await prove(keys.boundary, pi.boundary);
  same("boundary", b.publicSignals, want.boundary);
  const inp = await prove(keys.input, pi.input);
  same("input", inp.publicSignals, want.input);
  const out = await prove(keys.output, pi.output);
  same("output", out.publicSignals, want.output);
  return {
    chunks,
    boundary: [...proofToWords(b.proof)],
    input: [...proofToWords(inp.proof)],
    output: [...proofToWords(out.proof)],
  };
}

/** The claim JobVerifier2.verify takes (its `JobClaim`), from the job's public values. */
export function job2Claim(job: Job2) {
  const n = job.chunks.length;
  return {
    jobId: job.jobId,
    chunks: job.chunks.map((c) => ({
      prover: getAddress(`0x${c.prover.toString(16).padStart(40, "0")}`),
      cycles: Number(c.cyclesRetired),
      commitment: c.commitment,
      jobSum: c.jobSum,
    })),
    states: job.chunks.slice(0, n - 1).map((c) => c.sOut),
    boundaryCommitment: job.boundary.commitment,
    boundarySum: job.boundary.jobSum,
    read: Number(job.input.read),
    ends: Number(job.input.ends),
    inputSum: job.input.jobSum,
    outputHi: job.output.digestHi,
    outputLo: job.output.digestLo,
    outputSum: job.output.jobSum,
    finalState: job.output.sFinal,
    exitCode: Number(job.output.exitCode),
  };
}

/** JobVerifier2.verify's proofs: the chunks' in order, then the boundary, input and output proofs. */
export const job2ProofList = (p: Proofs2) => [...p.chunks, p.boundary, p.input, p.output];

/**
 * JobVerifier2.verifyJobs's proofs for several jobs: every job's chunk proofs (job by job),
 * then their boundary proofs, their input proofs, their output proofs.
 */
export const jobsProofList = (ps: Proofs2[]) => [
  ...ps.flatMap((p) => p.chunks),
  ...ps.map((p) => p.boundary),
  ...ps.map((p) => p.input),
  ...ps.map((p) => p.output),
];

/** JobVerifier2.registerImage's argument. */
export const job2Image = (o: ImageOpening) => ({
  entry: o.entry,
  memorySize: o.memorySize,
  codeStart: o.codeStart,
  codeEnd: o.codeEnd,
  initRoot: o.initRoot,
});
