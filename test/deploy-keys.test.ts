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
