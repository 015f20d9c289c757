/**
 * Generates the Solidity batched Groth16 verifier of a circuit from its verifying key.
 * The template is ours (below); the output says in its header that it is generated and
 * from what, and lives in contracts/generated/ (git-ignored: it is a build output).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { keccak_256 } from "@noble/hashes/sha3.js";
import * as snarkjs from "snarkjs";
import { join } from "node:path";
import type { CircuitArtifacts } from "../../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../../prover/setup/registry.ts";
import {
  BATCH_DOMAIN_TAG,
  BN254_P,
  MULTI_DOMAIN_TAG,
  bytesToBigInt,
  encodeWords,
  toBatchVerifyingKey,
  type G2Affine,
} from "../../prover/verify/batch.ts";

const hex = (v: bigint) => `0x${v.toString(16).padStart(64, "0")}`;

/** `poseidon_chain_N4` → `PoseidonChainN4BatchVerifier` */
export function verifierContractName(circuit: string): string {
  return (
    circuit
      .split("_")
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join("") + "BatchVerifier"
  );
}

/** −Q for a G2 point in EVM order: negate both y components. */
function negG2(q: G2Affine): G2Affine {
  const n = (v: bigint) => (v === 0n ? 0n : BN254_P - v);
  return [q[0], q[1], n(q[2]), n(q[3])];
}

/** The Solidity constants of the fields: p and r. */
const FIELD_SOL = `    /// BN254 base field modulus p
    uint256 internal constant P = ${hex(BN254_P)};
    /// BN254 scalar field modulus r
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
`;

/** The twist's curve constant and the 128-bit mask of the batch scalars. */
const TWIST_MASK_SOL = `    /// b' = 3 / (9 + u): the twist's curve constant, real and imaginary parts
    uint256 internal constant B2_REAL = 0x2b149d40ceb8aaae81be18991be06ac3b5b4c5e559dbefa33267e6dc24a138e5;
    uint256 internal constant B2_IMAG = 0x009713b03af0fed4cd2cafadeed8fdf4a74fa084e52d1852e4a2bd0685c315d2;
    uint256 internal constant MASK128 = 0xffffffffffffffffffffffffffffffff;
`;

/** A verifier of development keys refuses to be deployed on any chain but a development one. */
const DEV_KEYS_CTOR_SOL = `    constructor() {
        if (DEVELOPMENT_KEYS && block.chainid != 31337 && block.chainid != 1337) {
            revert BatchVerifier__DevelopmentKeys(block.chainid);
        }
    }
`;

/** A G2 point's four constants, EVM order. */
const g2const = (label: string, q: G2Affine) =>
  [`${label}_X_IMAG`, `${label}_X_REAL`, `${label}_Y_IMAG`, `${label}_Y_REAL`]
    .map((n, i) => `    uint256 internal constant ${n} = ${hex(q[i]!)};`)
    .join("\n");

/** Solidity shared by the generated verifiers: the point checks of a batch's proofs. */
const CHECK_POINTS_SOL = `    /// The first proof (plus one; 0: none) among the n at pts (8 words each) with a point off
    /// its curve: A and C on y² = x³ + 3, B on the twist y² = x³ + b' (coordinates < p, not
    /// all zero), in one loop; subgroup membership of B is enforced by the pairing precompile.
    function _checkPoints(uint256 pts, uint256 n) internal pure returns (uint256 bad) {
        assembly ("memory-safe") {
            function g1ok(x, y) -> ok {
                ok := and(and(lt(x, P), lt(y, P)), iszero(iszero(or(x, y))))
                ok := and(ok, eq(mulmod(y, y, P), addmod(mulmod(mulmod(x, x, P), x, P), 3, P)))
            }
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let q := add(pts, shl(8, j))
                let x1 := mload(add(q, 64))
                let x0 := mload(add(q, 96))
                let y1 := mload(add(q, 128))
                let y0 := mload(add(q, 160))
                let ok := and(g1ok(mload(q), mload(add(q, 32))), g1ok(mload(add(q, 192)), mload(add(q, 224))))
                ok := and(ok, and(and(lt(x0, P), lt(x1, P)), and(lt(y0, P), lt(y1, P))))
                ok := and(ok, iszero(iszero(or(or(x0, x1), or(y0, y1)))))
                // y² in F_p²: (y0² − y1², 2·y0·y1)
                let l0 := addmod(mulmod(y0, y0, P), sub(P, mulmod(y1, y1, P)), P)
                let l1 := mulmod(2, mulmod(y0, y1, P), P)
                // x³ + b': s = x², c = s·x
                let s0 := addmod(mulmod(x0, x0, P), sub(P, mulmod(x1, x1, P)), P)
                let s1 := mulmod(2, mulmod(x0, x1, P), P)
                let c0 := addmod(addmod(mulmod(s0, x0, P), sub(P, mulmod(s1, x1, P)), P), B2_REAL, P)
                let c1 := addmod(addmod(mulmod(s0, x1, P), mulmod(s1, x0, P), P), B2_IMAG, P)
                ok := and(ok, and(eq(l0, c0), eq(l1, c1)))
                if iszero(ok) {
                    bad := add(j, 1)
                    break
                }
            }
        }
    }`;

