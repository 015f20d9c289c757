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
import {
  DEFAULT_NETWORK_CIRCUIT,
  deployConcentric,
  registerImageArgs,
} from "../scripts/lib/deploy.ts";

const ETH = 10n ** 18n;
const FEE = 10n ** 16n;
const PROVER_A: Address = "0x00000000000000000000000000000000000a11ce";
const PROVER_B: Address = "0x0000000000000000000000000000000000000b0b";
const ZERO: Address = "0x0000000000000000000000000000000000000000";
/** The cycle bound the tests' jobs declare (fibonacci on its test input takes fewer). */
const BOUND = 200n;
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
    await c.registry.write.approveChild([addr(2), true], as(1));
    await c.registry.write.register(["http://127.0.0.1:7002", addr(1)], as(2));
    await c.jobs.write.registerImage(registerImageArgs(opening, elf("fibonacci")));
    await c.jobs.write.submitJobWithInput(
      [BigInt(run.imageId), hex(GUEST_INPUTS.fibonacci!), BOUND],
      {
        ...as(3),
        value: FEE,
      },
    );
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
/**
 * What settling the fixture's job pays: PROVER_A and PROVER_B in proportion to the cycles their
 * chunks retire (each rounded down), and the orchestrators' pool (the rest of the fee).
 */
function shares(fee = FEE): { a: bigint; b: bigint; pool: bigint } {
  const cyclesOf = (from: number, to: number) =>
    run.chunks.slice(from, to).reduce((s, c) => s + BigInt(c.publicSignals[4]), 0n);
  const n = run.chunks.length;
  const total = BigInt(run.final.cycles);
  const proverPool = (fee * 7000n) / 10_000n;
  const a = (proverPool * cyclesOf(0, n - 2)) / total;
  const b = (proverPool * cyclesOf(n - 2, n)) / total;
  return { a, b, pool: fee - a - b };
}

