/**
 * Jobs, epochs and the Universal Proof on hardhat's network, with real Groth16 chunk proofs of
 * a committed guest: a full epoch settles a job and credits every prover; tampered Universal
 * Proofs (a chunk missing, chunks reordered, another job's or image's proof, a changed prover,
 * a false result, aliased inputs, malformed points, a replay) are rejected by name; a missed
 * deadline slashes the assigned submitter and opens the epoch to another orchestrator.
 */
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { beforeAll, describe, expect, it } from "vitest";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";
import {
  universalProof,
  type JobProofArg,
  type UniversalProof,
} from "../orchestrator/universal-proof.ts";
import {
  executeChunked,
  getPoseidon,
  imageIdOf,
  imageOpening,
  inputDigest,
  loadElf,
  type ImageOpening,
} from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { BN254_P, BN254_R } from "../prover/verify/batch.ts";
import { Groth16ChunkProver, type Address } from "../prover/zkvm/prover.ts";
import { chunkLimits, proveRun, type RunProof } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { DEFAULT_NETWORK_CIRCUIT, deployConcentric } from "../scripts/lib/deploy.ts";

const ETH = 10n ** 18n;
const FEE = 10n ** 16n;
const PROVER_A: Address = "0x00000000000000000000000000000000000a11ce";
const PROVER_B: Address = "0x0000000000000000000000000000000000000b0b";
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const elf = (g: string) => new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as const;

let run: RunProof;
let up: UniversalProof;
let opening: ImageOpening;

beforeAll(async () => {
  const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
  const config = chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT);
  const image = loadElf(elf("fibonacci"));
  const input = GUEST_INPUTS.fibonacci!;
  const prover = new Groth16ChunkProver(artifacts);
  ({ run } = await proveRun(image, input, {
    config,
    prover,
    address: PROVER_A,
    vk: artifacts.vkey,
  }));
  // The last two chunks proven by another prover: each proof credits the address inside it.
  opening = await imageOpening(image);
  const exec = await executeChunked(image, input, chunkLimits(config));
  const n = exec.chunks.length;
  for (const i of [n - 2, n - 1])
    run.chunks[i] = await prover.proveChunk({ config, opening }, exec.chunks[i]!, PROVER_B);
  up = await universalProof([{ jobId: 0n, run }]);
}, 600_000);

async function connect() {
  const connection = await network.create();
  const wallets = await connection.viem.getWalletClients();
  const publicClient = await connection.viem.getPublicClient();
  const as = (i: number) => ({ account: wallets[i]!.account });
  const addr = (i: number) => wallets[i]!.account.address;
  const { networkHelpers } = connection;

  /** Deployed, account 1 a staked root orchestrator, account 2 its child, the image registered,
   * job 0 (fibonacci on its test input) submitted by account 3, and its epoch over. */
  async function epochOver() {
    const c = await deployConcentric(connection);
    for (const i of [1, 2]) await c.staking.write.stake({ ...as(i), value: 2n * ETH });
    await c.registry.write.register(["http://127.0.0.1:7001", ZERO], as(1));
    await c.registry.write.register(["http://127.0.0.1:7002", addr(1)], as(2));
    await c.jobs.write.registerImage([
      opening.entry,
      opening.memorySize,
      opening.codeStart,
      opening.codeEnd,
      opening.initRoot,
      hex(elf("fibonacci")),
    ]);
    await c.jobs.write.submitJobWithInput([BigInt(run.imageId), hex(GUEST_INPUTS.fibonacci!)], {
      ...as(3),
      value: FEE,
    });
    const epoch = (await c.jobs.read.job([0n])).epoch;
    await networkHelpers.time.increase(120);
    return { c, epoch };
  }
  return { connection, wallets, publicClient, as, addr, networkHelpers, epochOver };
}

/** A mutable copy of the Universal Proof, to tamper with (viem's argument types are readonly). */
interface Copy {
  jobs: JobProofArg[];
  proofs: bigint[][];
}
const clone = (): Copy => ({
  jobs: up.jobs.map((j) => ({ ...j, states: [...j.states], provers: [...j.provers] })),
  proofs: up.proofs.map((p) => [...p]),
});
const words8 = (p: bigint[][]) =>
  p as unknown as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint][];

