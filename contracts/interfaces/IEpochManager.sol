// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobVerifier2} from "../JobVerifier2.sol";

/// @title Epochs and the Universal Proof
/// @notice Epoch e covers [GENESIS + e·EPOCH_LENGTH, GENESIS + (e+1)·EPOCH_LENGTH).
///
/// Who is assigned. When an epoch's first job is submitted, its submitter is fixed once and for
/// all: the root at `e mod rootCount()` or the next active one of ASSIGN_PROBES (O(1)); if no
/// root is active then, nobody is assigned. Nothing later changes it.
///
/// Who may submit when. After the epoch ends and until `deadline(e)`, only the assigned root
/// may submit its Universal Proof (or `declareEpoch` it, settling nothing: the way to close an
/// epoch whose jobs cannot be proven, e.g. an input that was never delivered or an image whose
/// ELF does not match its opening); with nobody assigned, any active orchestrator may. After the
/// deadline any active orchestrator may. A Universal Proof may carry jobs of earlier epochs:
/// before such an epoch's deadline only that epoch's own root may carry them, after it anyone.
///
/// The proof: for each settled job, the chain of state digests and one Groth16 chunk proof per
/// link, all checked with one batched pairing product. The contract builds every public input
/// itself: S_0 from the job record, the intermediate states from the chain, the final state from
/// its opening (core, output digest, exit code, cycles; halted by construction), the image ID
/// from the job, the prover address per chunk (never 0) and the cycles each chunk retires (at
/// least 1, summing to the job's cycles). No chunk may prove S -> S.
///
/// Who is slashed for what. Only an assigned root, only once per epoch, and only when the
/// deadline passed with jobs of the epoch pending and the root neither submitted nor declared
/// the epoch by then (`slashMissed`, or implicitly by late work on that epoch). An epoch with
/// nobody assigned slashes nobody. The constructor requires EXIT_DELAY + UNBONDING_DELAY to
/// cover an epoch, its submission window and a grace period, so leaving cannot escape a slash.
///
/// Where every wei goes. Job fees arrive at settlement: PROVER_SHARE_BPS of a job's fee is
/// split over its chunks in proportion to the cycles each retires and credited to the prover
/// inside each chunk proof (rounding down; what rounding leaves joins the rest); the rest,
/// plus `carriedPool`, is split evenly between the submitter and the `assemblers` it names
/// (active orchestrators whose segments went into the proof), the rounding remainder to the
/// submitter. A slash: SLASH_REWARD_BPS to the caller of `slashMissed` (nothing if that is the
/// slashed root), the rest as the epoch's bounty, paid to whoever later submits that epoch or
/// carries its jobs — never to the slashed root. A bounty nobody claims within SWEEP_DELAY
/// after the deadline is swept (`sweepBounty`) into `carriedPool`. Credits are withdrawn with
/// `withdrawRewards` / `withdrawRewardsTo`. Invariant:
/// `address(this).balance == totalRewards + Σ bounty + carriedPool`.
interface IEpochManager {
    /// @notice The proof of one job: N chunk proofs (in the proofs array, in order) link
    /// S_0 → S_1 → … → S_N; `states` holds S_1..S_{N-1}; S_N is
    /// Poseidon(finalCore, outputDigest, 1 + 2·exitCode + 2^33·cycles). Chunk c retires
    /// `chunkCycles[c]` ≥ 1 instructions (a public input of its proof), summing to `cycles`.
    struct JobProof {
        uint256 jobId;
        uint256[] states;
        address[] provers;
        uint32[] chunkCycles;
        uint256 finalCore;
        uint256 outputDigest;
        uint32 exitCode;
        uint64 cycles;
    }
    /// @notice The submitter fixed for an epoch, and whether it was fixed (possibly to nobody).
    struct Assignment {
        address root;
        bool fixed_;
    }

