// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGroth16MultiVerifier} from "./interfaces/IGroth16MultiVerifier.sol";
import {IPoseidon4, IPoseidon6} from "./interfaces/IPoseidon.sol";

/// @title The chain's side of versioned-cells jobs (issue 12; EpochManager.submitEpoch2 settles through it):
/// one job (`verify`) or several in one pairing product (`verifyJobs`)
/// @notice Checks a job's proofs (or several jobs', each alone, in one pairing product): its chunks (circuits/zkvm/chunk2.circom, `Chunk2`), its
/// boundary proof (boundary.circom) and its input and output proofs (io.circom), as
/// prover/zkvm/verify2.ts's `verifyJob2` does off chain, in one pairing product over the four
/// keys (IGroth16MultiVerifier). Nothing a proof makes public is taken from the submitter where
/// the contract can derive it:
/// - the image ID, from the image's opening when it is registered (once: its memory within what
///   the chunk allows, and its entry state stored with it);
/// - the first chunk's sIn: the image's entry state (t = 1, nothing run), as registered;
/// - the last chunk's sOut is the claim's final state, written into the last chunk's inputs and
///   the output proof's, which opens it as a halted state outside any call with the claim's
///   exit code (so the contract hashes no final state: the chain of chunks from the entry
///   state fixes its image, t = n + 1 and the cycles, the sum of the chunks');
/// - gammaJob: keccak256(chainid, this contract, jobId, every chunk's sIn and commitment, the
///   boundary proof's commitment, the job's input digest, the bytes read and ends found, the
///   output digest) mod r, then written into every proof's public inputs, so a proof made at
///   any other gammaJob fails the pairing check;
/// - the input proof's digest: the job's input digest.
/// What the submitter supplies (the chain's inner states, each chunk's prover, cycles,
/// commitment and share, the boundary commitment and share, the I/O counts, shares and output
/// digest, the final state and exit code) is bound by the proofs. The shares must sum to 0 mod r: the job-wide memory and I/O
/// argument (circuits/zkvm/README.md).
contract JobVerifier2 {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// Chunk2's public inputs: sIn, sOut, imageId, prover, cyclesRetired, commitment, gammaJob, jobSum.
    uint256 public constant CHUNK_PUBLIC = 8;
    /// Boundary's: jobSum, commitment (outputs), imageId, gammaJob.
    uint256 public constant BOUNDARY_PUBLIC = 4;
    /// InputProof's: digestHi, digestLo, jobSum (outputs), gammaJob, read, ends.
    uint256 public constant INPUT_PUBLIC = 6;
    /// OutputProof's: digestHi, digestLo, jobSum (outputs), gammaJob, sFinal, exitCode.
    uint256 public constant OUTPUT_PUBLIC = 6;
    /// Step2's LOGMEM: the largest memory a chunk allows.
    uint256 public constant MAX_MEMORY = 1 << 20;
    /// Version times are 24 bits: chunk t = 1 .. 2^24 - 2, the final state's t = n + 1.
    uint256 public constant MAX_CHUNKS = (1 << 24) - 2;

    /// The four keys, in this order: chunk, boundary, input, output.
    IGroth16MultiVerifier public immutable VERIFIER;
    IPoseidon4 public immutable POSEIDON4;
    IPoseidon6 public immutable POSEIDON6;
    /// Poseidon of a state's io fields outside any call (six zeros).
    uint256 public immutable IO_IDLE;

    /// A registered image's entry state digest (0: not registered).
    mapping(uint256 imageId => uint256) public entryStateOf;

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
        /// The last chunk's sOut: a halted state, opened by the output proof.
        uint256 finalState;
        uint32 exitCode;
    }

    /// A job as verifyJobs takes it: verify's arguments but the proofs.
    struct JobInput {
        uint256 imageId;
        uint256 inputHi;
        uint256 inputLo;
        JobClaim claim;
    }

    /// Where one job's public inputs go among the verifier's (memory addresses of the first
    /// input of its first chunk proof and of its boundary, input and output proofs).
    struct Slots {
        uint256 chunks;
        uint256 boundary;
        uint256 input;
        uint256 output;
    }

    /// What a verified job established.
    struct Verified {
        uint256 jobId;
        uint256 imageId;
        uint64 cycles;
        uint256 gammaJob;
        bytes32 outputDigest;
        uint32 exitCode;
    }

    event ImageRegistered(uint256 indexed imageId);

    error Job2__UnknownImage(uint256 imageId);
    error Job2__NoChunks();
    error Job2__NoJobs();
    error Job2__TooManyChunks(uint256 n);
    error Job2__ProofCount(uint256 proofs, uint256 expected);
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

    constructor(IGroth16MultiVerifier verifier, IPoseidon4 poseidon4, IPoseidon6 poseidon6) {
        uint256[] memory np = verifier.nPublic();
        require(np.length == 4, "JobVerifier2: four keys");
        require(np[0] == CHUNK_PUBLIC, "JobVerifier2: chunk key");
        require(np[1] == BOUNDARY_PUBLIC, "JobVerifier2: boundary key");
        require(np[2] == INPUT_PUBLIC, "JobVerifier2: input key");
        require(np[3] == OUTPUT_PUBLIC, "JobVerifier2: output key");
        VERIFIER = verifier;
        POSEIDON4 = poseidon4;
        POSEIDON6 = poseidon6;
        IO_IDLE = poseidon6.poseidon([uint256(0), 0, 0, 0, 0, 0]);
    }

    /// @notice Registers an image (its opening: the boundary proof opens the image it names)
    /// and stores its entry state; returns its ID. Registering it again changes nothing.
    function registerImage(Image calldata img) external returns (uint256 imageId) {
        if (img.memorySize > MAX_MEMORY) revert Job2__MemoryTooLarge(img.memorySize);
        imageId = imageIdOf(img);
        if (entryStateOf[imageId] != 0) return imageId;
        entryStateOf[imageId] = stateDigest(imageId, 1, 0, img.entry, false, 0, 0, 0);
        emit ImageRegistered(imageId);
    }

    /// @notice The image ID of an opening.
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

    /// @notice Verifies a job's proofs against its registered image and input digest (SHA-256
    /// in two 128-bit halves); reverts with the first rule broken.
    /// @param proofs [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy] each: the chunks' in
    /// order, then the boundary, input and output proofs
    function verify(
        uint256 imageId,
        uint256 inputHi,
        uint256 inputLo,
        JobClaim calldata j,
        uint256[8][] calldata proofs
    ) external view returns (Verified memory v) {
        uint256 n = j.chunks.length;
        if (n == 0) revert Job2__NoChunks();
        if (n > MAX_CHUNKS) revert Job2__TooManyChunks(n);
        if (proofs.length != n + 3) revert Job2__ProofCount(proofs.length, n + 3);
        (bytes memory cd, uint256 x) = _newCall(n, 1, proofs);
        v = _job(imageId, inputHi, inputLo, j, _slots(x, 0, n, 0, 1));
        _callVerifier(cd, keccak256(abi.encode(block.chainid, address(this), j.jobId)));
    }

    /// @notice Verifies several jobs in one pairing product (an epoch's Universal Proof): each
    /// job exactly as `verify` checks it (its own gammaJob, chain, image and input), all their
    /// proofs in one multi-verifier call, so the fixed pairs and each key's IC terms are paid
    /// once for all the jobs. Reverts if any job breaks a rule (counts first, then job by job
    /// in order, then the pairing). The same job may appear twice: a caller that settles jobs
    /// must tie each result to its own job record (Verified.jobId) and refuse duplicates.
    /// @param proofs every job's chunk proofs, job by job, then every job's boundary proof, then
    /// every job's input proof, then every job's output proof (job order in each group)
    /// @return vs what each job established, in job order
    function verifyJobs(
        JobInput[] calldata jobs,
        uint256[8][] calldata proofs
    ) external view returns (Verified[] memory vs) {
        uint256 k = jobs.length;
        if (k == 0) revert Job2__NoJobs();
        uint256 total;
        for (uint256 i = 0; i < k; i++) {
            uint256 n = jobs[i].claim.chunks.length;
            if (n == 0) revert Job2__NoChunks();
            if (n > MAX_CHUNKS) revert Job2__TooManyChunks(n);
            total += n;
        }
        if (proofs.length != total + 3 * k) revert Job2__ProofCount(proofs.length, total + 3 * k);
        (bytes memory cd, uint256 x) = _newCall(total, k, proofs);
        bytes32 context;
        (vs, context) = _jobsPass(jobs, x, total);
        _callVerifier(cd, context);
    }

    /// Every job of verifyJobs at its slots; the context: keccak256(chainid, this, job IDs).
    function _jobsPass(
        JobInput[] calldata jobs,
        uint256 x,
        uint256 total
    ) private view returns (Verified[] memory vs, bytes32 context) {
        uint256 k = jobs.length;
        vs = new Verified[](k);
        uint256[] memory ids = new uint256[](k);
        uint256 c;
        for (uint256 i = 0; i < k; i++) {
            Slots memory s = _slots(x, c, total, i, k);
            vs[i] = _jobOf(jobs[i], s);
            c += jobs[i].claim.chunks.length;
            ids[i] = jobs[i].claim.jobId;
        }
        context = keccak256(abi.encode(block.chainid, address(this), ids));
    }

    function _jobOf(JobInput calldata ji, Slots memory s) private view returns (Verified memory) {
        return _job(ji.imageId, ji.inputHi, ji.inputLo, ji.claim, s);
    }

    /// Job i's input slots among `total` chunks and k jobs, its chunks from chunk c on: the
    /// chunks' inputs first (8 each), then the k boundary proofs' (4 each), the k input
    /// proofs' (6 each), the k output proofs' (6 each); x is the first input's address.
    function _slots(uint256 x, uint256 c, uint256 total, uint256 i, uint256 k) private pure returns (Slots memory s) {
        uint256 jobs = x + total * CHUNK_PUBLIC * 32;
        s.chunks = x + c * CHUNK_PUBLIC * 32;
        s.boundary = jobs + i * BOUNDARY_PUBLIC * 32;
        s.input = jobs + k * BOUNDARY_PUBLIC * 32 + i * INPUT_PUBLIC * 32;
        s.output = jobs + k * (BOUNDARY_PUBLIC + INPUT_PUBLIC) * 32 + i * OUTPUT_PUBLIC * 32;
    }

    /// One job's checks and public inputs, written at its slots (see verify).
    function _job(
        uint256 imageId,
        uint256 inputHi,
        uint256 inputLo,
        JobClaim calldata j,
        Slots memory s
    ) private view returns (Verified memory v) {
        uint256 n = j.chunks.length;
        if (j.states.length != n - 1) revert Job2__ChainLength(j.states.length, n);
        uint256 entry = entryStateOf[imageId];
        if (entry == 0) revert Job2__UnknownImage(imageId);
        for (uint256 i = 0; i < 4; i++) {
            uint256 h = [inputHi, inputLo, j.outputHi, j.outputLo][i];
            if (h >= 1 << 128) revert Job2__DigestHalf(h);
        }
        v.jobId = j.jobId;
        v.imageId = imageId;
        (uint256[] memory words, uint256 cycles) = _chunkPass(j, imageId, entry, s.chunks);
        v.cycles = uint64(cycles);
        v.gammaJob = _gamma(j, words, inputHi, inputLo);
        _jobInputs(j, s, imageId, inputHi, inputLo, v.gammaJob);
        v.outputDigest = bytes32((j.outputHi << 128) | j.outputLo);
        v.exitCode = j.exitCode;
    }

    /// verifyMulti(context, counts, inputs, proofs)'s calldata for `total` chunk proofs of k
    /// jobs, built in place: the counts [total, k, k, k], room for the inputs (x: the first
    /// one's address; the passes below fill them) and the proofs copied from this call's
    /// calldata; the context is written by _callVerifier. Built here rather than by the ABI
    /// encoder from an inputs array, memory holds one copy of the inputs and proofs, not two
    /// (memory's cost grows with its square).
    function _newCall(
        uint256 total,
        uint256 k,
        uint256[8][] calldata proofs
    ) private pure returns (bytes memory cd, uint256 x) {
        uint256 nIn = total * CHUNK_PUBLIC + k * (BOUNDARY_PUBLIC + INPUT_PUBLIC + OUTPUT_PUBLIC);
        uint256 np = total + 3 * k;
        bytes4 sel = IGroth16MultiVerifier.verifyMulti.selector;
        assembly ("memory-safe") {
            cd := mload(0x40)
            // selector; head: context, offsets of counts (128), inputs (288), proofs; counts
            // (length 4 and its words); inputs (length and nIn words); proofs (length, 8 words each)
            let size := add(add(4, 320), add(shl(5, nIn), add(32, shl(8, np))))
            mstore(cd, size)
            let q := add(cd, 32)
            mstore(q, sel)
            let h := add(q, 4)
            mstore(add(h, 32), 128)
            mstore(add(h, 64), 288)
            mstore(add(h, 96), add(320, shl(5, nIn)))
            mstore(add(h, 128), 4)
            mstore(add(h, 160), total)
            mstore(add(h, 192), k)
            mstore(add(h, 224), k)
            mstore(add(h, 256), k)
            mstore(add(h, 288), nIn)
            x := add(h, 320)
            let pp := add(x, shl(5, nIn))
            mstore(pp, np)
            calldatacopy(add(pp, 32), proofs.offset, shl(8, np))
            mstore(0x40, and(add(add(q, size), 31), not(31)))
        }
    }

    /// The call _newCall built, with its context; a revert of the verifier's is this call's.
    /// (A raw call to an address without code would succeed: VERIFIER has code, the
    /// constructor called it, and a generated verifier cannot destroy itself.)
    function _callVerifier(bytes memory cd, bytes32 context) private view {
        address verifier = address(VERIFIER);
        assembly ("memory-safe") {
            mstore(add(cd, 36), context)
            if iszero(staticcall(gas(), verifier, add(cd, 32), mload(cd), 0, 0)) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// gammaJob into every chunk's inputs and the final state into the last one's sOut, then
    /// the job proofs' inputs (their circuits' public signals in order) at their slots.
    function _jobInputs(
        JobClaim calldata j,
        Slots memory s,
        uint256 imageId,
        uint256 inputHi,
        uint256 inputLo,
        uint256 gamma
    ) private pure {
        uint256 n = j.chunks.length;
        uint256 cp = s.chunks;
        uint256 fin = j.finalState;
        assembly ("memory-safe") {
            for { let c := 0 } lt(c, n) { c := add(c, 1) } {
                mstore(add(add(cp, shl(8, c)), 192), gamma)
            }
            mstore(add(add(cp, shl(8, sub(n, 1))), 32), fin)
        }
        _put(s.boundary, [j.boundarySum, j.boundaryCommitment, imageId, gamma, 0, 0], 4);
        _put(s.input, [inputHi, inputLo, j.inputSum, gamma, j.read, j.ends], 6);
        _put(s.output, [j.outputHi, j.outputLo, j.outputSum, gamma, fin, j.exitCode], 6);
    }

    /// The first `count` of `w` at memory address `at`.
    function _put(uint256 at, uint256[6] memory w, uint256 count) private pure {
        assembly ("memory-safe") {
            mcopy(at, w, shl(5, count))
        }
    }

    /// One pass over the chunks: the chain from the entry state through the inner states, the
    /// chunks' public inputs from address `ip0` on (all but gammaJob and the last sOut), the words gammaJob is drawn from (each chunk's sIn and commitment; the
    /// job's words follow), the cycles, and the job-wide sum, which must be 0 (each share < r:
    /// the batch verifier refuses inputs >= r).
    function _chunkPass(
        JobClaim calldata j,
        uint256 imageId,
        uint256 entryState,
        uint256 ip0
    ) private pure returns (uint256[] memory words, uint256 cycles) {
        uint256 n = j.chunks.length;
        words = new uint256[](2 * n + 7);
        (uint256 cyc, uint256 sum, uint256 end) = _chunkLoop(j, imageId, entryState, ip0, words);
        if (end < n) {
            Chunk calldata ch = j.chunks[end];
            (uint256 prover, uint256 c) = _rawProverCycles(ch);
            if (prover == 0) revert Job2__ZeroProver(end);
            if (prover >> 160 != 0) revert Job2__NotInField(prover);
            if (c >> 32 != 0) revert Job2__NotInField(c);
            revert Job2__NotInField(j.states[end]);
        }
        cycles = cyc;
        sum = addmod(sum, addmod(addmod(j.boundarySum, j.inputSum, R), j.outputSum, R), R);
        // A chunk inside a long transfer retires no instruction (its steps move words of one
        // ecall), so only the last must: it ends with the exit, and nothing can be appended
        // after the halt.
        if (j.chunks[n - 1].cycles == 0) revert Job2__IdleChunk(n - 1);
        if (sum != 0) revert Job2__Unbalanced(sum);
        // 2^40 cycles at most (the chunk's range check on cyclesIn + cyclesRetired)
        if (cycles >= 1 << 40) revert Job2__NotInField(cycles);
    }

    /// The loop of _chunkPass, the contract's cost per chunk: it reads the claim's words itself
    /// (a Chunk is 4 static words in calldata: prover, cycles, commitment, jobSum) and writes
    /// chunk c's inputs (all but gammaJob and the last sOut) and its two words, starting from
    /// the entry state s. It stops at the first chunk whose prover is 0 or not an address, whose cycles
    /// are not a uint32 (what the ABI decoder would refuse), or whose sOut is an inner state
    /// >= r, and returns that chunk as end (n: none).
    function _chunkLoop(
        JobClaim calldata j,
        uint256 imageId,
        uint256 s,
        uint256 ip0,
        uint256[] memory words
    ) private pure returns (uint256 cycles, uint256 sum, uint256 end) {
        (uint256 cp, uint256 sp) = _offsets(j);
        uint256 n = j.chunks.length;
        end = n;
        assembly ("memory-safe") {
            for { let c := 0 } lt(c, n) { c := add(c, 1) } {
                let ip := add(ip0, shl(8, c))
                let prover := calldataload(cp)
                let cyc := calldataload(add(cp, 32))
                if or(iszero(prover), or(shr(160, prover), shr(32, cyc))) {
                    end := c
                    break
                }
                mstore(ip, s)
                mstore(add(ip, 64), imageId)
                mstore(add(ip, 96), prover)
                mstore(add(ip, 128), cyc)
                mstore(add(ip, 160), calldataload(add(cp, 64)))
                mstore(add(ip, 224), calldataload(add(cp, 96)))
                mstore(add(add(words, 32), shl(6, c)), s)
                mstore(add(add(words, 64), shl(6, c)), calldataload(add(cp, 64)))
                cycles := add(cycles, cyc)
                sum := addmod(sum, calldataload(add(cp, 96)), R)
                if lt(add(c, 1), n) {
                    s := calldataload(add(sp, shl(5, c)))
                    if iszero(lt(s, R)) {
                        end := c
                        break
                    }
                    mstore(add(ip, 32), s)
                }
                cp := add(cp, 128)
            }
        }
    }

    /// The calldata offsets of the claim's chunks and inner states (their lengths are checked
    /// against the calldata by the accessors).
    function _offsets(JobClaim calldata j) private pure returns (uint256 cp, uint256 sp) {
        Chunk[] calldata chunks = j.chunks;
        uint256[] calldata states = j.states;
        assembly ("memory-safe") {
            cp := chunks.offset
            sp := states.offset
        }
    }

    /// A chunk's prover and cycles words as submitted, before any type check.
    function _rawProverCycles(Chunk calldata ch) private pure returns (uint256 prover, uint256 c) {
        assembly ("memory-safe") {
            prover := calldataload(ch)
            c := calldataload(add(ch, 32))
        }
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
}