describe("JobRegistry", () => {
  it("computes image ID, input digest and S_0 exactly as the prover does", async () => {
    const { networkHelpers, epochOver } = await connect();
    const { c } = await networkHelpers.loadFixture(epochOver);
    const job = await c.jobs.read.job([0n]);
    expect(job.imageId).toBe(imageIdOf(await getPoseidon(), opening));
    expect(job.inputDigest).toBe(await inputDigest(GUEST_INPUTS.fibonacci!));
    expect(job.s0).toBe(BigInt(run.chain[0]!));
    expect(job.status).toBe(1); // Pending
    expect(await c.jobs.read.pendingIn([job.epoch])).toBe(1n);
  });

  it("refuses bad images and jobs by name, refunds only after the timeout", async () => {
    const { networkHelpers, epochOver, as } = await connect();
    const { c } = await networkHelpers.loadFixture(epochOver);
    const o = opening;
    const id = BigInt(run.imageId);
    await expect(
      c.jobs.write.registerImage([o.entry, o.memorySize, o.codeStart, o.codeEnd, o.initRoot, "0x"]),
    ).rejects.toThrow(/Jobs__ImageExists/);
    await expect(
      c.jobs.write.registerImage([o.entry, 1 << 16, o.codeStart, o.codeEnd, o.initRoot, "0x"]),
    ).rejects.toThrow(/Jobs__UnsupportedMemorySize/);
    await expect(
      c.jobs.write.registerImage([o.entry, o.memorySize, o.codeStart, o.codeEnd, BN254_R, "0x"]),
    ).rejects.toThrow(/Jobs__NotInField/);
    await expect(c.jobs.write.submitJob([id + 1n, 0n], { value: FEE })).rejects.toThrow(
      /Jobs__UnknownImage/,
    );
    await expect(c.jobs.write.submitJob([id, BN254_R], { value: FEE })).rejects.toThrow(
      /Jobs__NotInField/,
    );
    await expect(c.jobs.write.submitJob([id, 0n], { value: 1n })).rejects.toThrow(
      /Jobs__FeeTooLow/,
    );
    await expect(
      c.jobs.write.submitJobWithInput([id, hex(new Uint8Array(65))], { value: FEE }),
    ).rejects.toThrow(/Jobs__InputTooLong/);
    await expect(c.jobs.write.refund([0n])).rejects.toThrow(/Jobs__RefundTooEarly/);
    await expect(c.jobs.write.refund([7n])).rejects.toThrow(/Jobs__UnknownJob/);
    await expect(
      c.jobs.write.settle([0n, { exitCode: 0, cycles: 1n, epoch: 0n, outputDigest: 0n }], as(1)),
    ).rejects.toThrow(/Jobs__NotSettler/);
    await networkHelpers.time.increase(86_400);
    await c.jobs.write.refund([0n]);
    expect((await c.jobs.read.job([0n])).status).toBe(3); // Refunded
    await expect(c.jobs.write.refund([0n])).rejects.toThrow(/Jobs__NotPending/);
  });
});

