// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOrchestratorRegistry} from "./interfaces/IOrchestratorRegistry.sol";
import {IStakeLock, IStaking} from "./interfaces/IStaking.sol";

/// @title Orchestrator registry
/// @notice See IOrchestratorRegistry for the rules. Registered orchestrators lock
/// min(stake, MIN_STAKE) in Staking until they deregister.
contract OrchestratorRegistry is IOrchestratorRegistry, IStakeLock {
    uint256 public constant MAX_ENDPOINT_BYTES = 256;
    /// Deepest ring: a root is depth 0.
    uint32 public constant MAX_DEPTH = 8;
    /// Children of one parent (bounds the work of a parent's exit).
    uint256 public constant MAX_CHILDREN = 32;

    IStaking public immutable STAKING;
    uint256 public immutable MIN_STAKE;
    uint64 public immutable EXIT_DELAY;

    mapping(address account => Orchestrator) private _orchestrators;
    mapping(address parent => address[]) private _children;
    /// Position + 1 of an account in its parent's children, in `_members`, in `_roots`.
    mapping(address account => uint256) private _childPos;
    mapping(address account => uint256) private _memberPos;
    mapping(address account => uint256) private _rootPos;
    address[] private _members;
    address[] private _roots;
    mapping(address parent => mapping(address child => bool)) public childApproved;

    constructor(IStaking staking, uint256 minStake, uint64 exitDelay) {
        STAKING = staking;
        MIN_STAKE = minStake;
        EXIT_DELAY = exitDelay;
    }

    function register(string calldata endpoint, address parent) external {
        Orchestrator storage o = _orchestrators[msg.sender];
        if (o.registered) revert Registry__AlreadyRegistered(msg.sender);
        uint256 staked = STAKING.stakeOf(msg.sender);
        if (staked < MIN_STAKE) revert Registry__InsufficientStake(staked, MIN_STAKE);
        _checkEndpoint(endpoint);
        uint32 depth;
        if (parent != address(0)) {
            // A parent is registered before its children and never changes: no cycles.
            if (!isActive(parent)) revert Registry__BadParent(parent);
            if (!childApproved[parent][msg.sender]) revert Registry__NotApproved(parent, msg.sender);
            childApproved[parent][msg.sender] = false;
            Orchestrator storage p = _orchestrators[parent];
            depth = p.depth + 1;
            if (depth > MAX_DEPTH) revert Registry__TooDeep(depth);
            if (p.children >= MAX_CHILDREN) revert Registry__TooManyChildren(parent);
            p.children += 1;
            _children[parent].push(msg.sender);
            _childPos[msg.sender] = _children[parent].length;
        } else {
            _roots.push(msg.sender);
            _rootPos[msg.sender] = _roots.length;
        }
        o.endpoint = endpoint;
        o.parent = parent;
        o.depth = depth;
        o.children = 0;
        o.leavingAt = 0;
        o.registeredAt = uint64(block.timestamp);
        o.registered = true;
        _members.push(msg.sender);
        _memberPos[msg.sender] = _members.length;
        emit OrchestratorRegistered(msg.sender, parent, depth, endpoint);
    }

    function approveChild(address child, bool approved) external {
        if (!isActive(msg.sender)) revert Registry__BadParent(msg.sender);
        childApproved[msg.sender][child] = approved;
        emit ChildApproved(msg.sender, child, approved);
    }

    function evictChild(address child) external {
        if (_orchestrators[child].parent != msg.sender || msg.sender == address(0))
            revert Registry__NotParent(msg.sender, child);
        _evict(msg.sender, child);
    }

    function updateEndpoint(string calldata endpoint) external {
        if (!_orchestrators[msg.sender].registered) revert Registry__NotRegistered(msg.sender);
        _checkEndpoint(endpoint);
        _orchestrators[msg.sender].endpoint = endpoint;
        emit EndpointUpdated(msg.sender, endpoint);
    }

    function requestExit() external {
        Orchestrator storage o = _orchestrators[msg.sender];
        if (!o.registered) revert Registry__NotRegistered(msg.sender);
        if (o.leavingAt != 0) revert Registry__AlreadyLeaving(o.leavingAt);
        o.leavingAt = uint64(block.timestamp) + EXIT_DELAY;
        if (_rootPos[msg.sender] != 0) _remove(_roots, _rootPos, msg.sender);
        _evictAll(msg.sender);
        emit ExitRequested(msg.sender, o.leavingAt);
    }

    function deregister() external {
        Orchestrator storage o = _orchestrators[msg.sender];
        if (!o.registered) revert Registry__NotRegistered(msg.sender);
        if (o.leavingAt == 0) revert Registry__NotLeaving();
        if (block.timestamp < o.leavingAt) revert Registry__ExitDelay(o.leavingAt);
        _evictAll(msg.sender); // an evicted orchestrator may still have children
        address parent = o.parent;
        if (parent != address(0)) {
            _orchestrators[parent].children -= 1;
            _remove(_children[parent], _childPos, msg.sender);
        }
        _remove(_members, _memberPos, msg.sender);
        delete _orchestrators[msg.sender];
        emit OrchestratorDeregistered(msg.sender);
    }

    function lockedStake(address account) external view returns (uint256) {
        if (!_orchestrators[account].registered) return 0;
        uint256 s = STAKING.stakeOf(account);
        return s < MIN_STAKE ? s : MIN_STAKE;
    }

    function orchestrator(address account) external view returns (Orchestrator memory) {
        return _orchestrators[account];
    }

    function isActive(address account) public view returns (bool) {
        Orchestrator storage o = _orchestrators[account];
        return o.registered && o.leavingAt == 0 && STAKING.stakeOf(account) >= MIN_STAKE;
    }

    function childrenOf(address account) external view returns (address[] memory) {
        return _children[account];
    }

    function rootCount() external view returns (uint256) {
        return _roots.length;
    }

    function rootAt(uint256 i) external view returns (address) {
        return _roots[i];
    }

    function activeRoots() external view returns (address[] memory roots) {
        uint256 n = 0;
        roots = new address[](_roots.length);
        for (uint256 i = 0; i < _roots.length; i++) if (isActive(_roots[i])) roots[n++] = _roots[i];
        assembly {
            mstore(roots, n)
        }
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        uint256 n = bytes(endpoint).length;
        if (n == 0 || n > MAX_ENDPOINT_BYTES) revert Registry__BadEndpoint();
    }

    /// A parent can always leave: its children are detached (at most MAX_CHILDREN).
    function _evictAll(address parent) private {
        address[] storage kids = _children[parent];
        while (kids.length > 0) _evict(parent, kids[kids.length - 1]);
    }

    /// Detaches `child` from `parent`: it is leaving from now on and may deregister at once.
    function _evict(address parent, address child) private {
        Orchestrator storage c = _orchestrators[child];
        _orchestrators[parent].children -= 1;
        _remove(_children[parent], _childPos, child);
        c.parent = address(0);
        if (c.leavingAt == 0 || c.leavingAt > block.timestamp) c.leavingAt = uint64(block.timestamp);
        emit ChildEvicted(parent, child);
    }

    /// Swap-and-pop removal from an array whose positions (+1) are kept in `pos`.
    function _remove(address[] storage list, mapping(address => uint256) storage pos, address a) private {
        uint256 i = pos[a] - 1;
        address last = list[list.length - 1];
        list[i] = last;
        pos[last] = i + 1;
        list.pop();
        delete pos[a];
    }
}