    /// @notice One storage slot: who submitted the epoch's Universal Proof, when, its size.
    struct EpochRecord {
        address submitter;
        uint40 submittedAt;
        uint24 jobs;
        uint24 chunks;
        bool slashed;
    }
    /// @notice Constructor: prover share above 100 %, a verifier of another circuit shape, a
    /// slash above the minimum stake, or exit + unbonding delays shorter than an epoch, its
    /// submission window and the slash grace period.
    error Epoch__BadConfig();
    error Epoch__NotEnded(uint64 epoch, uint64 endsAt);
    error Epoch__AlreadySubmitted(uint64 epoch);
    error Epoch__NotAssigned(address caller, address assigned);
    error Epoch__NotOrchestrator(address account);
    error Epoch__Empty();
    /// @notice More than 2^24 - 1 jobs or chunks in one Universal Proof.
    error Epoch__TooLarge();
    error Epoch__JobNotDue(uint256 jobId, uint64 jobEpoch);
    error Epoch__NoChunks(uint256 jobId);
    error Epoch__ChainLength(uint256 jobId, uint256 states, uint256 provers);
    /// @notice chunkCycles has another length than provers, or does not sum to the job's cycles.
    error Epoch__ChunkCycles(uint256 jobId);
    error Epoch__ProofCount(uint256 proofs, uint256 chunks);
    error Epoch__NotInField(uint256 value);
    error Epoch__ZeroProver(uint256 jobId, uint256 chunk);
    error Epoch__CyclesTooLarge(uint64 cycles);
    /// @notice A chunk with S_in = S_out (it retires nothing).
    error Epoch__IdleChunk(uint256 jobId, uint256 chunk);
    /// @notice More chunk proofs than the job reserved room for (see IJobRegistry).
    error Epoch__TooManyChunks(uint256 jobId, uint256 chunks, uint32 maxChunks);
    /// @notice The run took more cycles than the job's declared bound.
    error Epoch__OverCycleBound(uint256 jobId, uint64 cycles, uint64 cycleBound);
    error Epoch__SweepTooEarly(uint64 at);
    error Epoch__NotSlashable(uint64 epoch);
    error Epoch__NothingToWithdraw();
    error Epoch__TransferFailed();
    error Epoch__UnexpectedPayment(address from);
    error Epoch__NotJobRegistry(address caller);
    /// @notice A job settled through the wrong entry point (version 1: submitEpoch; 2: submitEpoch2).
    error Epoch__JobVersion(uint256 jobId, uint8 version);
    /// @notice A versioned-cells job's claimed image or input is not its record's.
    error Epoch__JobMismatch(uint256 jobId);
    /// @notice Versioned-cells jobs are not enabled in this deployment.
    error Epoch__NoJobVerifier2();
    event EpochSubmitted(uint64 indexed epoch, address indexed submitter, uint24 jobs, uint24 chunks);
    event JobProven(uint256 indexed jobId, uint64 indexed epoch, uint32 chunks);
    event RewardCredited(address indexed account, uint256 amount);
    event SubmitterAssigned(uint64 indexed epoch, address indexed submitter);
    event SubmitterSlashed(uint64 indexed epoch, address indexed submitter, uint256 amount);
    event RewardsWithdrawn(address indexed account, address to, uint256 amount);
    /// @notice The assigned root closed the epoch without settling (`pending` jobs remain).
    event EpochDeclared(uint64 indexed epoch, address indexed submitter, uint256 pending);
    event BountySwept(uint64 indexed epoch, uint256 amount);
    /// @notice Verify and settle with plain proof points [Ax, Ay, Bx_i, Bx_r, By_i, By_r, Cx, Cy].
    function submitEpoch(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256[8][] calldata proofs
    ) external;
    /// @notice Same with point-compressed proofs (see IGroth16BatchVerifier).
    function submitEpochCompressed(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256[4][] calldata proofs
    ) external;
    /// @notice The same rights as a submission, settling nothing: closes the epoch so its root
    /// is not slashed for jobs it cannot prove. Its pending jobs stay carryable.
    /// @notice Submits `epoch`'s Universal Proof of versioned-cells jobs (JobRegistry version 2):
    /// the same rules as submitEpoch for who may submit which job when, each job's claim and
    /// proofs checked by JobVerifier2.verifyJobs (all in one pairing product) against the job's
    /// record (image ID, SHA-256 input digest, chunk bound, cycle bound); the result recorded
    /// is the output's SHA-256 (JobResult.outputDigest), and each chunk's prover is credited
    /// by the cycles it retired, as in submitEpoch.
    /// @param proofs as verifyJobs takes them: every job's chunk proofs (job by job), then the
    /// jobs' boundary proofs, input proofs and output proofs
    function submitEpoch2(
        uint64 epoch,
        JobVerifier2.JobInput[] calldata jobs,
        address[] calldata assemblers,
        uint256[8][] calldata proofs
    ) external;

    function declareEpoch(uint64 epoch) external;
    /// @notice Job registry only: fixes the submitter of `epoch` when its first job arrives.
    function assign(uint64 epoch) external;
    /// @notice Anyone: slash the assigned submitter of an epoch whose deadline passed with jobs
    /// pending and no submission or declaration by then; the caller earns SLASH_REWARD_BPS.
    function slashMissed(uint64 epoch) external;
    /// @notice Anyone, SWEEP_DELAY after the deadline: moves an unclaimed bounty to carriedPool.
    function sweepBounty(uint64 epoch) external;
    function withdrawRewards() external;
    /// @notice Pays the caller's credit to `to` (for a prover address that cannot take ETH).
    function withdrawRewardsTo(address payable to) external;
    function assignedSubmitter(uint64 epoch) external view returns (address);
    function epochEnd(uint64 epoch) external view returns (uint64);
    function deadline(uint64 epoch) external view returns (uint64);
    function currentEpoch() external view returns (uint64);
    function epochRecord(uint64 epoch) external view returns (EpochRecord memory);
    function rewardsOf(address account) external view returns (uint256);
    /// @notice keccak256(chainid, this contract, epoch): the batch verifier's context.
    function batchContext(uint64 epoch) external view returns (bytes32);
}
