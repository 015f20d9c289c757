// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGroth16BatchVerifier} from "./interfaces/IGroth16BatchVerifier.sol";
import {IPoseidon4, IPoseidon6} from "./interfaces/IPoseidon.sol";

/// @title The chain's side of a versioned-cells job (issue 12; not wired into EpochManager yet)
/// @notice Checks one job's proofs: its chunks (circuits/zkvm/chunk2.circom, `Chunk2`), its
/// boundary proof (boundary.circom) and its input and output proofs (io.circom), as
/// prover/zkvm/verify2.ts's `verifyJob2` does off chain. Nothing a proof makes public is taken
/// from the submitter where the contract can derive it:
/// - the image ID from the image's opening (and its memory within what the chunk allows);
/// - the first chunk's sIn: the image's entry state (t = 1, nothing run);
/// - the last chunk's sOut: the claimed halted final state at t = n + 1, with the chunks'
///   cycle counts summed;
/// - gammaJob: keccak256(chainid, this contract, jobId, every chunk's sIn and commitment, the
///   boundary proof's commitment, the job's input digest, the bytes read and ends found, the
///   output digest) mod r, then written into every proof's public inputs, so a proof made at
///   any other gammaJob fails the pairing check;
/// - the input proof's digest: the job's input digest.
/// What the submitter supplies (the chain's inner states, each chunk's prover, cycles,
/// commitment and share, the boundary commitment and share, the I/O counts, shares and output
/// digest) is bound by the proofs. The shares must sum to 0 mod r: the job-wide memory and I/O
/// argument (circuits/zkvm/README.md).
contract JobVerifier2 {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// Chunk2's public inputs: sIn, sOut, imageId, prover, cyclesRetired, commitment, gammaJob, jobSum.
    uint256 public constant CHUNK_PUBLIC = 8;
    /// Boundary's: jobSum, commitment (outputs), imageId, gammaJob.
    uint256 public constant BOUNDARY_PUBLIC = 4;
    /// InputProof's: digestHi, digestLo, jobSum (outputs), gammaJob, read, ends.
    uint256 public constant INPUT_PUBLIC = 6;
    /// OutputProof's: digestHi, digestLo, jobSum (outputs), gammaJob.
    uint256 public constant OUTPUT_PUBLIC = 4;
    /// Step2's LOGMEM: the largest memory a chunk allows.
    uint256 public constant MAX_MEMORY = 1 << 20;
    /// Version times are 24 bits: chunk t = 1 .. 2^24 - 2, the final state's t = n + 1.
    uint256 public constant MAX_CHUNKS = (1 << 24) - 2;

    IGroth16BatchVerifier public immutable CHUNKS;
    IGroth16BatchVerifier public immutable BOUNDARY;
    IGroth16BatchVerifier public immutable INPUT;
    IGroth16BatchVerifier public immutable OUTPUT;
    IPoseidon4 public immutable POSEIDON4;
    IPoseidon6 public immutable POSEIDON6;
    /// Poseidon of a state's io fields outside any call (six zeros).
    uint256 public immutable IO_IDLE;

    /// The image as registered: its ID is Poseidon(1, entry, memorySize, codeStart, codeEnd, initRoot).
    struct Image {
        uint32 entry;
        uint32 memorySize;
        uint32 codeStart;
        uint32 codeEnd;
        uint256 initRoot;
    }

    /// What a job's chunk proof makes public beyond what the contract derives.
    struct Chunk {
        address prover;
        uint32 cycles;
        uint256 commitment;
        uint256 jobSum;
    }

    /// A job's claim: its chunks, the chain's inner states (chunk c ends in states[c], c < n - 1),
    /// the other proofs' public values and the final state.
    struct JobClaim {
        uint256 jobId;
        Chunk[] chunks;
        uint256[] states;
        uint256 boundaryCommitment;
        uint256 boundarySum;
        uint32 read;
        uint32 ends;
        uint256 inputSum;
        uint256 outputHi;
        uint256 outputLo;
        uint256 outputSum;
        uint32 finalPc;
        uint32 exitCode;
        uint32 inputPosition;
        uint32 outputPosition;
    }

    /// The proofs, [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy] each.
    struct Proofs {
        uint256[8][] chunks;
        uint256[8] boundary;
        uint256[8] input;
        uint256[8] output;
    }

    /// What a verified job established.
    struct Verified {
        uint256 imageId;
        uint64 cycles;
        uint256 gammaJob;
        bytes32 outputDigest;
    }

    error Job2__NoChunks();
    error Job2__TooManyChunks(uint256 n);
    error Job2__ProofCount(uint256 proofs, uint256 chunks);
    error Job2__ChainLength(uint256 states, uint256 chunks);
    error Job2__MemoryTooLarge(uint32 memorySize);
    error Job2__NotInField(uint256 value);
    error Job2__ZeroProver(uint256 chunk);
    /// The last chunk retires no instruction (a chunk appended after the halt).
    error Job2__IdleChunk(uint256 chunk);
    error Job2__DigestHalf(uint256 half);
    error Job2__GammaZero();
    /// The shares of the job-wide sum do not add up to 0: memory or I/O disagree across proofs.
    error Job2__Unbalanced(uint256 sum);

    constructor(
        IGroth16BatchVerifier chunks,
        IGroth16BatchVerifier boundary,
        IGroth16BatchVerifier input,
        IGroth16BatchVerifier output,
        IPoseidon4 poseidon4,
        IPoseidon6 poseidon6
    ) {
        require(chunks.N_PUBLIC() == CHUNK_PUBLIC, "JobVerifier2: chunk key");
        require(boundary.N_PUBLIC() == BOUNDARY_PUBLIC, "JobVerifier2: boundary key");
        require(input.N_PUBLIC() == INPUT_PUBLIC, "JobVerifier2: input key");
        require(output.N_PUBLIC() == OUTPUT_PUBLIC, "JobVerifier2: output key");
        CHUNKS = chunks;
        BOUNDARY = boundary;
        INPUT = input;
        OUTPUT = output;
        POSEIDON4 = poseidon4;
        POSEIDON6 = poseidon6;
        IO_IDLE = poseidon6.poseidon([uint256(0), 0, 0, 0, 0, 0]);
    }

    /// @notice The image ID of an opening (the boundary proof opens the image it names).
    function imageIdOf(Image calldata img) public view returns (uint256) {
        if (img.initRoot >= R) revert Job2__NotInField(img.initRoot);
        return
            POSEIDON6.poseidon(
                [uint256(1), img.entry, img.memorySize, img.codeStart, img.codeEnd, img.initRoot]
            );
    }

    /// @notice Chunk2's state digest outside any call (witness2.ts, digestOfState2Fields).
    function stateDigest(
        uint256 imageId,
        uint256 t,
        uint256 cycles,
        uint256 pc,
        bool halted,
        uint256 exitCode,
        uint256 inPos,
        uint256 outPos
    ) public view returns (uint256) {
        uint256 head = POSEIDON6.poseidon([imageId, t, cycles, pc, halted ? 1 : 0, exitCode]);
        return POSEIDON4.poseidon([head, IO_IDLE, inPos, outPos]);
    }

    /// @notice Verifies a job's proofs against its image and input digest (SHA-256 in two
    /// 128-bit halves); reverts with the first rule broken.
    function verify(
        Image calldata img,
        uint256 inputHi,
        uint256 inputLo,
        JobClaim calldata j,
        Proofs calldata proofs
    ) external view returns (Verified memory v) {
        uint256 n = j.chunks.length;
        if (n == 0) revert Job2__NoChunks();
        if (n > MAX_CHUNKS) revert Job2__TooManyChunks(n);
        if (proofs.chunks.length != n) revert Job2__ProofCount(proofs.chunks.length, n);
        if (j.states.length != n - 1) revert Job2__ChainLength(j.states.length, n);
        if (img.memorySize > MAX_MEMORY) revert Job2__MemoryTooLarge(img.memorySize);
        for (uint256 i = 0; i < 4; i++) {
            uint256 h = [inputHi, inputLo, j.outputHi, j.outputLo][i];
            if (h >= 1 << 128) revert Job2__DigestHalf(h);
        }
        v.imageId = imageIdOf(img);

        (uint256[] memory inputs, uint256[] memory words, uint256 cycles) = _chunkPass(
            j,
            v.imageId,
            img.entry
        );
        v.cycles = uint64(cycles);
        inputs[(n - 1) * CHUNK_PUBLIC + 1] = stateDigest(
            v.imageId,
            n + 1,
            cycles,
            j.finalPc,
            true,
            j.exitCode,
            j.inputPosition,
            j.outputPosition
        );
        uint256 gamma = _gamma(j, words, inputHi, inputLo);
        v.gammaJob = gamma;
        for (uint256 c = 0; c < n; c++) inputs[c * CHUNK_PUBLIC + 6] = gamma;

        bytes32 context = keccak256(abi.encode(block.chainid, address(this), j.jobId));
        CHUNKS.verifyBatch(context, inputs, proofs.chunks);
        _verifyOne(BOUNDARY, context, [j.boundarySum, j.boundaryCommitment, v.imageId, gamma], proofs.boundary);
        _verifyInput(context, inputHi, inputLo, j, gamma, proofs.input);
        _verifyOne(OUTPUT, context, [j.outputHi, j.outputLo, j.outputSum, gamma], proofs.output);
        v.outputDigest = bytes32((j.outputHi << 128) | j.outputLo);
    }

    /// One pass over the chunks: the chain from the entry state through the inner states, the
    /// chunks' public inputs (all but gammaJob and the last sOut), the words gammaJob is drawn
    /// from (each chunk's sIn and commitment; the job's words follow), the cycles, and the
    /// job-wide sum, which must be 0 (each share < r: the batch verifiers refuse inputs >= r).
    function _chunkPass(
        JobClaim calldata j,
        uint256 imageId,
        uint32 entry
    ) private view returns (uint256[] memory inputs, uint256[] memory words, uint256 cycles) {
        uint256 n = j.chunks.length;
        inputs = new uint256[](n * CHUNK_PUBLIC);
        words = new uint256[](2 * n + 7);
        uint256 s = stateDigest(imageId, 1, 0, entry, false, 0, 0, 0);
        uint256 sum = addmod(addmod(j.boundarySum, j.inputSum, R), j.outputSum, R);
        for (uint256 c = 0; c < n; c++) {
            Chunk calldata ch = j.chunks[c];
            if (ch.prover == address(0)) revert Job2__ZeroProver(c);
            // A chunk inside a long transfer retires no instruction (its steps move words of
            // one ecall), so only the last must: it ends with the exit, and nothing can be
            // appended after the halt.
            if (ch.cycles == 0 && c + 1 == n) revert Job2__IdleChunk(c);
            uint256 k = c * CHUNK_PUBLIC;
            inputs[k] = s;
            inputs[k + 2] = imageId;
            inputs[k + 3] = uint160(ch.prover);
            inputs[k + 4] = ch.cycles;
            inputs[k + 5] = ch.commitment;
            inputs[k + 7] = ch.jobSum;
            words[2 * c] = s;
            words[2 * c + 1] = ch.commitment;
            cycles += ch.cycles;
            sum = addmod(sum, ch.jobSum, R);
            if (c + 1 < n) {
                s = j.states[c];
                if (s >= R) revert Job2__NotInField(s);
                inputs[k + 1] = s;
            }
        }
        if (sum != 0) revert Job2__Unbalanced(sum);
        // 2^40 cycles at most (the chunk's range check on cyclesIn + cyclesRetired)
        if (cycles >= 1 << 40) revert Job2__NotInField(cycles);
    }

    /// gammaJob: keccak256(chainid, this contract, jobId, words) mod r, with the job's words
    /// (boundary commitment, input digest, bytes read, ends found, output digest) after the
    /// chunks'.
    function _gamma(
        JobClaim calldata j,
        uint256[] memory words,
        uint256 inputHi,
        uint256 inputLo
    ) private view returns (uint256 gamma) {
        uint256 m = words.length - 7;
        words[m] = j.boundaryCommitment;
        words[m + 1] = inputHi;
        words[m + 2] = inputLo;
        words[m + 3] = j.read;
        words[m + 4] = j.ends;
        words[m + 5] = j.outputHi;
        words[m + 6] = j.outputLo;
        gamma = uint256(keccak256(abi.encode(block.chainid, address(this), j.jobId, words))) % R;
        if (gamma == 0) revert Job2__GammaZero();
    }

    function _verifyInput(
        bytes32 context,
        uint256 inputHi,
        uint256 inputLo,
        JobClaim calldata j,
        uint256 gamma,
        uint256[8] calldata proof
    ) private view {
        uint256[] memory inputs = new uint256[](INPUT_PUBLIC);
        inputs[0] = inputHi;
        inputs[1] = inputLo;
        inputs[2] = j.inputSum;
        inputs[3] = gamma;
        inputs[4] = j.read;
        inputs[5] = j.ends;
        uint256[8][] memory ps = new uint256[8][](1);
        ps[0] = proof;
        INPUT.verifyBatch(context, inputs, ps);
    }

    function _verifyOne(
        IGroth16BatchVerifier verifier,
        bytes32 context,
        uint256[4] memory pub,
        uint256[8] calldata proof
    ) private view {
        uint256[] memory inputs = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) inputs[i] = pub[i];
        uint256[8][] memory ps = new uint256[8][](1);
        ps[0] = proof;
        verifier.verifyBatch(context, inputs, ps);
    }
}
