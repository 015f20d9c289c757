/**
 * The batched Groth16 verifier, off chain (TypeScript) and on chain (the generated Solidity
 * contract on hardhat's network), with real proofs of a small real circuit (a Poseidon chain).
 */
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { provePoseidonChains } from "../circuits/test/poseidon-chain.ts";
import type { CircuitArtifacts } from "../prover/setup/artifacts.ts";
import {
  BN254_P,
  BN254_R,
  BatchVerifyError,
  batchTranscript,
  compressProofWords,
  findInvalid,
  proofToWords,
  toBatchVerifyingKey,
  verifyBatch,
  type BatchItem,
} from "../prover/verify/batch.ts";
import { verifierContractName } from "../scripts/lib/verifier-gen.ts";

const N_PROOFS = 64;
let artifacts: CircuitArtifacts;
let items: BatchItem[];

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

beforeAll(async () => {
  artifacts = await getTestArtifacts("poseidon_chain_N4");
  items = await provePoseidonChains(artifacts, N_PROOFS);
});

describe("verifyBatch (TypeScript)", () => {
  it.each([1, 2, 16, 64])("accepts %i valid proofs", async (n) => {
    expect(await verifyBatch(artifacts.vkey, items.slice(0, n))).toBe(true);
  });

  it("agrees with snarkjs on a single proof", async () => {
    expect(
      await snarkjs.groth16.verify(
        artifacts.vkey,
        items[0]!.publicSignals as string[],
        items[0]!.proof,
      ),
    ).toBe(true);
  });

  it("rejects one bad proof among many and names it", async () => {
    const batch = items.slice(0, 16).map(clone);
    batch[7]!.publicSignals = [...batch[7]!.publicSignals];
    (batch[7]!.publicSignals as string[])[2] = "12345";
    expect(await verifyBatch(artifacts.vkey, batch)).toBe(false);
    expect(await findInvalid(artifacts.vkey, batch)).toEqual([7]);
  });

  it("rejects an input aliased by +r, naming the item and input", async () => {
    const batch = items.slice(0, 4).map(clone);
    const x = BigInt(batch[2]!.publicSignals[1]!);
    (batch[2]!.publicSignals as string[])[1] = (x + BN254_R).toString();
    await expect(verifyBatch(artifacts.vkey, batch)).rejects.toThrow(/proof 2, input 1/);
  });

  it("rejects an off-curve point", async () => {
    const batch = items.slice(0, 4).map(clone);
    const a = batch[1]!.proof.pi_a as unknown as string[];
    a[1] = ((BigInt(a[1]!) + 1n) % BN254_P).toString();
    await expect(verifyBatch(artifacts.vkey, batch)).rejects.toThrow(
      /proof 1\).*A is not on the curve/,
    );
  });

  it("rejects a coordinate >= p", async () => {
    const batch = items.slice(0, 2).map(clone);
    const c = batch[0]!.proof.pi_c as unknown as string[];
    c[0] = (BigInt(c[0]!) + BN254_P).toString();
    await expect(verifyBatch(artifacts.vkey, batch)).rejects.toThrow(BatchVerifyError);
  });

  it("rejects a G2 point with its coordinate pairs swapped", async () => {
    const batch = items.slice(0, 4).map(clone);
    const b = batch[3]!.proof.pi_b as unknown as string[][];
    b[0] = [b[0]![1]!, b[0]![0]!];
    b[1] = [b[1]![1]!, b[1]![0]!];
    await expect(verifyBatch(artifacts.vkey, batch)).rejects.toThrow(/proof 3\).*B is not/);
  });

  it("rejects malformed values with a clear error", async () => {
    const batch = items.slice(0, 2).map(clone);
    (batch[1]!.proof.pi_a as unknown as string[])[0] = "not a number";
    await expect(verifyBatch(artifacts.vkey, batch)).rejects.toThrow(/proof 1\).*A\.x/);
    await expect(verifyBatch(artifacts.vkey, [])).rejects.toThrow(/empty batch/);
  });

  it("two invalid proofs cancel under predictable scalars, and are rejected under ours", async () => {
    // The same proof twice, with the digest input moved by +d and −d: each statement is
    // false, but with r = (1, 1) the input terms sum to twice the true one.
    const d = 987654321n;
    const base = items[0]!;
    const x = BigInt(base.publicSignals[2]!);
    const forged: BatchItem[] = [
      {
        proof: base.proof,
        publicSignals: [...base.publicSignals.slice(0, 2), ((x + d) % BN254_R).toString()],
      },
      {
        proof: base.proof,
        publicSignals: [
          ...base.publicSignals.slice(0, 2),
          ((x - d + BN254_R) % BN254_R).toString(),
        ],
      },
    ];
    expect(await findInvalid(artifacts.vkey, forged)).toEqual([0, 1]);
    expect(await verifyBatch(artifacts.vkey, forged, { unsafeScalars: [1n, 1n] })).toBe(true);
    expect(await verifyBatch(artifacts.vkey, forged)).toBe(false);
  });
});

