/**
 * The Groth16 circuit key of the development ceremony, computed from its KNOWN τ, α, β.
 * Insecure by construction, like the ceremony itself (ceremony.ts): it exists so a machine
 * builds a working key for a large circuit in minutes.
 *
 * The file is byte for byte what `snarkjs zkey new` on the development ptau followed by
 * `snarkjs zkey beacon` with the development beacon writes (tested). snarkjs computes every
 * wire's point as a multi-exponentiation over the ptau's Lagrange points. With τ known, every
 * such point is one scalar times a generator:
 *   A_s = Σ_c a_{c,s} L_c(τ)·G1,   B_s likewise in G1 and G2,
 *   IC_s = (β A_s(τ) + α B_s(τ) + C_s(τ))·G1,   L_s = (β A_s(τ) + α B_s(τ) + C_s(τ))/δ·G1,
 *   H_i = L'_{2i+1}(τ)/δ·G1 over the domain of 2n roots (section 12 of the ptau),
 * so the key is field sums over the R1CS and fixed-base multiplications (fixed-base.ts).
 * snarkjs's circuit hash (csHash) covers the undivided L points and τ^i(τ^n − 1)·G1; they
 * are computed too, so that `snarkjs zkey verify` accepts the key.
 *
 * The beacon: snarkjs derives the phase-2 contribution δ from a ChaCha stream seeded by the
 * beacon hash iterated through SHA-256 (its `rngFromBeaconParams`); δ is the first sample,
 * then a random G1 point g1_s, then hashToG2(transcript) seeds the G2 point.
 */
import { createHash } from "node:crypto";
import * as binFileUtils from "@iden3/binfileutils";
import { blake2b } from "@noble/hashes/blake2.js";
import { buildBn128, ChaCha, type Bn128Curve, type FieldElement } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { deriveBeaconKeys, lagrangeScalars } from "./ceremony.ts";
import { FixedBaseMultiplier } from "./fixed-base.ts";

export interface MakeDevZKeyParameters {
  r1csPath: string;
  outPath: string;
  /** The phase-1 ceremony's beacon (τ, α, β) and its SHA-256 iterations, 2^exp. */
  ptauBeaconHex: string;
  ptauIterationsExp: number;
  /**
   * The power of the ptau snarkjs would have used (default: the circuit's own, which is what
   * `requiredPtauPower` picks). It matters for the H points: when it equals the circuit's
   * power, snarkjs's 2n-domain section lacks τ^(2n−1).
   */
  ptauPower?: number;
  /** The phase-2 beacon: name recorded in the file, hash (hex) and iterations 2^exp. */
  beaconName: string;
  beaconHex: string;
  beaconIterationsExp: number;
  log?: (message: string) => void;
}

interface R1csHeader {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nConstraints: number;
}

/** Blake2b-512, the hash snarkjs uses for its circuit hash and transcripts. */
const newHasher = () => blake2b.create({ dkLen: 64 });

function beaconRng(beaconHex: string, iterationsExp: number): ChaCha {
  if (!/^([0-9a-fA-F]{2})+$/.test(beaconHex)) throw new Error("beacon hash must be hex bytes");
  if (iterationsExp < 10 || iterationsExp > 31) {
    throw new Error(`beacon iterations exponent must be in [10, 31], got ${iterationsExp}`);
  }
  let h: Uint8Array = Buffer.from(beaconHex, "hex");
  for (let i = 0; i < 2 ** iterationsExp; i++) h = createHash("sha256").update(h).digest();
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false)));
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

/**
 * Build the development circuit key of an R1CS file.
 *
 * @example
 * await makeDevZKey({ r1csPath: "c.r1cs", outPath: "c.zkey", ptauBeaconHex: DEV_BEACON_HASH,
 *   ptauIterationsExp: 10, beaconName: "dev", beaconHex: DEV_BEACON_HASH, beaconIterationsExp: 10 });
 */
export async function makeDevZKey(p: MakeDevZKeyParameters): Promise<void> {
  const log = p.log ?? (() => {});
  const curve = await buildBn128();
  const g1 = new FixedBaseMultiplier(curve, "G1");
  const g2 = new FixedBaseMultiplier(curve, "G2");
  try {
    await build(curve, g1, g2, p, log);
  } finally {
    await g1.close();
    await g2.close();
    await curve.terminate();
  }
}

