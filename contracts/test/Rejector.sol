// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEpochManager} from "../interfaces/IEpochManager.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IOrchestratorRegistry} from "../interfaces/IOrchestratorRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";

/// @notice Test contract: an account that refuses every payment (no receive function), to show
/// that failed payouts revert with the paying contract's TransferFailed error and lose nothing.
contract Rejector {
    IStaking public immutable STAKING;
    IOrchestratorRegistry public immutable REGISTRY;
    IJobRegistry public immutable JOBS;
    IEpochManager public immutable EPOCHS;

    constructor(IStaking staking, IOrchestratorRegistry registry, IJobRegistry jobs, IEpochManager epochs) {
        STAKING = staking;
        REGISTRY = registry;
        JOBS = jobs;
        EPOCHS = epochs;
    }

    function stake() external payable {
        STAKING.stake{value: msg.value}();
    }

    function requestUnstake(uint256 amount) external {
        STAKING.requestUnstake(amount);
    }

    function withdraw() external {
        STAKING.withdraw();
    }

    function register(string calldata endpoint, address parent) external {
        REGISTRY.register(endpoint, parent);
    }

    function submitJob(uint256 imageId, uint256 inputDigest, uint64 cycleBound) external payable returns (uint256) {
        return JOBS.submitJob{value: msg.value}(imageId, inputDigest, cycleBound);
    }

    function withdrawRewards() external {
        EPOCHS.withdrawRewards();
    }

    function withdrawRewardsTo(address payable to) external {
        EPOCHS.withdrawRewardsTo(to);
    }
}
