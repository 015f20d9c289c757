/**
 * Versioned-cells jobs settled through EpochManager.submitEpoch2 (issue 12) on hardhat's
 * network, with real Groth16 proofs of the test key set (job2_test): the image registered
 * through JobRegistry.registerImage2 (JobVerifier2 stores its entry state), jobs submitted with
 * their input bytes (the record holds their SHA-256), an epoch of two jobs verified in one
 * pairing product (JobVerifier2.verifyJobs), each result recorded with the output's SHA-256
 * (which a contract opens itself, JobOutput.sol), each chunk's prover credited by the cycles
 * it retired. Then every rule a submitter could break, each refused by name: a stranger or an
 * unassigned orchestrator submitting, a claim naming another image or input than the job's
 * record, the same job twice, a job of the other kind through either entry point, a run over
 * its cycle bound, a prover swapped into a chunk (credit theft), another exit code or output,
 * a replay of a settled job; and a deployment without JobVerifier2 refusing both.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { getContract, type Abi, type Address } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { artifactAbi } from "../client/chain.ts";
import { getPoseidon, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import {
  job2Claim,
  Job2Prover,
  jobsProofList,
  loadChunk2Probe,
  proveJob2,
  type Job2Keys,
  type Prepared2,
  type Proofs2,
} from "../prover/zkvm/job2.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import { verifyJob2, type Job2 } from "../prover/zkvm/verify2.ts";
import {
  deployConcentric,
  JOB2_TEST_KEY_SET,
  registerImageArgs,
  type Concentric,
} from "../scripts/lib/deploy.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const ETH = 10n ** 18n;
const FEE = 10n ** 16n;
const PROVER_A: Address = "0x00000000000000000000000000000000000a11ce";
const PROVER_B: Address = "0x0000000000000000000000000000000000000b0b";
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const BOUND = 400n;
const elf = new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/fibonacci.elf`));
const INPUT = GUEST_INPUTS.fibonacci!;
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as const;
const sha = (b: Uint8Array) => BigInt(`0x${createHash("sha256").update(b).digest("hex")}`);

/** One proven job: its public values (the claim's source) and its proofs. */
interface Proven {
  job: Job2;
  proofs: Proofs2;
}

let connection: NetworkConnection;
let c: Concentric;
let snapshot: { restore: () => Promise<void> };
let prepared: Prepared2;
let imageId: bigint;
/** Jobs 0 and 1: bound BOUND; job 2: bound one cycle short of the run. Job 3: a chunk-circuit job. */
let proven: Proven[];
let epoch: bigint;
/** A contract's writes, by function name. */
type Writes = { write: Record<string, (args: unknown[]) => Promise<`0x${string}`>> };
/** EpochManager with every contract's errors, so a nested revert decodes by name. */
let epochs: Writes;

const epochsWithErrors = (address: Address, client: unknown): Writes =>
  getContract({
    address,
    abi: [
      ...artifactAbi("EpochManager"),
      ...artifactAbi("JobRegistry"),
      ...artifactAbi("JobVerifier2"),
      ...artifactAbi("Job2TestMultiVerifier", "generated"),
    ] as Abi,
    client: client as never,
  }) as unknown as Writes;

