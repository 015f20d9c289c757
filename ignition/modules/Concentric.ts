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
  minFee?: bigint;
  refundTimeout?: bigint;
  /** Unix time at which epoch 0 starts. */
  genesis: bigint;
  epochLength?: bigint;
  submissionWindow?: bigint;
  slashAmount?: bigint;
  proverShareBps?: number;
}

export const DEVNET_DEFAULTS = {
  unbondingDelay: 3600n,
  minStake: 10n ** 18n,
  exitDelay: 3600n,
  minFee: 10n ** 15n,
  refundTimeout: 86_400n,
  epochLength: 60n,
  submissionWindow: 600n,
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
      p("minFee"),
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
      p("slashAmount"),
      p("proverShareBps"),
    ]);
    m.call(staking, "configure", [registry, epochs]);
    m.call(jobs, "configure", [epochs]);
    return { staking, registry, jobs, verifier, epochs, poseidon2: p2, poseidon3: p3 };
  });
}
