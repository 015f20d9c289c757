// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Batched Groth16 verifier for one verifying key (BN254)
/// @notice Verifies N proofs with N + 3 pairings. The random scalars of the batch come from a
/// keccak transcript of everything submitted (domain tag, key hash, context, every input and
/// every proof point), never from block data, so a prover cannot make invalid proofs cancel.
/// Implementations are generated from a verifying key by scripts/lib/verifier-gen.ts.
interface IGroth16BatchVerifier {
    /// @notice The batch is empty.
    error BatchVerifier__EmptyBatch();
    /// @notice `inputs` does not hold exactly N_PUBLIC inputs per proof.
    error BatchVerifier__InputLength(uint256 got, uint256 expected);
    /// @notice Public input `input` of proof `proof` is not below the scalar field order r
    /// (an input x + r would alias x).
    error BatchVerifier__InputNotInField(uint256 proof, uint256 input);
    /// @notice A point of proof `proof` is malformed: coordinate >= p, not on its curve,
    /// infinity, or (for compressed points) not decompressible.
    error BatchVerifier__InvalidPoint(uint256 proof);
    /// @notice An elliptic-curve precompile refused its input (e.g. a G2 point outside the
    /// order-r subgroup).
    error BatchVerifier__PrecompileFailed();
    /// @notice The batched pairing check failed: at least one proof is invalid.
    error BatchVerifier__BatchCheckFailed();
    /// @notice Development keys (known toxic waste) on a chain that is not a development chain.
    error BatchVerifier__DevelopmentKeys(uint256 chainId);

    /// @notice keccak256 of the verifying key, as the TypeScript side computes it.
    function VK_HASH() external view returns (bytes32);

    /// @notice Number of public inputs per proof.
    function N_PUBLIC() external view returns (uint256);

    /// @notice Verify proofs given as plain points; reverts with a custom error unless all are valid.
    /// @param context binds the batch to its use (e.g. keccak(chainid, contract, epoch))
    /// @param inputs N * N_PUBLIC public inputs, proof by proof
    /// @param proofs [Ax, Ay, Bx_imag, Bx_real, By_imag, By_real, Cx, Cy] per proof
    function verifyBatch(bytes32 context, uint256[] calldata inputs, uint256[8][] calldata proofs)
        external
        view;

    /// @notice Same as `verifyBatch` with point-compressed proofs:
    /// [A.x | flagA, B.x_imag | flagB, B.x_real, C.x | flagC], where the top bit of the first
    /// word of each point holds the sign of y (G1: y odd; G2: sgn0 of y per RFC 9380).
    function verifyBatchCompressed(
        bytes32 context,
        uint256[] calldata inputs,
        uint256[4][] calldata proofs
    ) external view;
}
