/**
 * Deploys the whole system with its Ignition module onto a connected network, computing the
 * parameters only the prover's code knows (the circuit's memory size and the registers hash at
 * the entry) and starting epoch 0 at the chain's current time. Used by `npm run deploy`,
 * `npm run devnet`, `npm start` and the tests.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { concentricModule, type ConcentricParameters } from "../../ignition/modules/Concentric.ts";
import {
  execute,
  getPoseidon,
  registersHash,
  type ImageOpening,
  type ProgramImage,
} from "../../prover/executor/index.ts";
import { chunkCircuitConfig } from "../../prover/zkvm/witness.ts";
import { verifierContractName } from "./verifier-gen.ts";

/** The chunk circuit the network settles by default. */
export const DEFAULT_NETWORK_CIRCUIT = "rv32im_K8_P4_IO4_M20";

/** Registers hash at the entry: every register 0 but sp = memorySize. */
export async function entryRegistersHash(memorySize: number): Promise<bigint> {
  const regs = new Int32Array(32);
  regs[2] = memorySize;
  return registersHash(await getPoseidon(), regs);
}

export type DeployOverrides = Partial<
  Omit<ConcentricParameters, "memorySize" | "entryRegistersHash">
>;

export async function deployConcentric(
  connection: NetworkConnection,
  circuit: string = DEFAULT_NETWORK_CIRCUIT,
  overrides: DeployOverrides = {},
) {
  const memorySize = 2 ** chunkCircuitConfig(circuit).M;
  const publicClient = await connection.viem.getPublicClient();
  const block = await publicClient.getBlock();
  const parameters = {
    memorySize,
    entryRegistersHash: await entryRegistersHash(memorySize),
    genesis: block.timestamp,
    ...overrides,
  };
  const d = await connection.ignition.deploy(concentricModule(verifierContractName(circuit)), {
    parameters: { Concentric: parameters as never },
    // One Ignition journal per deployment (a devnet restarts from an empty chain, so a journal
    // keyed by chain id alone would not match it).
    deploymentId: `concentric-${await publicClient.getChainId()}-${block.timestamp}-${block.hash?.slice(2, 10)}`,
  });
  const addresses = {
    staking: d.staking.address,
    registry: d.registry.address,
    jobs: d.jobs.address,
    epochs: d.epochs.address,
    // The verifier's contract name is only known at run time, so its type is too.
    verifier: (d.verifier as unknown as { address: `0x${string}` }).address,
    poseidon2: d.poseidon2.address,
    poseidon3: d.poseidon3.address,
  };
  const { viem } = connection;
  return {
    staking: await viem.getContractAt("Staking", addresses.staking),
    registry: await viem.getContractAt("OrchestratorRegistry", addresses.registry),
    jobs: await viem.getContractAt("JobRegistry", addresses.jobs),
    epochs: await viem.getContractAt("EpochManager", addresses.epochs),
    addresses,
    parameters,
    circuit,
    block: block.number,
  };
}

export type Concentric = Awaited<ReturnType<typeof deployConcentric>>;

/** The arguments of JobRegistry.registerImage: the image's opening and its ELF bytes. */
export function registerImageArgs(o: ImageOpening, elf: Uint8Array) {
  return [
    o.entry,
    o.memorySize,
    o.codeStart,
    o.codeEnd,
    o.initRoot,
    `0x${Buffer.from(elf).toString("hex")}`,
  ] as const;
}

/**
 * The cycle bound to declare for a job: the cycles the run takes, found by executing it here
 * (the executor is the reference semantics, so this is exactly what its proof will retire).
 * @throws Trap when the run traps (or exceeds the executor's cycle limit): no bound settles it.
 */
export function cycleBoundOf(image: ProgramImage, input: Uint8Array): bigint {
  return BigInt(Math.max(1, execute(image, input).cycles));
}
