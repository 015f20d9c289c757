/**
 * The public API of the `concentric` package (package.json `exports`): the app SDK's chain
 * actions, off-chain proving and verification of a run, and the digests a contract compares.
 * Functions take a client first and one parameters object (viem's shape).
 *
 * @example
 * import { createConcentricClient, prepareJob, submitJob, waitForJob, jobOutput } from "concentric";
 * import { privateKeyToAccount } from "viem/accounts";
 * const client = await createConcentricClient({ rpc: "http://127.0.0.1:8545", account: privateKeyToAccount(key) });
 * const { jobId } = await submitJob(client, await prepareJob({ elf, input }));
 * const { exitCode, transactionHash } = await waitForJob(client, { jobId });
 * const output = await jobOutput(client, { jobId });
 *
 * A job whose input is over 64 bytes is committed by digest; `provideInput` then uploads its
 * bytes to an orchestrator, signed by the client's account.
 *
 * `concentric/actions` is the browser-safe part alone (the actions and `concentricClient`, over
 * any viem transport, e.g. a browser wallet's), as the web app uses it.
 *
 * The package ships TypeScript: run it with a loader (tsx, or Node's type stripping is not
 * enough: parameter properties are used), as `npx concentric` does.
 */
export {
  approveChild,
  asRevertError,
  ConcentricError,
  concentricClient,
  deregister,
  evictChild,
  imageRegistered,
  InsufficientFundsError,
  JOB_STATUS,
  jobFee,
  MAX_INLINE_INPUT_BYTES,
  onChainInput,
  publishedElf,
  readAccount,
  readJob,
  refundJob,
  registerImage,
  registerOrchestrator,
  requestExit,
  RevertError,
  rewards,
  send,
  slashMissed,
  stake,
  submitJob,
  unstake,
  waitForJob,
  withdraw,
  withdrawRewards,
  WrongChainError,
  type AccountView,
  type ConcentricClient,
  type ConcentricClientParameters,
  type ContractCall,
  type ImageRegistration,
  type JobView,
  type RegisterImageParameters,
  type RegisterImageReturnType,
  type SendReturnType,
  type SubmitJobParameters,
  type SubmitJobReturnType,
  type WaitForJobParameters,
  type WaitForJobReturnType,
} from "./actions.ts";
export {
  canonicalRequest,
  MAX_INPUT_BYTES,
  OrchestratorRequestError,
  provideInput,
  signRequest,
  walletSigner,
  type ProvideInputParameters,
  type ProvideInputReturnType,
  type RequestSigner,
} from "./orchestrator.ts";
export {
  checkGuest,
  GuestError,
  imageIdOfElf,
  imageRegistration,
  jobOutput,
  prepareJob,
  type CheckedRun,
  type PrepareJobParameters,
  type PrepareJobReturnType,
} from "./guest.ts";
export {
  createConcentricClient,
  loadAbis,
  loadAccount,
  loadDeployment,
  type ContractAbis,
  type CreateConcentricClientParameters,
  type Deployment,
  type KeyOptions,
} from "./chain.ts";
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
