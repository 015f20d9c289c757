// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Orchestrator registry: the ring tree
/// @notice Rules:
/// - An orchestrator registers with at least MIN_STAKE staked, an endpoint URL and a parent (or
///   none, for a root). Its depth is derived: 0 for a root, parent's depth + 1 otherwise, at
///   most MAX_DEPTH. A parent must be active and must have approved this child beforehand
///   (`approveChild`); the approval is used up by the registration. A parent has at most
///   MAX_CHILDREN children, and never changes, so the tree has no cycles.
/// - Active = registered, not leaving, and holding at least MIN_STAKE (a slash below it makes
///   an orchestrator inactive: it gets no epochs and is not a root until it stakes again).
/// - A parent can evict a child at any time, and can always leave: `requestExit` evicts its
///   remaining children. An evicted child is detached (parent 0), inactive, and may deregister
///   at once. Anyone else leaves after `requestExit` and EXIT_DELAY.
/// - The registry locks min(stake, MIN_STAKE) of a registered orchestrator in Staking.
interface IOrchestratorRegistry {
    struct Orchestrator {
        string endpoint;
        address parent;
        uint32 depth;
        uint32 children;
        /// 0 while registered and not leaving; else the time from which `deregister` is allowed.
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
    /// @notice The parent has not approved this account as its child.
    error Registry__NotApproved(address parent, address child);
    /// @notice The ring would be deeper than MAX_DEPTH.
    error Registry__TooDeep(uint32 depth);
    /// @notice The parent already has MAX_CHILDREN children.
    error Registry__TooManyChildren(address parent);
    /// @notice The caller is not the parent of `child`.
    error Registry__NotParent(address caller, address child);
    error Registry__AlreadyLeaving(uint64 leavingAt);
    error Registry__NotLeaving();
    error Registry__ExitDelay(uint64 leavingAt);

    event OrchestratorRegistered(address indexed account, address indexed parent, uint32 depth, string endpoint);
    event ChildApproved(address indexed parent, address indexed child, bool approved);
    event ChildEvicted(address indexed parent, address indexed child);
    event EndpointUpdated(address indexed account, string endpoint);
    event ExitRequested(address indexed account, uint64 leavingAt);
    event OrchestratorDeregistered(address indexed account);

    function register(string calldata endpoint, address parent) external;
    /// @notice An active orchestrator allows (or withdraws its allowance for) `child` to
    /// register under it.
    function approveChild(address child, bool approved) external;
    /// @notice The parent detaches `child`: it becomes inactive and may deregister at once.
    function evictChild(address child) external;
    function updateEndpoint(string calldata endpoint) external;
    /// @notice Starts leaving (evicting any children); `deregister` after EXIT_DELAY.
    function requestExit() external;
    function deregister() external;

    function orchestrator(address account) external view returns (Orchestrator memory);
    /// @notice Registered, not leaving, and staked at least MIN_STAKE.
    function isActive(address account) external view returns (bool);
    function childApproved(address parent, address child) external view returns (bool);
    function childrenOf(address account) external view returns (address[] memory);
    /// @notice Registered roots that are not leaving (some may be below MIN_STAKE: see
    /// `isActive`); `rootAt(i)`, i < `rootCount()`, reads one without copying the list.
    function rootCount() external view returns (uint256);
    function rootAt(uint256 i) external view returns (address);
    /// @notice Active roots (a view for off-chain readers; it copies the list).
    function activeRoots() external view returns (address[] memory);
    /// @notice Every registered orchestrator.
    function members() external view returns (address[] memory);
    function MIN_STAKE() external view returns (uint256);
    function EXIT_DELAY() external view returns (uint64);
}