/** The point checks reading the proofs from calldata (the multi verifier copies none). */
const CHECK_POINTS_CALLDATA_SOL = CHECK_POINTS_SOL.replace(
  "among the n at pts (8 words each)",
  "among the n at calldata offset pts (8 words each)",
).replaceAll("mload(", "calldataload(");

/** Solidity shared by the generated verifiers: ecMul and ecAdd through the precompiles. */
const EC_ARITH_SOL = `    function _ecMul(uint256 x, uint256 y, uint256 k) internal view returns (uint256 ox, uint256 oy) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x)
            mstore(add(m, 32), y)
            mstore(add(m, 64), k)
            ok := staticcall(gas(), 7, m, 96, m, 64)
            ox := mload(m)
            oy := mload(add(m, 32))
        }
        if (!ok) revert BatchVerifier__PrecompileFailed();
    }

    function _ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2)
        internal
        view
        returns (uint256 ox, uint256 oy)
    {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x1)
            mstore(add(m, 32), y1)
            mstore(add(m, 64), x2)
            mstore(add(m, 96), y2)
            ok := staticcall(gas(), 6, m, 128, m, 64)
            ox := mload(m)
            oy := mload(add(m, 32))
        }
        if (!ok) revert BatchVerifier__PrecompileFailed();
    }`;

