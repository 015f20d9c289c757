// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Batched Groth16 verifier for several verifying keys of one ceremony (BN254)
/// @notice Verifies proofs of K circuits in one pairing product: N proofs take N + 2 pairings,
/// plus one per key that has proofs in the batch. The keys share α, β and γ (they come from one
/// powers-of-tau ceremony, and snarkjs takes γ = the G2 generator), so every proof's equation
///   e(A_j, B_j) = e(α, β) · e(IC_k(x_j), γ) · e(C_j, δ_k)
/// taken to the power r_j and multiplied over j is
///   Π e(r_j·A_j, B_j) · e(Σr·α, −β) · e(Σ_j r_j·IC_k(j)(x_j), −γ) · Π_k e(Σ_{j of k} r_j·C_j, −δ_k) = 1.
/// The generator refuses keys whose α, β or γ differ. The r_j come from a keccak transcript of
/// everything submitted (domain tag, every key's hash, context, the counts, the lengths, then
/// every input and every proof point, absorbed in a hash chain of blocks of at most 32 words so
/// that no copy of the batch sits in memory), never from block data. Implementations are
/// generated from the keys by scripts/lib/verifier-gen.ts.
interface IGroth16MultiVerifier {
    /// @notice The batch is empty.
    error BatchVerifier__EmptyBatch();
    /// @notice `counts` does not hold one count per key.
    error BatchVerifier__KeyCount(uint256 got, uint256 expected);
    /// @notice Key `key`'s count is 2^32 or more.
    error BatchVerifier__CountTooLarge(uint256 key, uint256 count);
    /// @notice The counts do not add up to the number of proofs.
    error BatchVerifier__ProofCount(uint256 proofs, uint256 counted);
    /// @notice `inputs` does not hold exactly nPublic(k) inputs per proof of key k.
    error BatchVerifier__InputLength(uint256 got, uint256 expected);
    /// @notice Public input `index` of the flat `inputs` is not below the scalar field order r
    /// (an input x + r would alias x).
    error BatchVerifier__InputNotInField(uint256 index);
    /// @notice A point of proof `proof` is malformed: coordinate >= p, not on its curve, or
    /// infinity. Named only when the batch fails (the precompiles refuse malformed points; an
    /// infinity point in an otherwise valid batch is harmless and accepted); a batch refused by
    /// the pairing precompile may run out of gas before naming it when it is very large.
    error BatchVerifier__InvalidPoint(uint256 proof);
    /// @notice An elliptic-curve precompile refused its input (e.g. a G2 point outside the
    /// order-r subgroup).
    error BatchVerifier__PrecompileFailed();
    /// @notice The batched pairing check failed: at least one proof is invalid.
    error BatchVerifier__BatchCheckFailed();
    /// @notice Development keys (known toxic waste) on a chain that is not a development chain.
    error BatchVerifier__DevelopmentKeys(uint256 chainId);

    /// @notice keccak256 of every key's hash (as the TypeScript side computes each), in key order.
    function KEYS_HASH() external view returns (bytes32);

    /// @notice The number of keys K.
    function N_KEYS() external view returns (uint256);

    /// @notice Each key's hash, in key order.
    function vkHashes() external pure returns (bytes32[] memory);

    /// @notice Each key's number of public inputs, in key order.
    function nPublic() external pure returns (uint256[] memory);

    /// @notice Verify proofs of every key at once; reverts unless all are valid (with a custom
    /// error, or out of gas: see BatchVerifier__InvalidPoint).
    /// @param context binds the batch to its use (e.g. keccak(chainid, contract, job))
    /// @param counts the number of proofs of each key; the proofs of key 0 come first, then
    /// those of key 1, and so on
    /// @param inputs the public inputs, proof by proof in the same order (nPublic(k) a proof)
    /// @param proofs [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy] per proof
    function verifyMulti(
        bytes32 context,
        uint256[] calldata counts,
        uint256[] calldata inputs,
        uint256[8][] calldata proofs
    ) external view;
}
