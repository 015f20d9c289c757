// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title circomlib-compatible Poseidon hash contracts
/// @notice The bytecode is circomlibjs's `poseidonContract.createCode(n)` (deployed as is, see
/// scripts/lib/poseidon-contracts.ts); these interfaces give Solidity its ABI. Inputs are not
/// reduced by the caller's intent: the contract computes modulo r, so callers that hash values
/// from calldata must check them `< r` first (an input x + r hashes like x).
interface IPoseidon2 {
    function poseidon(uint256[2] calldata input) external pure returns (uint256);
}

interface IPoseidon3 {
    function poseidon(uint256[3] calldata input) external pure returns (uint256);
}

interface IPoseidon4 {
    function poseidon(uint256[4] calldata input) external pure returns (uint256);
}

interface IPoseidon6 {
    function poseidon(uint256[6] calldata input) external pure returns (uint256);
}