export function renderBatchVerifier(
  a: Pick<CircuitArtifacts, "name" | "key" | "ceremony" | "vkey" | "nConstraints">,
): string {
  const vk = toBatchVerifyingKey(a.vkey);
  const name = verifierContractName(a.name);
  const nPublic = vk.ic.length - 1;
  const icConsts = vk.ic
    .map(
      (p, i) =>
        `    uint256 internal constant IC${i}_X = ${hex(p[0])};\n    uint256 internal constant IC${i}_Y = ${hex(p[1])};`,
    )
    .join("\n");
  const icSum = vk.ic
    .slice(1)
    .map(
      (_, i) =>
        `        {\n            (uint256 mx, uint256 my) = _ecMul(IC${i + 1}_X, IC${i + 1}_Y, s[${i}]);\n            (x, y) = _ecAdd(x, y, mx, my);\n        }`,
    )
    .join("\n");

  return `// SPDX-License-Identifier: MIT
// GENERATED FILE — DO NOT EDIT. Made by scripts/lib/verifier-gen.ts (\`npm run setup\`) from
// the Groth16 verifying key of circuit "${a.name}" (artifact key ${a.key},
// ${a.nConstraints} constraints, ceremony: ${a.ceremony}).
pragma solidity 0.8.28;

import {IGroth16BatchVerifier} from "../interfaces/IGroth16BatchVerifier.sol";

/// @title Batched Groth16 verifier of circuit ${a.name}
/// @notice Checks Π e(r_j·A_j, B_j) · e(Σr·α, −β) · e(Σ s_i·IC_i, −γ) · e(Σ r_j·C_j, −δ) = 1
/// with r_j from a keccak transcript of everything submitted (see IGroth16BatchVerifier).
contract ${name} is IGroth16BatchVerifier {
${FIELD_SOL}    /// (p + 1) / 4: square roots in F_p (p ≡ 3 mod 4)
    uint256 internal constant SQRT_EXP = 0x0c19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52;
    /// p − 2: inverses in F_p
    uint256 internal constant INV_EXP = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45;
${TWIST_MASK_SOL}    uint256 internal constant FLAG = 1 << 255;

    /// keccak256("concentric.groth16.batch.v1")
    bytes32 public constant DOMAIN_TAG = ${hex(BATCH_DOMAIN_TAG)};
    bytes32 public constant VK_HASH = ${hex(vk.hash)};
    uint256 public constant N_PUBLIC = ${nPublic};
    /// True when the key comes from the development ceremony (known τ): such a verifier
    /// refuses to be deployed on any chain but a development chain.
    bool public constant DEVELOPMENT_KEYS = ${a.ceremony === "development"};

    uint256 internal constant ALPHA_X = ${hex(vk.alpha[0])};
    uint256 internal constant ALPHA_Y = ${hex(vk.alpha[1])};
${g2const("NEG_BETA", negG2(vk.beta))}
${g2const("NEG_GAMMA", negG2(vk.gamma))}
${g2const("NEG_DELTA", negG2(vk.delta))}
${icConsts}

${DEV_KEYS_CTOR_SOL}
    /// @inheritdoc IGroth16BatchVerifier
    function verifyBatch(bytes32 context, uint256[] calldata inputs, uint256[8][] calldata proofs)
        external
        view
    {
        uint256 n = proofs.length;
        (bytes memory buf, uint256 pts) = _newTranscript(context, inputs, n);
        assembly ("memory-safe") {
            calldatacopy(pts, proofs.offset, mul(n, 256))
        }
        uint256 bad = _checkPoints(pts, n);
        if (bad != 0) revert BatchVerifier__InvalidPoint(bad - 1);
        _verify(buf, inputs, n, pts);
    }

    /// @inheritdoc IGroth16BatchVerifier
    function verifyBatchCompressed(
        bytes32 context,
        uint256[] calldata inputs,
        uint256[4][] calldata proofs
    ) external view {
        uint256 n = proofs.length;
        (bytes memory buf, uint256 pts) = _newTranscript(context, inputs, n);
        for (uint256 j = 0; j < n; ++j) {
            uint256[4] calldata c = proofs[j];
            (uint256 ax, uint256 ay) = _decompressG1(c[0], j);
            (uint256 bx1, uint256 bx0, uint256 by1, uint256 by0) = _decompressG2(c[1], c[2], j);
            (uint256 cx, uint256 cy) = _decompressG1(c[3], j);
            uint256 q = pts + j * 256;
            assembly ("memory-safe") {
                mstore(q, ax)
                mstore(add(q, 32), ay)
                mstore(add(q, 64), bx1)
                mstore(add(q, 96), bx0)
                mstore(add(q, 128), by1)
                mstore(add(q, 160), by0)
                mstore(add(q, 192), cx)
                mstore(add(q, 224), cy)
            }
        }
        _verify(buf, inputs, n, pts);
    }

    /// @notice The Fiat–Shamir seed of a plain batch, for cross-checking the TypeScript side.
    function transcript(bytes32 context, uint256[] calldata inputs, uint256[8][] calldata proofs)
        external
        pure
        returns (bytes32 seed)
    {
        (bytes memory buf, uint256 pts) = _newTranscript(context, inputs, proofs.length);
        assembly ("memory-safe") {
            calldatacopy(pts, proofs.offset, mul(proofs.length, 256))
            seed := keccak256(add(buf, 32), mload(buf))
        }
    }

    /// The transcript buffer DOMAIN_TAG ‖ VK_HASH ‖ context ‖ N ‖ inputs ‖ proof words (32-byte
    /// words), with every field but the proofs written; pts points at the proofs' region, which
    /// the caller fills and the verification then reads (proof j's words at pts + 256·j).
    function _newTranscript(bytes32 context, uint256[] calldata inputs, uint256 n)
        internal
        pure
        returns (bytes memory buf, uint256 pts)
    {
        if (n == 0) revert BatchVerifier__EmptyBatch();
        if (inputs.length != n * N_PUBLIC) {
            revert BatchVerifier__InputLength(inputs.length, n * N_PUBLIC);
        }
        // the first input >= r, plus one (0: none)
        uint256 bad;
        assembly ("memory-safe") {
            for { let k := 0 } lt(k, inputs.length) { k := add(k, 1) } {
                if iszero(lt(calldataload(add(inputs.offset, shl(5, k))), R)) {
                    bad := add(k, 1)
                    break
                }
            }
        }
        if (bad != 0) revert BatchVerifier__InputNotInField((bad - 1) / N_PUBLIC, (bad - 1) % N_PUBLIC);
        buf = new bytes(32 * (4 + inputs.length + 8 * n));
        assembly ("memory-safe") {
            let q := add(buf, 32)
            mstore(q, DOMAIN_TAG)
            mstore(add(q, 32), VK_HASH)
            mstore(add(q, 64), context)
            mstore(add(q, 96), n)
            calldatacopy(add(q, 128), inputs.offset, mul(inputs.length, 32))
            pts := add(add(q, 128), mul(inputs.length, 32))
        }
    }

    function _verify(bytes memory buf, uint256[] calldata inputs, uint256 n, uint256 pts)
        internal
        view
    {
        uint256 seed;
        assembly ("memory-safe") {
            seed := keccak256(add(buf, 32), mload(buf))
        }
        // Pairing input: (r_j·A_j, B_j) for every j, then the three key terms.
        uint256[] memory pairing = new uint256[]((n + 3) * 6);
        uint256[N_PUBLIC] memory s;
        uint256 sumR;
        uint256 cx;
        uint256 cy;
        bool ok = true;
        // Per proof j, in assembly (the loop is the verifier's per-proof cost beyond the
        // precompiles): r_j = keccak256(seed ‖ j) mod 2^128 (1 if 0), hashed in scratch space;
        // s_i += r_j·x_ji; the pairing input's (r_j·A_j, B_j); C += r_j·C_j. Precompile calls
        // use the memory past the free memory pointer as scratch (not allocated).
        assembly ("memory-safe") {
            let m := mload(0x40)
            let pr := add(pairing, 32)
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                mstore(0x00, seed)
                mstore(0x20, j)
                let r := and(keccak256(0x00, 0x40), MASK128)
                if iszero(r) { r := 1 }
                sumR := addmod(sumR, r, R)
                let x := add(inputs.offset, mul(mul(j, N_PUBLIC), 32))
                for { let i := 0 } lt(i, N_PUBLIC) { i := add(i, 1) } {
                    let si := add(s, shl(5, i))
                    mstore(si, addmod(mload(si), mulmod(r, calldataload(add(x, shl(5, i))), R), R))
                }
                let q := add(pts, mul(j, 256))
                let o := add(pr, mul(j, 192))
                // B_j as given: x_imag, x_real, y_imag, y_real
                mcopy(add(o, 64), add(q, 64), 128)
                mstore(m, mload(q))
                mstore(add(m, 32), mload(add(q, 32)))
                mstore(add(m, 64), r)
                ok := and(ok, staticcall(gas(), 7, m, 96, o, 64))
                mstore(m, mload(add(q, 192)))
                mstore(add(m, 32), mload(add(q, 224)))
                mstore(add(m, 64), r)
                ok := and(ok, staticcall(gas(), 7, m, 96, add(m, 64), 64))
                mstore(m, cx)
                mstore(add(m, 32), cy)
                ok := and(ok, staticcall(gas(), 6, m, 128, m, 64))
                cx := mload(m)
                cy := mload(add(m, 32))
            }
        }
        if (!ok) revert BatchVerifier__PrecompileFailed();
        uint256 b = n * 6;
        (pairing[b], pairing[b + 1]) = _ecMul(ALPHA_X, ALPHA_Y, sumR);
        pairing[b + 2] = NEG_BETA_X_IMAG;
        pairing[b + 3] = NEG_BETA_X_REAL;
        pairing[b + 4] = NEG_BETA_Y_IMAG;
        pairing[b + 5] = NEG_BETA_Y_REAL;
        (uint256 x, uint256 y) = _ecMul(IC0_X, IC0_Y, sumR);
${icSum}
        pairing[b + 6] = x;
        pairing[b + 7] = y;
        pairing[b + 8] = NEG_GAMMA_X_IMAG;
        pairing[b + 9] = NEG_GAMMA_X_REAL;
        pairing[b + 10] = NEG_GAMMA_Y_IMAG;
        pairing[b + 11] = NEG_GAMMA_Y_REAL;
        pairing[b + 12] = cx;
        pairing[b + 13] = cy;
        pairing[b + 14] = NEG_DELTA_X_IMAG;
        pairing[b + 15] = NEG_DELTA_X_REAL;
        pairing[b + 16] = NEG_DELTA_Y_IMAG;
        pairing[b + 17] = NEG_DELTA_Y_REAL;

        uint256 result;
        assembly ("memory-safe") {
            let len := mul(mload(pairing), 32)
            ok := staticcall(gas(), 8, add(pairing, 32), len, 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) revert BatchVerifier__PrecompileFailed();
        if (result != 1) revert BatchVerifier__BatchCheckFailed();
    }

${CHECK_POINTS_SOL}

    function _decompressG1(uint256 word, uint256 j) internal view returns (uint256 x, uint256 y) {
        x = word & ~FLAG;
        if (x >= P) revert BatchVerifier__InvalidPoint(j);
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 3, P);
        y = _expmod(rhs, SQRT_EXP);
        if (mulmod(y, y, P) != rhs || y == 0) revert BatchVerifier__InvalidPoint(j);
        if ((y & 1) != (word >> 255)) y = P - y;
    }

    /// x = x0 + x1·u from [x1 | sign, x0]; y is the square root of x³ + b' whose sgn0 (RFC 9380)
    /// equals the sign bit.
    function _decompressG2(uint256 w1, uint256 x0, uint256 j)
        internal
        view
        returns (uint256 x1, uint256 x0_, uint256 y1, uint256 y0)
    {
        x1 = w1 & ~FLAG;
        x0_ = x0;
        if (x1 >= P || x0 >= P) revert BatchVerifier__InvalidPoint(j);
        (uint256 a0, uint256 a1) = _g2rhs(x0, x1);
        if (a1 == 0) {
            uint256 t = _expmod(a0, SQRT_EXP);
            if (mulmod(t, t, P) == a0) {
                y0 = t;
            } else {
                y1 = _expmod(P - a0, SQRT_EXP);
            }
        } else {
            // Complex method for p ≡ 3 (mod 4): y0² = (a0 ± |a|)/2, y1 = a1 / (2·y0).
            uint256 norm = addmod(mulmod(a0, a0, P), mulmod(a1, a1, P), P);
            uint256 g = _expmod(norm, SQRT_EXP);
            uint256 half = (P + 1) / 2;
            uint256 d = mulmod(addmod(a0, g, P), half, P);
            uint256 t = _expmod(d, SQRT_EXP);
            if (mulmod(t, t, P) != d) {
                d = mulmod(addmod(a0, P - g, P), half, P);
                t = _expmod(d, SQRT_EXP);
            }
            y0 = t;
            y1 = mulmod(a1, _expmod(mulmod(2, t, P), INV_EXP), P);
        }
        (uint256 c0, uint256 c1) = _f2sqr(y0, y1);
        if (c0 != a0 || c1 != a1 || (y0 | y1) == 0) revert BatchVerifier__InvalidPoint(j);
        uint256 sgn = (y0 & 1) | (y0 == 0 ? (y1 & 1) : 0);
        if (sgn != (w1 >> 255)) {
            y0 = y0 == 0 ? 0 : P - y0;
            y1 = y1 == 0 ? 0 : P - y1;
        }
    }

    function _f2sqr(uint256 a0, uint256 a1) internal pure returns (uint256, uint256) {
        return (addmod(mulmod(a0, a0, P), P - mulmod(a1, a1, P), P), mulmod(2, mulmod(a0, a1, P), P));
    }

    /// x³ + b' in F_p²
    function _g2rhs(uint256 x0, uint256 x1) internal pure returns (uint256, uint256) {
        (uint256 s0, uint256 s1) = _f2sqr(x0, x1);
        uint256 c0 = addmod(mulmod(s0, x0, P), P - mulmod(s1, x1, P), P);
        uint256 c1 = addmod(mulmod(s0, x1, P), mulmod(s1, x0, P), P);
        return (addmod(c0, B2_REAL, P), addmod(c1, B2_IMAG, P));
    }

    function _expmod(uint256 base, uint256 e) internal view returns (uint256 out) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 32)
            mstore(add(m, 32), 32)
            mstore(add(m, 64), 32)
            mstore(add(m, 96), base)
            mstore(add(m, 128), e)
            mstore(add(m, 160), P)
            ok := staticcall(gas(), 5, m, 192, m, 32)
            out := mload(m)
        }
        if (!ok) revert BatchVerifier__PrecompileFailed();
    }

${EC_ARITH_SOL}
}
`;
}