describe("EpochManager: the Universal Proof on chain", () => {
  it("settles a job from real chunk proofs, credits each prover, and a consumer acts on it", async () => {
    const { connection, networkHelpers, epochOver, as, addr, publicClient } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const consumer = await connection.viem.deployContract("ResultConsumer", [
      c.addresses.jobs,
      BigInt(run.imageId),
      BigInt(run.final.outputDigest),
    ]);
    await expect(consumer.write.accept([0n])).rejects.toThrow(/ResultConsumer__NotSettled/);
    const { jobs, proofs } = clone();
    const hash = await c.epochs.write.submitEpoch([epoch, jobs, [addr(2)], words8(proofs)], as(1));
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    const [settled, r] = await c.jobs.read.result([0n]);
    expect(settled).toBe(true);
    expect(r.exitCode).toBe(run.final.exitCode);
    expect(r.cycles).toBe(BigInt(run.final.cycles));
    expect(r.outputDigest).toBe(BigInt(run.final.outputDigest));
    expect(r.epoch).toBe(epoch);
    await consumer.write.accept([0n]);
    expect(await consumer.read.accepted([0n])).toBe(true);

    const n = BigInt(run.chunks.length);
    const perChunk = (FEE * 7000n) / 10_000n / n;
    expect(await c.epochs.read.rewardsOf([PROVER_A])).toBe(perChunk * (n - 2n));
    expect(await c.epochs.read.rewardsOf([PROVER_B])).toBe(perChunk * 2n);
    const pool = FEE - perChunk * n;
    expect(await c.epochs.read.rewardsOf([addr(2)])).toBe(pool / 2n);
    expect(await c.epochs.read.rewardsOf([addr(1)])).toBe(pool - pool / 2n);
    const balance = await publicClient.getBalance({ address: c.addresses.epochs });
    expect(balance).toBe(await c.epochs.read.totalRewards());
    expect(balance).toBe(FEE);
    const record = await c.epochs.read.epochRecord([epoch]);
    expect(record.chunks).toBe(run.chunks.length);
    expect(record.submitter.toLowerCase()).toBe(addr(1).toLowerCase());

    // Replays: the same epoch again, or the settled job in a later epoch.
    await expect(
      c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(1)),
    ).rejects.toThrow(/Epoch__AlreadySubmitted/);
    await networkHelpers.time.increase(60);
    const later = epoch + 1n;
    await expect(
      c.epochs.write.submitEpoch([later, jobs, [], words8(proofs)], as(1)),
    ).rejects.toThrow(/Jobs__NotPending|Epoch__NotAssigned/);

    await c.epochs.write.withdrawRewards(as(2));
    expect(await c.epochs.read.rewardsOf([addr(2)])).toBe(0n);
    await expect(c.epochs.write.withdrawRewards(as(2))).rejects.toThrow(/Epoch__NothingToWithdraw/);
  });

  it("accepts the same Universal Proof with compressed points", async () => {
    const { networkHelpers, epochOver, as } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const { jobs } = clone();
    await c.epochs.write.submitEpochCompressed(
      [epoch, jobs, [], up.compressed.map((p) => [...p] as [bigint, bigint, bigint, bigint])],
      as(1),
    );
    expect((await c.jobs.read.result([0n]))[0]).toBe(true);
  });

  it("rejects tampered Universal Proofs, each with its reason", async () => {
    const { networkHelpers, epochOver, addr } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const submit = (t: Copy, from = 1) =>
      c.epochs.simulate.submitEpoch([epoch, t.jobs, [], words8(t.proofs)], { account: addr(from) });
    const tamper = (f: (t: Copy) => void) => {
      const t = clone();
      f(t);
      return submit(t);
    };
    const job = (t: Copy) => t.jobs[0]!;
    // the untampered proof passes the same simulation
    await submit(clone());

    // a chunk missing: its proof, prover and output state removed
    await expect(
      tamper((t) => {
        t.proofs.splice(3, 1);
        job(t).provers.splice(3, 1);
        job(t).states.splice(3, 1);
      }),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    // chunks reordered
    await expect(
      tamper((t) => {
        [t.proofs[1], t.proofs[2]] = [t.proofs[2]!, t.proofs[1]!];
        [job(t).provers[1], job(t).provers[2]] = [job(t).provers[2]!, job(t).provers[1]!];
      }),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    // a changed prover address
    await expect(tamper((t) => void (job(t).provers[0] = addr(5)))).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    // a false result
    await expect(tamper((t) => void (job(t).exitCode = 1))).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    await expect(tamper((t) => void (job(t).cycles += 1n))).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    await expect(tamper((t) => void (job(t).outputDigest += 1n))).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    // aliased inputs: x + r for an intermediate state, the final core, the output digest
    await expect(
      tamper((t) => void (job(t).states[0] = job(t).states[0]! + BN254_R)),
    ).rejects.toThrow(/BatchVerifier__InputNotInField/);
    await expect(tamper((t) => void (job(t).finalCore += BN254_R))).rejects.toThrow(
      /Epoch__NotInField/,
    );
    await expect(tamper((t) => void (job(t).outputDigest += BN254_R))).rejects.toThrow(
      /Epoch__NotInField/,
    );
    // malformed points
    await expect(tamper((t) => void (t.proofs[0]![0] = BN254_P))).rejects.toThrow(
      /BatchVerifier__InvalidPoint/,
    );
    await expect(tamper((t) => void (t.proofs[0]![1] = t.proofs[0]![1]! + 1n))).rejects.toThrow(
      /BatchVerifier__InvalidPoint/,
    );
    // shapes
    await expect(tamper((t) => void t.proofs.pop())).rejects.toThrow(/Epoch__ProofCount/);
    await expect(tamper((t) => void job(t).states.pop())).rejects.toThrow(/Epoch__ChainLength/);
    await expect(tamper((t) => void (job(t).provers[2] = ZERO))).rejects.toThrow(
      /Epoch__ZeroProver/,
    );
    await expect(tamper((t) => void (t.jobs = []))).rejects.toThrow(
      /Epoch__Empty|Epoch__ProofCount/,
    );
    // who and when
    await expect(submit(clone(), 2)).rejects.toThrow(/Epoch__NotAssigned/);
    await expect(
      c.epochs.simulate.submitEpoch([epoch + 5n, clone().jobs, [], up.proofs], {
        account: addr(1),
      }),
    ).rejects.toThrow(/Epoch__NotEnded/);
    await expect(
      c.epochs.simulate.submitEpoch([epoch, clone().jobs, [addr(6)], up.proofs], {
        account: addr(1),
      }),
    ).rejects.toThrow(/Epoch__NotOrchestrator/);
  });

  it("rejects a proof of another job or another image", async () => {
    const { networkHelpers, epochOver, addr } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const other = await imageOpening(loadElf(elf("sort")));
    await c.jobs.write.registerImage([
      other.entry,
      other.memorySize,
      other.codeStart,
      other.codeEnd,
      other.initRoot,
      hex(elf("sort")),
    ]);
    const otherId = imageIdOf(await getPoseidon(), other);
    // job 1: same image, another input; job 2: another image, same input
    await c.jobs.write.submitJobWithInput([BigInt(run.imageId), hex(Uint8Array.of(6, 0, 0, 0))], {
      value: FEE,
    });
    await c.jobs.write.submitJobWithInput([otherId, hex(GUEST_INPUTS.fibonacci!)], { value: FEE });
    await networkHelpers.time.increase(120);
    const later = (await c.jobs.read.job([2n])).epoch;
    expect(later).toBeGreaterThan(epoch);
    // the epoch's submitter rotates over roots; with one root it is always account 1
    for (const jobId of [1n, 2n]) {
      const t = clone();
      t.jobs[0]!.jobId = jobId;
      await expect(
        c.epochs.simulate.submitEpoch([later, t.jobs, [], up.proofs], { account: addr(1) }),
      ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    }
    // and a job can not be settled in an epoch before its own
    const t = clone();
    t.jobs[0]!.jobId = 1n;
    await expect(
      c.epochs.simulate.submitEpoch([epoch, t.jobs, [], up.proofs], { account: addr(1) }),
    ).rejects.toThrow(/Epoch__JobNotDue/);
  });

  it("slashes a submitter that misses its deadline and opens the epoch to another orchestrator", async () => {
    const { networkHelpers, epochOver, as, addr } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    await expect(c.epochs.write.slashMissed([epoch])).rejects.toThrow(/Epoch__NotSlashable/);
    // New roots after the epoch's first job do not move its assignment (fixed at that job).
    for (const i of [4, 5]) {
      await c.staking.write.stake({ ...as(i), value: 2n * ETH });
      await c.registry.write.register([`http://127.0.0.1:700${i}`, ZERO], as(i));
    }
    expect((await c.epochs.read.assignedSubmitter([epoch])).toLowerCase()).toBe(
      addr(1).toLowerCase(),
    );
    await expect(c.epochs.write.assign([epoch], as(1))).rejects.toThrow(/Epoch__NotJobRegistry/);
    await networkHelpers.time.increase(600);
    const staked = await c.staking.read.stakeOf([addr(1)]);
    await c.epochs.write.slashMissed([epoch], as(7));
    const slash = 10n ** 17n;
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(staked - slash);
    expect(await c.epochs.read.bounty([epoch])).toBe(slash);
    await expect(c.epochs.write.slashMissed([epoch])).rejects.toThrow(/Epoch__NotSlashable/);
    const { jobs, proofs } = clone();
    // late: any active orchestrator, but not an outsider
    await expect(
      c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(6)),
    ).rejects.toThrow(/Epoch__NotOrchestrator/);
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(2));
    const n = BigInt(run.chunks.length);
    const perChunk = (FEE * 7000n) / 10_000n / n;
    expect(await c.epochs.read.rewardsOf([addr(2)])).toBe(FEE - perChunk * n + slash);
    expect(await c.epochs.read.bounty([epoch])).toBe(0n);
  });
});

