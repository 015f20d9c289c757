/**
 * The development circuit key computed from the known τ (dev-zkey.ts): byte for byte the key
 * snarkjs's `zkey new` + `zkey beacon` write on the development ptau, accepted by snarkjs's
 * `zkey verify`, and it proves. `npm run setup` builds every development key this way, so the
 * registry's keys are compared here with snarkjs's, built from scratch in this test.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPoseidon } from "circomlibjs";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultCacheDir,
  getCircuitArtifacts,
  getDevPtau,
  type CircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "../prover/setup/ceremony.ts";
import { makeDevZKey } from "../prover/setup/dev-zkey.ts";

const cacheDir = defaultCacheDir();
const PHASE2 = "concentric-dev-phase2 (INSECURE)";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "concentric-devzkey-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** snarkjs's own phase 2 on a development ptau, as `npm run setup` ran it before dev-zkey.ts. */
async function snarkjsKey(a: CircuitArtifacts, ptau: string, out: string): Promise<Buffer> {
  await snarkjs.zKey.newZKey(a.r1csPath, ptau, `${out}.0`);
  await snarkjs.zKey.beacon(`${out}.0`, out, PHASE2, DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP);
  return readFile(out);
}

function devKey(a: CircuitArtifacts, out: string, ptauPower?: number): Promise<void> {
  return makeDevZKey({
    r1csPath: a.r1csPath,
    outPath: out,
    ptauBeaconHex: DEV_BEACON_HASH,
    ptauIterationsExp: DEV_BEACON_ITERATIONS_EXP,
    ...(ptauPower === undefined ? {} : { ptauPower }),
    beaconName: PHASE2,
    beaconHex: DEV_BEACON_HASH,
    beaconIterationsExp: DEV_BEACON_ITERATIONS_EXP,
  });
}

/** Byte comparison that names the first differing offset (a 600 kB diff is no message). */
function firstDifference(x: Buffer, y: Buffer): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : n;
}

describe("development circuit key from the known tau", () => {
  // poseidon_chain_N4: 960 constraints, 1 public; the chunk2 test circuit: 21,388 constraints,
  // 8 public inputs, wires with no A or B term.
  for (const name of ["poseidon_chain_N4", "chunk2_K8_NC96_TB6_M20_MB16_NM2"]) {
    it(`${name}: dev-zkey's key (and the registry's) is snarkjs's zkey new + beacon, byte for byte`, async () => {
      const a = await getCircuitArtifacts(name, { cacheDir });
      const ptau = await getDevPtau(cacheDir, a.ptauPower);
      const reference = await snarkjsKey(a, ptau, join(dir, `${name}.zkey`));
      // built here, not read from the cache: a cache filled by an older setup holds snarkjs's
      await devKey(a, join(dir, `${name}-ours.zkey`));
      expect(firstDifference(await readFile(join(dir, `${name}-ours.zkey`)), reference)).toBe(-1);
      expect(firstDifference(await readFile(a.zkeyPath), reference)).toBe(-1);
    }, 600_000);
  }

  it("on a ptau larger than the circuit needs: the same key snarkjs makes from that file", async () => {
    // The 2n-domain H points differ when the file holds τ^(2n−1): the other branch of dev-zkey.
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir });
    const ptau = await getDevPtau(cacheDir, a.ptauPower + 1);
    const reference = await snarkjsKey(a, ptau, join(dir, "bigger.zkey"));
    await devKey(a, join(dir, "bigger-ours.zkey"), a.ptauPower + 1);
    expect(firstDifference(await readFile(join(dir, "bigger-ours.zkey")), reference)).toBe(-1);
    // snarkjs's `zkey verify` recomputes the key from the r1cs and the ptau and checks the beacon.
    const verify = snarkjs.zKey.verifyFromR1cs as unknown as (
      r1cs: string,
      ptau: string,
      zkey: string,
    ) => Promise<boolean>;
    expect(await verify(a.r1csPath, ptau, join(dir, "bigger-ours.zkey"))).toBe(true);
  }, 600_000);

  it("proves and verifies; the proof does not verify for another tag", async () => {
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir });
    const poseidon = await buildPoseidon();
    const tag = 0xc0ffeen;
    let acc = 7n;
    for (let i = 0; i < 4; i++) acc = poseidon.F.toObject(poseidon([acc, tag]));
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { seed: 7, tag, digest: acc },
      a.wasmPath,
      a.zkeyPath,
    );
    const vkey = await snarkjs.zKey.exportVerificationKey(a.zkeyPath);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    const forged = [...publicSignals];
    forged[1] = (tag + 1n).toString();
    expect(await snarkjs.groth16.verify(vkey, forged, proof)).toBe(false);
  }, 120_000);

  it("refuses a ptau too small for the circuit and a malformed beacon", async () => {
    const a = await getCircuitArtifacts("poseidon_chain_N4", { cacheDir });
    await expect(devKey(a, join(dir, "x.zkey"), a.ptauPower - 1)).rejects.toThrow(/too small/);
    await expect(
      makeDevZKey({
        r1csPath: a.r1csPath,
        outPath: join(dir, "y.zkey"),
        ptauBeaconHex: DEV_BEACON_HASH,
        ptauIterationsExp: DEV_BEACON_ITERATIONS_EXP,
        beaconName: PHASE2,
        beaconHex: "not hex",
        beaconIterationsExp: DEV_BEACON_ITERATIONS_EXP,
      }),
    ).rejects.toThrow(/hex/);
  });
});
