/**
 * Development powers-of-tau ceremony with a KNOWN τ. Insecure by construction: anyone can
 * recompute τ, α, β from the public beacon below and forge proofs. It exists so a fresh
 * machine gets working keys in minutes; production takes a public ceremony file instead
 * (see `artifacts.ts`, option `ptauPath`), and development keys are refused on any chain
 * that is not a development chain (`assertKeysAllowedOnChain`).
 *
 * How it is made, and why it is fast:
 * 1. `snarkjs powersoftau new` (τ = α = β = 1), then `snarkjs powersoftau beacon` with a
 *    fixed public beacon. Both are snarkjs's own code, so sections 1–7 (the powers of τ and
 *    the contribution record) are exactly what snarkjs writes.
 * 2. `snarkjs powersoftau prepare phase2` computes sections 12–15 (the powers of τ in the
 *    Lagrange basis of every domain 2^0..2^power) by FFTs over curve points: 39 minutes for
 *    2^17 on a 2-core machine. Because the beacon makes τ, α, β known, we compute the same
 *    points directly: the scalar L_i(τ) for every domain, then one fixed-base scalar
 *    multiplication per point. The result is byte-identical to snarkjs's (tested) and passes
 *    `snarkjs powersoftau verify` (tested).
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128, ChaCha, type Bn128Curve, type FieldElement } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { FixedBaseMultiplier, type GroupName } from "./fixed-base.ts";

/** The public beacon of the development ceremony. Changing it changes every dev key. */
export const DEV_BEACON_HASH = createHash("sha256")
  .update("concentric development ceremony v1 - INSECURE, tau is public")
  .digest("hex");

/** snarkjs requires 10..63; 10 keeps the derivation instant. */
export const DEV_BEACON_ITERATIONS_EXP = 10;

/** Name recorded in the ceremony's contribution list; `snarkjs powersoftau verify` prints it. */
export const DEV_CONTRIBUTION_NAME = "concentric-dev-beacon (INSECURE: known tau)";

/** Largest domain of BN254's scalar field: 2^28 roots of unity. */
const BN254_TWO_ADICITY = 28;

export interface DevCeremonyKeys {
  tau: FieldElement;
  alpha: FieldElement;
  beta: FieldElement;
}

export interface MakeDevPtauParameters {
  /** Power of two of the largest circuit domain the file must support. */
  power: number;
  /** Where the prepared (phase-2 ready) ptau file is written. */
  outPath: string;
  /** Scratch directory for the intermediate files; they are deleted afterwards. */
  tmpDir: string;
  log?: (message: string) => void;
}

/**
 * Re-derive the keys that `snarkjs powersoftau beacon` derives from a beacon: the beacon hash
 * iterated through SHA-256 2^exp times seeds ChaCha, and τ, α, β are its first three Fr
 * samples (snarkjs `keyFromBeacon` → `createPTauKey`).
 */
export function deriveBeaconKeys(
  curve: Bn128Curve,
  beaconHashHex: string,
  iterationsExp: number,
): DevCeremonyKeys {
  let h: Uint8Array = Buffer.from(beaconHashHex, "hex");
  const n = 2 ** iterationsExp;
  for (let i = 0; i < n; i++) h = createHash("sha256").update(h).digest();
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(view.getUint32(i * 4, false));
  const rng = new ChaCha(seed);
  const tau = curve.Fr.fromRng(rng);
  const alpha = curve.Fr.fromRng(rng);
  const beta = curve.Fr.fromRng(rng);
  return { tau, alpha, beta };
}

/**
 * The scalars L_i(τ), i < 2^p, of the Lagrange basis of the domain of 2^p-th roots of unity
 * (the same ordering snarkjs's `lagrangeEvaluations` produces):
 *   L_i(τ) = ω^i (τ^m − 1) / (m (τ − ω^i)),   m = 2^p.
 * With `dropLast`, the coefficient of τ^(m−1) is removed: snarkjs transforms the vector
 * (τ^0, …, τ^(m−2), 0) for the extra domain of section 12, whose last power is not in the file.
 * The monomial coefficient of X^(m−1) in L_i is ω^(−i(m−1))/m = ω^i/m, hence the correction.
 */
