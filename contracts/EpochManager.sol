// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IEpochManager} from "./interfaces/IEpochManager.sol";
import {IGroth16BatchVerifier} from "./interfaces/IGroth16BatchVerifier.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IOrchestratorRegistry} from "./interfaces/IOrchestratorRegistry.sol";
import {IPoseidon3} from "./interfaces/IPoseidon.sol";
import {IStaking} from "./interfaces/IStaking.sol";

/// @title Epoch manager: verifies Universal Proofs, settles jobs, pays rewards
/// @notice See IEpochManager. Rewards come from job fees: PROVER_SHARE_BPS of a job's fee is
/// split evenly over its chunks and credited to the prover address inside each chunk proof;
/// the rest (with the rounding remainder) is split evenly between the submitter and the
/// `assemblers` it names (registered orchestrators whose segments went into the proof).
/// Slashed stake of a submitter that missed its deadline goes to whoever then submits the
/// epoch. Invariant: `address(this).balance == totalRewards + Σ bounty`.
contract EpochManager is IEpochManager, ReentrancyGuard {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// The chunk circuit's public inputs, in order: sIn, sOut, imageId, prover.
    uint256 internal constant N_PUBLIC = 4;
    uint256 public constant MAX_CYCLES = (1 << 40) - 1;

    IGroth16BatchVerifier public immutable VERIFIER;
    IJobRegistry public immutable JOBS;
    IOrchestratorRegistry public immutable REGISTRY;
    IStaking public immutable STAKING;
    IPoseidon3 public immutable POSEIDON3;
    uint64 public immutable GENESIS;
    uint64 public immutable EPOCH_LENGTH;
    uint64 public immutable SUBMISSION_WINDOW;
    uint256 public immutable SLASH_AMOUNT;
    uint16 public immutable PROVER_SHARE_BPS;

    mapping(uint64 epoch => EpochRecord) private _epochs;
    mapping(uint64 epoch => uint256) public bounty;
    mapping(uint64 epoch => address) private _assigned;
    mapping(address account => uint256) public rewardsOf;
    uint256 public totalRewards;

    constructor(
        IGroth16BatchVerifier verifier,
        IJobRegistry jobs,
        IOrchestratorRegistry registry,
        IStaking staking,
        IPoseidon3 poseidon3,
        uint64 submissionWindow,
        uint256 slashAmount,
        uint16 proverShareBps
    ) {
        VERIFIER = verifier;
        JOBS = jobs;
        REGISTRY = registry;
        STAKING = staking;
        POSEIDON3 = poseidon3;
        GENESIS = jobs.GENESIS();
        EPOCH_LENGTH = jobs.EPOCH_LENGTH();
        SUBMISSION_WINDOW = submissionWindow;
        SLASH_AMOUNT = slashAmount;
        PROVER_SHARE_BPS = proverShareBps;
        if (proverShareBps > 10_000 || verifier.N_PUBLIC() != N_PUBLIC) revert Epoch__BadConfig();
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

    function slashMissed(uint64 epoch) external nonReentrant {
        EpochRecord storage e = _epochs[epoch];
        if (
            block.timestamp <= deadline(epoch) ||
            e.slashed ||
            (e.submitter != address(0) && e.submittedAt <= deadline(epoch)) ||
            JOBS.pendingIn(epoch) == 0
        ) revert Epoch__NotSlashable(epoch);
        _slash(epoch, assignedSubmitter(epoch));
    }

    function withdrawRewards() external nonReentrant {
        uint256 amount = rewardsOf[msg.sender];
        if (amount == 0) revert Epoch__NothingToWithdraw();
        rewardsOf[msg.sender] = 0;
        totalRewards -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert Epoch__TransferFailed();
        emit RewardsWithdrawn(msg.sender, amount);
    }

    function assign(uint64 epoch) external {
        if (msg.sender != address(JOBS)) revert Epoch__NotJobRegistry(msg.sender);
        if (_assigned[epoch] != address(0)) return;
        address a = _currentAssignee(epoch);
        _assigned[epoch] = a;
        emit SubmitterAssigned(epoch, a);
    }

    /// The submitter fixed when the epoch's first job arrived; for an epoch without jobs, the
    /// one the current roots give.
    function assignedSubmitter(uint64 epoch) public view returns (address) {
        address a = _assigned[epoch];
        return a != address(0) ? a : _currentAssignee(epoch);
    }

    function _currentAssignee(uint64 epoch) private view returns (address) {
        address[] memory roots = REGISTRY.activeRoots();
        if (roots.length == 0) return address(0);
        return roots[epoch % roots.length];
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

    /// Checks who may submit and what, and builds every public input from the job records,
    /// the chains and the prover addresses.
    function _begin(
        uint64 epoch,
        JobProof[] calldata jobs,
        address[] calldata assemblers,
        uint256 nProofs
    ) private returns (uint256[] memory inputs) {
        if (block.timestamp < epochEnd(epoch)) revert Epoch__NotEnded(epoch, epochEnd(epoch));
        if (_epochs[epoch].submitter != address(0)) revert Epoch__AlreadySubmitted(epoch);
        address assigned = assignedSubmitter(epoch);
        if (block.timestamp <= deadline(epoch)) {
            if (assigned == address(0)) revert Epoch__NoRoot();
            if (msg.sender != assigned) revert Epoch__NotAssigned(msg.sender, assigned);
        } else {
            if (!REGISTRY.isActive(msg.sender)) revert Epoch__NotOrchestrator(msg.sender);
            // Late: the assigned submitter missed its deadline with work due.
            if (!_epochs[epoch].slashed && JOBS.pendingIn(epoch) > 0 && assigned != address(0))
                _slash(epoch, assigned);
        }
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
    ) private view returns (uint256) {
        (IJobRegistry.JobStatus status, uint64 jobEpoch, uint256 imageId, uint256 sIn) = JOBS.settlementInfo(p.jobId);
        if (status != IJobRegistry.JobStatus.Pending) revert IJobRegistry.Jobs__NotPending(p.jobId, status);
        if (jobEpoch > epoch) revert Epoch__JobNotDue(p.jobId, jobEpoch);
        uint256 n = p.provers.length;
        if (n == 0) revert Epoch__NoChunks(p.jobId);
        if (p.states.length != n - 1) revert Epoch__ChainLength(p.jobId, p.states.length, n);
        uint256 sN = _finalState(p);
        for (uint256 c = 0; c < n; c++) {
            uint256 sOut = c + 1 < n ? p.states[c] : sN;
            address prover = p.provers[c];
            if (prover == address(0)) revert Epoch__ZeroProver(p.jobId, c);
            inputs[k] = sIn;
            inputs[k + 1] = sOut;
            inputs[k + 2] = imageId;
            inputs[k + 3] = uint160(prover);
            k += N_PUBLIC;
            sIn = sOut;
        }
        return k;
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
        uint256 orchestratorPool = bounty[epoch];
        if (orchestratorPool != 0) bounty[epoch] = 0;
        for (uint256 i = 0; i < jobs.length; i++) {
            JobProof calldata p = jobs[i];
            uint256 fee = JOBS.settle(p.jobId, IJobRegistry.JobResult(p.exitCode, p.cycles, epoch, p.outputDigest));
            uint256 n = p.provers.length;
            uint256 perChunk = (fee * PROVER_SHARE_BPS) / 10_000 / n;
            // one credit per run of consecutive chunks by the same prover
            uint256 from = 0;
            for (uint256 c = 1; c <= n; c++) {
                if (c == n || p.provers[c] != p.provers[from]) {
                    _credit(p.provers[from], perChunk * (c - from));
                    from = c;
                }
            }
            orchestratorPool += fee - perChunk * n;
            emit JobProven(p.jobId, epoch, uint32(n));
        }
        uint256 share = orchestratorPool / (assemblers.length + 1);
        for (uint256 i = 0; i < assemblers.length; i++) _credit(assemblers[i], share);
        _credit(msg.sender, orchestratorPool - share * assemblers.length);
        _epochs[epoch] = EpochRecord(
            msg.sender,
            uint40(block.timestamp),
            uint24(jobs.length),
            uint24(chunks),
            _epochs[epoch].slashed
        );
        emit EpochSubmitted(epoch, msg.sender, uint24(jobs.length), uint24(chunks));
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        rewardsOf[account] += amount;
        totalRewards += amount;
        emit RewardCredited(account, amount);
    }

    function _slash(uint64 epoch, address submitter) private {
        _epochs[epoch].slashed = true;
        uint256 taken = STAKING.slash(submitter, SLASH_AMOUNT);
        bounty[epoch] += taken;
        emit SubmitterSlashed(epoch, submitter, taken);
    }
}
