/**
 * The app SDK and the example consumer against a real settled job: fibonacci(5) proven with
 * real Groth16 chunk proofs at the network's circuit, the job prepared with `prepareJob` and
 * submitted with the SDK's `submitJob` (which registers the image) from hardhat's wallet
 * clients (JSON-RPC accounts, as a browser wallet's), the epoch's Universal Proof submitted and
 * verified on chain, `waitForJob` resolving with exit code, cycles, epoch and the settling
 * transaction, `jobOutput` with the output bytes (re-executed from the published ELF, checked
 * against the settled digest), and FibonacciOracle accepting fib(5) = 5 only from that job,
 * refusing every other claim.
 */
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { describe, expect, it } from "vitest";
import {
  concentricClient,
  imageRegistration,
  jobOutput,
  loadAbis,
  prepareJob,
  readJob,
  registerImage,
  registerOrchestrator,
  submitJob,
  waitForJob,
  stake,
  rewards,
  type ConcentricClient,
} from "../../client/index.ts";
import { universalProof } from "../../orchestrator/universal-proof.ts";
import { loadElf } from "../../prover/executor/index.ts";
import { REPO_ROOT } from "../../prover/setup/registry.ts";
import { Groth16ChunkProver, type Address } from "../../prover/zkvm/prover.ts";
import { proveRun } from "../../prover/zkvm/run.ts";
import { chunkCircuitConfig } from "../../prover/zkvm/witness.ts";
import { DEFAULT_NETWORK_CIRCUIT, deployConcentric } from "../../scripts/lib/deploy.ts";
import { getTestArtifacts } from "../../test/helpers/artifacts.ts";

const ETH = 10n ** 18n;
const PROVER: Address = "0x00000000000000000000000000000000000a11ce";
const elf = new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/fibonacci.elf`));
const word = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);

describe("app SDK and FibonacciOracle on a real settled job", () => {
  it("submits, settles, waits, and a contract accepts only the proven value", async () => {
    const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
    const { run } = await proveRun(loadElf(elf), word(5), {
      config: chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT),
      prover: new Groth16ChunkProver(artifacts),
      address: PROVER,
      vk: artifacts.vkey,
    });

    const connection = await network.create();
    const wallets = await connection.viem.getWalletClients();
    const publicClient = await connection.viem.getPublicClient();
    const c = await deployConcentric(connection);
    const deployment = {
      chainId: await publicClient.getChainId(),
      block: c.block.toString(),
      circuit: c.circuit,
      contracts: {
        staking: c.addresses.staking,
        registry: c.addresses.registry,
        jobs: c.addresses.jobs,
        epochs: c.addresses.epochs,
        verifier: c.addresses.verifier,
      },
    };
    const clientOf = (i: number): ConcentricClient =>
      concentricClient({
        public: publicClient as ConcentricClient["public"],
        wallet: wallets[i] as unknown as NonNullable<ConcentricClient["wallet"]>,
        deployment,
        abis: loadAbis(),
      });
    const root = clientOf(1);
    const user = clientOf(3);

    // the root orchestrator stakes and registers (through the SDK)
    await stake(root, { amount: 2n * ETH });
    await registerOrchestrator(root, { endpoint: "http://127.0.0.1:7001" });

    // the user submits fib(5): the SDK checks it locally, registers the image, submits
    const job = await prepareJob({ elf, input: word(5) });
    expect(job.expected).toMatchObject({ exitCode: 0, cycles: run.final.cycles });
    const s = await submitJob(user, job);
    expect(s.imageTransaction?.status).toBe("success");
    expect(s.inputOnChain).toBe(true);
    expect(s.imageId).toBe(BigInt(run.imageId));
    expect((await registerImage(user, await imageRegistration(elf))).transaction).toBeUndefined(); // once only
    const pending = await readJob(user, { jobId: s.jobId });
    expect(pending.status).toBe("pending");
    expect(pending.refundableAt).toBe(pending.submittedAt + 86_400n);

    // the oracle refuses an unsettled job
    const oracle = await connection.viem.deployContract("FibonacciOracle", [
      c.addresses.jobs,
      c.addresses.poseidon2,
      s.imageId,
    ]);
    await expect(oracle.write.accept([s.jobId, 5, 5])).rejects.toThrow(
      /FibonacciOracle__NotSettled/,
    );

    // the epoch ends; the root submits its Universal Proof (real chunk proofs, verified on chain)
    await connection.networkHelpers.time.increase(120);
    const up = await universalProof([{ jobId: s.jobId, run }]);
    const waiting = waitForJob(user, { jobId: s.jobId, pollMs: 200, timeoutMs: 60_000 });
    const hash = await c.epochs.write.submitEpoch(
      [pending.epoch, up.jobs, [], up.proofs as never],
      { account: wallets[1]!.account },
    );
    const settled = await waiting;
    expect(settled).toMatchObject({
      jobId: s.jobId,
      exitCode: 0,
      cycles: BigInt(run.final.cycles),
      epoch: pending.epoch,
      outputDigest: BigInt(run.final.outputDigest),
      transactionHash: hash,
    });
    const output = await jobOutput(user, { jobId: s.jobId });
    expect(Buffer.from(output!).toString("hex")).toBe("05000000"); // fib(5) = 5
    expect(await rewards(user, { address: PROVER })).toBeGreaterThan(0n);

    // the oracle accepts exactly the proven claim
    await expect(oracle.write.accept([s.jobId, 5, 6])).rejects.toThrow(
      /FibonacciOracle__WrongOutput/,
    );
    await expect(oracle.write.accept([s.jobId, 6, 5])).rejects.toThrow(
      /FibonacciOracle__WrongInput/,
    );
    await oracle.write.accept([s.jobId, 5, 5]);
    expect(await oracle.read.fib([5])).toBe(5);
    expect(await oracle.read.known([6])).toBe(false);
    const other = await connection.viem.deployContract("FibonacciOracle", [
      c.addresses.jobs,
      c.addresses.poseidon2,
      s.imageId + 1n,
    ]);
    await expect(other.write.accept([s.jobId, 5, 5])).rejects.toThrow(
      /FibonacciOracle__WrongImage/,
    );
  });
});
