// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IPoseidon2} from "../interfaces/IPoseidon.sol";

/// @title An example consumer of Concentric results: a Fibonacci oracle
/// @notice Accepts "fib(n) mod 2^32 = value" only when a job of the known guest image
/// (guests/fibonacci.c: input n as a 32-bit little-endian word, output fib(n) the same way)
/// settled on that input with exit code 0 and that output. Nothing is trusted from the caller:
/// the input and output digests are recomputed here from n and value with the same
/// circomlib Poseidon contract the job registry uses, and compared with the settled job.
/// Digests (prover/executor/digest.ts): input D_len = 0, D_i = Poseidon(b_i, D_{i+1}), the
/// digest is D_0; output d_0 = 0, d_{i+1} = Poseidon(d_i, b_i).
contract FibonacciOracle {
    /// @notice The job has not settled (pending, refunded or unknown).
    error FibonacciOracle__NotSettled(uint256 jobId);
    /// @notice The job ran another program.
    error FibonacciOracle__WrongImage(uint256 imageId);
    /// @notice The job's input is not n.
    error FibonacciOracle__WrongInput(uint256 inputDigest, uint256 expected);
    /// @notice The guest exited with a failure code.
    error FibonacciOracle__Failed(uint32 exitCode);
    /// @notice The job's output is not value.
    error FibonacciOracle__WrongOutput(uint256 outputDigest, uint256 expected);

    event Accepted(uint32 indexed n, uint32 value, uint256 jobId);

    IJobRegistry public immutable JOBS;
    IPoseidon2 public immutable POSEIDON2;
    uint256 public immutable IMAGE_ID;

    mapping(uint32 n => uint32) private _fib;
    mapping(uint32 n => bool) public known;

    constructor(IJobRegistry jobs, IPoseidon2 poseidon2, uint256 imageId) {
        JOBS = jobs;
        POSEIDON2 = poseidon2;
        IMAGE_ID = imageId;
    }

    /// @notice Records fib(n) = value, proven by settled job `jobId`.
    function accept(uint256 jobId, uint32 n, uint32 value) external {
        IJobRegistry.Job memory j = JOBS.job(jobId);
        if (j.status != IJobRegistry.JobStatus.Settled) revert FibonacciOracle__NotSettled(jobId);
        if (j.imageId != IMAGE_ID) revert FibonacciOracle__WrongImage(j.imageId);
        uint256 input = inputDigestOfWord(n);
        if (j.inputDigest != input) revert FibonacciOracle__WrongInput(j.inputDigest, input);
        if (j.result.exitCode != 0) revert FibonacciOracle__Failed(j.result.exitCode);
        uint256 output = outputDigestOfWord(value);
        if (j.result.outputDigest != output) revert FibonacciOracle__WrongOutput(j.result.outputDigest, output);
        _fib[n] = value;
        known[n] = true;
        emit Accepted(n, value, jobId);
    }

    /// @notice fib(n) mod 2^32, once a proven job has been accepted for n.
    function fib(uint32 n) external view returns (uint32) {
        require(known[n], "unknown");
        return _fib[n];
    }

    /// @notice The input digest of one 32-bit little-endian word.
    function inputDigestOfWord(uint32 w) public view returns (uint256 d) {
        for (uint256 i = 4; i > 0; i--) d = POSEIDON2.poseidon([uint256((w >> (8 * (i - 1))) & 0xff), d]);
    }

    /// @notice The output digest of one 32-bit little-endian word.
    function outputDigestOfWord(uint32 w) public view returns (uint256 d) {
        for (uint256 i = 0; i < 4; i++) d = POSEIDON2.poseidon([d, uint256((w >> (8 * i)) & 0xff)]);
    }
}
