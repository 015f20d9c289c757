// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobOutput} from "../JobOutput.sol";

/// @notice Test contract: an application that holds a job's output commitment (as a settled
/// job's result would hand it over) and reads the output's values itself, from bytes given to
/// it: a little-endian u32 at the start, or the whole output as a 32-byte hash.
contract OutputReader {
    bytes32 public immutable COMMITTED;
    uint32 public lastWord;
    bytes32 public lastHash;

    constructor(uint256 digestHi, uint256 digestLo) {
        COMMITTED = JobOutput.digestOf(digestHi, digestLo);
    }

    /// @notice Opens the output and returns its first word.
    function wordOf(bytes calldata output) external view returns (uint32) {
        return JobOutput.u32At(JobOutput.open(COMMITTED, output), 0);
    }

    /// @notice Opens the output and keeps its first word.
    function acceptWord(bytes calldata output) external {
        lastWord = JobOutput.u32At(JobOutput.open(COMMITTED, output), 0);
    }

    /// @notice Opens a 32-byte output and keeps it.
    function acceptHash(bytes calldata output) external {
        bytes calldata o = JobOutput.open(COMMITTED, output);
        require(o.length == 32, "OutputReader: not 32 bytes");
        lastHash = bytes32(o);
    }
}