describe("generated Solidity batch verifier (hardhat network)", () => {
  const inputsOf = (batch: BatchItem[]) => batch.flatMap((i) => i.publicSignals.map(BigInt));
  const proofsOf = (batch: BatchItem[]) => batch.map((i) => [...proofToWords(i.proof)] as const);

  /** The generated contract's name is only known at run time, so its type is written here. */
  type BatchVerifierContract = {
    read: {
      verifyBatch(args: readonly unknown[]): Promise<void>;
      verifyBatchCompressed(args: readonly unknown[]): Promise<void>;
      transcript(args: readonly unknown[]): Promise<`0x${string}`>;
      VK_HASH(): Promise<`0x${string}`>;
    };
  };

  async function deploy() {
    const { viem } = await network.create();
    const name = verifierContractName(artifacts.name) as never;
    const verifier = (await viem.deployContract(name)) as unknown as BatchVerifierContract;
    return { viem, verifier };
  }

  it("refuses to deploy development keys on a chain with a production chain id", async () => {
    const { viem } = await network.create({ network: "simulatedChain1" });
    await expect(
      viem.deployContract(verifierContractName(artifacts.name) as never),
    ).rejects.toThrow(/BatchVerifier__DevelopmentKeys/);
  });

  it("computes the same transcript as TypeScript, byte for byte", async () => {
    const { verifier } = await deploy();
    const batch = items.slice(0, 3);
    const context = 0x1234n;
    const onChain = (await verifier.read.transcript([
      `0x${context.toString(16).padStart(64, "0")}`,
      inputsOf(batch),
      proofsOf(batch),
    ])) as `0x${string}`;
    const vk = toBatchVerifyingKey(artifacts.vkey);
    const offChain = batchTranscript(
      vk.hash,
      context,
      batch.map((i) => i.publicSignals.map(BigInt)),
      batch.map((i) => proofToWords(i.proof)),
    );
    expect(BigInt(onChain)).toBe(offChain);
    expect(BigInt((await verifier.read.VK_HASH()) as string)).toBe(vk.hash);
  });

  it.each([1, 2, 16, 64])("accepts %i valid proofs on chain", async (n) => {
    const { verifier } = await deploy();
    const batch = items.slice(0, n);
    await verifier.read.verifyBatch([`0x${"00".repeat(32)}`, inputsOf(batch), proofsOf(batch)]);
  });

  const ZERO = `0x${"00".repeat(32)}` as const;

  it("accepts 64 point-compressed proofs, and rejects a flipped sign or a non-point x", async () => {
    const { verifier } = await deploy();
    const compressed = items.map((i) => [...compressProofWords(proofToWords(i.proof))]);
    await verifier.read.verifyBatchCompressed([ZERO, inputsOf(items), compressed]);
    // Flipping the sign of B selects −B: the batch check must fail.
    const flipped = compressed.map((p) => [...p]);
    flipped[9]![1] = flipped[9]![1]! ^ (1n << 255n);
    await expect(
      verifier.read.verifyBatchCompressed([ZERO, inputsOf(items), flipped]),
    ).rejects.toThrow(/BatchVerifier__BatchCheckFailed/);
    // An x with no point on the curve (x³ + 3 not a square) cannot be decompressed.
    let x = 5n;
    const isSquare = (v: bigint) => modPow(v, (BN254_P - 1n) / 2n, BN254_P) <= 1n;
    while (isSquare((x * x * x + 3n) % BN254_P)) x++;
    const notPoint = compressed.map((p) => [...p]);
    notPoint[3]![0] = x;
    await expect(
      verifier.read.verifyBatchCompressed([ZERO, inputsOf(items), notPoint]),
    ).rejects.toThrow(/BatchVerifier__InvalidPoint/);
  });

  it("reverts on a bad proof among many, an aliased input, an off-curve or swapped point", async () => {
    const { verifier } = await deploy();
    const batch = items.slice(0, 8);
    const inputs = inputsOf(batch);
    const bad = [...inputs];
    bad[5 * 3 + 2] = 12345n;
    await expect(verifier.read.verifyBatch([ZERO, bad, proofsOf(batch)])).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
    const aliased = [...inputs];
    aliased[3 * 3 + 1] = aliased[3 * 3 + 1]! + BN254_R;
    await expect(verifier.read.verifyBatch([ZERO, aliased, proofsOf(batch)])).rejects.toThrow(
      /BatchVerifier__InputNotInField/,
    );
    const offCurve = proofsOf(batch).map((p) => [...p]);
    offCurve[2]![1] = (offCurve[2]![1]! + 1n) % BN254_P;
    await expect(verifier.read.verifyBatch([ZERO, inputs, offCurve as never])).rejects.toThrow(
      /BatchVerifier__InvalidPoint/,
    );
    const swapped = proofsOf(batch).map((p) => [...p]);
    const s = swapped[4]!;
    [s[2], s[3], s[4], s[5]] = [s[3]!, s[2]!, s[5]!, s[4]!];
    await expect(verifier.read.verifyBatch([ZERO, inputs, swapped as never])).rejects.toThrow(
      /BatchVerifier__InvalidPoint/,
    );
  });

  it("names the first bad proof or input: each point's checks (A, B, C) and each input", async () => {
    const { verifier } = await deploy();
    const batch = items.slice(0, 8);
    const inputs = inputsOf(batch);
    /** The revert's arguments, as viem prints them: "(a, b)". */
    const revertArgs = async (ins: bigint[], proofs: readonly (readonly bigint[])[]) => {
      const e = await verifier.read.verifyBatch([ZERO, ins, proofs as never]).then(
        () => null,
        (err: Error) => err.message,
      );
      const m = /(BatchVerifier__\w+)\([^)]*\)\s*\(([^)]*)\)/.exec(e ?? "");
      return m ? `${m[1]}(${m[2]})` : e;
    };
    /** The batch's proofs with proof j's words changed by f. */
    const withProof = (j: number, f: (p: bigint[]) => bigint[]) =>
      proofsOf(batch).map((p, i) => (i === j ? f([...p]) : [...p]));
    const set = (w: number, v: (x: bigint) => bigint) => (p: bigint[]) =>
      p.map((x, k) => (k === w ? v(x) : x));
    const cases: [string, number, (p: bigint[]) => bigint[]][] = [
      ["A.y + 1", 2, set(1, (x) => (x + 1n) % BN254_P)],
      ["A.x = p", 3, set(0, () => BN254_P)],
      ["A = (0, 0)", 1, (p) => [0n, 0n, ...p.slice(2)]],
      ["B.x.imag + 1", 5, set(2, (x) => (x + 1n) % BN254_P)],
      ["B.y.real >= p", 6, set(5, (x) => x + BN254_P)],
      ["B = 0", 4, (p) => [p[0]!, p[1]!, 0n, 0n, 0n, 0n, p[6]!, p[7]!]],
      ["C.x + 1", 7, set(6, (x) => (x + 1n) % BN254_P)],
      ["C.y >= p", 0, set(7, (x) => x + BN254_P)],
    ];
    for (const [what, j, f] of cases)
      expect(await revertArgs(inputs, withProof(j, f)), what).toBe(
        `BatchVerifier__InvalidPoint(${j})`,
      );
    // two bad points: the first is named
    const two = withProof(
      6,
      set(7, (x) => (x + 1n) % BN254_P),
    ).map((p, i) => (i === 2 ? set(1, (x) => (x + 1n) % BN254_P)(p) : p));
    expect(await revertArgs(inputs, two)).toBe("BatchVerifier__InvalidPoint(2)");
    // inputs: the first at or above r, by proof and position
    const aliased = [...inputs];
    aliased[5 * 3 + 2] = aliased[5 * 3 + 2]! + BN254_R;
    aliased[6 * 3 + 0] = aliased[6 * 3 + 0]! + BN254_R;
    expect(await revertArgs(aliased, proofsOf(batch))).toBe("BatchVerifier__InputNotInField(5, 2)");
    const last = [...inputs];
    last[last.length - 1] = 2n ** 256n - 1n;
    expect(await revertArgs(last, proofsOf(batch))).toBe("BatchVerifier__InputNotInField(7, 2)");
  });

  it("rejects the cancelling pair that predictable scalars would accept", async () => {
    const { verifier } = await deploy();
    const base = items[0]!;
    const x = BigInt(base.publicSignals[2]!);
    const d = 987654321n;
    const [s0, s1] = base.publicSignals.map(BigInt) as [bigint, bigint];
    const inputs = [s0, s1, (x + d) % BN254_R, s0, s1, (x - d + BN254_R) % BN254_R];
    const proofs = [proofToWords(base.proof), proofToWords(base.proof)];
    await expect(verifier.read.verifyBatch([ZERO, inputs, proofs as never])).rejects.toThrow(
      /BatchVerifier__BatchCheckFailed/,
    );
  });
});