describe("the remaining revert paths", () => {
  it("names every other refusal: empty jobs, huge cycles, stray payments, no root, bad config", async () => {
    const { connection, networkHelpers, epochOver, as, addr, wallets } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const sim = (t: Copy) =>
      c.epochs.simulate.submitEpoch([epoch, t.jobs, [], words8(t.proofs)], { account: addr(1) });
    const empty = clone();
    empty.jobs[0]!.provers = [];
    empty.jobs[0]!.states = [];
    empty.proofs = [];
    await expect(sim(empty)).rejects.toThrow(/Epoch__NoChunks/);
    const huge = clone();
    huge.jobs[0]!.cycles = 2n ** 40n;
    await expect(sim(huge)).rejects.toThrow(/Epoch__CyclesTooLarge/);
    await expect(
      wallets[4]!.sendTransaction({ to: c.addresses.epochs, value: 1n, chain: null }),
    ).rejects.toThrow(/Epoch__UnexpectedPayment/);
    const o = opening;
    await expect(
      c.jobs.write.registerImage([o.entry, o.memorySize, o.codeEnd, o.codeStart, o.initRoot, "0x"]),
    ).rejects.toThrow(/Jobs__BadCodeRange/);
    await expect(c.jobs.write.configure([addr(1)])).rejects.toThrow(/Jobs__AlreadyConfigured/);
    await expect(c.jobs.write.configure([addr(1)], as(1))).rejects.toThrow(/Jobs__NotDeployer/);
    await expect(
      connection.viem.deployContract("EpochManager", [
        c.addresses.verifier,
        c.addresses.jobs,
        c.addresses.registry,
        c.addresses.staking,
        c.addresses.poseidon3,
        600n,
        1n,
        10_001,
      ]),
    ).rejects.toThrow(/Epoch__BadConfig/);
    // With no active root, nobody is assigned within the deadline.
    await c.registry.write.requestExit(as(2));
    await networkHelpers.time.increase(3600);
    await c.registry.write.deregister(as(2));
    await c.registry.write.requestExit(as(1));
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n], { value: FEE });
    const next = (await c.jobs.read.job([1n])).epoch;
    await networkHelpers.time.increase(120);
    await expect(
      c.epochs.simulate.submitEpoch([next, clone().jobs, [], up.proofs], { account: addr(1) }),
    ).rejects.toThrow(/Epoch__NoRoot/);
  });
});

