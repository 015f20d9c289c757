// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IPoseidon2, IPoseidon3, IPoseidon6} from "./interfaces/IPoseidon.sol";
import {IEpochManager} from "./interfaces/IEpochManager.sol";
import {JobVerifier2} from "./JobVerifier2.sol";

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
    uint64 public constant MAX_CYCLES = (1 << 40) - 1;
    /// How far ahead a job may be placed when the current epoch is full.
    uint64 public constant MAX_EPOCHS_AHEAD = 16;

    IPoseidon2 public immutable POSEIDON2;
    IPoseidon3 public immutable POSEIDON3;
    IPoseidon6 public immutable POSEIDON6;
    uint32 public immutable MEMORY_SIZE;
    uint256 public immutable ENTRY_REGISTERS_HASH;
    uint256 public immutable BASE_FEE;
    uint256 public immutable PRICE_PER_CYCLE;
    /// Cycles every chunk but a job's last is expected to retire (the chunk size K, or less when
    /// the circuit may cut a chunk short): a bound of B cycles may settle in ceil(B / this).
    uint64 public immutable CYCLES_PER_CHUNK;
    /// Room of one epoch's Universal Proof, and what a job and each of its chunks take of it.
    uint256 public immutable EPOCH_GAS;
    uint256 public immutable GAS_PER_JOB;
    uint256 public immutable GAS_PER_CHUNK;
    uint64 public immutable REFUND_TIMEOUT;
    uint64 public immutable GENESIS;
    uint64 public immutable EPOCH_LENGTH;
    address private immutable _deployer;
    /// Versioned-cells jobs (version 2): their verifier (zero: not enabled), the cycles every
    /// chunk but a job's last retires at least, a job's and a chunk's share of an epoch's room,
    /// and the most input bytes the input proof takes.
    JobVerifier2 public immutable JOB_VERIFIER2;
    uint64 public immutable CYCLES_PER_CHUNK2;
    uint256 public immutable GAS_PER_JOB2;
    uint256 public immutable GAS_PER_CHUNK2;
    uint256 public immutable MAX_INPUT2_BYTES;

    address public settler;
    mapping(uint256 imageId => Image) private _images;
    /// Versioned-cells images registered here (their ELF published by `registerImage2`).
    mapping(uint256 imageId => bool) public image2Registered;
    Job[] private _jobs;
    mapping(uint64 epoch => uint256) public pendingIn;
    mapping(uint64 epoch => uint256) public reservedGas;

    struct Poseidons {
        IPoseidon2 p2;
        IPoseidon3 p3;
        IPoseidon6 p6;
    }

    /// Fees and epoch capacity (see IJobRegistry). `epochGas` is the room left for jobs once the
    /// Universal Proof's fixed cost is taken from the transaction cap.
    struct Capacity {
        uint256 baseFee;
        uint256 pricePerCycle;
        uint64 cyclesPerChunk;
        uint256 epochGas;
        uint256 gasPerJob;
        uint256 gasPerChunk;
    }

    /// Versioned-cells jobs' parameters (see the immutables); verifier zero disables them.
    struct Capacity2 {
        JobVerifier2 verifier;
        uint64 cyclesPerChunk;
        uint256 gasPerJob;
        uint256 gasPerChunk;
        uint256 maxInputBytes;
    }

    constructor(
        Poseidons memory poseidons,
        uint32 memorySize,
        uint256 entryRegistersHash,
        Capacity memory capacity,
        Capacity2 memory capacity2,
        uint64 refundTimeout,
        uint64 genesis,
        uint64 epochLength
    ) {
        POSEIDON2 = poseidons.p2;
        POSEIDON3 = poseidons.p3;
        POSEIDON6 = poseidons.p6;
        MEMORY_SIZE = memorySize;
        ENTRY_REGISTERS_HASH = entryRegistersHash;
        if (capacity.cyclesPerChunk == 0 || capacity.gasPerChunk == 0 || capacity.epochGas < capacity.gasPerJob + capacity.gasPerChunk)
            revert Jobs__BadConfig();
        BASE_FEE = capacity.baseFee;
        PRICE_PER_CYCLE = capacity.pricePerCycle;
        CYCLES_PER_CHUNK = capacity.cyclesPerChunk;
        EPOCH_GAS = capacity.epochGas;
        GAS_PER_JOB = capacity.gasPerJob;
        GAS_PER_CHUNK = capacity.gasPerChunk;
        if (
            address(capacity2.verifier) != address(0) &&
            (capacity2.cyclesPerChunk == 0 ||
                capacity2.gasPerChunk == 0 ||
                capacity.epochGas < capacity2.gasPerJob + capacity2.gasPerChunk)
        ) revert Jobs__BadConfig();
        JOB_VERIFIER2 = capacity2.verifier;
        CYCLES_PER_CHUNK2 = capacity2.cyclesPerChunk;
        GAS_PER_JOB2 = capacity2.gasPerJob;
        GAS_PER_CHUNK2 = capacity2.gasPerChunk;
        MAX_INPUT2_BYTES = capacity2.maxInputBytes;
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
        _checkCodeRange(memorySize, codeStart, codeEnd);
        if (initRoot >= R) revert Jobs__NotInField(initRoot);
        imageId = POSEIDON6.poseidon([uint256(1), entry, memorySize, codeStart, codeEnd, initRoot]);
        if (_images[imageId].registered) revert Jobs__ImageExists(imageId);
        _images[imageId] = Image(entry, codeStart, codeEnd, true, initRoot);
        emit ImageRegistered(imageId, msg.sender, keccak256(elf), elf);
    }

    function registerImage2(
        uint32 entry,
        uint32 memorySize,
        uint32 codeStart,
        uint32 codeEnd,
        uint256 initRoot,
        bytes calldata elf
    ) external returns (uint256 imageId) {
        if (address(JOB_VERIFIER2) == address(0)) revert Jobs__NoJobVerifier2();
        _checkCodeRange(memorySize, codeStart, codeEnd);
        imageId = JOB_VERIFIER2.registerImage(JobVerifier2.Image(entry, memorySize, codeStart, codeEnd, initRoot));
        // Registering again publishes the ELF again: nothing here checks that an ELF opens to
        // its image, so orchestrators keep the first published one that does, and a stranger
        // who published garbage first cannot keep the honest ELF out.
        image2Registered[imageId] = true;
        emit Image2Registered(imageId, msg.sender, keccak256(elf), elf);
    }

    function submitJob(uint256 imageId, uint256 inputDigest, uint64 cycleBound) external payable returns (uint256) {
        if (!_images[imageId].registered) revert Jobs__UnknownImage(imageId);
        if (inputDigest >= R) revert Jobs__NotInField(inputDigest);
        return _submit(imageId, inputDigest, cycleBound, 1);
    }

    function submitJob2(uint256 imageId, bytes calldata input, uint64 cycleBound) external payable returns (uint256 jobId) {
        if (address(JOB_VERIFIER2) == address(0)) revert Jobs__NoJobVerifier2();
        if (!image2Registered[imageId]) revert Jobs__UnknownImage(imageId);
        if (input.length > MAX_INPUT2_BYTES) revert Jobs__InputTooLong(input.length, MAX_INPUT2_BYTES);
        jobId = _submit(imageId, uint256(sha256(input)), cycleBound, 2);
        emit JobInput(jobId, input);
    }

    function submitJobWithInput(
        uint256 imageId,
        bytes calldata input,
        uint64 cycleBound
    ) external payable returns (uint256 jobId) {
        if (input.length > MAX_INPUT_BYTES) revert Jobs__InputTooLong(input.length, MAX_INPUT_BYTES);
        uint256 d = 0;
        for (uint256 i = input.length; i > 0; i--) d = POSEIDON2.poseidon([uint256(uint8(input[i - 1])), d]);
        if (!_images[imageId].registered) revert Jobs__UnknownImage(imageId);
        jobId = _submit(imageId, d, cycleBound, 1);
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
        returns (JobStatus status, uint64 epoch, uint256 imageId, uint256 s0, uint64 cycleBound, uint32 maxChunks)
    {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        Job storage j = _jobs[jobId];
        return (j.status, j.epoch, j.imageId, j.s0, j.cycleBound, j.maxChunks);
    }

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
        )
    {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        Job storage j = _jobs[jobId];
        return (j.status, j.epoch, j.imageId, j.inputDigest, j.cycleBound, j.maxChunks, j.version);
    }

    function chunksFor2(uint64 cycleBound) public view returns (uint32) {
        if (CYCLES_PER_CHUNK2 == 0) revert Jobs__NoJobVerifier2();
        return uint32((uint256(cycleBound) + CYCLES_PER_CHUNK2 - 1) / CYCLES_PER_CHUNK2);
    }

    function gasFor2(uint64 cycleBound) public view returns (uint256) {
        return GAS_PER_JOB2 + uint256(chunksFor2(cycleBound)) * GAS_PER_CHUNK2;
    }

    function feeFor(uint64 cycleBound) public view returns (uint256) {
        return BASE_FEE + PRICE_PER_CYCLE * cycleBound;
    }

    function chunksFor(uint64 cycleBound) public view returns (uint32) {
        return uint32((uint256(cycleBound) + CYCLES_PER_CHUNK - 1) / CYCLES_PER_CHUNK);
    }

    function gasFor(uint64 cycleBound) public view returns (uint256) {
        return GAS_PER_JOB + uint256(chunksFor(cycleBound)) * GAS_PER_CHUNK;
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

    /// Records a job of `version` (its image and input digest checked by the caller).
    function _submit(uint256 imageId, uint256 inputDigest, uint64 cycleBound, uint8 version) private returns (uint256 jobId) {
        if (cycleBound == 0 || cycleBound > MAX_CYCLES) revert Jobs__BadCycleBound(cycleBound);
        uint256 minFee = feeFor(cycleBound);
        if (msg.value < minFee) revert Jobs__FeeTooLow(msg.value, minFee);
        uint32 maxChunks = version == 1 ? chunksFor(cycleBound) : chunksFor2(cycleBound);
        uint64 epoch = _place(version == 1 ? gasFor(cycleBound) : gasFor2(cycleBound));
        jobId = _jobs.length;
        _jobs.push(
            Job({
                requester: msg.sender,
                submittedAt: uint64(block.timestamp),
                epoch: epoch,
                status: JobStatus.Pending,
                imageId: imageId,
                inputDigest: inputDigest,
                s0: version == 1 ? _entryState(imageId, inputDigest) : 0,
                fee: msg.value,
                result: JobResult(0, 0, 0, 0),
                cycleBound: cycleBound,
                maxChunks: maxChunks,
                version: version
            })
        );
        // The epoch's first job fixes its submitter.
        if (pendingIn[epoch] == 0 && settler != address(0)) IEpochManager(settler).assign(epoch);
        pendingIn[epoch] += 1;
        emit JobSubmitted(jobId, msg.sender, imageId, inputDigest, msg.value, epoch, cycleBound, maxChunks);
    }

    /// S_0 of a chunk-circuit job: its entry state digest.
    function _entryState(uint256 imageId, uint256 inputDigest) private view returns (uint256) {
        Image storage img = _images[imageId];
        uint256 core = POSEIDON6.poseidon([imageId, inputDigest, img.entry, ENTRY_REGISTERS_HASH, img.initRoot, 0]);
        return POSEIDON3.poseidon([core, 0, 0]);
    }

    /// A code range inside memory, word-aligned, start before end.
    function _checkCodeRange(uint32 memorySize, uint32 codeStart, uint32 codeEnd) private pure {
        if (codeStart > codeEnd || codeEnd > memorySize || codeStart % 4 != 0 || codeEnd % 4 != 0)
            revert Jobs__BadCodeRange();
    }

    /// The first epoch from the current one with `gas` of room left; reserves it there.
    function _place(uint256 gas) private returns (uint64 epoch) {
        if (gas > EPOCH_GAS) revert Jobs__TooLarge(gas, EPOCH_GAS);
        uint64 first = epochAt(block.timestamp);
        for (epoch = first; epoch <= first + MAX_EPOCHS_AHEAD; epoch++) {
            uint256 used = reservedGas[epoch];
            if (used + gas <= EPOCH_GAS) {
                reservedGas[epoch] = used + gas;
                return epoch;
            }
        }
        revert Jobs__NetworkBusy(first, first + MAX_EPOCHS_AHEAD);
    }

    function _pending(uint256 jobId) private view returns (Job storage j) {
        if (jobId >= _jobs.length) revert Jobs__UnknownJob(jobId);
        j = _jobs[jobId];
        if (j.status != JobStatus.Pending) revert Jobs__NotPending(jobId, j.status);
    }
}
