// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Epochs and the Universal Proof
/// @notice Epoch e covers [GENESIS + e·EPOCH_LENGTH, GENESIS + (e+1)·EPOCH_LENGTH). After it
/// ends, its assigned submitter (an active root orchestrator, `epoch mod #roots`, fixed when
/// the epoch's first job is submitted) has until
/// `deadline(e)` to submit its Universal Proof: for each settled job, the chain of state
/// digests and one Groth16 chunk proof per link, all checked with one batched pairing product.
/// The contract builds every public input itself: S_0 from the job record, the intermediate
/// states from the chain, the final state from its opening (core, output digest, exit code,
/// cycles; halted by construction), the image ID from the job, and the prover address per
/// chunk. A missed deadline (with due jobs still pending) slashes the assigned submitter and
/// opens the epoch to any active orchestrator, who also earns the slashed stake.
interface IEpochManager {
    /// @notice The proof of one job: N chunk proofs (in the proofs array, in order) link
    /// S_0 → S_1 → … → S_N; `states` holds S_1..S_{N-1}; S_N is
    /// Poseidon(finalCore, outputDigest, 1 + 2·exitCode + 2^33·cycles).
    struct JobProof {
        uint256 jobId;
        uint256[] states;
        address[] provers;
        uint256 finalCore;
        uint256 outputDigest;
        uint32 exitCode;
        uint64 cycles;
    }

    /// @notice One storage slot: who submitted the epoch's Universal Proof, when, its size.
    struct EpochRecord {
        address submitter;
        uint40 submittedAt;
        uint24 jobs;
        uint24 chunks;
        bool slashed;
    }

    /// @notice Constructor: prover share above 100 % or a verifier of another circuit shape.
    error Epoch__BadConfig();
    error Epoch__NotEnded(uint64 epoch, uint64 endsAt);
    error Epoch__AlreadySubmitted(uint64 epoch);
    error Epoch__NoRoot();
    error Epoch__NotAssigned(address caller, address assigned);
    error Epoch__NotOrchestrator(address account);
    error Epoch__Empty();
    /// @notice More than 2^24 - 1 jobs or chunks in one Universal Proof.
    error Epoch__TooLarge();
    error Epoch__JobNotDue(uint256 jobId, uint64 jobEpoch);
    error Epoch__NoChunks(uint256 jobId);
    error Epoch__ChainLength(uint256 jobId, uint256 states, uint256 provers);
    error Epoch__ProofCount(uint256 proofs, uint256 chunks);
    error Epoch__NotInField(uint256 value);
    error Epoch__ZeroProver(uint256 jobId, uint256 chunk);
    error Epoch__CyclesTooLarge(uint64 cycles);
    error Epoch__NotSlashable(uint64 epoch);
    error Epoch__NothingToWithdraw();
    error Epoch__TransferFailed();
    error Epoch__UnexpectedPayment(address from);
    error Epoch__NotJobRegistry(address caller);

    event EpochSubmitted(uint64 indexed epoch, address indexed submitter, uint24 jobs, uint24 chunks);
    event JobProven(uint256 indexed jobId, uint64 indexed epoch, uint32 chunks);
    event RewardCredited(address indexed account, uint256 amount);
    event SubmitterAssigned(uint64 indexed epoch, address indexed submitter);
    event SubmitterSlashed(uint64 indexed epoch, address indexed submitter, uint256 amount);
    event RewardsWithdrawn(address indexed account, uint256 amount);

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

    /// @notice Job registry only: fixes the submitter of `epoch` (an active root, `epoch mod
    /// #roots`) when its first job arrives, so later changes to the roots cannot move it.
    function assign(uint64 epoch) external;

    /// @notice Anyone: slash the assigned submitter of an epoch whose deadline passed with due
    /// jobs pending and no Universal Proof.
    function slashMissed(uint64 epoch) external;

    function withdrawRewards() external;

    function assignedSubmitter(uint64 epoch) external view returns (address);
    function epochEnd(uint64 epoch) external view returns (uint64);
    function deadline(uint64 epoch) external view returns (uint64);
    function currentEpoch() external view returns (uint64);
    function epochRecord(uint64 epoch) external view returns (EpochRecord memory);
    function rewardsOf(address account) external view returns (uint256);
    /// @notice keccak256(chainid, this contract, epoch): the batch verifier's context.
    function batchContext(uint64 epoch) external view returns (bytes32);
}
