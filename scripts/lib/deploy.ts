/**
 * Deploys the whole system with its Ignition module onto a connected network, computing the
 * parameters only the prover's code knows (the circuit's memory size and the registers hash at
 * the entry) and starting epoch 0 at the chain's current time. Used by `npm run deploy`,
 * `npm run devnet`, `npm start` and the tests.
 */
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import { concentricModule, type ConcentricParameters } from "../../ignition/modules/Concentric.ts";
import {
  execute,
  getPoseidon,
  registersHash,
  type ImageOpening,
  type ProgramImage,
} from "../../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../../prover/setup/artifacts.ts";
import { job2Circuits, loadRegistry } from "../../prover/setup/registry.ts";
import { toBatchVerifyingKey } from "../../prover/verify/batch.ts";
import { chunkCircuitConfig } from "../../prover/zkvm/witness.ts";
import { poseidonArtifact } from "./poseidon-contracts.ts";
import { multiVerifierContractName, verifierContractName } from "./verifier-gen.ts";

/**
 * A generated batch verifier checks the key it was generated from. After a circuit changes, the
 * cache holds new keys while contracts/generated may still hold the old verifier (until
 * `npm run setup` and `hardhat compile` run): every honest proof would then fail its pairing
 * with nothing to say why. Refuse to deploy such a verifier instead.
 */
export async function assertVerifierIsCachedKey(
  circuit: string,
  onChain: string,
  contract = verifierContractName(circuit),
): Promise<void> {
  const a = await getCircuitArtifacts(circuit, { cacheDir: defaultCacheDir() });
  const cached = toBatchVerifyingKey(a.vkey).hash;
  if (BigInt(onChain) !== cached)
    throw new Error(
      `${contract} was generated from another key than the cached ${circuit} ` +
        `(VK_HASH ${onChain}, cached key ${`0x${cached.toString(16).padStart(64, "0")}`}): ` +
        "run `npm run setup` and `npx hardhat compile`",
    );
}

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

/**
 * What a versioned-cells key set fixes of JobRegistry's version-2 parameters: the cycles a
 * job's bound buys a chunk for (K: a full chunk; a run whose chunks are cut short, by the
 * chunk's NC − 32 memory cells or inside a transfer, which retires no cycle, declares a larger
 * bound: max(cycles, chunks · K), as scripts/lib/actors.ts's submitGuestJob2 does) and the input
 * proof's bytes.
 */
export function job2Capacity(keySet: string): { cyclesPerChunk2: bigint; maxInput2Bytes: bigint } {
  const byName = new Map(loadRegistry().map((c) => [c.name, c]));
  const roles = job2Circuits(keySet);
  const chunk = byName.get(roles.chunk)!.params;
  const input = byName.get(roles.input)!.params;
  return { cyclesPerChunk2: BigInt(chunk.K!), maxInput2Bytes: BigInt(input.MAXB!) };
}

/**
 * Deploys the whole system. `keySet2` (default the test key set; null: none) is the key set of
 * the versioned-cells jobs the deployment also settles (its generated multi verifier and
 * JobVerifier2, wired into JobRegistry and EpochManager); refused if its verifier was generated
 * from other keys than the cache's.
 */
export async function deployConcentric(
  connection: NetworkConnection,
  circuit: string = DEFAULT_NETWORK_CIRCUIT,
  overrides: DeployOverrides = {},
  keySet2: string | null = JOB2_TEST_KEY_SET,
) {
  const memorySize = 2 ** chunkCircuitConfig(circuit).M;
  const publicClient = await connection.viem.getPublicClient();
  const block = await publicClient.getBlock();
  const parameters = {
    memorySize,
    entryRegistersHash: await entryRegistersHash(memorySize),
    genesis: block.timestamp,
    ...(keySet2 ? job2Capacity(keySet2) : {}),
    ...overrides,
  };
  const module = concentricModule(
    verifierContractName(circuit),
    keySet2 ? { multiVerifier: multiVerifierContractName(keySet2) } : undefined,
  );
  const d = await connection.ignition.deploy(module, {
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
    jobVerifier2: "jobVerifier2" in d ? d.jobVerifier2?.address : undefined,
  };
  const { viem } = connection;
  const jobVerifier2 = addresses.jobVerifier2
    ? await viem.getContractAt("JobVerifier2", addresses.jobVerifier2)
    : undefined;
  if (jobVerifier2 && keySet2)
    await assertMultiVerifierIsCached(connection, keySet2, jobVerifier2.address);
  return {
    staking: await viem.getContractAt("Staking", addresses.staking),
    registry: await viem.getContractAt("OrchestratorRegistry", addresses.registry),
    jobs: await viem.getContractAt("JobRegistry", addresses.jobs),
    epochs: await viem.getContractAt("EpochManager", addresses.epochs),
    jobVerifier2,
    keySet2,
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

/** The test configuration of a versioned-cells job (issue 12): its key set in circuits.json. */
export const JOB2_TEST_KEY_SET = "job2_test";

/** JOB2_TEST_KEY_SET's circuits by role. */
export const JOB2_TEST_CIRCUITS = job2Circuits(JOB2_TEST_KEY_SET);

/**
 * Deploys contracts/JobVerifier2.sol with the multi verifier of a job key set (its generated
 * contract, `npm run setup`: one pairing product over the four keys) and circomlibjs's
 * Poseidon(4) and Poseidon(6). Refuses a verifier generated from other keys than the cache's.
 */
export async function deployJobVerifier2(
  connection: NetworkConnection,
  keySet: string = JOB2_TEST_KEY_SET,
) {
  const { viem } = connection;
  const publicClient = await viem.getPublicClient();
  const [wallet] = await viem.getWalletClients();
  const poseidon = async (n: 4 | 6) => {
    const a = poseidonArtifact(n);
    const hash = await wallet!.deployContract({ abi: a.abi, bytecode: a.bytecode });
    const address = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress;
    if (!address) throw new Error(`Poseidon(${n}) was not deployed`);
    return address;
  };
  const name = multiVerifierContractName(keySet);
  const multi = (await viem.deployContract(name as never)) as { address: Address };
  await checkMultiVerifier(connection, keySet, multi.address);
  return viem.deployContract("JobVerifier2", [multi.address, await poseidon(4), await poseidon(6)]);
}

/** Refuses a multi verifier generated from other keys than the cache's key set. */
async function checkMultiVerifier(connection: NetworkConnection, keySet: string, at: Address) {
  const circuits = Object.values(job2Circuits(keySet));
  const name = multiVerifierContractName(keySet);
  const multi = await connection.viem.getContractAt("IGroth16MultiVerifier" as never, at);
  const hashes = (await (
    multi as unknown as { read: { vkHashes: () => Promise<readonly `0x${string}`[]> } }
  ).read.vkHashes()) as readonly `0x${string}`[];
  if (hashes.length !== circuits.length)
    throw new Error(
      `${name} verifies ${hashes.length} keys, key set ${keySet} lists ${circuits.length}: ` +
        "run `npm run setup` and `npx hardhat compile`",
    );
  for (const [k, c] of circuits.entries()) await assertVerifierIsCachedKey(c, hashes[k]!, name);
}

/** The JobVerifier2 at `at`'s multi verifier checks the cached keys of `keySet`. */
async function assertMultiVerifierIsCached(
  connection: NetworkConnection,
  keySet: string,
  at: Address,
) {
  const jv = await connection.viem.getContractAt("JobVerifier2", at);
  await checkMultiVerifier(connection, keySet, await jv.read.VERIFIER());
}