describe("payouts to an account that refuses them", () => {
  it("revert with the payer's TransferFailed and keep the funds owed", async () => {
    const { connection, networkHelpers, epochOver, as, addr, publicClient } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const r = await connection.viem.deployContract("Rejector", [
      c.addresses.staking,
      c.addresses.registry,
      c.addresses.jobs,
      c.addresses.epochs,
    ]);
    // staking: its unbonded stake cannot be paid out
    await r.write.stake({ value: 2n * ETH });
    await r.write.requestUnstake([ETH / 2n]);
    await networkHelpers.time.increase(3600);
    await expect(r.write.withdraw()).rejects.toThrow(/Staking__TransferFailed/);
    expect((await c.staking.read.unbondingOf([r.address])).amount).toBe(ETH / 2n);
    // jobs: its refund cannot be paid
    await r.write.submitJob([BigInt(run.imageId), 0n], { value: FEE });
    await networkHelpers.time.increase(86_400);
    await expect(c.jobs.write.refund([1n])).rejects.toThrow(/Jobs__TransferFailed/);
    expect((await c.jobs.read.job([1n])).status).toBe(1); // still pending
    // rewards: as an assembling orchestrator it is credited, but cannot withdraw
    await r.write.register(["http://127.0.0.1:7009", addr(1)]);
    const { jobs, proofs } = clone();
    await c.epochs.write.submitEpoch([epoch, jobs, [r.address], words8(proofs)], as(2)); // late: any orchestrator
    const owed = await c.epochs.read.rewardsOf([r.address]);
    expect(owed).toBeGreaterThan(0n);
    await expect(r.write.withdrawRewards()).rejects.toThrow(/Epoch__TransferFailed/);
    expect(await c.epochs.read.rewardsOf([r.address])).toBe(owed);
    expect(await publicClient.getBalance({ address: c.addresses.epochs })).toBe(
      (await c.epochs.read.totalRewards()) + (await c.epochs.read.bounty([epoch])),
    );
  });
});