const clone = (): Copy => ({
  jobs: up.jobs.map((j) => ({
    ...j,
    states: [...j.states],
    provers: [...j.provers],
    chunkCycles: [...j.chunkCycles],
  })),
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
    await expect(c.jobs.write.submitJob([id + 1n, 0n, BOUND], { value: FEE })).rejects.toThrow(
      /Jobs__UnknownImage/,
    );
    await expect(c.jobs.write.submitJob([id, BN254_R, BOUND], { value: FEE })).rejects.toThrow(
      /Jobs__NotInField/,
    );
    await expect(c.jobs.write.submitJob([id, 0n, BOUND], { value: 1n })).rejects.toThrow(
      /Jobs__FeeTooLow/,
    );
    // the fee is a base fee + a price per cycle of the declared bound
    const fee = await c.jobs.read.feeFor([10n ** 9n]);
    expect(fee).toBe(10n ** 15n + 10n ** 10n * 10n ** 9n);
    await expect(c.jobs.write.submitJob([id, 0n, 10n ** 9n], { value: fee - 1n })).rejects.toThrow(
      /Jobs__FeeTooLow/,
    );
    await expect(c.jobs.write.submitJob([id, 0n, 0n], { value: FEE })).rejects.toThrow(
      /Jobs__BadCycleBound/,
    );
    await expect(c.jobs.write.submitJob([id, 0n, 2n ** 40n], { value: FEE })).rejects.toThrow(
      /Jobs__BadCycleBound/,
    );
    // a job too large for an empty epoch is refused, with the gas it needs and the room
    await expect(c.jobs.write.submitJob([id, 0n, 10n ** 9n], { value: fee })).rejects.toThrow(
      /Jobs__TooLarge/,
    );
    await expect(
      c.jobs.write.submitJobWithInput([id, hex(new Uint8Array(65)), BOUND], { value: FEE }),
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

    // Provers are paid per cycle their chunks retire, not per chunk.
    const { a, b, pool } = shares();
    expect(a + b).toBeLessThanOrEqual((FEE * 7000n) / 10_000n);
    expect(await c.epochs.read.rewardsOf([PROVER_A])).toBe(a);
    expect(await c.epochs.read.rewardsOf([PROVER_B])).toBe(b);
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
        job(t).chunkCycles[2]! += job(t).chunkCycles.splice(3, 1)[0]!;
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
    await expect(tamper((t) => void (job(t).cycles += 1n))).rejects.toThrow(/Epoch__ChunkCycles/);
    await expect(
      tamper((t) => {
        job(t).cycles += 1n;
        job(t).chunkCycles[0]! += 1;
      }),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    // cycles moved from one prover's chunk to another's (the sum kept): pay is per proven cycle
    await expect(
      tamper((t) => {
        job(t).chunkCycles[0]! -= 1;
        job(t).chunkCycles[job(t).chunkCycles.length - 1]! += 1;
      }),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    await expect(tamper((t) => void job(t).chunkCycles.pop())).rejects.toThrow(
      /Epoch__ChunkCycles/,
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
    await c.jobs.write.submitJobWithInput(
      [BigInt(run.imageId), hex(Uint8Array.of(6, 0, 0, 0)), BOUND],
      {
        value: FEE,
      },
    );
    await c.jobs.write.submitJobWithInput([otherId, hex(GUEST_INPUTS.fibonacci!), BOUND], {
      value: FEE,
    });
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
    const callerReward = slash / 10n; // SLASH_REWARD_BPS: whoever calls slashMissed earns 10 %
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(staked - slash);
    expect(await c.epochs.read.rewardsOf([addr(7)])).toBe(callerReward);
    expect(await c.epochs.read.bounty([epoch])).toBe(slash - callerReward);
    await expect(c.epochs.write.slashMissed([epoch])).rejects.toThrow(/Epoch__NotSlashable/);
    const { jobs, proofs } = clone();
    // late: any active orchestrator, but not an outsider
    await expect(
      c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(6)),
    ).rejects.toThrow(/Epoch__NotOrchestrator/);
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(2));
    expect(await c.epochs.read.rewardsOf([addr(2)])).toBe(shares().pool + slash - callerReward);
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
    await expect(sim(huge)).rejects.toThrow(/Epoch__OverCycleBound/); // bound <= MAX_CYCLES
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
        600n,
        1n,
        10_001,
      ]),
    ).rejects.toThrow(/Epoch__BadConfig/);
    // With no active root, nobody is assigned, and only an active orchestrator may submit.
    await c.registry.write.requestExit(as(2));
    await networkHelpers.time.increase(3600);
    await c.registry.write.deregister(as(2));
    await c.registry.write.requestExit(as(1));
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], { value: FEE });
    const next = (await c.jobs.read.job([1n])).epoch;
    expect(await c.epochs.read.assignedSubmitter([next])).toBe(ZERO);
    await networkHelpers.time.increase(120);
    await expect(
      c.epochs.simulate.submitEpoch([next, clone().jobs, [], up.proofs], { account: addr(1) }),
    ).rejects.toThrow(/Epoch__NotOrchestrator/);
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
    await r.write.submitJob([BigInt(run.imageId), 0n, BOUND], { value: FEE });
    await networkHelpers.time.increase(86_400);
    await expect(c.jobs.write.refund([1n])).rejects.toThrow(/Jobs__TransferFailed/);
    expect((await c.jobs.read.job([1n])).status).toBe(1); // still pending
    // rewards: as an assembling orchestrator it is credited, but cannot withdraw
    await c.registry.write.approveChild([r.address, true], as(1));
    await r.write.register(["http://127.0.0.1:7009", addr(1)]);
    const { jobs, proofs } = clone();
    await c.epochs.write.submitEpoch([epoch, jobs, [r.address], words8(proofs)], as(2)); // late: any orchestrator
    const owed = await c.epochs.read.rewardsOf([r.address]);
    expect(owed).toBeGreaterThan(0n);
    await expect(r.write.withdrawRewards()).rejects.toThrow(/Epoch__TransferFailed/);
    expect(await c.epochs.read.rewardsOf([r.address])).toBe(owed);
    // ... but it can name another payee (issue 14, item 8: a withdraw-to).
    const payee = "0x00000000000000000000000000000000000feed1" as const;
    await r.write.withdrawRewardsTo([payee]);
    expect(await publicClient.getBalance({ address: payee })).toBe(owed);
    expect(await c.epochs.read.rewardsOf([r.address])).toBe(0n);
    expect(await publicClient.getBalance({ address: c.addresses.epochs })).toBe(
      (await c.epochs.read.totalRewards()) + (await c.epochs.read.bounty([epoch])),
    );
  });
});

