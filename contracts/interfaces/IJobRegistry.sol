// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobVerifier2} from "../JobVerifier2.sol";

/// @title Program images and jobs
/// @notice An image is registered by its opening (entry, memory size, code range, initial
/// memory root); the contract computes its image ID (Poseidon, as the executor and the circuit
/// do) and publishes the ELF in an event, so orchestrators can fetch and check it. A job is
/// (image ID, input digest, cycle bound, fee); its entry state digest S_0 is computed here at
/// submission, so a Universal Proof can never start a job's chain anywhere else. Results are
/// written once, by the epoch manager, and readable by any contract.
///
/// Epoch capacity. One Universal Proof per epoch must fit one transaction (EIP-7825: 2^24 gas),
/// so each epoch has EPOCH_GAS of room. A job declares a cycle bound B and pays at least
/// BASE_FEE + PRICE_PER_CYCLE·B; it may be proven in at most maxChunks = ceil(B /
/// CYCLES_PER_CHUNK) chunk proofs, and reserves GAS_PER_JOB + maxChunks·GAS_PER_CHUNK of its
/// epoch's room. It is placed at submission into the first epoch (from the current one, at most
/// MAX_EPOCHS_AHEAD ahead) with room for that, so no epoch is ever over-full; a job that does not
/// fit an empty epoch is refused (`Jobs__TooLarge`). A run longer than B cycles, or one that
/// needs more than maxChunks chunks, cannot settle: its root declares the epoch instead and the
/// requester takes the refund after REFUND_TIMEOUT.
///
/// Versioned-cells jobs (version 2, circuits/zkvm/README.md). When the deployment has a
/// JobVerifier2 (JOB_VERIFIER2 non-zero), an image may also be registered with `registerImage2`
/// (JobVerifier2 computes its ID and stores its entry state; the ELF is published here) and a
/// job submitted on it with `submitJob2`: its input bytes (at most MAX_INPUT2_BYTES, the input
/// proof's) are published and their SHA-256 is the record's inputDigest (s0 = 0: the entry
/// state is the image's, in JobVerifier2). Such a job has chunk and gas bounds of its own
/// (CYCLES_PER_CHUNK2, GAS_PER_JOB2, GAS_PER_CHUNK2, same EPOCH_GAS): its bound buys
/// ceil(B / CYCLES_PER_CHUNK2) chunks, which is not a floor on the cycles a chunk retires (a
/// word-mode transfer moves a word a step and retires no cycle), so a client declares
/// max(cycles, chunks · CYCLES_PER_CHUNK2) for a run that needs more chunks. It settles only through
/// EpochManager.submitEpoch2, its result's outputDigest the output's SHA-256, which a contract
/// opens itself (contracts/JobOutput.sol). A version-1 job settles only through submitEpoch.
interface IJobRegistry {
    enum JobStatus {
        None,
        Pending,
        Settled,
        Refunded
    }

    /// @notice A run's statement: the image on the input exits with `exitCode` after `cycles`
    /// cycles, writing output with digest `outputDigest`; proven in Universal Proof `epoch`.
    struct JobResult {
        uint32 exitCode;
        uint64 cycles;
        uint64 epoch;
        uint256 outputDigest;
    }

    struct Job {
        address requester;
        uint64 submittedAt;
        uint64 epoch;
        JobStatus status;
        uint256 imageId;
        uint256 inputDigest;
        /// State digest at the entry (a function of image and input digest).
        uint256 s0;
        uint256 fee;
        JobResult result;
        /// Declared bound on the run's cycles, and the chunk proofs it may settle with.
        uint64 cycleBound;
        uint32 maxChunks;
        /// 1: a chunk-circuit job (Poseidon input digest, S_0 above); 2: a versioned-cells job
        /// (image registered in JobVerifier2, inputDigest = SHA-256 of the input, s0 = 0).
        uint8 version;
    }

    struct Image {
        uint32 entry;
        uint32 codeStart;
        uint32 codeEnd;
        bool registered;
        uint256 initRoot;
    }

    error Jobs__UnsupportedMemorySize(uint256 memorySize, uint256 supported);
    error Jobs__BadCodeRange();
    error Jobs__NotInField(uint256 value);
    error Jobs__ImageExists(uint256 imageId);
    error Jobs__UnknownImage(uint256 imageId);
    error Jobs__FeeTooLow(uint256 fee, uint256 minimum);
    /// @notice A cycle bound of 0 or above MAX_CYCLES.
    error Jobs__BadCycleBound(uint64 cycleBound);
    /// @notice The job's reservation (gas) does not fit even an empty epoch's room.
    error Jobs__TooLarge(uint256 gasNeeded, uint256 epochGas);
    /// @notice No epoch from the current one to MAX_EPOCHS_AHEAD ahead has room for the job.
    error Jobs__NetworkBusy(uint64 fromEpoch, uint64 toEpoch);
    /// @notice Constructor parameters that cannot work (zero chunk size, base over capacity, …).
    error Jobs__BadConfig();
    error Jobs__InputTooLong(uint256 length, uint256 maximum);
    /// @notice Versioned-cells jobs are not enabled in this deployment (no JobVerifier2).
    error Jobs__NoJobVerifier2();
    error Jobs__UnknownJob(uint256 jobId);
    error Jobs__NotPending(uint256 jobId, JobStatus status);
    error Jobs__RefundTooEarly(uint64 refundableAt);
    error Jobs__NotSettler(address caller);
    error Jobs__AlreadyConfigured();
    error Jobs__NotDeployer(address caller);
    error Jobs__TransferFailed();

