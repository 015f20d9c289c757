/**
 * The whole on-chain system as one Hardhat Ignition module: the Poseidon contracts, Staking,
 * OrchestratorRegistry, JobRegistry, the chunk circuit's generated batch verifier and the
 * EpochManager, wired together (Staking locks through the registry and is slashed by the epoch
 * manager; jobs are settled only by the epoch manager).
 *
 * The verifier's contract name depends on the chunk circuit configuration, so the module is
 * made by a function; scripts/deploy.ts and the tests call it. Every tunable is an Ignition
 * parameter of module "Concentric" (defaults below suit a local devnet).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { poseidonArtifact } from "../../scripts/lib/poseidon-contracts.ts";

export interface ConcentricParameters {
  /** Seconds between an unstake request and its withdrawal. */
  unbondingDelay?: bigint;
  minStake?: bigint;
  /** Seconds between an orchestrator's exit request and its deregistration. */
  exitDelay?: bigint;
  /** Guest memory size of the chunk circuit (2^M). */
  memorySize: number;
  /** Registers hash at the entry for that memory size (digest.ts `registersHash`). */
  entryRegistersHash: bigint;
  /** Least fee of any job, and the price of each cycle of its declared bound (wei). */
  baseFee?: bigint;
  pricePerCycle?: bigint;
  /** Cycles every chunk but a job's last retires (the chunk circuit's K, or less). */
  cyclesPerChunk?: bigint;
  /** Room of one epoch's Universal Proof in gas, and a job's and a chunk's share of it
   * (measured by `npm run bench:gas`). */
  epochGas?: bigint;
  gasPerJob?: bigint;
  gasPerChunk?: bigint;
  refundTimeout?: bigint;
  /** Unix time at which epoch 0 starts. */
  genesis: bigint;
  epochLength?: bigint;
  submissionWindow?: bigint;
  /** Time after a deadline within which a missed epoch is expected to be slashed: exit delay +
   * unbonding delay must cover epochLength + submissionWindow + slashGrace. */
  slashGrace?: bigint;
  slashAmount?: bigint;
  proverShareBps?: number;
  /** Versioned-cells jobs (JobRegistry version 2, issue 12): the cycles every chunk but a job's
   * last retires at least, a job's and a chunk's share of an epoch's room, and the input proof's
   * bytes (set from the key set by scripts/lib/deploy.ts). */
  cyclesPerChunk2?: bigint;
  gasPerJob2?: bigint;
  gasPerChunk2?: bigint;
  maxInput2Bytes?: bigint;
}

export const DEVNET_DEFAULTS = {
  unbondingDelay: 3600n,
  minStake: 10n ** 18n,
  exitDelay: 3600n,
  baseFee: 10n ** 15n,
  pricePerCycle: 10n ** 10n,
  // The test circuit K = 8 may cut a chunk short at its page or I/O limits: 4 is a safe floor.
  cyclesPerChunk: 4n,
  // 2^24 gas per transaction (EIP-7825), less the Universal Proof's fixed cost and a margin
  // (versioned-cells jobs: (15.5M − 250k) / 58k = 262 chunks, 268k production cycles, whose
  // Universal Proof is about 16.0M by bench:gas's line; it measured 248 chunks at 15.15M).
  epochGas: 15_500_000n,
  gasPerJob: 150_000n,
  gasPerChunk: 75_000n,
  refundTimeout: 86_400n,
  epochLength: 60n,
  submissionWindow: 600n,
  slashGrace: 600n,
  slashAmount: 10n ** 17n,
  proverShareBps: 7000,
  // job2_test: K = 8 steps (a bound buys a chunk per K cycles: scripts/lib/deploy.ts).
  cyclesPerChunk2: 8n,
  // submitEpoch2 (`npm run bench:gas`): 789k an epoch of one job + 57.9k a chunk proof; a
  // further job adds about 250k (its three proofs, its claim, its record and credits). The
  // epoch's own fixed cost comes out of the margin between epochGas and 2^24.
  gasPerJob2: 250_000n,
  gasPerChunk2: 58_000n,
  maxInput2Bytes: 64n,
} as const;

/** The contracts that check versioned-cells jobs: a key set's generated multi verifier. */
export interface Job2Contracts {
  multiVerifier: string;
}

export function concentricModule(verifierContract: string, job2?: Job2Contracts) {
  return buildModule("Concentric", (m) => {
    const p = <K extends keyof typeof DEVNET_DEFAULTS>(k: K) =>
      m.getParameter(k, DEVNET_DEFAULTS[k]);
    const p2 = m.contract("PoseidonT3", poseidonArtifact(2));
    const p3 = m.contract("PoseidonT4", poseidonArtifact(3));
    const p6 = m.contract("PoseidonT7", poseidonArtifact(6));
    const staking = m.contract("Staking", [p("unbondingDelay")]);
    const registry = m.contract("OrchestratorRegistry", [staking, p("minStake"), p("exitDelay")]);
    const jobVerifier2 = job2
      ? m.contract("JobVerifier2", [
          m.contract(job2.multiVerifier, [], { id: "JobMultiVerifier" }),
          m.contract("PoseidonT5", poseidonArtifact(4)),
          p6,
        ])
      : "0x0000000000000000000000000000000000000000";
    const jobs = m.contract("JobRegistry", [
      { p2, p3, p6 },
      m.getParameter("memorySize"),
      m.getParameter("entryRegistersHash"),
      {
        baseFee: p("baseFee"),
        pricePerCycle: p("pricePerCycle"),
        cyclesPerChunk: p("cyclesPerChunk"),
        epochGas: p("epochGas"),
        gasPerJob: p("gasPerJob"),
        gasPerChunk: p("gasPerChunk"),
      },
      {
        verifier: jobVerifier2,
        cyclesPerChunk: p("cyclesPerChunk2"),
        gasPerJob: p("gasPerJob2"),
        gasPerChunk: p("gasPerChunk2"),
        maxInputBytes: p("maxInput2Bytes"),
      },
      p("refundTimeout"),
      m.getParameter("genesis"),
      p("epochLength"),
    ]);
    const verifier = m.contract(verifierContract, [], { id: "ChunkBatchVerifier" });
    const epochs = m.contract("EpochManager", [
      verifier,
      jobs,
      registry,
      staking,
      p3,
      p("submissionWindow"),
      p("slashGrace"),
      p("slashAmount"),
      p("proverShareBps"),
    ]);
    m.call(staking, "configure", [registry, epochs]);
    m.call(jobs, "configure", [epochs]);
    return {
      staking,
      registry,
      jobs,
      verifier,
      epochs,
      poseidon2: p2,
      poseidon3: p3,
      ...(typeof jobVerifier2 === "string" ? {} : { jobVerifier2 }),
    };
  });
}