/**
 * Issue 13: the economic attacks, each performed against the contracts with the real Universal
 * Proof of the fixture's job, and each refused (with the honest path still working).
 */
describe("economic attacks on epochs, slashing and payouts", () => {
  /** Deployed with nothing registered; the image registered; job 0 submitted by account 3. */
  async function bare() {
    const h = await connect();
    const c = await deployConcentric(h.connection);
    await c.jobs.write.registerImage(registerImageArgs(opening, elf("fibonacci")));
    const submitJob0 = async () => {
      await c.jobs.write.submitJobWithInput(
        [BigInt(run.imageId), hex(GUEST_INPUTS.fibonacci!), BOUND],
        {
          ...h.as(3),
          value: FEE,
        },
      );
      return (await c.jobs.read.job([0n])).epoch;
    };
    return { ...h, c, submitJob0 };
  }
  const balanceOk = async (
    c: Awaited<ReturnType<typeof deployConcentric>>,
    publicClient: Awaited<ReturnType<typeof connect>>["publicClient"],
    epochs: bigint[],
  ) => {
    let bounties = 0n;
    for (const e of epochs) bounties += await c.epochs.read.bounty([e]);
    expect(await publicClient.getBalance({ address: c.addresses.epochs })).toBe(
      (await c.epochs.read.totalRewards()) + bounties + (await c.epochs.read.carriedPool()),
    );
  };

  it("1: an epoch whose first job came while no root was active slashes nobody, ever", async () => {
    const { c, as, addr, networkHelpers, submitJob0 } = await bare();
    const epoch = await submitJob0(); // no root registered: nobody is assigned
    expect(await c.epochs.read.assignedSubmitter([epoch])).toBe(ZERO);
    // An honest root registers afterwards; so does the attacker (4).
    for (const i of [1, 4]) {
      await c.staking.write.stake({ ...as(i), value: 2n * ETH });
      await c.registry.write.register([`http://127.0.0.1:700${i}`, ZERO], as(i));
    }
    expect(await c.epochs.read.assignedSubmitter([epoch])).toBe(ZERO); // still nobody
    await networkHelpers.time.increase(60 + 600 + 60);
    await expect(c.epochs.write.slashMissed([epoch], as(4))).rejects.toThrow(/Epoch__NotSlashable/);
    const { jobs, proofs } = clone();
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(4)); // late, replayed
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(2n * ETH);
    expect(await c.epochs.read.bounty([epoch])).toBe(0n);
    expect((await c.epochs.read.epochRecord([epoch])).slashed).toBe(false);
  });

  it("2: another root cannot carry a pending Universal Proof into its own epoch before the owner's deadline", async () => {
    const { networkHelpers, epochOver, as, addr } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    await c.staking.write.stake({ ...as(4), value: 2n * ETH });
    await c.registry.write.register(["http://127.0.0.1:7004", ZERO], as(4)); // roots [1, 4]
    // an epoch root 4 is assigned (roots [1, 4]: odd epochs), still within `epoch`'s deadline
    const cur = await c.epochs.read.currentEpoch();
    const later = cur % 2n === 0n ? cur + 1n : cur + 2n;
    expect(later).toBeGreaterThan(epoch);
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([later - 1n]));
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], { ...as(5), value: FEE });
    expect((await c.jobs.read.job([1n])).epoch).toBe(later);
    expect((await c.epochs.read.assignedSubmitter([later])).toLowerCase()).toBe(
      addr(4).toLowerCase(),
    );
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([later]));
    const { jobs, proofs } = clone();
    // The attacker copies root 1's proof of job 0 (epoch `epoch`) into its own epoch: refused.
    await expect(
      c.epochs.write.submitEpoch([later, jobs, [], words8(proofs)], as(4)),
    ).rejects.toThrow(/Epoch__NotAssigned/);
    // The victim's own submission still goes through, and is paid to the victim.
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(1));
    expect(await c.epochs.read.rewardsOf([addr(1)])).toBeGreaterThan(0n);
    expect(await c.epochs.read.rewardsOf([addr(4)])).toBe(0n);
  });

  it("2: after the owner's deadline another root may carry the job; the missed root is slashed and the carrier paid", async () => {
    const { networkHelpers, epochOver, as, addr, publicClient } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    await c.staking.write.stake({ ...as(4), value: 2n * ETH });
    await c.registry.write.register(["http://127.0.0.1:7004", ZERO], as(4));
    const cur = await c.epochs.read.currentEpoch();
    const later = cur % 2n === 0n ? cur + 1n : cur + 2n;
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([later - 1n]));
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], { ...as(5), value: FEE });
    await networkHelpers.time.increaseTo((await c.epochs.read.deadline([epoch])) + 1n);
    const { jobs, proofs } = clone();
    const staked = await c.staking.read.stakeOf([addr(1)]);
    await c.epochs.write.submitEpoch([later, jobs, [], words8(proofs)], as(4));
    const slash = 10n ** 17n;
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(staked - slash);
    expect(await c.epochs.read.rewardsOf([addr(4)])).toBe(shares().pool + slash);
    await expect(c.epochs.write.slashMissed([epoch])).rejects.toThrow(/Epoch__NotSlashable/);
    await balanceOk(c, publicClient, [epoch, later]);
  });

  it("3: a job nobody can prove does not get its root slashed: the root declares the epoch", async () => {
    const { networkHelpers, epochOver, as, addr } = await connect();
    const { c } = await networkHelpers.loadFixture(epochOver);
    // A job by digest whose input is never delivered: no one can prove it.
    await c.jobs.write.submitJob([BigInt(run.imageId), 12345n, BOUND], { ...as(6), value: FEE });
    const e = (await c.jobs.read.job([1n])).epoch;
    await expect(c.epochs.write.declareEpoch([e], as(1))).rejects.toThrow(/Epoch__NotEnded/);
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([e]));
    await expect(c.epochs.write.declareEpoch([e], as(2))).rejects.toThrow(/Epoch__NotAssigned/);
    await c.epochs.write.declareEpoch([e], as(1));
    await expect(c.epochs.write.declareEpoch([e], as(1))).rejects.toThrow(
      /Epoch__AlreadySubmitted/,
    );
    await networkHelpers.time.increaseTo((await c.epochs.read.deadline([e])) + 1n);
    await expect(c.epochs.write.slashMissed([e], as(6))).rejects.toThrow(/Epoch__NotSlashable/);
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(2n * ETH);
    // The job stays pending, refundable after its timeout.
    expect((await c.jobs.read.job([1n])).status).toBe(1);
  });

  it("5: a root is never paid its own slash; 7: the caller of slashMissed earns a part of it", async () => {
    const { networkHelpers, epochOver, as, addr, publicClient } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    await networkHelpers.time.increaseTo((await c.epochs.read.deadline([epoch])) + 1n);
    const slash = 10n ** 17n;
    await c.epochs.write.slashMissed([epoch], as(1)); // the root slashes itself: no reward
    expect(await c.epochs.read.rewardsOf([addr(1)])).toBe(0n);
    expect(await c.epochs.read.bounty([epoch])).toBe(slash);
    const { jobs, proofs } = clone();
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(1)); // late, itself
    expect(await c.epochs.read.rewardsOf([addr(1)])).toBe(shares().pool); // no bounty
    expect(await c.epochs.read.bounty([epoch])).toBe(slash);
    await balanceOk(c, publicClient, [epoch]);
  });

  it("3: an unclaimed bounty has a way out: swept after SWEEP_DELAY and paid with the next proof", async () => {
    const { networkHelpers, epochOver, as, addr, publicClient } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    await networkHelpers.time.increaseTo((await c.epochs.read.deadline([epoch])) + 1n);
    const slash = 10n ** 17n;
    await c.epochs.write.slashMissed([epoch], as(7));
    expect(await c.epochs.read.rewardsOf([addr(7)])).toBe(slash / 10n);
    await expect(c.epochs.write.sweepBounty([epoch], as(7))).rejects.toThrow(
      /Epoch__SweepTooEarly/,
    );
    await networkHelpers.time.increase(7 * 86_400);
    await c.epochs.write.sweepBounty([epoch], as(7));
    expect(await c.epochs.read.bounty([epoch])).toBe(0n);
    expect(await c.epochs.read.carriedPool()).toBe(slash - slash / 10n);
    await balanceOk(c, publicClient, [epoch]);
    // The next Universal Proof (here: the child ring, late) pays the carried pool out.
    const { jobs, proofs } = clone();
    await c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(2));
    expect(await c.epochs.read.rewardsOf([addr(2)])).toBe(shares().pool + slash - slash / 10n);
    expect(await c.epochs.read.carriedPool()).toBe(0n);
    await balanceOk(c, publicClient, [epoch]);
  });

  it("6: a root slashed below the minimum stake is inactive, gets no epochs, and locks only what it has", async () => {
    const { c, as, addr, networkHelpers, submitJob0 } = await bare();
    await c.staking.write.stake({ ...as(1), value: ETH }); // exactly the minimum
    await c.registry.write.register(["http://127.0.0.1:7001", ZERO], as(1));
    const epoch = await submitJob0();
    await networkHelpers.time.increaseTo((await c.epochs.read.deadline([epoch])) + 1n);
    await c.epochs.write.slashMissed([epoch], as(7));
    const left = ETH - 10n ** 17n;
    expect(await c.staking.read.stakeOf([addr(1)])).toBe(left);
    expect(await c.registry.read.isActive([addr(1)])).toBe(false);
    expect(await c.registry.read.lockedStake([addr(1)])).toBe(left);
    expect(await c.registry.read.activeRoots()).toEqual([]);
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], { ...as(5), value: FEE });
    expect(await c.epochs.read.assignedSubmitter([(await c.jobs.read.job([1n])).epoch])).toBe(ZERO);
    // It cannot act as an orchestrator either.
    const { jobs, proofs } = clone();
    await expect(
      c.epochs.write.submitEpoch([epoch, jobs, [], words8(proofs)], as(1)),
    ).rejects.toThrow(/Epoch__NotOrchestrator/);
    // Topped up, it is active again and gets the next epoch.
    await c.staking.write.stake({ ...as(1), value: 10n ** 17n });
    expect(await c.registry.read.isActive([addr(1)])).toBe(true);
    await networkHelpers.time.increase(60);
    await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], { ...as(5), value: FEE });
    const e2 = (await c.jobs.read.job([2n])).epoch;
    expect((await c.epochs.read.assignedSubmitter([e2])).toLowerCase()).toBe(addr(1).toLowerCase());
  });

  it("7: deployment refuses exit + unbonding delays shorter than an epoch, its window and the grace", async () => {
    const { networkHelpers, epochOver, connection } = await connect();
    const { c } = await networkHelpers.loadFixture(epochOver);
    const deploy = (window: bigint, grace: bigint, slash: bigint) =>
      connection.viem.deployContract("EpochManager", [
        c.addresses.verifier,
        c.addresses.jobs,
        c.addresses.registry,
        c.addresses.staking,
        c.addresses.poseidon3,
        window,
        grace,
        slash,
        7000,
      ]);
    // exit 3600 s + unbonding 3600 s against epoch 60 s + window + grace
    await expect(deploy(7000n, 200n, 1n)).rejects.toThrow(/Epoch__BadConfig/);
    await expect(deploy(600n, 7000n, 1n)).rejects.toThrow(/Epoch__BadConfig/);
    await expect(deploy(600n, 600n, 2n * ETH)).rejects.toThrow(/Epoch__BadConfig/); // > MIN_STAKE
    await deploy(600n, 6540n, 1n); // exactly covered
  });

  it("9: assigning an epoch costs the same with 1 root or 12", async () => {
    const { c, as, networkHelpers, publicClient } = await bare();
    const firstJobGas = async () => {
      await networkHelpers.time.increase(60);
      const hash = await c.jobs.write.submitJob([BigInt(run.imageId), 0n, BOUND], {
        ...as(5),
        value: FEE,
      });
      return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
    };
    await firstJobGas(); // the first job ever also creates the job list: not comparable
    await c.staking.write.stake({ ...as(6), value: 2n * ETH });
    await c.registry.write.register(["http://127.0.0.1:7006", ZERO], as(6));
    const one = await firstJobGas();
    for (let i = 7; i < 18; i++) {
      await c.staking.write.stake({ ...as(i), value: 2n * ETH });
      await c.registry.write.register([`http://127.0.0.1:70${i}`, ZERO], as(i));
    }
    expect(await c.registry.read.rootCount()).toBe(12n);
    const twelve = await firstJobGas();
    // Copying the roots cost ≈ 1.3k gas per root before; now the difference is only the
    // storage slots an assignment happens to touch.
    expect(twelve > one ? twelve - one : one - twelve).toBeLessThan(3_000n);
  });

  it("11: a chunk that proves S -> S (retires nothing) is refused before any pairing", async () => {
    const { networkHelpers, epochOver, addr } = await connect();
    const { c, epoch } = await networkHelpers.loadFixture(epochOver);
    const t = clone();
    t.jobs[0]!.states[0] = BigInt(run.chain[0]!); // chunk 0 would prove S_0 -> S_0
    await expect(
      c.epochs.simulate.submitEpoch([epoch, t.jobs, [], words8(t.proofs)], { account: addr(1) }),
    ).rejects.toThrow(/Epoch__IdleChunk/);
  });
});