export async function lagrangeScalars(
  curve: Bn128Curve,
  tau: FieldElement,
  p: number,
  dropLast: boolean,
): Promise<FieldElement[]> {
  const Fr = curve.Fr;
  if (p > BN254_TWO_ADICITY) throw new Error(`domain 2^${p} exceeds BN254's 2^28 roots of unity`);
  const m = 2 ** p;
  const omega = Fr.w[p]!;
  const mInv = Fr.inv(Fr.e(m));
  const numerator = Fr.mul(Fr.sub(Fr.exp(tau, m), Fr.one), mInv);
  const tauPowLastOverM = Fr.mul(Fr.exp(tau, m - 1), mInv);
  const powers: FieldElement[] = new Array(m);
  const denominators: FieldElement[] = new Array(m);
  let w = Fr.one;
  for (let i = 0; i < m; i++) {
    powers[i] = w;
    const d = Fr.sub(tau, w);
    if (Fr.isZero(d)) throw new Error("tau is a root of unity: refusing a degenerate ceremony");
    denominators[i] = d;
    w = Fr.mul(w, omega);
  }
  const inverses = await Fr.batchInverse(denominators);
  const out: FieldElement[] = new Array(m);
  for (let i = 0; i < m; i++) {
    let l = Fr.mul(Fr.mul(numerator, powers[i]!), inverses[i]!);
    if (dropLast) l = Fr.sub(l, Fr.mul(powers[i]!, tauPowLastOverM));
    out[i] = l;
  }
  return out;
}

type BatchApplyKey = (
  buff: Uint8Array,
  first: FieldElement,
  inc: FieldElement,
  inType?: string,
  outType?: string,
) => Promise<Uint8Array>;

/**
 * While `run` executes, make ffjavascript's `batchApplyKey` (multiply point i of a buffer by
 * first·inc^i) use fixed-base tables when every input point is the generator — which is the
 * case for a beacon applied to a fresh accumulator. Any other input takes snarkjs's own path.
 * The result is the same points; only the speed differs (the equality is tested).
 */
async function withFixedBaseApplyKey<T>(
  curve: Bn128Curve,
  multipliers: Record<GroupName, FixedBaseMultiplier>,
  run: () => Promise<T>,
): Promise<T> {
  const groups = ["G1", "G2"] as const;
  const originals = new Map<GroupName, BatchApplyKey>();
  for (const name of groups) {
    const G = curve[name] as unknown as { batchApplyKey: BatchApplyKey };
    const original = G.batchApplyKey;
    originals.set(name, original);
    const generator = curve[name].toAffine(curve[name].g);
    const sG = generator.length;
    G.batchApplyKey = async (buff, first, inc, inType, outType) => {
      const plain = (inType ?? "affine") === "affine" && (outType ?? "affine") === "affine";
      if (!plain || !allEqual(buff, generator, sG)) {
        return original.call(G, buff, first, inc, inType, outType);
      }
      const Fr = curve.Fr;
      const n = buff.length / sG;
      const scalars: FieldElement[] = new Array(n);
      let t = Fr.e(Fr.toObject(first));
      const step = Fr.e(Fr.toObject(inc));
      for (let i = 0; i < n; i++) {
        scalars[i] = t;
        t = Fr.mul(t, step);
      }
      return multipliers[name].mulMany(scalars);
    };
  }
  try {
    return await run();
  } finally {
    for (const name of groups) {
      (curve[name] as unknown as { batchApplyKey: BatchApplyKey }).batchApplyKey =
        originals.get(name)!;
    }
  }
}

function allEqual(buff: Uint8Array, point: Uint8Array, size: number): boolean {
  if (buff.length % size !== 0) return false;
  for (let off = 0; off < buff.length; off += size) {
    for (let k = 0; k < size; k++) if (buff[off + k] !== point[k]) return false;
  }
  return true;
}

/**
 * Make a prepared development ptau file of the given power.
 *
 * @example
 * await makeDevPtau({ power: 12, outPath: ".cache/ptau/dev_12.ptau", tmpDir: ".cache/tmp" });
 */