    event ImageRegistered(uint256 indexed imageId, address indexed by, bytes32 elfHash, bytes elf);
    event JobSubmitted(
        uint256 indexed jobId,
        address indexed requester,
        uint256 indexed imageId,
        uint256 inputDigest,
        uint256 fee,
        uint64 epoch,
        uint64 cycleBound,
        uint32 maxChunks
    );
    /// @notice A versioned-cells image registered through this registry (its ELF published).
    event Image2Registered(uint256 indexed imageId, address indexed by, bytes32 elfHash, bytes elf);
    /// @notice The input bytes of a job submitted with them (their digest was computed here).
    event JobInput(uint256 indexed jobId, bytes input);
    event JobSettled(uint256 indexed jobId, uint64 indexed epoch, uint32 exitCode, uint64 cycles, uint256 outputDigest);
    event JobRefunded(uint256 indexed jobId, uint256 fee);
    event SettlerConfigured(address settler);

    function registerImage(
        uint32 entry,
        uint32 memorySize,
        uint32 codeStart,
        uint32 codeEnd,
        uint256 initRoot,
        bytes calldata elf
    ) external returns (uint256 imageId);

    /// @notice Register a versioned-cells image (its opening, as registerImage) with
    /// JobVerifier2, which stores its entry state, and publish its ELF; returns its image ID
    /// (JobVerifier2's: Poseidon over the opening, any memory size up to 1 MiB). Registering an
    /// image again publishes its ELF again (orchestrators keep the first that opens to the ID).
    function registerImage2(
        uint32 entry,
        uint32 memorySize,
        uint32 codeStart,
        uint32 codeEnd,
        uint256 initRoot,
        bytes calldata elf
    ) external returns (uint256 imageId);

    /// @notice Submit a job by input digest (the input is delivered off chain); fee = msg.value,
    /// at least `feeFor(cycleBound)`.
    function submitJob(uint256 imageId, uint256 inputDigest, uint64 cycleBound)
        external
        payable
        returns (uint256 jobId);
    /// @notice Submit a job with its input bytes (at most MAX_INPUT_BYTES): the digest is
    /// computed here and the bytes published in `JobInput`.
    function submitJobWithInput(uint256 imageId, bytes calldata input, uint64 cycleBound)
        external
        payable
        returns (uint256 jobId);
    /// @notice Submit a versioned-cells job (version 2) on an image registered with
    /// `registerImage2`, with its input bytes (at most MAX_INPUT2_BYTES, published in
    /// `JobInput`); its input digest is their SHA-256. Settled by EpochManager.submitEpoch2.
    function submitJob2(uint256 imageId, bytes calldata input, uint64 cycleBound)
        external
        payable
        returns (uint256 jobId);
    /// @notice The chunk proofs a versioned-cells job with this cycle bound may settle with.
    function chunksFor2(uint64 cycleBound) external view returns (uint32);
    /// @notice Gas of its epoch's room a versioned-cells job with this cycle bound reserves.
    function gasFor2(uint64 cycleBound) external view returns (uint256);
    /// @notice The least fee of a job with this cycle bound.
    function feeFor(uint64 cycleBound) external view returns (uint256);
    /// @notice The chunk proofs a job with this cycle bound may settle with.
    function chunksFor(uint64 cycleBound) external view returns (uint32);
    /// @notice Gas of its epoch's room a job with this cycle bound reserves.
    function gasFor(uint64 cycleBound) external view returns (uint256);
    /// @notice Gas of `epoch`'s room already reserved by its jobs.
    function reservedGas(uint64 epoch) external view returns (uint256);

    /// @notice Settler only: record the result of a pending job and send its fee to the settler.
    function settle(uint256 jobId, JobResult calldata result) external returns (uint256 fee);

    /// @notice Return the fee of a job still pending REFUND_TIMEOUT after its submission.
    function refund(uint256 jobId) external;

    function job(uint256 jobId) external view returns (Job memory);
    /// @notice What settling a job needs, without the rest of its record (cheaper to read).
    function settlementInfo(uint256 jobId)
        external
        view
        returns (JobStatus status, uint64 epoch, uint256 imageId, uint256 s0, uint64 cycleBound, uint32 maxChunks);
    /// @notice What settling a versioned-cells job needs (its input digest: SHA-256).
    function settlementInfo2(uint256 jobId)
        external
        view
        returns (
            JobStatus status,
            uint64 epoch,
            uint256 imageId,
            uint256 inputDigest,
            uint64 cycleBound,
            uint32 maxChunks,
            uint8 version
        );
    /// @notice The result of a job; `settled` is false until its Universal Proof is verified.
    function result(uint256 jobId) external view returns (bool settled, JobResult memory);
    function image(uint256 imageId) external view returns (Image memory);
    /// @notice Jobs submitted during `epoch` that are still pending.
    function pendingIn(uint64 epoch) external view returns (uint256);
    function epochAt(uint256 timestamp) external view returns (uint64);
    function jobCount() external view returns (uint256);
    function GENESIS() external view returns (uint64);
    /// @notice The verifier of versioned-cells jobs (zero: not enabled here).
    function JOB_VERIFIER2() external view returns (JobVerifier2);
    function EPOCH_LENGTH() external view returns (uint64);
}
