/**
 * The development ceremony with known τ: byte-identical to snarkjs's own slow path, accepted
 * by `snarkjs powersoftau verify`, and development keys refused on non-development chains.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_BEACON_HASH,
  DEV_BEACON_ITERATIONS_EXP,
  DEV_CONTRIBUTION_NAME,
  makeDevPtau,
} from "../prover/setup/ceremony.ts";
import {
  artifactKey,
  assertKeysAllowedOnChain,
  DevelopmentKeysRefusedError,
  requiredPtauPower,
} from "../prover/setup/artifacts.ts";
import { getCircuit } from "../prover/setup/registry.ts";

/** snarkjs's `powersoftau verify` (its @types declare the wrong signature). */
const ptauVerify = snarkjs.powersOfTau.verify as unknown as (ptau: string) => Promise<boolean>;

const POWER = 6;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "concentric-ceremony-"));
  await makeDevPtau({ power: POWER, outPath: join(dir, "fast.ptau"), tmpDir: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("development ceremony", () => {
  it("is byte-identical to snarkjs new + beacon + prepare phase2", async () => {
    const curve = await buildBn128();
    await snarkjs.powersOfTau.newAccumulator(curve, POWER, join(dir, "a.ptau"));
    await snarkjs.powersOfTau.beacon(
      join(dir, "a.ptau"),
      join(dir, "b.ptau"),
      DEV_CONTRIBUTION_NAME,
      DEV_BEACON_HASH,
      DEV_BEACON_ITERATIONS_EXP,
    );
    await snarkjs.powersOfTau.preparePhase2(join(dir, "b.ptau"), join(dir, "slow.ptau"));
    const fast = await readFile(join(dir, "fast.ptau"));
    const slow = await readFile(join(dir, "slow.ptau"));
    expect(fast.length).toBe(slow.length);
    expect(Buffer.compare(fast, slow)).toBe(0);
  });

  it("passes snarkjs powersoftau verify", async () => {
    expect(await ptauVerify(join(dir, "fast.ptau"))).toBe(true);
  });

  it("is refused by snarkjs verify once a Lagrange point is tampered with", async () => {
    const { readBinFile } = await import("@iden3/binfileutils");
    const { writeFile } = await import("node:fs/promises");
    const bytes = Buffer.from(await readFile(join(dir, "fast.ptau")));
    const { fd, sections } = await readBinFile(join(dir, "fast.ptau"), "ptau", 1);
    await fd.close();
    // Replace the first point of section 12's 2^1 domain by the second one.
    const start = sections[12]![0]!.p + 64;
    bytes.copy(bytes, start, start + 64, start + 128);
    await writeFile(join(dir, "bad.ptau"), bytes);
    expect(await ptauVerify(join(dir, "bad.ptau"))).toBe(false);
  });

  it("rejects powers outside the field's two-adicity", async () => {
    await expect(makeDevPtau({ power: 0, outPath: join(dir, "x"), tmpDir: dir })).rejects.toThrow(
      /power must be/,
    );
  });
});

describe("keys and chains", () => {
  it("refuses development keys on a non-development chain, allows them on hardhat", () => {
    const dev = { name: "poseidon_chain_N4", ceremony: "development" as const };
    expect(() => assertKeysAllowedOnChain(dev, 31337)).not.toThrow();
    expect(() => assertKeysAllowedOnChain(dev, 1)).toThrow(DevelopmentKeysRefusedError);
    expect(() => assertKeysAllowedOnChain({ ...dev, ceremony: "public" }, 1)).not.toThrow();
  });

  it("keys artifacts by sources, parameters and ceremony", async () => {
    const c = getCircuit("poseidon_chain_N4");
    const k1 = await artifactKey(c, "development:x");
    expect(await artifactKey(c, "development:x")).toBe(k1);
    expect(await artifactKey({ ...c, params: { N: 5 } }, "development:x")).not.toBe(k1);
    expect(await artifactKey(c, "public:y")).not.toBe(k1);
  });

  it("computes the ptau power snarkjs requires", () => {
    expect(requiredPtauPower(960, 3)).toBe(10);
    expect(requiredPtauPower(65_000, 3)).toBe(16);
    expect(requiredPtauPower(65_533, 3)).toBe(17);
  });
});