async function build(
  curve: Bn128Curve,
  g1: FixedBaseMultiplier,
  g2: FixedBaseMultiplier,
  p: MakeDevZKeyParameters,
  log: (message: string) => void,
): Promise<void> {
  const Fr = curve.Fr;
  const { G1, G2 } = curve;
  const sG1 = G1.F.n8 * 2;
  const sG2 = G2.F.n8 * 2;
  const r1cs = (await snarkjs.r1cs.info(p.r1csPath)) as unknown as R1csHeader & { prime: bigint };
  if (BigInt(r1cs.prime) !== Fr.p)
    throw new Error(`${p.r1csPath}: not a circuit over BN254's scalar field`);
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  const nC = r1cs.nConstraints;
  const nVars = r1cs.nVars;
  const cirPower = (nC + nPublic).toString(2).length; // snarkjs: log2(nC + nPublic) + 1
  const ptauPower = p.ptauPower ?? cirPower;
  if (ptauPower < cirPower) throw new Error(`ptau 2^${ptauPower} is too small for 2^${cirPower}`);
  if (cirPower >= Fr.s) throw new Error(`circuit domain 2^${cirPower} is too large for BN254`);
  const n = 2 ** cirPower;
  const { tau, alpha, beta } = deriveBeaconKeys(curve, p.ptauBeaconHex, p.ptauIterationsExp);

  // The phase-2 contribution, as snarkjs's beacon draws it.
  const rng = beaconRng(p.beaconHex, p.beaconIterationsExp);
  const delta = Fr.fromRng(rng);
  const deltaInv = Fr.inv(delta);
  const g1s = G1.toAffine(G1.fromRng(rng));
  const g1sx = G1.toAffine(G1.timesFr(g1s, delta));

  // 1. Every wire's A(τ), B(τ), C(τ), and the coefficient section, in snarkjs's order.
  let t0 = performance.now();
  const lag = await lagrangeScalars(curve, tau, cirPower, false);
  const { fd: fdR1cs, sections } = await binFileUtils.readBinFile(p.r1csPath, "r1cs", 1);
  const sR1cs = await binFileUtils.readSection(fdR1cs, sections, 2);
  await fdR1cs.close();
  const a: FieldElement[] = new Array(nVars).fill(Fr.zero);
  const b: FieldElement[] = new Array(nVars).fill(Fr.zero);
  const c: FieldElement[] = new Array(nVars).fill(Fr.zero);
  const R2r = rSquaredMont(curve);
  const coefRecord = 12 + Fr.n8;
  const coefRecords: Uint8Array[] = [];
  let pending = new Uint8Array(coefRecord * 65536);
  let pendingN = 0;
  let nCoefs = 0;
  const pushCoef = (matrix: number, row: number, wire: number, coef: FieldElement) => {
    const off = pendingN * coefRecord;
    const v = new DataView(pending.buffer, off, coefRecord);
    v.setUint32(0, matrix, true);
    v.setUint32(4, row, true);
    v.setUint32(8, wire, true);
    Fr.toRprLE(pending, off + 12, Fr.mul(coef, R2r));
    nCoefs++;
    if (++pendingN === 65536) {
      coefRecords.push(pending);
      pending = new Uint8Array(coefRecord * 65536);
      pendingN = 0;
    }
  };
  const view = new DataView(sR1cs.buffer, sR1cs.byteOffset, sR1cs.byteLength);
  let pos = 0;
  for (let row = 0; row < nC; row++) {
    const l = lag[row]!;
    for (let matrix = 0; matrix < 3; matrix++) {
      const terms = view.getUint32(pos, true);
      pos += 4;
      const acc = matrix === 0 ? a : matrix === 1 ? b : c;
      for (let k = 0; k < terms; k++) {
        const wire = view.getUint32(pos, true);
        const coef = Fr.fromRprLE(sR1cs, pos + 4);
        pos += 4 + Fr.n8;
        acc[wire] = Fr.add(acc[wire]!, Fr.mul(coef, l));
        if (matrix < 2) pushCoef(matrix, row, wire, coef);
      }
    }
    if (row % 100000 === 0 && row > 0) log(`  constraints ${row}/${nC}`);
  }
  if (pos !== sR1cs.byteLength) throw new Error("r1cs constraint section has trailing bytes");
  // snarkjs adds a row s·1 = 0 per public wire (and the constant) so A's columns are independent.
  for (let s = 0; s <= nPublic; s++) {
    a[s] = Fr.add(a[s]!, lag[nC + s]!);
    pushCoef(0, nC + s, s, Fr.one);
  }
  coefRecords.push(pending.subarray(0, pendingN * coefRecord));
  const lc = (s: number) => Fr.add(Fr.add(Fr.mul(beta, a[s]!), Fr.mul(alpha, b[s]!)), c[s]!);
  const ic = Array.from({ length: nPublic + 1 }, (_, s) => lc(s));
  const lPriv = Array.from({ length: nVars - nPublic - 1 }, (_, i) => lc(i + nPublic + 1));
  lag.length = 0; // 2^n scalars no longer needed: free them before the 2n-domain ones
  log(`  wire polynomials at tau: ${nC} constraints, ${nVars} wires in ${secs(t0)} s`);

  // 2. The points.
  const lem = (group: typeof G1, size: number, pt: Uint8Array) => {
    const buf = new Uint8Array(size);
    group.toRprLEM(buf, 0, pt);
    return buf;
  };
  t0 = performance.now();
  const icPts = await g1.mulMany(ic);
  const lPts0 = await g1.mulMany(lPriv); // csHash covers the points before the beacon
  const lPts = await g1.mulMany(lPriv.map((x) => Fr.mul(x, deltaInv)));
  log(`  IC and L: ${ic.length + 2 * lPriv.length} G1 points in ${secs(t0)} s`);
  t0 = performance.now();
  const aPts = await g1.mulMany(a);
  const b1Pts = await g1.mulMany(b);
  log(`  A and B1: ${2 * nVars} G1 points in ${secs(t0)} s`);
  t0 = performance.now();
  const b2Pts = await g2.mulMany(b);
  log(`  B2: ${nVars} G2 points in ${secs(t0)} s`);
  t0 = performance.now();
  const lag2 = await lagrangeScalars(curve, tau, cirPower + 1, ptauPower === cirPower);
  const hScalars: FieldElement[] = new Array(n);
  for (let i = 0; i < n; i++) hScalars[i] = Fr.mul(lag2[2 * i + 1]!, deltaInv);
  lag2.length = 0;
  const hPts = await g1.mulMany(hScalars);
  // csHash's H part: (τ^(i+n) − τ^i)·G1 read from the ptau's monomial section, i < n − 1.
  // snarkjs 0.7.6 hashes in chunks of 2^14 points and, for n > 2^14, its last chunk runs one
  // point past the end: it hashes n points, and the n-th, τ^(2n−1)·G1 − τ^(n−1)·G1, reads
  // bytes beyond section 2 when the ptau has exactly the circuit's power. Reproduced as is.
  const HASH_CHUNK = 2 ** 14;
  const nHashed = n - 1 > HASH_CHUNK ? n : n - 1;
  const pastEnd = nHashed === n && ptauPower === cirPower;
  const zScalars: FieldElement[] = new Array(pastEnd ? n - 1 : nHashed);
  const zn = Fr.sub(Fr.exp(tau, n), Fr.one);
  let tPow = Fr.one;
  for (let i = 0; i < zScalars.length; i++, tPow = Fr.mul(tPow, tau)) {
    zScalars[i] = Fr.mul(tPow, zn);
  }
  let zPts = await g1.mulMany(zScalars);
  if (pastEnd) {
    // What follows section 2 in the file: section 3's id and size, then τ^0·G2's first bytes.
    const after = new Uint8Array(sG1);
    const v = new DataView(after.buffer);
    v.setUint32(0, 3, true);
    v.setBigUint64(4, BigInt(2 ** ptauPower * sG2), true);
    after.set(lem(G2, sG2, G2.g).subarray(0, sG1 - 12), 12);
    const tauLast = G1.toAffine(G1.timesFr(G1.g, tPow)); // τ^(n−1)·G1
    const extra = G1.toAffine(G1.sub(after, tauLast));
    const all = new Uint8Array(zPts.length + sG1);
    all.set(zPts);
    all.set(extra, zPts.length);
    zPts = all;
  }
  log(`  H: ${2 * n - 1} G1 points in ${secs(t0)} s`);

  // 3. The circuit hash, exactly as snarkjs's `zkey new` accumulates it.
  const toU = async (group: typeof G1, pts: Uint8Array, size: number) => {
    const out = new Uint8Array(pts.length);
    const step = size * 65536;
    for (let off = 0; off < pts.length; off += step) {
      out.set(await group.batchLEMtoU(pts.subarray(off, off + step)), off);
    }
    return out;
  };
  const alpha1 = G1.toAffine(G1.timesFr(G1.g, alpha));
  const beta1 = G1.toAffine(G1.timesFr(G1.g, beta));
  const beta2 = G2.toAffine(G2.timesFr(G2.g, beta));
  const uncompressed = (group: typeof G1, size: number, pt: Uint8Array) => {
    const buf = new Uint8Array(size);
    group.toRprUncompressed(buf, 0, pt);
    return buf;
  };
  const cs = newHasher();
  cs.update(uncompressed(G1, sG1, alpha1));
  cs.update(uncompressed(G1, sG1, beta1));
  cs.update(uncompressed(G2, sG2, beta2));
  cs.update(uncompressed(G2, sG2, G2.g)); // γ
  cs.update(uncompressed(G1, sG1, G1.g)); // δ before the beacon
  cs.update(uncompressed(G2, sG2, G2.g));
  cs.update(u32be(nPublic + 1));
  cs.update(await toU(G1, icPts, sG1));
  cs.update(u32be(n - 1));
  cs.update(await toU(G1, zPts, sG1));
  cs.update(u32be(lPriv.length));
  cs.update(await toU(G1, lPts0, sG1));
  cs.update(u32be(nVars));
  cs.update(await toU(G1, aPts, sG1));
  cs.update(u32be(nVars));
  cs.update(await toU(G1, b1Pts, sG1));
  cs.update(u32be(nVars));
  cs.update(await toU(G2, b2Pts, sG2));
  const csHash = cs.digest();

  // 4. The beacon's contribution record.
  const tr = newHasher();
  tr.update(csHash);
  tr.update(uncompressed(G1, sG1, g1s));
  tr.update(uncompressed(G1, sG1, g1sx));
  const transcript = tr.digest();
  const tv = new DataView(transcript.buffer, transcript.byteOffset, transcript.byteLength);
  const g2sp = G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => tv.getUint32(i * 4))));
  const g2spx = G2.toAffine(G2.timesFr(g2sp, delta));
  const delta1 = G1.toAffine(G1.timesFr(G1.g, delta));
  const delta2 = G2.toAffine(G2.timesFr(G2.g, delta));

  // 5. The file, in the section order `zkey beacon` writes.
  const fd = await binFileUtils.createBinFile(p.outPath, "zkey", 1, 10);
  const section = async (id: number, ...parts: Uint8Array[]) => {
    await binFileUtils.startWriteSection(fd, id);
    for (const part of parts) await fd.write(part);
    await binFileUtils.endWriteSection(fd);
  };
  const u32le = (x: number) => {
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setUint32(0, x, true);
    return buf;
  };
  const bigLE = (x: bigint, n8: number) => {
    const buf = new Uint8Array(n8);
    for (let i = 0; i < n8; i++) buf[i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return buf;
  };
  await section(1, u32le(1)); // Groth16
  await section(
    2,
    u32le(32),
    bigLE(G1.F.p, 32),
    u32le(32),
    bigLE(Fr.p, 32),
    u32le(nVars),
    u32le(nPublic),
    u32le(n),
    lem(G1, sG1, alpha1),
    lem(G1, sG1, beta1),
    lem(G2, sG2, beta2),
    lem(G2, sG2, G2.g),
    lem(G1, sG1, delta1),
    lem(G2, sG2, delta2),
  );
  await section(3, icPts);
  await section(4, u32le(nCoefs), ...coefRecords);
  await section(5, aPts);
  await section(6, b1Pts);
  await section(7, b2Pts);
  await section(8, lPts);
  await section(9, hPts);
  const name = new TextEncoder().encode(p.beaconName.substring(0, 64));
  const beaconHash = Buffer.from(p.beaconHex, "hex");
  const params = new Uint8Array([
    1,
    name.byteLength,
    ...name,
    2,
    p.beaconIterationsExp,
    3,
    beaconHash.byteLength,
    ...beaconHash,
  ]);
  await section(
    10,
    csHash,
    u32le(1),
    lem(G1, sG1, delta1), // deltaAfter
    lem(G1, sG1, g1s),
    lem(G1, sG1, g1sx),
    lem(G2, sG2, g2spx),
    transcript,
    u32le(1), // type: beacon
    u32le(params.byteLength),
    params,
  );
  await fd.close();
}

/** R² mod r as a field element, the factor snarkjs applies to coefficients it stores. */
function rSquaredMont(curve: Bn128Curve): FieldElement {
  const r = curve.Fr.p;
  const R = (1n << 256n) % r;
  return curve.Fr.e((R * R) % r);
}

function secs(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
