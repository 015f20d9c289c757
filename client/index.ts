/**
 * The public API of the `concentric` package (package.json `exports`): the app SDK's chain
 * actions, off-chain proving and verification of a run, and the digests a contract compares.
 * Functions take a client first and one parameters object (viem's shape).
 *
 * @example
 * import { createConcentricClient, submitJob, waitForJob } from "concentric";
 * import { privateKeyToAccount } from "viem/accounts";
 * const client = await createConcentricClient({ rpc: "http://127.0.0.1:8545", account: privateKeyToAccount(key) });
 * const { jobId } = await submitJob(client, { elf, input });
 * const { exitCode, output, transactionHash } = await waitForJob(client, { jobId });
 *
 * The package ships TypeScript: run it with a loader (tsx, or Node's type stripping is not
 * enough: parameter properties are used), as `npx concentric` does.
 */
export {
  asRevertError,
  checkGuest,
  ConcentricError,
  createConcentricClient,
  GuestError,
  imageIdOfElf,
  InsufficientFundsError,
  JOB_STATUS,
  MAX_INLINE_INPUT_BYTES,
  onChainInput,
  publishedElf,
  readJob,
  refundJob,
  registerImage,
  RevertError,
  rewards,
  send,
  stake,
  submitJob,
  unstake,
  waitForJob,
  withdraw,
  withdrawRewards,
  type CheckedRun,
  type ConcentricClient,
  type CreateConcentricClientParameters,
  type JobView,
  type RegisterImageParameters,
  type RegisterImageReturnType,
  type SendReturnType,
  type SubmitJobParameters,
  type SubmitJobReturnType,
  type WaitForJobParameters,
  type WaitForJobReturnType,
} from "./actions.ts";
export { loadAccount, loadDeployment, type Deployment, type KeyOptions } from "./chain.ts";
export {
  proveRun,
  verifyRun,
  RunVerifyError,
  type RunProof,
  type VerifiedRun,
  type ProveRunOptions,
} from "../prover/zkvm/run.ts";
export {
  execute,
  imageId,
  inputDigest,
  loadElf,
  outputDigest,
  Trap,
  ElfError,
  type ExecutionResult,
  type ProgramImage,
} from "../prover/executor/index.ts";
export { getCircuitArtifacts, defaultCacheDir } from "../prover/setup/artifacts.ts";
export { Groth16ChunkProver } from "../prover/zkvm/prover.ts";
export { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
