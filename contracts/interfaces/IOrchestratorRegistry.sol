// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Orchestrator registry: the ring tree
/// @notice An orchestrator registers with at least MIN_STAKE staked, an endpoint URL and a
/// parent (or none, for a root). Its depth is derived: 0 for a root, parent's depth + 1
/// otherwise; a parent must already be registered and cannot change, so the tree has no
/// cycles. Leaving takes an exit request, no children, and the exit delay.
interface IOrchestratorRegistry {
    struct Orchestrator {
        string endpoint;
        address parent;
        uint32 depth;
        uint32 children;
        /// 0 while active; else the time from which `deregister` is allowed.
        uint64 leavingAt;
        uint64 registeredAt;
        bool registered;
    }

    error Registry__AlreadyRegistered(address account);
    error Registry__NotRegistered(address account);
    error Registry__InsufficientStake(uint256 staked, uint256 required);
    error Registry__BadEndpoint();
    /// @notice The parent is not an active registered orchestrator.
    error Registry__BadParent(address parent);
    error Registry__HasChildren(uint32 children);
    error Registry__AlreadyLeaving(uint64 leavingAt);
    error Registry__NotLeaving();
    error Registry__ExitDelay(uint64 leavingAt);

    event OrchestratorRegistered(address indexed account, address indexed parent, uint32 depth, string endpoint);
    event EndpointUpdated(address indexed account, string endpoint);
    event ExitRequested(address indexed account, uint64 leavingAt);
    event OrchestratorDeregistered(address indexed account);

    function register(string calldata endpoint, address parent) external;
    function updateEndpoint(string calldata endpoint) external;
    function requestExit() external;
    function deregister() external;

    function orchestrator(address account) external view returns (Orchestrator memory);
    /// @notice Registered and not leaving.
    function isActive(address account) external view returns (bool);
    function childrenOf(address account) external view returns (address[] memory);
    /// @notice Active roots (depth 0); the order changes only when a root joins or leaves.
    function activeRoots() external view returns (address[] memory);
    /// @notice Every registered orchestrator.
    function members() external view returns (address[] memory);
    function MIN_STAKE() external view returns (uint256);
}
