// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Program images and jobs
/// @notice An image is registered by its opening (entry, memory size, code range, initial
/// memory root); the contract computes its image ID (Poseidon, as the executor and the circuit
/// do) and publishes the ELF in an event, so orchestrators can fetch and check it. A job is
/// (image ID, input digest, fee); its entry state digest S_0 is computed here at submission,
/// so a Universal Proof can never start a job's chain anywhere else. Results are written once,
/// by the epoch manager, and readable by any contract.
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
    error Jobs__InputTooLong(uint256 length, uint256 maximum);
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
        uint64 epoch
    );
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

    /// @notice Submit a job by input digest (the input is delivered off chain); fee = msg.value.
    function submitJob(uint256 imageId, uint256 inputDigest) external payable returns (uint256 jobId);

    /// @notice Submit a job with its input bytes (at most MAX_INPUT_BYTES): the digest is
    /// computed here and the bytes published in `JobInput`.
    function submitJobWithInput(uint256 imageId, bytes calldata input) external payable returns (uint256 jobId);

    /// @notice Settler only: record the result of a pending job and send its fee to the settler.
    function settle(uint256 jobId, JobResult calldata result) external returns (uint256 fee);

    /// @notice Return the fee of a job still pending REFUND_TIMEOUT after its submission.
    function refund(uint256 jobId) external;

    function job(uint256 jobId) external view returns (Job memory);
    /// @notice What settling a job needs, without the rest of its record (cheaper to read).
    function settlementInfo(uint256 jobId)
        external
        view
        returns (JobStatus status, uint64 epoch, uint256 imageId, uint256 s0);
    /// @notice The result of a job; `settled` is false until its Universal Proof is verified.
    function result(uint256 jobId) external view returns (bool settled, JobResult memory);
    function image(uint256 imageId) external view returns (Image memory);
    /// @notice Jobs submitted during `epoch` that are still pending.
    function pendingIn(uint64 epoch) external view returns (uint256);
    function epochAt(uint256 timestamp) external view returns (uint64);
    function jobCount() external view returns (uint256);
    function GENESIS() external view returns (uint64);
    function EPOCH_LENGTH() external view returns (uint64);
}