export async function makeDevPtau({
  power,
  outPath,
  tmpDir,
  log,
}: MakeDevPtauParameters): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power >= BN254_TWO_ADICITY) {
    throw new Error(`ptau power must be an integer in [1, ${BN254_TWO_ADICITY - 1}], got ${power}`);
  }
  // snarkjs's beacon uses ffjavascript's shared multi-threaded curve: the same instance.
  const curve = await buildBn128();
  const multipliers = {
    G1: new FixedBaseMultiplier(curve, "G1"),
    G2: new FixedBaseMultiplier(curve, "G2"),
  };
  const step0 = `${tmpDir}/dev_${power}_0.ptau`;
  const step1 = `${tmpDir}/dev_${power}_1.ptau`;
  try {
    log?.(`dev ceremony 2^${power}: new accumulator + beacon contribution (snarkjs)`);
    await snarkjs.powersOfTau.newAccumulator(curve, power, step0);
    const ok = await withFixedBaseApplyKey(curve, multipliers, () =>
      snarkjs.powersOfTau.beacon(
        step0,
        step1,
        DEV_CONTRIBUTION_NAME,
        DEV_BEACON_HASH,
        DEV_BEACON_ITERATIONS_EXP,
      ),
    );
    if (ok === false) throw new Error("snarkjs powersoftau beacon failed");

    const keys = deriveBeaconKeys(curve, DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP);
    const { fd: fdOld, sections } = await binFileUtils.readBinFile(step1, "ptau", 1);
    await assertKeysMatchFile(curve, fdOld, sections, keys);

    const fdNew = await binFileUtils.createBinFile(outPath, "ptau", 1, 11);
    for (const id of [1, 2, 3, 4, 5, 6, 7]) {
      await binFileUtils.copySection(fdOld, sections, fdNew, id);
    }
    await fdOld.close();

    const { tau, alpha, beta } = keys;
    const Fr = curve.Fr;
    // Section 12: L(τ)·G1 for every domain 2^0..2^(power+1) (the last one with the top power dropped).
    // Section 13: L(τ)·G2, 14: α·L(τ)·G1, 15: β·L(τ)·G1, domains 2^0..2^power.
    const sectionSpecs: {
      id: number;
      group: GroupName;
      factor: FieldElement | null;
      extra: boolean;
    }[] = [
      { id: 12, group: "G1", factor: null, extra: true },
      { id: 13, group: "G2", factor: null, extra: false },
      { id: 14, group: "G1", factor: alpha, extra: false },
      { id: 15, group: "G1", factor: beta, extra: false },
    ];
    for (const spec of sectionSpecs) {
      const started = performance.now();
      await binFileUtils.startWriteSection(fdNew, spec.id);
      const lastPower = spec.extra ? power + 1 : power;
      for (let p = 0; p <= lastPower; p++) {
        let scalars = await lagrangeScalars(curve, tau, p, p === power + 1);
        if (spec.factor) {
          const f = spec.factor;
          scalars = scalars.map((s) => Fr.mul(s, f));
        }
        await fdNew.write(await multipliers[spec.group].mulMany(scalars));
      }
      await binFileUtils.endWriteSection(fdNew);
      log?.(`  section ${spec.id} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await fdNew.close();
  } finally {
    await multipliers.G1.close();
    await multipliers.G2.close();
    await curve.terminate();
    await rm(step0, { force: true });
    await rm(step1, { force: true });
  }
}

/** The beacon keys we derived must be the ones snarkjs applied: τ·G1 and α·G1 are in the file. */
async function assertKeysMatchFile(
  curve: Bn128Curve,
  fd: binFileUtils.BinFd,
  sections: binFileUtils.Sections,
  keys: DevCeremonyKeys,
): Promise<void> {
  const sG1 = curve.G1.F.n8 * 2;
  const tauG1 = await binFileUtils.readSection(fd, sections, 2, sG1, sG1);
  const alphaG1 = await binFileUtils.readSection(fd, sections, 4, 0, sG1);
  const expectTau = curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, keys.tau));
  const expectAlpha = curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, keys.alpha));
  if (!curve.G1.eq(tauG1, expectTau) || !curve.G1.eq(alphaG1, expectAlpha)) {
    throw new Error(
      "development ceremony: the derived beacon keys do not match the file snarkjs wrote " +
        "(has snarkjs changed its beacon derivation?)",
    );
  }
}
