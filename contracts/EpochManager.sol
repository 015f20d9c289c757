// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IEpochManager} from "./interfaces/IEpochManager.sol";
import {IGroth16BatchVerifier} from "./interfaces/IGroth16BatchVerifier.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IOrchestratorRegistry} from "./interfaces/IOrchestratorRegistry.sol";
import {IPoseidon3} from "./interfaces/IPoseidon.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {JobVerifier2} from "./JobVerifier2.sol";

/// @title Epoch manager: verifies Universal Proofs, settles jobs, pays rewards
/// @notice See IEpochManager for the rules (who is assigned, who may submit when, who is
/// slashed for what, where every wei goes). Invariant:
/// `address(this).balance == totalRewards + Σ bounty + carriedPool`.
contract EpochManager is IEpochManager, ReentrancyGuard {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// The chunk circuit's public inputs, in order: sIn, sOut, imageId, prover, cyclesRetired.
    uint256 internal constant N_PUBLIC = 5;
    uint256 public constant MAX_CYCLES = (1 << 40) - 1;
    /// Part of a slash credited to whoever calls `slashMissed` (10 %).
    uint16 public constant SLASH_REWARD_BPS = 1000;
    /// An epoch's unclaimed bounty may be swept into `carriedPool` this long after its deadline.
    uint64 public constant SWEEP_DELAY = 7 days;
    /// Roots probed for an active one when an epoch is assigned (O(1) assignment).
    uint256 public constant ASSIGN_PROBES = 4;

    IGroth16BatchVerifier public immutable VERIFIER;
    IJobRegistry public immutable JOBS;
    IOrchestratorRegistry public immutable REGISTRY;
    IStaking public immutable STAKING;
    IPoseidon3 public immutable POSEIDON3;
    /// Versioned-cells jobs' verifier, the job registry's (zero: submitEpoch2 disabled).
    JobVerifier2 public immutable JOB_VERIFIER2;
    uint64 public immutable GENESIS;
    uint64 public immutable EPOCH_LENGTH;
    uint64 public immutable SUBMISSION_WINDOW;
    uint256 public immutable SLASH_AMOUNT;
    uint16 public immutable PROVER_SHARE_BPS;

    mapping(uint64 epoch => EpochRecord) private _epochs;
    mapping(uint64 epoch => uint256) public bounty;
    mapping(uint64 epoch => Assignment) private _assignments;
    /// Swept bounties, paid with the orchestrator share of the next Universal Proof.
    uint256 public carriedPool;
    mapping(address account => uint256) public rewardsOf;
    uint256 public totalRewards;

    constructor(
        IGroth16BatchVerifier verifier,
        IJobRegistry jobs,
        IOrchestratorRegistry registry,
        IStaking staking,
        IPoseidon3 poseidon3,
        uint64 submissionWindow,
        uint64 slashGrace,
        uint256 slashAmount,
        uint16 proverShareBps
    ) {
        VERIFIER = verifier;
        JOBS = jobs;
        REGISTRY = registry;
        STAKING = staking;
        POSEIDON3 = poseidon3;
        JOB_VERIFIER2 = jobs.JOB_VERIFIER2();
        GENESIS = jobs.GENESIS();
        EPOCH_LENGTH = jobs.EPOCH_LENGTH();
        SUBMISSION_WINDOW = submissionWindow;
        SLASH_AMOUNT = slashAmount;
        PROVER_SHARE_BPS = proverShareBps;
        if (proverShareBps > 10_000 || verifier.N_PUBLIC() != N_PUBLIC) revert Epoch__BadConfig();
        // A root assigned at the start of an epoch that leaves at once must still hold its stake
        // (registered, then unbonding) when the deadline has passed and slashGrace more.
        if (
            uint256(registry.EXIT_DELAY()) + staking.UNBONDING_DELAY() <
            uint256(EPOCH_LENGTH) + submissionWindow + slashGrace
        ) revert Epoch__BadConfig();
        if (slashAmount > registry.MIN_STAKE()) revert Epoch__BadConfig();
    }

    /// @dev Fees arrive from the job registry, slashed stake from staking; nothing else.
    receive() external payable {
        if (msg.sender != address(JOBS) && msg.sender != address(STAKING)) revert Epoch__UnexpectedPayment(msg.sender);
    }

    function submitEpoch(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256[8][] calldata proofs
    ) external nonReentrant {
        uint256[] memory inputs = _begin(epoch, jobs, assemblers, proofs.length);
        VERIFIER.verifyBatch(batchContext(epoch), inputs, proofs);
        _settle(epoch, jobs, assemblers, proofs.length);
    }

    function submitEpochCompressed(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256[4][] calldata proofs
    ) external nonReentrant {
        uint256[] memory inputs = _begin(epoch, jobs, assemblers, proofs.length);
        VERIFIER.verifyBatchCompressed(batchContext(epoch), inputs, proofs);
        _settle(epoch, jobs, assemblers, proofs.length);
    }

    function submitEpoch2(
        uint64 epoch,
        JobVerifier2.JobInput[] calldata jobs,
        address[] calldata assemblers,
        uint256[8][] calldata proofs
    ) external nonReentrant {
        if (address(JOB_VERIFIER2) == address(0)) revert Epoch__NoJobVerifier2();
        _checkSubmitter(epoch);
        for (uint256 i = 0; i < assemblers.length; i++)
            if (!REGISTRY.isActive(assemblers[i])) revert Epoch__NotOrchestrator(assemblers[i]);
        if (jobs.length == 0) revert Epoch__Empty();
        if (jobs.length > type(uint24).max || proofs.length > type(uint24).max) revert Epoch__TooLarge();
        uint64[] memory bounds = new uint64[](jobs.length);
        for (uint256 i = 0; i < jobs.length; i++) bounds[i] = _checkJob2(jobs[i], epoch);
        // Each job's claim against its own image, input and entry state, all in one pairing
        // product; reverts with the first rule a job breaks.
        JobVerifier2.Verified[] memory vs = JOB_VERIFIER2.verifyJobs(jobs, proofs);
        uint256 pool = carriedPool;
        if (pool != 0) carriedPool = 0;
        uint256 chunks = 0;
        for (uint256 i = 0; i < jobs.length; i++) {
            JobVerifier2.Verified memory v = vs[i];
            if (v.cycles > bounds[i]) revert Epoch__OverCycleBound(v.jobId, v.cycles, bounds[i]);
            pool += _settle2(epoch, jobs[i].claim, v);
            chunks += jobs[i].claim.chunks.length;
        }
        _finish(epoch, jobs.length, chunks, pool, assemblers);
    }

    function declareEpoch(uint64 epoch) external nonReentrant {
        _checkSubmitter(epoch);
        _epochs[epoch] = EpochRecord(msg.sender, uint40(block.timestamp), 0, 0, _epochs[epoch].slashed);
        emit EpochDeclared(epoch, msg.sender, JOBS.pendingIn(epoch));
    }

    function slashMissed(uint64 epoch) external nonReentrant {
        if (!_slashable(epoch)) revert Epoch__NotSlashable(epoch);
        address root = _assignments[epoch].root;
        uint256 taken = _slash(epoch);
        uint256 reward = root == msg.sender ? 0 : (taken * SLASH_REWARD_BPS) / 10_000;
        bounty[epoch] += taken - reward;
        _credit(msg.sender, reward);
    }

    function sweepBounty(uint64 epoch) external nonReentrant {
        uint64 at = deadline(epoch) + SWEEP_DELAY;
        if (block.timestamp <= at) revert Epoch__SweepTooEarly(at);
        uint256 amount = bounty[epoch];
        if (amount == 0) revert Epoch__NothingToWithdraw();
        bounty[epoch] = 0;
        carriedPool += amount;
        emit BountySwept(epoch, amount);
    }

    function withdrawRewards() external {
        withdrawRewardsTo(payable(msg.sender));
    }

    function withdrawRewardsTo(address payable to) public nonReentrant {
        uint256 amount = rewardsOf[msg.sender];
        if (amount == 0) revert Epoch__NothingToWithdraw();
        rewardsOf[msg.sender] = 0;
        totalRewards -= amount;
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert Epoch__TransferFailed();
        emit RewardsWithdrawn(msg.sender, to, amount);
    }

    function assign(uint64 epoch) external {
        if (msg.sender != address(JOBS)) revert Epoch__NotJobRegistry(msg.sender);
        Assignment storage a = _assignments[epoch];
        if (a.fixed_) return;
        // O(1): the root at `epoch mod #roots`, or the next of ASSIGN_PROBES that is active.
        uint256 n = REGISTRY.rootCount();
        address root = address(0);
        for (uint256 i = 0; i < ASSIGN_PROBES && i < n; i++) {
            address r = REGISTRY.rootAt((uint256(epoch) + i) % n);
            if (REGISTRY.isActive(r)) {
                root = r;
                break;
            }
        }
        a.root = root;
        a.fixed_ = true;
        emit SubmitterAssigned(epoch, root);
    }

    /// The submitter fixed when the epoch's first job arrived (0: nobody, or no job yet).
    function assignedSubmitter(uint64 epoch) public view returns (address) {
        return _assignments[epoch].root;
    }

    function epochEnd(uint64 epoch) public view returns (uint64) {
        return GENESIS + (epoch + 1) * EPOCH_LENGTH;
    }

    function deadline(uint64 epoch) public view returns (uint64) {
        return epochEnd(epoch) + SUBMISSION_WINDOW;
    }

    function currentEpoch() external view returns (uint64) {
        return JOBS.epochAt(block.timestamp);
    }

    function epochRecord(uint64 epoch) external view returns (EpochRecord memory) {
        return _epochs[epoch];
    }

    function batchContext(uint64 epoch) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), epoch));
    }

    /// Who may submit (or declare) `epoch` now: after the epoch, until its deadline only the
    /// assigned root (or, with nobody assigned, any active orchestrator); after the deadline any
    /// active orchestrator, which slashes a root that missed it with jobs pending.
    function _checkSubmitter(uint64 epoch) private {
        if (block.timestamp < epochEnd(epoch)) revert Epoch__NotEnded(epoch, epochEnd(epoch));
        if (_epochs[epoch].submitter != address(0)) revert Epoch__AlreadySubmitted(epoch);
        address assigned = _assignments[epoch].root;
        if (block.timestamp <= deadline(epoch) && assigned != address(0)) {
            if (msg.sender != assigned) revert Epoch__NotAssigned(msg.sender, assigned);
        } else {
            if (!REGISTRY.isActive(msg.sender)) revert Epoch__NotOrchestrator(msg.sender);
            _slashLate(epoch);
        }
    }

    /// Checks who may submit and what, and builds every public input from the job records,
    /// the chains and the prover addresses.
    function _begin(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256 nProofs
    ) private returns (uint256[] memory inputs) {
        _checkSubmitter(epoch);
        for (uint256 i = 0; i < assemblers.length; i++)
            if (!REGISTRY.isActive(assemblers[i])) revert Epoch__NotOrchestrator(assemblers[i]);
        if (jobs.length == 0) revert Epoch__Empty();
        if (jobs.length > type(uint24).max) revert Epoch__TooLarge();

        uint256 chunks = 0;
        for (uint256 i = 0; i < jobs.length; i++) chunks += jobs[i].provers.length;
        if (nProofs != chunks) revert Epoch__ProofCount(nProofs, chunks);
        if (chunks > type(uint24).max) revert Epoch__TooLarge();
        inputs = new uint256[](chunks * N_PUBLIC);
        uint256 k = 0;
        for (uint256 i = 0; i < jobs.length; i++) k = _jobInputs(jobs[i], epoch, inputs, k);
    }

    /// Writes the public inputs of one job's chunks into `inputs` from position `k`; returns
    /// the next position.
    function _jobInputs(
        JobProof calldata p,
        uint64 epoch,
        uint256[] memory inputs,
        uint256 k
    ) private returns (uint256) {
        (uint256 imageId, uint256 sIn) = _checkJob(p, epoch);
        uint256 n = p.provers.length;
        uint256 total = 0;
        uint256 sN = _finalState(p);
        for (uint256 c = 0; c < n; c++) {
            uint256 sOut = c + 1 < n ? p.states[c] : sN;
            address prover = p.provers[c];
            if (prover == address(0)) revert Epoch__ZeroProver(p.jobId, c);
            // Every chunk retires at least one instruction: an idle chunk proves S -> S.
            uint32 retired = p.chunkCycles[c];
            if (sOut == sIn || retired == 0) revert Epoch__IdleChunk(p.jobId, c);
            total += retired;
            inputs[k] = sIn;
            inputs[k + 1] = sOut;
            inputs[k + 2] = imageId;
            inputs[k + 3] = uint160(prover);
            inputs[k + 4] = retired;
            k += N_PUBLIC;
            sIn = sOut;
        }
        if (total != p.cycles) revert Epoch__ChunkCycles(p.jobId);
        return k;
    }

    /// Checks a job may be settled here, by this sender, in this shape; returns its image ID
    /// and S_0.
    function _checkJob(JobProof calldata p, uint64 epoch) private returns (uint256 imageId, uint256 s0) {
        IJobRegistry.JobStatus status;
        uint64 jobEpoch;
        uint64 cycleBound;
        uint32 maxChunks;
        (status, jobEpoch, imageId, s0, cycleBound, maxChunks) = JOBS.settlementInfo(p.jobId);
        // A versioned-cells job has no S_0 (s0 = 0): it settles through submitEpoch2 only.
        if (s0 == 0 && status == IJobRegistry.JobStatus.Pending) revert Epoch__JobVersion(p.jobId, 2);
        _checkDue(p.jobId, status, jobEpoch, epoch);
        uint256 n = p.provers.length;
        if (n == 0) revert Epoch__NoChunks(p.jobId);
        // Within what the job reserved of its epoch's room, and within its declared bound.
        if (n > maxChunks) revert Epoch__TooManyChunks(p.jobId, n, maxChunks);
        if (p.cycles > cycleBound) revert Epoch__OverCycleBound(p.jobId, p.cycles, cycleBound);
        if (p.states.length != n - 1) revert Epoch__ChainLength(p.jobId, p.states.length, n);
        if (p.chunkCycles.length != n) revert Epoch__ChunkCycles(p.jobId);
    }

    /// A job may be settled in `epoch` by this sender: pending, due, and (from an earlier epoch)
    /// carried by its own root before that epoch's deadline, or by anyone after it (a root that
    /// missed it is slashed).
    function _checkDue(uint256 jobId, IJobRegistry.JobStatus status, uint64 jobEpoch, uint64 epoch) private {
        if (status != IJobRegistry.JobStatus.Pending) revert IJobRegistry.Jobs__NotPending(jobId, status);
        if (jobEpoch > epoch) revert Epoch__JobNotDue(jobId, jobEpoch);
        if (jobEpoch < epoch) {
            address owner = _assignments[jobEpoch].root;
            if (block.timestamp <= deadline(jobEpoch)) {
                if (owner != address(0) && msg.sender != owner) revert Epoch__NotAssigned(msg.sender, owner);
            } else {
                _slashLate(jobEpoch);
            }
        }
    }

    /// Checks a versioned-cells job against its record: version 2, due, at most its chunk bound,
    /// the record's image and SHA-256 input digest; returns its cycle bound.
    function _checkJob2(JobVerifier2.JobInput calldata ji, uint64 epoch) private returns (uint64 cycleBound) {
        uint256 jobId = ji.claim.jobId;
        (
            IJobRegistry.JobStatus status,
            uint64 jobEpoch,
            uint256 imageId,
            uint256 inputDigest,
            uint64 bound,
            uint32 maxChunks,
            uint8 version
        ) = JOBS.settlementInfo2(jobId);
        if (version != 2 && status == IJobRegistry.JobStatus.Pending) revert Epoch__JobVersion(jobId, version);
        _checkDue(jobId, status, jobEpoch, epoch);
        uint256 n = ji.claim.chunks.length;
        if (n == 0) revert Epoch__NoChunks(jobId);
        if (n > maxChunks) revert Epoch__TooManyChunks(jobId, n, maxChunks);
        // verifyJobs refuses halves of 2^128 or more, so the pair is the digest's only split.
        if (ji.imageId != imageId || (ji.inputHi << 128) | ji.inputLo != inputDigest) revert Epoch__JobMismatch(jobId);
        return bound;
    }

    /// Records a verified versioned-cells job and credits its provers (per cycle retired, one
    /// credit per run of consecutive chunks by the same prover); returns the fee left for the
    /// orchestrators.
    function _settle2(
        uint64 epoch,
        JobVerifier2.JobClaim calldata c,
        JobVerifier2.Verified memory v
    ) private returns (uint256 rest) {
        uint256 fee = JOBS.settle(
            v.jobId,
            IJobRegistry.JobResult(v.exitCode, v.cycles, epoch, uint256(v.outputDigest))
        );
        uint256 n = c.chunks.length;
        uint256 proverPool = (fee * PROVER_SHARE_BPS) / 10_000;
        uint256 paid = 0;
        uint256 from = 0;
        uint256 runCycles = 0;
        for (uint256 i = 0; i < n; i++) {
            runCycles += c.chunks[i].cycles;
            if (i + 1 == n || c.chunks[i + 1].prover != c.chunks[from].prover) {
                uint256 amount = (proverPool * runCycles) / v.cycles;
                _credit(c.chunks[from].prover, amount);
                paid += amount;
                from = i + 1;
                runCycles = 0;
            }
        }
        emit JobProven(v.jobId, epoch, uint32(n));
        return fee - paid;
    }

    /// S_N = Poseidon(finalCore, outputDigest, status) with halted = 1: the chain ends halted.
    function _finalState(JobProof calldata p) private view returns (uint256) {
        if (p.finalCore >= R) revert Epoch__NotInField(p.finalCore);
        if (p.outputDigest >= R) revert Epoch__NotInField(p.outputDigest);
        if (p.cycles > MAX_CYCLES) revert Epoch__CyclesTooLarge(p.cycles);
        uint256 status = 1 + 2 * uint256(p.exitCode) + (uint256(p.cycles) << 33);
        return POSEIDON3.poseidon([p.finalCore, p.outputDigest, status]);
    }

    /// Records results, credits rewards. Runs only after the batch verified.
    function _settle(uint64 epoch, JobProof[] calldata jobs, address[] calldata assemblers, uint256 chunks) private {
        uint256 orchestratorPool = carriedPool;
        if (orchestratorPool != 0) carriedPool = 0;
        for (uint256 i = 0; i < jobs.length; i++) {
            JobProof calldata p = jobs[i];
            uint256 fee = JOBS.settle(p.jobId, IJobRegistry.JobResult(p.exitCode, p.cycles, epoch, p.outputDigest));
            uint256 n = p.provers.length;
            uint256 proverPool = (fee * PROVER_SHARE_BPS) / 10_000;
            uint256 paid = 0;
            // per cycle retired; one credit per run of consecutive chunks by the same prover
            uint256 from = 0;
            uint256 runCycles = 0;
            for (uint256 c = 0; c < n; c++) {
                runCycles += p.chunkCycles[c];
                if (c + 1 == n || p.provers[c + 1] != p.provers[from]) {
                    uint256 amount = (proverPool * runCycles) / p.cycles;
                    _credit(p.provers[from], amount);
                    paid += amount;
                    from = c + 1;
                    runCycles = 0;
                }
            }
            orchestratorPool += fee - paid;
            emit JobProven(p.jobId, epoch, uint32(n));
        }
        _finish(epoch, jobs.length, chunks, orchestratorPool, assemblers);
    }

    /// Splits the orchestrators' pool between the assemblers and the submitter (who takes the
    /// rounding) and records the epoch as submitted.
    function _finish(
        uint64 epoch,
        uint256 nJobs,
        uint256 chunks,
        uint256 orchestratorPool,
        address[] calldata assemblers
    ) private {
        uint256 share = orchestratorPool / (assemblers.length + 1);
        for (uint256 i = 0; i < assemblers.length; i++) _credit(assemblers[i], share);
        _credit(msg.sender, orchestratorPool - share * assemblers.length);
        _epochs[epoch] = EpochRecord(
            msg.sender,
            uint40(block.timestamp),
            uint24(nJobs),
            uint24(chunks),
            _epochs[epoch].slashed
        );
        emit EpochSubmitted(epoch, msg.sender, uint24(nJobs), uint24(chunks));
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        rewardsOf[account] += amount;
        totalRewards += amount;
        emit RewardCredited(account, amount);
    }

    /// A root missed `epoch` if its deadline passed with jobs pending and it neither submitted
    /// nor declared the epoch by then. An epoch with nobody assigned slashes nobody.
    function _slashable(uint64 epoch) private view returns (bool) {
        EpochRecord storage e = _epochs[epoch];
        return
            block.timestamp > deadline(epoch) &&
            !e.slashed &&
            !(e.submitter != address(0) && e.submittedAt <= deadline(epoch)) &&
            _assignments[epoch].root != address(0) &&
            JOBS.pendingIn(epoch) > 0;
    }

    /// Late work on a missed epoch: slash its root, and pay the slash (and any bounty left by
    /// `slashMissed`) to the caller, unless the caller is that root: then it stays the epoch's
    /// bounty, which only `sweepBounty` moves on.
    function _slashLate(uint64 epoch) private {
        if (_slashable(epoch)) bounty[epoch] += _slash(epoch);
        uint256 b = bounty[epoch];
        if (b != 0 && msg.sender != _assignments[epoch].root) {
            bounty[epoch] = 0;
            _credit(msg.sender, b);
        }
    }

    function _slash(uint64 epoch) private returns (uint256 taken) {
        address root = _assignments[epoch].root;
        _epochs[epoch].slashed = true;
        taken = STAKING.slash(root, SLASH_AMOUNT);
        emit SubmitterSlashed(epoch, root, taken);
    }
}