/**
 * Issue 13, item 8: one Universal Proof per epoch fits one transaction because each epoch has a
 * fixed room, and a job reserves its share of it at submission (its cycle bound, at most
 * ceil(bound / CYCLES_PER_CHUNK) chunk proofs).
 */
describe("epoch capacity", () => {
  it("places jobs into the first epoch with room, never over-full, and settles a full epoch inside it", async () => {
    const { connection, networkHelpers, as, publicClient } = await connect();
    const n = BigInt(run.chunks.length);
    // Room for exactly two jobs of this bound (and the chunks it allows), no more.
    const perJob = 150_000n + ((BOUND + 3n) / 4n) * 75_000n;
    const c = await deployConcentric(connection, undefined, { epochGas: 2n * perJob + 1n });
    expect(await c.jobs.read.gasFor([BOUND])).toBe(perJob);
    expect(await c.jobs.read.chunksFor([BOUND])).toBe(Number((BOUND + 3n) / 4n));
    await c.staking.write.stake({ ...as(1), value: 2n * ETH });
    await c.registry.write.register(["http://127.0.0.1:7001", ZERO], as(1));
    await c.jobs.write.registerImage(registerImageArgs(opening, elf("fibonacci")));
    const input = hex(GUEST_INPUTS.fibonacci!);
    for (let i = 0; i < 3; i++)
      await c.jobs.write.submitJobWithInput([BigInt(run.imageId), input, BOUND], {
        ...as(3),
        value: FEE,
      });
    const e0 = (await c.jobs.read.job([0n])).epoch;
    expect((await c.jobs.read.job([1n])).epoch).toBe(e0);
    expect((await c.jobs.read.job([2n])).epoch).toBe(e0 + 1n); // the current epoch is full
    expect(await c.jobs.read.reservedGas([e0])).toBe(2n * perJob);
    // a job larger than an empty epoch's room
    await expect(
      c.jobs.write.submitJobWithInput([BigInt(run.imageId), input, 4n * BOUND], {
        ...as(3),
        value: FEE,
      }),
    ).rejects.toThrow(/Jobs__TooLarge/);
    // The full epoch: both jobs settle in one Universal Proof whose gas is inside the room.
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([e0]));
    const both = await universalProof([
      { jobId: 0n, run },
      { jobId: 1n, run },
    ]);
    const hash = await c.epochs.write.submitEpoch([e0, both.jobs, [], both.proofs], as(1));
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(receipt.gasUsed).toBeLessThanOrEqual(2n * perJob);
    expect((await c.epochs.read.epochRecord([e0])).chunks).toBe(Number(2n * n));
  });

  it("refuses a job settled with more chunks than it reserved, or more cycles than its bound", async () => {
    const { networkHelpers, epochOver, as, addr } = await connect();
    const { c } = await networkHelpers.loadFixture(epochOver);
    const input = hex(GUEST_INPUTS.fibonacci!);
    const cycles = BigInt(run.final.cycles);
    // bound = the run's cycles, but so few chunks allowed at 4 cycles each... is still enough;
    // a bound below the run's cycles cannot settle (too many cycles), nor one whose chunk
    // allowance is below the proof's chunk count.
    await c.jobs.write.submitJobWithInput([BigInt(run.imageId), input, cycles - 1n], {
      ...as(3),
      value: FEE,
    });
    const short = BigInt(run.chunks.length - 1) * 4n; // allows one chunk too few
    await c.jobs.write.submitJobWithInput([BigInt(run.imageId), input, short], {
      ...as(3),
      value: FEE,
    });
    const e = (await c.jobs.read.job([1n])).epoch;
    expect((await c.jobs.read.job([2n])).epoch).toBe(e);
    await networkHelpers.time.increaseTo(await c.epochs.read.epochEnd([e]));
    const sim = async (jobId: bigint) => {
      const u = await universalProof([{ jobId, run }]);
      return c.epochs.simulate.submitEpoch([e, u.jobs, [], u.proofs], { account: addr(1) });
    };
    await expect(sim(1n)).rejects.toThrow(/Epoch__OverCycleBound/);
    await expect(sim(2n)).rejects.toThrow(/Epoch__TooManyChunks/);
  });
});

