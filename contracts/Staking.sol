// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IStakeLock, IStaking} from "./interfaces/IStaking.sol";

/// @title Staking
/// @notice See IStaking. One unbonding entry per account: a new request adds to it and
/// restarts its delay. The registry (stake lock) and the epoch manager (slasher) are set once
/// by the deployer, since they are deployed after this contract.
contract Staking is IStaking, ReentrancyGuard {
    uint64 public immutable UNBONDING_DELAY;
    address private immutable _deployer;

    IStakeLock public stakeLock;
    address public slasher;

    mapping(address account => uint256) public stakeOf;
    mapping(address account => Unbonding) private _unbonding;
    uint256 public totalStaked;
    uint256 public totalUnbonding;

    constructor(uint64 unbondingDelay) {
        UNBONDING_DELAY = unbondingDelay;
        _deployer = msg.sender;
    }

    /// @notice Deployer only, once: the registry that locks stake and the protocol's slasher.
    function configure(IStakeLock lock, address slasher_) external {
        if (msg.sender != _deployer) revert Staking__NotDeployer(msg.sender);
        if (slasher != address(0)) revert Staking__AlreadyConfigured();
        stakeLock = lock;
        slasher = slasher_;
        emit Configured(address(lock), slasher_);
    }

    function stake() external payable {
        if (msg.value == 0) revert Staking__ZeroAmount();
        uint256 s = stakeOf[msg.sender] + msg.value;
        stakeOf[msg.sender] = s;
        totalStaked += msg.value;
        emit Staked(msg.sender, msg.value, s);
    }

    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert Staking__ZeroAmount();
        uint256 s = stakeOf[msg.sender];
        if (amount > s) revert Staking__InsufficientStake(s, amount);
        uint256 locked = address(stakeLock) == address(0) ? 0 : stakeLock.lockedStake(msg.sender);
        if (s - amount < locked) revert Staking__StakeLocked(s - amount, locked);
        stakeOf[msg.sender] = s - amount;
        totalStaked -= amount;
        Unbonding storage u = _unbonding[msg.sender];
        u.amount += uint128(amount);
        u.releaseAt = uint64(block.timestamp) + UNBONDING_DELAY;
        totalUnbonding += amount;
        emit UnstakeRequested(msg.sender, amount, u.releaseAt);
    }

    function withdraw() external nonReentrant {
        Unbonding memory u = _unbonding[msg.sender];
        if (u.amount == 0) revert Staking__NothingToWithdraw();
        if (block.timestamp < u.releaseAt) revert Staking__StillUnbonding(u.releaseAt);
        delete _unbonding[msg.sender];
        totalUnbonding -= u.amount;
        (bool ok, ) = msg.sender.call{value: u.amount}("");
        if (!ok) revert Staking__TransferFailed();
        emit Withdrawn(msg.sender, u.amount);
    }

    function slash(address account, uint256 amount) external nonReentrant returns (uint256 taken) {
        if (msg.sender != slasher || msg.sender == address(0)) revert Staking__NotSlasher(msg.sender);
        uint256 s = stakeOf[account];
        uint256 fromStake = amount < s ? amount : s;
        stakeOf[account] = s - fromStake;
        totalStaked -= fromStake;
        taken = fromStake;
        if (taken < amount) {
            Unbonding storage u = _unbonding[account];
            uint256 fromUnbonding = amount - taken < u.amount ? amount - taken : u.amount;
            u.amount -= uint128(fromUnbonding);
            totalUnbonding -= fromUnbonding;
            taken += fromUnbonding;
        }
        if (taken > 0) {
            (bool ok, ) = msg.sender.call{value: taken}("");
            if (!ok) revert Staking__TransferFailed();
        }
        emit Slashed(account, taken, msg.sender);
    }

    function unbondingOf(address account) external view returns (Unbonding memory) {
        return _unbonding[account];
    }
}
