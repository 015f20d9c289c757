/**
 * A generated verifier whose key is not the cached one is refused at deployment
 * (`assertVerifierIsCachedKey`): after a circuit change, contracts/generated keeps the old
 * verifier until `npm run setup` runs, and every honest proof would fail its pairing silently
 * (seen: JobVerifier2's on-chain tests reverting BatchCheckFailed on honest jobs).
 */
import { describe, expect, it } from "vitest";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { BN254_P, toBatchVerifyingKey } from "../prover/verify/batch.ts";
import { assertVerifierIsCachedKey } from "../scripts/lib/deploy.ts";
import { renderMultiVerifier } from "../scripts/lib/verifier-gen.ts";

describe("deploying a generated verifier", () => {
  it("accepts the cached key's hash and refuses any other", async () => {
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir: defaultCacheDir() });
    const hash = `0x${toBatchVerifyingKey(a.vkey).hash.toString(16).padStart(64, "0")}`;
    await expect(assertVerifierIsCachedKey("poseidon_chain_N4", hash)).resolves.toBeUndefined();
    const stale = `0x${(BigInt(hash) ^ 1n).toString(16).padStart(64, "0")}`;
    await expect(assertVerifierIsCachedKey("poseidon_chain_N4", stale)).rejects.toThrow(
      /generated from another key than the cached poseidon_chain_N4.*npm run setup/,
    );
  });
});

describe("generating a multi verifier (one pairing product over several keys)", () => {
  it("needs the keys to share α, β and γ and one ceremony, and names the circuits that do not", async () => {
    const cacheDir = defaultCacheDir();
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir });
    const b = await getCircuitArtifacts("boundary_NP8_D14", { cacheDir });
    expect(renderMultiVerifier("pair", [a, b])).toMatch(/contract PairMultiVerifier/);
    // another α (as a key of another ceremony would have): the batched equation would no longer
    // be a combination of the keys' own equations
    const otherAlpha = { ...b, vkey: { ...b.vkey, vk_alpha_1: a.vkey.IC[0]! } };
    expect(() => renderMultiVerifier("pair", [a, otherAlpha])).toThrow(
      /poseidon_chain_N4 and boundary_NP8_D14 have a different alpha/,
    );
    const otherGamma = { ...b, vkey: { ...b.vkey, vk_gamma_2: b.vkey.vk_delta_2 } };
    expect(() => renderMultiVerifier("pair", [a, otherGamma])).toThrow(/different gamma/);
    expect(() => renderMultiVerifier("pair", [a, { ...b, ceremony: "public" }])).toThrow(
      /development ceremony/,
    );
  });
});

describe("a multi verifier's constants", () => {
  it("pairs each key's C sum with its own δ and its inputs with its own IC", async () => {
    const cacheDir = defaultCacheDir();
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir });
    const b0 = await getCircuitArtifacts("boundary_NP8_D14", { cacheDir });
    // the development ceremony gives every circuit the same δ; a key of another phase 2 would
    // not: give the second key another δ (β's point) so that a mix-up shows
    const b = { ...b0, vkey: { ...b0.vkey, vk_delta_2: b0.vkey.vk_beta_2 } };
    const sol = renderMultiVerifier("pair", [a, b]);
    const constant = (name: string) => {
      const m = sol.match(new RegExp(`constant ${name} = (0x[0-9a-f]{64});`));
      if (!m) throw new Error(`${name} not in the rendered verifier`);
      return BigInt(m[1]!);
    };
    for (const [k, m] of [a, b].entries()) {
      const vk = toBatchVerifyingKey(m.vkey);
      const [xi, xr, yi, yr] = vk.delta;
      const neg = (v: bigint) => (v === 0n ? 0n : BN254_P - v);
      expect(constant(`NEG_DELTA_${k}_X_IMAG`)).toBe(xi);
      expect(constant(`NEG_DELTA_${k}_X_REAL`)).toBe(xr);
      expect(constant(`NEG_DELTA_${k}_Y_IMAG`)).toBe(neg(yi));
      expect(constant(`NEG_DELTA_${k}_Y_REAL`)).toBe(neg(yr));
      for (const [i, p] of vk.ic.entries()) {
        expect(constant(`IC${k}_${i}_X`)).toBe(p[0]);
        expect(constant(`IC${k}_${i}_Y`)).toBe(p[1]);
      }
      // key k's step uses its own constants and no other key's
      const body = sol.slice(
        sol.indexOf(`function _key${k}(`),
        sol.indexOf("\n    }\n", sol.indexOf(`function _key${k}(`)),
      );
      expect(body).toContain(`NEG_DELTA_${k}_X_IMAG`);
      expect(body).toContain(`N_PUBLIC_${k})`);
      expect(body.match(/IC\d+_/g)!.every((x) => x === `IC${k}_`)).toBe(true);
      expect(body.match(/NEG_DELTA_\d+/g)!.every((x) => x === `NEG_DELTA_${k}`)).toBe(true);
      expect(body.match(/IC\d+_\d+_X/g)!.length).toBe(vk.ic.length);
    }
    expect(constant("NEG_DELTA_0_X_IMAG")).not.toBe(constant("NEG_DELTA_1_X_IMAG"));
  });
});