/**
 * snarkjs's own single-proof Solidity verifier of the same key, as the baseline of the
 * batch benchmark: contracts/generated/<Name>SnarkjsVerifier.sol.
 */
export async function writeSnarkjsVerifier(
  a: Pick<CircuitArtifacts, "name" | "zkeyPath">,
): Promise<string> {
  const template = await readFile(
    join(REPO_ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"),
    "utf8",
  );
  const code = await snarkjs.zKey.exportSolidityVerifier(a.zkeyPath, { groth16: template });
  const contract = `${verifierContractName(a.name).replace(/BatchVerifier$/, "")}SnarkjsVerifier`;
  const dir = join(REPO_ROOT, "contracts", "generated");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${contract}.sol`);
  await writeFile(
    path,
    `// GENERATED FILE — DO NOT EDIT. snarkjs ${"zkey export solidityverifier"} of circuit "${a.name}",\n` +
      `// kept only as the single-proof baseline of bench/batch-verify.ts.\n` +
      code.replace(/contract Groth16Verifier/, `contract ${contract}`),
  );
  return path;
}

/** Write contracts/generated/<Name>BatchVerifier.sol; returns its path. */
export async function writeBatchVerifier(
  a: Pick<CircuitArtifacts, "name" | "key" | "ceremony" | "vkey" | "nConstraints">,
): Promise<string> {
  const dir = join(REPO_ROOT, "contracts", "generated");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${verifierContractName(a.name)}.sol`);
  await writeFile(path, renderBatchVerifier(a));
  return path;
}

/** `job2_test` → `Job2TestMultiVerifier` */
export function multiVerifierContractName(keySet: string): string {
  return verifierContractName(keySet).replace(/BatchVerifier$/, "MultiVerifier");
}

type KeyArtifacts = Pick<CircuitArtifacts, "name" | "key" | "ceremony" | "vkey" | "nConstraints">;

/** keccak256 of the keys' hashes in order, as the multi verifier's KEYS_HASH. */
export function keysHash(hashes: readonly bigint[]): bigint {
  return bytesToBigInt(keccak_256(encodeWords(hashes)));
}

/**
 * The Solidity verifier of several keys in one pairing product (IGroth16MultiVerifier): the
 * keys must share α, β and γ (one ceremony), and either all be development keys or none.
 * @throws Error naming the two circuits whose keys differ where they must agree
 */
export function renderMultiVerifier(keySet: string, members: readonly KeyArtifacts[]): string {
  if (members.length === 0) throw new Error(`key set ${keySet}: no circuits`);
  const vks = members.map((m) => toBatchVerifyingKey(m.vkey));
  const same = (a: readonly bigint[], b: readonly bigint[]) => a.every((v, i) => v === b[i]);
  for (let k = 1; k < members.length; k++) {
    for (const f of ["alpha", "beta", "gamma"] as const) {
      if (!same(vks[0]![f], vks[k]![f]))
        throw new Error(
          `key set ${keySet}: circuits ${members[0]!.name} and ${members[k]!.name} have a ` +
            `different ${f} (keys of different ceremonies); one pairing product needs them shared`,
        );
    }
    if (members[k]!.ceremony !== members[0]!.ceremony)
      throw new Error(
        `key set ${keySet}: ${members[0]!.name} is from the ${members[0]!.ceremony} ceremony, ` +
          `${members[k]!.name} from the ${members[k]!.ceremony} one`,
      );
  }
  const name = multiVerifierContractName(keySet);
  const nKeys = members.length;
  const nPub = vks.map((v) => v.ic.length - 1);
  const keyConsts = vks
    .map(
      (vk, k) =>
        `    // key ${k}: ${members[k]!.name} (artifact key ${members[k]!.key}, ${members[k]!.nConstraints} constraints)\n` +
        `    bytes32 internal constant VK_HASH_${k} = ${hex(vk.hash)};\n` +
        `    uint256 internal constant N_PUBLIC_${k} = ${nPub[k]};\n` +
        `${g2const(`NEG_DELTA_${k}`, negG2(vk.delta))}\n` +
        vk.ic
          .map(
            (p, i) =>
              `    uint256 internal constant IC${k}_${i}_X = ${hex(p[0])};\n` +
              `    uint256 internal constant IC${k}_${i}_Y = ${hex(p[1])};`,
          )
          .join("\n"),
    )
    .join("\n");
  const keyFns = vks
    .map((vk, k) => {
      const ic = vk.ic
        .slice(1)
        .map((_, i) => `        _mulAdd(a, IC${k}_${i + 1}_X, IC${k}_${i + 1}_Y, s[${i}]);`)
        .join("\n");
      return `    /// Key ${k}'s proofs (${members[k]!.name}): the pairing inputs, their IC and C terms.
    function _key${k}(Acc memory a, uint256 count) internal view {
        if (count == 0) return;
        (uint256 sumR, uint256[] memory s) = _accumulate(a, count, N_PUBLIC_${k});
        _mulAdd(a, IC${k}_0_X, IC${k}_0_Y, sumR);
${ic}
        _delta(a, [NEG_DELTA_${k}_X_IMAG, NEG_DELTA_${k}_X_REAL, NEG_DELTA_${k}_Y_IMAG, NEG_DELTA_${k}_Y_REAL]);
    }`;
    })
    .join("\n\n");
  const range = [...Array(nKeys).keys()];

  return `// SPDX-License-Identifier: MIT
// GENERATED FILE — DO NOT EDIT. Made by scripts/lib/verifier-gen.ts (\`npm run setup\`) from
// the Groth16 verifying keys of key set "${keySet}": ${members.map((m) => m.name).join(", ")}
// (ceremony: ${members[0]!.ceremony}).
pragma solidity 0.8.28;

import {IGroth16MultiVerifier} from "../interfaces/IGroth16MultiVerifier.sol";

/// @title Batched Groth16 verifier of key set ${keySet}, one pairing product for all its keys
/// @notice See IGroth16MultiVerifier for the equation and the transcript.
contract ${name} is IGroth16MultiVerifier {
${FIELD_SOL}${TWIST_MASK_SOL}
    /// keccak256("concentric.groth16.multi.v1")
    bytes32 public constant DOMAIN_TAG = ${hex(MULTI_DOMAIN_TAG)};
    bytes32 public constant KEYS_HASH = ${hex(keysHash(vks.map((v) => v.hash)))};
    uint256 public constant N_KEYS = ${nKeys};
    /// True when the keys come from the development ceremony (known τ): such a verifier
    /// refuses to be deployed on any chain but a development chain.
    bool public constant DEVELOPMENT_KEYS = ${members[0]!.ceremony === "development"};

    uint256 internal constant ALPHA_X = ${hex(vks[0]!.alpha[0])};
    uint256 internal constant ALPHA_Y = ${hex(vks[0]!.alpha[1])};
${g2const("NEG_BETA", negG2(vks[0]!.beta))}
${g2const("NEG_GAMMA", negG2(vks[0]!.gamma))}
${keyConsts}

    /// The running state of one verification (in memory: the keys' steps share it).
    struct Acc {
        /// the transcript's hash
        uint256 seed;
        /// the next proof's index, and the calldata offset of its inputs
        uint256 j;
        uint256 x;
        /// the proofs' calldata offset (8 words each), and the pairing input in memory (6 words a pair)
        uint256 pts;
        uint256 pairing;
        /// pairs written after the proofs' own and the two shared ones (one per key used)
        uint256 deltas;
        uint256 n;
        /// Σ r over all proofs, and Σ r_j·IC(x_j) over all proofs
        uint256 sumR;
        uint256 gx;
        uint256 gy;
        /// Σ r_j·C_j over the current key's proofs
        uint256 cx;
        uint256 cy;
    }

${DEV_KEYS_CTOR_SOL}
    /// @inheritdoc IGroth16MultiVerifier
    function vkHashes() external pure returns (bytes32[] memory h) {
        h = new bytes32[](N_KEYS);
${range.map((k) => `        h[${k}] = VK_HASH_${k};`).join("\n")}
    }

    /// @inheritdoc IGroth16MultiVerifier
    function nPublic() external pure returns (uint256[] memory np) {
        np = new uint256[](N_KEYS);
${range.map((k) => `        np[${k}] = N_PUBLIC_${k};`).join("\n")}
    }

    /// @inheritdoc IGroth16MultiVerifier
    function verifyMulti(
        bytes32 context,
        uint256[] calldata counts,
        uint256[] calldata inputs,
        uint256[8][] calldata proofs
    ) external view {
        uint256 n = proofs.length;
        if (n == 0) revert BatchVerifier__EmptyBatch();
        if (counts.length != N_KEYS) revert BatchVerifier__KeyCount(counts.length, N_KEYS);
        {
            // counts below 2^32 each: the sums cannot overflow
            uint256 counted;
            uint256 expected;
${range
  .map(
    (k) =>
      `            if (counts[${k}] >= 1 << 32) revert BatchVerifier__CountTooLarge(${k}, counts[${k}]);\n` +
      `            counted += counts[${k}];\n` +
      `            expected += counts[${k}] * N_PUBLIC_${k};`,
  )
  .join("\n")}
            if (counted != n) revert BatchVerifier__ProofCount(n, counted);
            if (inputs.length != expected) revert BatchVerifier__InputLength(inputs.length, expected);
        }
        // the first input >= r, plus one (0: none)
        uint256 bad;
        assembly ("memory-safe") {
            for { let k := 0 } lt(k, inputs.length) { k := add(k, 1) } {
                if iszero(lt(calldataload(add(inputs.offset, shl(5, k))), R)) {
                    bad := add(k, 1)
                    break
                }
            }
        }
        if (bad != 0) revert BatchVerifier__InputNotInField(bad - 1);

        Acc memory a = _begin(context, counts, inputs, proofs);
        uint256[] memory pairing = new uint256[]((n + 2 + N_KEYS) * 6);
        uint256 pr;
        assembly ("memory-safe") {
            pr := add(pairing, 32)
        }
        a.pairing = pr;
${range.map((k) => `        _key${k}(a, counts[${k}]);`).join("\n")}

        _finish(a, pairing);
    }

${keyFns}

    /// The transcript's hash, chained so that nothing is copied into memory but one block at a
    /// time (a job's inputs and proofs held in memory made its cost grow with their square):
    /// h = keccak256(DOMAIN_TAG ‖ KEYS_HASH ‖ context ‖ counts ‖ inputs.length ‖ n), then the
    /// inputs' words and then the proofs' words absorbed in blocks of up to 32 words,
    /// h ← keccak256(h ‖ block) (the lengths hashed first fix where the blocks fall); and the
    /// proofs' points, read from calldata where they are (checked by the precompiles; named by
    /// _refuse when a check fails).
    function _begin(
        bytes32 context,
        uint256[] calldata counts,
        uint256[] calldata inputs,
        uint256[8][] calldata proofs
    ) internal pure returns (Acc memory a) {
        uint256 n = proofs.length;
        a.n = n;
        uint256 seed;
        uint256 x0;
        uint256 pts;
        assembly ("memory-safe") {
            // h ← keccak256(h ‖ block) over \`words\` words of calldata from off, in blocks of
            // 32, in scratch memory at m (past the free memory pointer: nothing lives there)
            function absorb(h, off, words, m) -> h_ {
                h_ := h
                for { } gt(words, 0) { } {
                    let w := words
                    if gt(w, 32) { w := 32 }
                    mstore(m, h_)
                    calldatacopy(add(m, 32), off, shl(5, w))
                    h_ := keccak256(m, add(32, shl(5, w)))
                    off := add(off, shl(5, w))
                    words := sub(words, w)
                }
            }
            let m := mload(0x40)
            mstore(m, DOMAIN_TAG)
            mstore(add(m, 32), KEYS_HASH)
            mstore(add(m, 64), context)
            calldatacopy(add(m, 96), counts.offset, mul(N_KEYS, 32))
            let t := add(m, mul(add(3, N_KEYS), 32))
            mstore(t, inputs.length)
            mstore(add(t, 32), n)
            seed := keccak256(m, add(sub(t, m), 64))
            seed := absorb(seed, inputs.offset, inputs.length, m)
            seed := absorb(seed, proofs.offset, shl(3, n), m)
            x0 := inputs.offset
            pts := proofs.offset
        }
        a.x = x0;
        a.pts = pts;
        a.seed = seed;
    }

    /// The batch failed: the first proof with a malformed point if there is one (the
    /// precompiles refuse every point off its curve or with a coordinate >= p, so the passing
    /// path does not repeat that arithmetic; here it names the proof), else \`otherwise\`.
    function _refuse(Acc memory a, bytes4 otherwise) internal pure {
        uint256 bad = _checkPoints(a.pts, a.n);
        if (bad != 0) revert BatchVerifier__InvalidPoint(bad - 1);
        assembly ("memory-safe") {
            mstore(0x00, otherwise)
            revert(0x00, 4)
        }
    }

    /// The two shared pairs (Σr·α, −β) and (Σ r_j·IC(x_j), −γ) after the proofs' own, then the
    /// pairing check over those, the shared ones and the keys' δ pairs.
    function _finish(Acc memory a, uint256[] memory pairing) internal view {
        uint256 b = a.n * 6;
        (pairing[b], pairing[b + 1]) = _ecMul(ALPHA_X, ALPHA_Y, a.sumR);
        pairing[b + 2] = NEG_BETA_X_IMAG;
        pairing[b + 3] = NEG_BETA_X_REAL;
        pairing[b + 4] = NEG_BETA_Y_IMAG;
        pairing[b + 5] = NEG_BETA_Y_REAL;
        pairing[b + 6] = a.gx;
        pairing[b + 7] = a.gy;
        pairing[b + 8] = NEG_GAMMA_X_IMAG;
        pairing[b + 9] = NEG_GAMMA_X_REAL;
        pairing[b + 10] = NEG_GAMMA_Y_IMAG;
        pairing[b + 11] = NEG_GAMMA_Y_REAL;

        bool ok;
        uint256 result;
        uint256 pairs = a.n + 2 + a.deltas;
        assembly ("memory-safe") {
            // all the gas left: the pairing refusing a B off the twist or outside the subgroup
            // leaves 1/64 of it, which names the proof (_refuse) unless the batch is very large
            ok := staticcall(gas(), 8, add(pairing, 32), mul(pairs, 192), 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) _refuse(a, BatchVerifier__PrecompileFailed.selector);
        if (result != 1) _refuse(a, BatchVerifier__BatchCheckFailed.selector);
    }

    /// The next \`count\` proofs, of a key with \`nPub\` inputs: per proof j, r_j = keccak256(seed ‖ j)
    /// mod 2^128 (1 if 0), hashed in scratch space; s_i += r_j·x_ji; the pairing input's
    /// (r_j·A_j, B_j); a.c += r_j·C_j (a.c starts at 0). Returns Σ r_j and s, and moves a past
    /// these proofs.
    function _accumulate(Acc memory a, uint256 count, uint256 nPub)
        internal
        view
        returns (uint256 sumR, uint256[] memory s)
    {
        s = new uint256[](nPub);
        a.cx = 0;
        a.cy = 0;
        bool ok = true;
        // Acc's fields are words in declaration order: seed 0, j 32, x 64, pts 96, pairing 128,
        // cx 320 (cy 352). Precompile calls use the memory past the free memory pointer as
        // scratch.
        assembly ("memory-safe") {
            // s_i += r·x_i
            function addInputs(sp, x, r, np) {
                for { let i := 0 } lt(i, np) { i := add(i, 1) } {
                    let si := add(sp, shl(5, i))
                    mstore(si, addmod(mload(si), mulmod(r, calldataload(add(x, shl(5, i))), R), R))
                }
            }
            // the pair (r·A, B) of the proof at calldata offset q written at o, and c += r·C;
            // each precompile gets twice its price (EIP-1108: ecMul 6,000, ecAdd 150), so one
            // refusing a malformed point burns that, not all the gas left
            function pairAndC(q, o, r, c) -> ok_ {
                let m := mload(0x40)
                // B as given: x_imag, x_real, y_imag, y_real
                calldatacopy(add(o, 64), add(q, 64), 128)
                mstore(m, calldataload(q))
                mstore(add(m, 32), calldataload(add(q, 32)))
                mstore(add(m, 64), r)
                ok_ := staticcall(12000, 7, m, 96, o, 64)
                mstore(m, calldataload(add(q, 192)))
                mstore(add(m, 32), calldataload(add(q, 224)))
                mstore(add(m, 64), r)
                ok_ := and(ok_, staticcall(12000, 7, m, 96, add(m, 64), 64))
                mstore(m, mload(c))
                mstore(add(m, 32), mload(add(c, 32)))
                ok_ := and(ok_, staticcall(300, 6, m, 128, c, 64))
            }
            let seed := mload(a)
            let j := mload(add(a, 32))
            let end := add(j, count)
            let x := mload(add(a, 64))
            let q := add(mload(add(a, 96)), shl(8, j))
            let o := add(mload(add(a, 128)), mul(j, 192))
            for { } lt(j, end) { j := add(j, 1) } {
                mstore(0x00, seed)
                mstore(0x20, j)
                let r := and(keccak256(0x00, 0x40), MASK128)
                if iszero(r) { r := 1 }
                sumR := addmod(sumR, r, R)
                addInputs(add(s, 32), x, r, nPub)
                ok := and(ok, pairAndC(q, o, r, add(a, 320)))
                if iszero(ok) { break }
                x := add(x, shl(5, nPub))
                q := add(q, 256)
                o := add(o, 192)
            }
        }
        if (!ok) _refuse(a, BatchVerifier__PrecompileFailed.selector);
        a.j += count;
        a.x += 32 * count * nPub;
        a.sumR = addmod(a.sumR, sumR, R);
    }

    /// a.g += k·(px, py), skipping k = 0
    function _mulAdd(Acc memory a, uint256 px, uint256 py, uint256 k) internal view {
        if (k == 0) return;
        (uint256 mx, uint256 my) = _ecMul(px, py, k);
        (a.gx, a.gy) = _ecAdd(a.gx, a.gy, mx, my);
    }

    /// The pair (Σ r_j·C_j, −δ) of one key, after the proofs' pairs and the two shared ones.
    function _delta(Acc memory a, uint256[4] memory negDelta) internal pure {
        uint256 o = a.pairing + (a.n + 2 + a.deltas) * 192;
        uint256 cx = a.cx;
        uint256 cy = a.cy;
        assembly ("memory-safe") {
            mstore(o, cx)
            mstore(add(o, 32), cy)
            mcopy(add(o, 64), negDelta, 128)
        }
        a.deltas += 1;
    }

${CHECK_POINTS_CALLDATA_SOL}

${EC_ARITH_SOL}
}
`;
}

/** Write contracts/generated/<KeySet>MultiVerifier.sol; returns its path. */
export async function writeMultiVerifier(
  keySet: string,
  members: readonly KeyArtifacts[],
): Promise<string> {
  const dir = join(REPO_ROOT, "contracts", "generated");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${multiVerifierContractName(keySet)}.sol`);
  await writeFile(path, renderMultiVerifier(keySet, members));
  return path;
}
