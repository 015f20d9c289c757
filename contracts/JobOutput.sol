// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Opening a job's output from its SHA-256 commitment
/// @notice The output proof of the versioned-cells chunk design (issue 12, item 5; circuits/
/// zkvm/io.circom) commits to a job's public output as SHA-256 of its bytes, exposed as two
/// 128-bit halves (digestHi: bytes 0..15, digestLo: bytes 16..31, big-endian). A contract that
/// holds that digest opens the output itself: it is handed the bytes and checks their SHA-256
/// (the precompile: about 60 + 12 gas per 32 bytes), then reads what it wants from them.
library JobOutput {
    /// @notice The bytes handed in are not the committed output.
    error JobOutput__NotTheOutput(bytes32 digest, bytes32 committed);

    /// @notice The digest from the output proof's two public outputs.
    function digestOf(uint256 hi, uint256 lo) internal pure returns (bytes32) {
        require(hi < 1 << 128 && lo < 1 << 128, "JobOutput: half out of range");
        return bytes32((hi << 128) | lo);
    }

    /// @notice Returns `output` when it is the output committed to by `committed`; reverts
    /// otherwise.
    function open(bytes32 committed, bytes calldata output) internal pure returns (bytes calldata) {
        bytes32 d = sha256(output);
        if (d != committed) revert JobOutput__NotTheOutput(d, committed);
        return output;
    }

    /// @notice The little-endian 32-bit word at `at` of an opened output (a guest's u32).
    function u32At(bytes calldata output, uint256 at) internal pure returns (uint32 v) {
        require(at + 4 <= output.length, "JobOutput: short output");
        for (uint256 i = 0; i < 4; i++) v |= uint32(uint8(output[at + i])) << uint32(8 * i);
    }
}
