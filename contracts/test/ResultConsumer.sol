// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IJobRegistry} from "../interfaces/IJobRegistry.sol";

/// @notice Test contract: an application that acts on a verified job result. It pays out a
/// prize once a job of the image it trusts has been proven to exit 0 with the expected output.
contract ResultConsumer {
    IJobRegistry public immutable JOBS;
    uint256 public immutable IMAGE_ID;
    uint256 public immutable EXPECTED_OUTPUT;
    mapping(uint256 jobId => bool) public accepted;

    error ResultConsumer__NotSettled(uint256 jobId);
    error ResultConsumer__WrongImage(uint256 imageId);
    error ResultConsumer__WrongResult(uint32 exitCode, uint256 outputDigest);

    event Accepted(uint256 indexed jobId, uint64 cycles);

    constructor(IJobRegistry jobs, uint256 imageId, uint256 expectedOutput) {
        JOBS = jobs;
        IMAGE_ID = imageId;
        EXPECTED_OUTPUT = expectedOutput;
    }

    function accept(uint256 jobId) external {
        (bool settled, IJobRegistry.JobResult memory r) = JOBS.result(jobId);
        if (!settled) revert ResultConsumer__NotSettled(jobId);
        uint256 imageId = JOBS.job(jobId).imageId;
        if (imageId != IMAGE_ID) revert ResultConsumer__WrongImage(imageId);
        if (r.exitCode != 0 || r.outputDigest != EXPECTED_OUTPUT)
            revert ResultConsumer__WrongResult(r.exitCode, r.outputDigest);
        accepted[jobId] = true;
        emit Accepted(jobId, r.cycles);
    }
}
