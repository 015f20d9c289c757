// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IPoseidon2, IPoseidon3, IPoseidon6} from "./interfaces/IPoseidon.sol";
import {IEpochManager} from "./interfaces/IEpochManager.sol";

/// @title Program images and jobs
/// @notice See IJobRegistry. Digests follow prover/executor/digest.ts:
/// image ID = Poseidon(1, entry, memorySize, codeStart, codeEnd, initRoot);
/// input digest D_0 of bytes b_0..b_{n-1}: D_n = 0, D_i = Poseidon(b_i, D_{i+1});
/// S_0 = Poseidon(core_0, 0, 0) with core_0 = Poseidon(imageId, D_0, entry,
/// ENTRY_REGISTERS_HASH, initRoot, 0). ENTRY_REGISTERS_HASH is the registers hash at the entry
/// (every register 0 but sp = MEMORY_SIZE), a constant of the memory size that needs a
/// 16-input Poseidon circomlibjs cannot generate a contract for; the deployment computes it
/// with the prover's own digest code (and the tests check it against a real proof's S_0).
/// This contract is also the epoch clock: epoch e is [GENESIS + e·EPOCH_LENGTH, +EPOCH_LENGTH).
contract JobRegistry is IJobRegistry, ReentrancyGuard {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    uint256 public constant MAX_INPUT_BYTES = 64;

    IPoseidon2 public immutable POSEIDON2;
    IPoseidon3 public immutable POSEIDON3;
    IPoseidon6 public immutable POSEIDON6;
    uint32 public immutable MEMORY_SIZE;
    uint256 public immutable ENTRY_REGISTERS_HASH;
    uint256 public immutable MIN_FEE;
    uint64 public immutable REFUND_TIMEOUT;
    uint64 public immutable GENESIS;
    uint64 public immutable EPOCH_LENGTH;
    address private immutable _deployer;

    address public settler;
    mapping(uint256 imageId => Image) private _images;
    Job[] private _jobs;
    mapping(uint64 epoch => uint256) public pendingIn;

    struct Poseidons {
        IPoseidon2 p2;
        IPoseidon3 p3;
        IPoseidon6 p6;
    }

    constructor(
        Poseidons memory poseidons,
        uint32 memorySize,
        uint256 entryRegistersHash,
        uint256 minFee,
        uint64 refundTimeout,
        uint64 genesis,
        uint64 epochLength
    ) {
        POSEIDON2 = poseidons.p2;
        POSEIDON3 = poseidons.p3;
        POSEIDON6 = poseidons.p6;
        MEMORY_SIZE = memorySize;
        ENTRY_REGISTERS_HASH = entryRegistersHash;
        MIN_FEE = minFee;
        REFUND_TIMEOUT = refundTimeout;
        GENESIS = genesis;
        EPOCH_LENGTH = epochLength;
        _deployer = msg.sender;
    }

    /// @notice Deployer only, once: the epoch manager, the only contract that settles jobs.
    function configure(address settler_) external {
        if (msg.sender != _deployer) revert Jobs__NotDeployer(msg.sender);
        if (settler != address(0)) revert Jobs__AlreadyConfigured();
        settler = settler_;
        emit SettlerConfigured(settler_);
    }

    function registerImage(
        uint32 entry,
        uint32 memorySize,
        uint32 codeStart,
        uint32 codeEnd,
        uint256 initRoot,
        bytes calldata elf
    ) external returns (uint256 imageId) {
        if (memorySize != MEMORY_SIZE) revert Jobs__UnsupportedMemorySize(memorySize, MEMORY_SIZE);
        if (codeStart > codeEnd || codeEnd > memorySize || codeStart % 4 != 0 || codeEnd % 4 != 0)
            revert Jobs__BadCodeRange();
        if (initRoot >= R) revert Jobs__NotInField(initRoot);
        imageId = POSEIDON6.poseidon([uint256(1), entry, memorySize, codeStart, codeEnd, initRoot]);
        if (_images[imageId].registered) revert Jobs__ImageExists(imageId);
        _images[imageId] = Image(entry, codeStart, codeEnd, true, initRoot);
        emit ImageRegistered(imageId, msg.sender, keccak256(elf), elf);
    }

    function submitJob(uint256 imageId, uint256 inputDigest) external payable returns (uint256) {
        return _submit(imageId, inputDigest);
    }

    function submitJobWithInput(uint256 imageId, bytes calldata input) external payable returns (uint256 jobId) {
        if (input.length > MAX_INPUT_BYTES) revert Jobs__InputTooLong(input.length, MAX_INPUT_BYTES);
        uint256 d = 0;
        for (uint256 i = input.length; i > 0; i--) d = POSEIDON2.poseidon([uint256(uint8(input[i - 1])), d]);
        jobId = _submit(imageId, d);
        emit JobInput(jobId, input);
    }

    function settle(uint256 jobId, JobResult calldata r) external nonReentrant returns (uint256 fee) {
        if (msg.sender != settler || msg.sender == address(0)) revert Jobs__NotSettler(msg.sender);
        Job storage j = _pending(jobId);
        j.status = JobStatus.Settled;
        j.result = r;
        pendingIn[j.epoch] -= 1;
        fee = j.fee;
        emit JobSettled(jobId, r.epoch, r.exitCode, r.cycles, r.outputDigest);
        if (fee > 0) {
            (bool ok, ) = msg.sender.call{value: fee}("");
            if (!ok) revert Jobs__TransferFailed();
        }
    }

    function refund(uint256 jobId) external nonReentrant {
        Job storage j = _pending(jobId);
        uint64 at = j.submittedAt + REFUND_TIMEOUT;
        if (block.timestamp < at) revert Jobs__RefundTooEarly(at);
        j.status = JobStatus.Refunded;
        pendingIn[j.epoch] -= 1;
        uint256 fee = j.fee;
        emit JobRefunded(jobId, fee);
        (bool ok, ) = j.requester.call{value: fee}("");
        if (!ok) revert Jobs__TransferFailed();
    }

    function job(uint256 jobId) external view returns (Job memory) {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        return _jobs[jobId];
    }

    function settlementInfo(uint256 jobId)
        external
        view
        returns (JobStatus status, uint64 epoch, uint256 imageId, uint256 s0)
    {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        Job storage j = _jobs[jobId];
        return (j.status, j.epoch, j.imageId, j.s0);
    }

    function result(uint256 jobId) external view returns (bool settled, JobResult memory) {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        Job storage j = _jobs[jobId];
        return (j.status == JobStatus.Settled, j.result);
    }

    function image(uint256 imageId) external view returns (Image memory) {
        return _images[imageId];
    }

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    function epochAt(uint256 timestamp) public view returns (uint64) {
        return timestamp < GENESIS ? 0 : uint64((timestamp - GENESIS) / EPOCH_LENGTH);
    }

    function _submit(uint256 imageId, uint256 inputDigest) private returns (uint256 jobId) {
        Image storage img = _images[imageId];
        if (!img.registered) revert Jobs__UnknownImage(imageId);
        if (inputDigest >= R) revert Jobs__NotInField(inputDigest);
        if (msg.value < MIN_FEE) revert Jobs__FeeTooLow(msg.value, MIN_FEE);
        uint256 core = POSEIDON6.poseidon([imageId, inputDigest, img.entry, ENTRY_REGISTERS_HASH, img.initRoot, 0]);
        uint256 s0 = POSEIDON3.poseidon([core, 0, 0]);
        uint64 epoch = epochAt(block.timestamp);
        jobId = _jobs.length;
        _jobs.push(
            Job({
                requester: msg.sender,
                submittedAt: uint64(block.timestamp),
                epoch: epoch,
                status: JobStatus.Pending,
                imageId: imageId,
                inputDigest: inputDigest,
                s0: s0,
                fee: msg.value,
                result: JobResult(0, 0, 0, 0)
            })
        );
        // The epoch's first job fixes its submitter.
        if (pendingIn[epoch] == 0 && settler != address(0)) IEpochManager(settler).assign(epoch);
        pendingIn[epoch] += 1;
        emit JobSubmitted(jobId, msg.sender, imageId, inputDigest, msg.value, epoch);
    }

    function _pending(uint256 jobId) private view returns (Job storage j) {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        j = _jobs[jobId];
        if (j.status != JobStatus.Pending) revert Jobs__NotPending(jobId, j.status);
    }
}