beforeAll(async () => {
  const p = await getPoseidon();
  const ks = keySetCircuits(JOB2_TEST_KEY_SET);
  const [chunk, boundary, input, output] = await Promise.all(
    [ks.names.chunk, ks.names.boundary, ks.names.input, ks.names.output].map(getTestArtifacts),
  );
  const keys: Job2Keys = { chunk: chunk!, boundary: boundary!, input: input!, output: output! };
  const probe = await loadChunk2Probe(ks.cfg, defaultCacheDir());
  const kit = await Job2Prover.fromArtifacts(p, ks.cfg, ks.np, ks.maxb, probe, keys);
  const image = loadElf(elf);
  prepared = await kit.prepare(image, INPUT, BigInt(PROVER_A));

  connection = await network.create();
  const wallets = await connection.viem.getWalletClients();
  c = await deployConcentric(connection);
  epochs = epochsWithErrors(c.addresses.epochs, wallets[1]);
  await c.staking.write.stake({ account: wallets[1]!.account, value: 2n * ETH });
  await c.registry.write.register(["http://127.0.0.1:7001", ZERO], {
    account: wallets[1]!.account,
  });
  const o = prepared.opening;
  await c.jobs.write.registerImage2([
    o.entry,
    o.memorySize,
    o.codeStart,
    o.codeEnd,
    o.initRoot,
    hex(elf),
  ]);
  imageId = await c.jobVerifier2!.read.imageIdOf([
    {
      entry: o.entry,
      memorySize: o.memorySize,
      codeStart: o.codeStart,
      codeEnd: o.codeEnd,
      initRoot: o.initRoot,
    },
  ]);
  const cycles = BigInt(prepared.chunks.at(-1)!.stateOut.cycles);
  const as3 = { account: wallets[3]!.account, value: FEE };
  for (const bound of [BOUND, BOUND, cycles - 1n])
    await c.jobs.write.submitJob2([imageId, hex(INPUT), bound], as3);
  // job 3: a chunk-circuit job on the same program
  const old = await imageOpening(image);
  await c.jobs.write.registerImage(registerImageArgs(old, elf));
  await c.jobs.write.submitJobWithInput([imageId, hex(INPUT), BOUND], as3);
  epoch = (await c.jobs.read.job([0n])).epoch;

  proven = [];
  for (const jobId of [0n, 1n, 2n]) {
    const { job, proofInputs } = await kit.assemble(prepared, {
      chainId: BigInt(await connection.viem.getPublicClient().then((pc) => pc.getChainId())),
      contract: c.addresses.jobVerifier2!,
      jobId,
    });
    // the last two chunks proven by another prover: the prover is a public input of its own,
    // outside the commitment and the share
    const n = job.chunks.length;
    for (const i of [n - 2, n - 1]) {
      job.chunks[i] = { ...job.chunks[i]!, prover: BigInt(PROVER_B) };
      proofInputs.chunks[i] = { ...proofInputs.chunks[i]!, prover: BigInt(PROVER_B).toString() };
    }
    verifyJob2(p, job);
    proven.push({ job, proofs: await proveJob2(keys, job, proofInputs) });
  }
  await connection.networkHelpers.time.increase(120);
  snapshot = await connection.networkHelpers.takeSnapshot();
}, 900_000);

/** submitEpoch2's jobs argument for proven jobs (a test may change a claim). */
function jobsArg(
  ps: Proven[],
  change: (i: number, a: ReturnType<typeof arg>) => ReturnType<typeof arg> = (_, a) => a,
) {
  return ps.map((x, i) => change(i, arg(x)));
}
function arg(x: Proven) {
  return {
    imageId,
    inputHi: x.job.inputDigest.hi,
    inputLo: x.job.inputDigest.lo,
    claim: job2Claim(x.job),
  };
}

/** Submits an epoch as `who` (default the assigned root, account 1). */
async function submit(
  jobs: ReturnType<typeof jobsArg>,
  ps: Proven[],
  who = 1,
  at: bigint = epoch,
): Promise<bigint> {
  const wallets = await connection.viem.getWalletClients();
  const e = epochsWithErrors(c.addresses.epochs, wallets[who]);
  const hash = await e.write.submitEpoch2!([at, jobs, [], jobsProofList(ps.map((x) => x.proofs))]);
  const pc = await connection.viem.getPublicClient();
  const r = await pc.waitForTransactionReceipt({ hash });
  expect(r.status).toBe("success");
  return r.gasUsed;
}

