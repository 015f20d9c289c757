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
}

export const DEVNET_DEFAULTS = {
  unbondingDelay: 3600n,
  minStake: 10n ** 18n,
  exitDelay: 3600n,
  baseFee: 10n ** 15n,
  pricePerCycle: 10n ** 10n,
  // The test circuit K = 8 may cut a chunk short at its page or I/O limits: 4 is a safe floor.
  cyclesPerChunk: 4n,
  // 2^24 gas per transaction (EIP-7825), less the Universal Proof's fixed cost and a margin.
  epochGas: 14_000_000n,
  gasPerJob: 150_000n,
  gasPerChunk: 75_000n,
  refundTimeout: 86_400n,
  epochLength: 60n,
  submissionWindow: 600n,
  slashGrace: 600n,
  slashAmount: 10n ** 17n,
  proverShareBps: 7000,
} as const;

export function concentricModule(verifierContract: string) {
  return buildModule("Concentric", (m) => {
    const p = <K extends keyof typeof DEVNET_DEFAULTS>(k: K) =>
      m.getParameter(k, DEVNET_DEFAULTS[k]);
    const p2 = m.contract("PoseidonT3", poseidonArtifact(2));
    const p3 = m.contract("PoseidonT4", poseidonArtifact(3));
    const p6 = m.contract("PoseidonT7", poseidonArtifact(6));
    const staking = m.contract("Staking", [p("unbondingDelay")]);
    const registry = m.contract("OrchestratorRegistry", [staking, p("minStake"), p("exitDelay")]);
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
    return { staking, registry, jobs, verifier, epochs, poseidon2: p2, poseidon3: p3 };
  });
}
