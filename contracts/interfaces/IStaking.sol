// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Staking in the chain's native currency
/// @notice Stake is locked while its owner is a registered orchestrator (the registry says how
/// much), leaves through an unbonding delay, and can be slashed only by the protocol (the epoch
/// manager, for a missed epoch deadline).
/// Accounting invariant: `address(this).balance == totalStaked() + totalUnbonding()`.
interface IStaking {
    /// @notice Pending withdrawal of one account: `amount` becomes withdrawable at `releaseAt`.
    struct Unbonding {
        uint128 amount;
        uint64 releaseAt;
    }

    error Staking__ZeroAmount();
    error Staking__InsufficientStake(uint256 staked, uint256 requested);
    /// @notice Unstaking would leave less than the stake the registry locks for this account.
    error Staking__StakeLocked(uint256 remaining, uint256 locked);
    error Staking__NothingToWithdraw();
    error Staking__StillUnbonding(uint64 releaseAt);
    error Staking__TransferFailed();
    error Staking__NotSlasher(address caller);
    error Staking__AlreadyConfigured();
    error Staking__NotDeployer(address caller);

    event Configured(address stakeLock, address slasher);
    event Staked(address indexed account, uint256 amount, uint256 newStake);
    event UnstakeRequested(address indexed account, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed account, uint256 amount);
    event Slashed(address indexed account, uint256 amount, address indexed recipient);

    /// @notice Adds `msg.value` to the sender's stake.
    function stake() external payable;

    /// @notice Moves `amount` of the sender's stake into unbonding (the delay restarts).
    function requestUnstake(uint256 amount) external;

    /// @notice Pays out the sender's unbonded amount once its delay has passed.
    function withdraw() external;

    /// @notice Protocol only: takes up to `amount` from `account` (stake first, then unbonding)
    /// and sends it to the slasher. Returns what was taken.
    function slash(address account, uint256 amount) external returns (uint256);

    function stakeOf(address account) external view returns (uint256);
    function unbondingOf(address account) external view returns (Unbonding memory);
    function totalStaked() external view returns (uint256);
    function totalUnbonding() external view returns (uint256);
    function UNBONDING_DELAY() external view returns (uint64);
}

/// @notice Who may lock stake: the orchestrator registry.
interface IStakeLock {
    /// @notice Stake `account` must keep while it is registered.
    function lockedStake(address account) external view returns (uint256);
}