describe("EpochManager.submitEpoch2: versioned-cells jobs", () => {
  it("records the job with its SHA-256 input digest, version 2, no S_0", async () => {
    await snapshot.restore();
    const j = await c.jobs.read.job([0n]);
    expect(j.version).toBe(2);
    expect(j.inputDigest).toBe(sha(INPUT));
    expect(j.s0).toBe(0n);
    expect(j.maxChunks).toBe(Number((BOUND + 7n) / 8n));
    expect((await c.jobs.read.job([3n])).version).toBe(1);
  });

  it("settles an epoch of two jobs in one pairing product and credits every prover", async () => {
    await snapshot.restore();
    const two = proven.slice(0, 2);
    const gas = await submit(jobsArg(two), two);
    const n = two.reduce((s, x) => s + x.job.chunks.length, 0);
    const cycles = two.reduce((s, x) => s + Number(x.job.final.cycles), 0);
    console.log(
      `submitEpoch2: 2 jobs, ${n} chunk proofs, ${cycles} cycles: ${gas} gas (${(Number(gas) / cycles).toFixed(1)} per cycle at K = 8)`,
    );
    const last = prepared.chunks.at(-1)!.stateOut;
    for (const id of [0n, 1n]) {
      const [settled, r] = await c.jobs.read.result([id]);
      expect(settled).toBe(true);
      expect(r.outputDigest).toBe(sha(prepared.output));
      expect(r.cycles).toBe(BigInt(last.cycles));
      expect(r.exitCode).toBe(last.exitCode >>> 0);
      expect(r.epoch).toBe(epoch);
    }
    // each prover by the cycles its chunks retired, per job
    const proverPool = (FEE * 7000n) / 10_000n;
    const chunks = proven[0]!.job.chunks;
    const total = chunks.reduce((s, x) => s + x.cyclesRetired, 0n);
    const bCycles = chunks.slice(-2).reduce((s, x) => s + x.cyclesRetired, 0n);
    const a = (proverPool * (total - bCycles)) / total;
    const b = (proverPool * bCycles) / total;
    expect(await c.epochs.read.rewardsOf([PROVER_A])).toBe(2n * a);
    expect(await c.epochs.read.rewardsOf([PROVER_B])).toBe(2n * b);
    const wallets = await connection.viem.getWalletClients();
    expect(await c.epochs.read.rewardsOf([wallets[1]!.account.address])).toBe(2n * (FEE - a - b));
    const rec = await c.epochs.read.epochRecord([epoch]);
    expect([rec.jobs, rec.chunks]).toEqual([2, n]);
    // a replay: the epoch again, or its jobs in a later epoch
    await expect(submit(jobsArg(two), two)).rejects.toThrow(/Epoch__AlreadySubmitted/);
    await connection.networkHelpers.time.increase(60);
    await expect(submit(jobsArg(two), two, 1, epoch + 1n)).rejects.toThrow(/Jobs__NotPending/);
  }, 300_000);

  it("refuses a stranger, and an orchestrator that is not the assigned root", async () => {
    await snapshot.restore();
    const one = proven.slice(0, 1);
    await expect(submit(jobsArg(one), one, 5)).rejects.toThrow(/Epoch__NotAssigned/);
  });

  it("refuses a claim on another image or input than the job's record", async () => {
    await snapshot.restore();
    const one = proven.slice(0, 1);
    await expect(
      submit(
        jobsArg(one, (_, a) => ({ ...a, imageId: a.imageId + 1n })),
        one,
      ),
    ).rejects.toThrow(/Epoch__JobMismatch/);
    await expect(
      submit(
        jobsArg(one, (_, a) => ({ ...a, inputLo: a.inputLo ^ 1n })),
        one,
      ),
    ).rejects.toThrow(/Epoch__JobMismatch/);
  });

  it("refuses the same job twice in one epoch (it is settled once)", async () => {
    await snapshot.restore();
    const twice = [proven[0]!, proven[0]!];
    await expect(submit(jobsArg(twice), twice)).rejects.toThrow(/Jobs__NotPending/);
  }, 120_000);

  it("refuses a job of the other kind through either entry point", async () => {
    await snapshot.restore();
    // job 1's claim relabelled as job 3 (a chunk-circuit job)
    const one = proven.slice(1, 2);
    await expect(
      submit(
        jobsArg(one, (_, a) => ({ ...a, claim: { ...a.claim, jobId: 3n } })),
        one,
      ),
    ).rejects.toThrow(/Epoch__JobVersion/);
    // a versioned-cells job through submitEpoch
    const e = epochs.write;
    const jp = {
      jobId: 0n,
      states: [],
      provers: [PROVER_A],
      chunkCycles: [1],
      finalCore: 1n,
      outputDigest: 1n,
      exitCode: 0,
      cycles: 1n,
    };
    await expect(e.submitEpoch!([epoch, [jp], [], [Array(8).fill(1n)]])).rejects.toThrow(
      /Epoch__JobVersion/,
    );
  });

  it("refuses a run longer than the job's cycle bound", async () => {
    await snapshot.restore();
    const j2 = proven.slice(2, 3);
    await expect(submit(jobsArg(j2), j2)).rejects.toThrow(/Epoch__OverCycleBound/);
  });

  it("refuses a prover swapped into a chunk, another exit code, another output", async () => {
    await snapshot.restore();
    const one = proven.slice(0, 1);
    const claim = (f: (c: ReturnType<typeof job2Claim>) => ReturnType<typeof job2Claim>) =>
      jobsArg(one, (_, a) => ({ ...a, claim: f(a.claim) }));
    const thief: Address = "0x000000000000000000000000000000000000dEaD";
    await expect(
      submit(
        claim((c) => ({
          ...c,
          chunks: c.chunks.map((x, i) => (i === 0 ? { ...x, prover: thief } : x)),
        })),
        one,
      ),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    await expect(
      submit(
        claim((c) => ({ ...c, exitCode: c.exitCode + 1 })),
        one,
      ),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    await expect(
      submit(
        claim((c) => ({ ...c, outputLo: c.outputLo ^ 1n })),
        one,
      ),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed|Job2__Unbalanced/);
    expect((await c.jobs.read.result([0n]))[0]).toBe(false);
  }, 120_000);
});

describe("a deployment without JobVerifier2", () => {
  it("refuses versioned-cells images, jobs and epochs", async () => {
    const conn = await network.create();
    const d = await deployConcentric(conn, undefined, {}, null);
    expect(d.jobVerifier2).toBeUndefined();
    await expect(d.jobs.write.registerImage2([0, 1 << 20, 0, 4, 0n, "0x"])).rejects.toThrow(
      /Jobs__NoJobVerifier2/,
    );
    await expect(d.jobs.write.submitJob2([1n, "0x", 10n], { value: FEE })).rejects.toThrow(
      /Jobs__NoJobVerifier2/,
    );
    await expect(d.epochs.write.submitEpoch2([0n, [], [], []])).rejects.toThrow(
      /Epoch__NoJobVerifier2/,
    );
  });
});

describe("JobRegistry.submitJob2", () => {
  it("refuses an unknown image and a long input; registering again publishes the ELF again", async () => {
    await snapshot.restore();
    await expect(
      c.jobs.write.submitJob2([imageId + 1n, "0x", 10n], { value: FEE }),
    ).rejects.toThrow(/Jobs__UnknownImage/);
    await expect(
      c.jobs.write.submitJob2([imageId, hex(new Uint8Array(65)), 10n], { value: FEE }),
    ).rejects.toThrow(/Jobs__InputTooLong/);
    // registering again publishes another ELF (orchestrators keep the first that opens to the
    // image ID: garbage published first cannot keep the honest ELF out)
    const o = prepared.opening;
    const hash = await c.jobs.write.registerImage2([
      o.entry,
      o.memorySize,
      o.codeStart,
      o.codeEnd,
      o.initRoot,
      "0x00",
    ]);
    const pc = await connection.viem.getPublicClient();
    expect((await pc.waitForTransactionReceipt({ hash })).status).toBe("success");
  });
});
