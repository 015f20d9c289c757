/**
 * A generated verifier whose key is not the cached one is refused at deployment
 * (`assertVerifierIsCachedKey`): after a circuit change, contracts/generated keeps the old
 * verifier until `npm run setup` runs, and every honest proof would fail its pairing silently
 * (seen: JobVerifier2's on-chain tests reverting BatchCheckFailed on honest jobs).
 */
import { describe, expect, it } from "vitest";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { toBatchVerifyingKey } from "../prover/verify/batch.ts";
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
