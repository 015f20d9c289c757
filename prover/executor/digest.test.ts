import { buildPoseidon } from "circomlibjs";
import { describe, expect, it } from "vitest";
import { getPoseidon, inputDigest, inputSuffixDigests, outputDigest } from "./digest.ts";

describe("byte digests", () => {
  it("the input digest is the reverse chain D_i = Poseidon(b_i, D_{i+1}), D_n = 0", async () => {
    // computed independently with a fresh circomlibjs instance
    const ref = await buildPoseidon();
    const H = (a: bigint, b: bigint) => ref.F.toObject(ref([a, b]));
    // circomlib's published vector: Poseidon([1, 2])
    expect(H(1n, 2n)).toBe(
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
    const d3 = 0n;
    const d2 = H(0xffn, d3);
    const d1 = H(0n, d2);
    const d0 = H(7n, d1);
    const bytes = new Uint8Array([7, 0, 0xff]);
    expect(inputSuffixDigests(await getPoseidon(), bytes)).toEqual([d0, d1, d2, d3]);
    expect(await inputDigest(bytes)).toBe(d0);
    expect(await inputDigest(new Uint8Array(0))).toBe(0n);
    // the byte comes first: a different order of the same bytes gives a different digest
    expect(await inputDigest(new Uint8Array([0xff, 0, 7]))).not.toBe(d0);
  });

  it("the output digest is the forward chain d_{i+1} = Poseidon(d_i, b_i), d_0 = 0", async () => {
    const ref = await buildPoseidon();
    const H = (a: bigint, b: bigint) => ref.F.toObject(ref([a, b]));
    const bytes = new Uint8Array([7, 0, 0xff]);
    expect(await outputDigest(bytes)).toBe(H(H(H(0n, 7n), 0n), 0xffn));
    expect(await outputDigest(new Uint8Array(0))).toBe(0n);
    // the two chains differ on the same bytes
    expect(await outputDigest(bytes)).not.toBe(await inputDigest(bytes));
  });
});