/**
 * Issue 13: random sequences of stake / register / exit / job / submit / declare / slash / sweep
 * / withdraw from honest roots, a requester and an attacker with its own keys. After every step
 * the contracts' balances equal their books, and no honest root has ever been slashed.
 */
describe("invariants under random operations", () => {
  it("keeps every balance equal to its books and never slashes an honest root", async () => {
    const { connection, networkHelpers, wallets, publicClient } = await connect();
    const c = await deployConcentric(connection);
    const as = (i: number) => ({ account: wallets[i]!.account });
    const addr = (i: number) => wallets[i]!.account.address;
    await c.jobs.write.registerImage(registerImageArgs(opening, elf("fibonacci")));
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const honest = [1, 2]; // roots that always do their duty in time
    const attackers = [5, 6, 7]; // keys with or without stake, doing anything allowed
    for (const i of honest) {
      await c.staking.write.stake({ ...as(i), value: 2n * ETH });
      await c.registry.write.register([`http://honest-${i}`, ZERO], as(i));
    }
    const honestStake = new Map(honest.map((i) => [i, 2n * ETH]));
    const epochsSeen = new Set<bigint>();
    const tryTx = async (f: () => Promise<unknown>) => {
      try {
        await f();
        return true;
      } catch {
        return false; // refused by the contracts: fine, nothing may change
      }
    };
    const now = async () => (await publicClient.getBlock()).timestamp;

    /** Honest roots settle (provable jobs) or declare every ended epoch they are assigned. */
    async function dutiful() {
      for (const e of epochsSeen) {
        const assigned = (await c.epochs.read.assignedSubmitter([e])).toLowerCase();
        const who = honest.find((i) => addr(i).toLowerCase() === assigned);
        if (who === undefined) continue;
        const rec = await c.epochs.read.epochRecord([e]);
        if (rec.submitter !== ZERO) continue;
        if ((await now()) < (await c.epochs.read.epochEnd([e]))) continue;
        const pending: bigint[] = [];
        const count = await c.jobs.read.jobCount();
        for (let j = 0n; j < count; j++) {
          const job = await c.jobs.read.job([j]);
          if (job.epoch === e && job.status === 1 && job.inputDigest === BigInt(run.inputDigest))
            pending.push(j);
        }
        if (pending.length > 0) {
          const u = await universalProof(pending.map((jobId) => ({ jobId, run })));
          await c.epochs.write.submitEpoch([e, u.jobs, [], u.proofs], as(who));
        } else {
          await c.epochs.write.declareEpoch([e], as(who));
        }
      }
    }

    async function checkBooks() {
      const bal = (a: `0x${string}`) => publicClient.getBalance({ address: a });
      expect(await bal(c.addresses.staking)).toBe(
        (await c.staking.read.totalStaked()) + (await c.staking.read.totalUnbonding()),
      );
      let bounties = 0n;
      for (const e of epochsSeen) bounties += await c.epochs.read.bounty([e]);
      expect(await bal(c.addresses.epochs)).toBe(
        (await c.epochs.read.totalRewards()) + bounties + (await c.epochs.read.carriedPool()),
      );
      let pendingFees = 0n;
      const count = await c.jobs.read.jobCount();
      for (let j = 0n; j < count; j++) {
        const job = await c.jobs.read.job([j]);
        if (job.status === 1) pendingFees += job.fee;
      }
      expect(await bal(c.addresses.jobs)).toBe(pendingFees);
      for (const i of honest) {
        const s = await c.staking.read.stakeOf([addr(i)]);
        const u = (await c.staking.read.unbondingOf([addr(i)])).amount;
        expect(s + u).toBeGreaterThanOrEqual(honestStake.get(i)!); // never slashed
      }
    }

    const input = hex(GUEST_INPUTS.fibonacci!);
    for (let step = 0; step < 70; step++) {
      const a = attackers[rand(attackers.length)]!;
      const e = BigInt(rand(Number((await c.epochs.read.currentEpoch()) + 2n)));
      switch (rand(11)) {
        case 0: // a provable job (refused only when 16 epochs ahead are full)
          await tryTx(() =>
            c.jobs.write.submitJobWithInput([BigInt(run.imageId), input, BOUND], {
              ...as(8),
              value: FEE,
            }),
          );
          break;
        case 1: // a job nobody can prove (input never delivered)
          await tryTx(() =>
            c.jobs.write.submitJob([BigInt(run.imageId), BigInt(rand(1e9) + 1), BOUND], {
              ...as(a),
              value: FEE,
            }),
          );
          break;
        case 2:
          await tryTx(() => c.staking.write.stake({ ...as(a), value: ETH / 2n + BigInt(rand(3)) }));
          break;
        case 3: // register as a root, or under an honest root (never approved: refused)
          await tryTx(() =>
            c.registry.write.register(
              [`http://attacker-${a}`, rand(2) === 0 ? ZERO : addr(honest[0]!)],
              as(a),
            ),
          );
          break;
        case 4:
          await tryTx(() => c.registry.write.requestExit(as(a)));
          await tryTx(() => c.registry.write.deregister(as(a)));
          break;
        case 5:
          await tryTx(() => c.staking.write.requestUnstake([ETH / 4n], as(a)));
          await tryTx(() => c.staking.write.withdraw(as(a)));
          break;
        case 6: // slash anything, sweep anything
          await tryTx(() => c.epochs.write.slashMissed([e], as(a)));
          await tryTx(() => c.epochs.write.sweepBounty([e], as(a)));
          break;
        case 7: // carry provable jobs of any epoch into any epoch, or declare it
          await tryTx(async () => {
            const count = await c.jobs.read.jobCount();
            const j = BigInt(rand(Number(count) + 1));
            const u = await universalProof([{ jobId: j, run }]);
            await c.epochs.write.submitEpoch([e, u.jobs, [], u.proofs], as(a));
          });
          await tryTx(() => c.epochs.write.declareEpoch([e], as(a)));
          break;
        case 8:
          await tryTx(() => c.epochs.write.withdrawRewards(as(a)));
          await tryTx(() => c.epochs.write.withdrawRewards(as(honest[rand(2)]!)));
          break;
        case 9:
          await tryTx(async () => {
            const count = await c.jobs.read.jobCount();
            if (count > 0n) await c.jobs.write.refund([BigInt(rand(Number(count)))], as(a));
          });
          break;
        default: {
          // time passes; the honest roots do their duty first, as they would in real time
          await dutiful();
          await networkHelpers.time.increase(30 + rand(400));
          await dutiful();
        }
      }
      const count = await c.jobs.read.jobCount();
      for (let j = 0n; j < count; j++) epochsSeen.add((await c.jobs.read.job([j])).epoch);
      await checkBooks();
    }
    // Some of every kind happened.
    expect(epochsSeen.size).toBeGreaterThan(2);
  });
});
