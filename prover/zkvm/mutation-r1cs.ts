/**
 * R1CS-level perturbation: the mutation harness's layer for wires no constraint pins.
 *
 * The compiled constraint system (the .r1cs circom writes, iden3 binary format) is read here
 * and evaluated over bigint modulo the BN254 scalar field. For an honest witness of every wire,
 * each wire in turn is perturbed by +1 and by −1, alone, and only the constraints that contain
 * it are evaluated again (a wire -> constraints index; each such constraint A·B = C changes by
 * δ(a·B + b·A − c) + δ²·a·b for the wire's coefficients a, b, c in it). A wire whose
 * perturbation leaves every one of its constraints satisfied can take another value with
 * everything else unchanged: it is free at that witness. Public and input wires are included;
 * wire 0 (the constant 1) is not a choice.
 *
 * Free at one witness is a different witness of the same statement (nothing else moves), as
 * with IsZero's inverse when its input is 0. A wire free at EVERY witness checked is what this
 * layer reports as unconstrained: no execution the harness saw pins it (a hint nobody checks,
 * an input that appears in no constraint).
 */
import { readFile } from "node:fs/promises";
import type { WitnessCalculator } from "circom_runtime";
import { getCircuit } from "../setup/registry.ts";
import { loadWitnessCalculator } from "./mutation.ts";
import { FIELD } from "./mutation-replay.ts";
import { compileVariant } from "./mutation-variants.ts";
import type { ChunkCircuitConfig } from "./witness.ts";

/** A linear combination: wire indices and their coefficients. */
export interface LinearCombination {
  wires: Int32Array;
  coeffs: bigint[];
}

export interface R1cs {
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
}

/**
 * Reads a .r1cs file (iden3 binary format: header, constraints; coefficients little-endian,
 * standard form).
 * @throws on another field than BN254's scalar field or an unknown layout.
 */
export async function readR1cs(path: string): Promise<R1cs> {
  const buf = await readFile(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 4).toString("latin1") !== "r1cs")
    throw new Error(`${path}: not an r1cs file`);
  const nSections = dv.getUint32(8, true);
  let pos = 12;
  const sections = new Map<number, [number, number]>();
  for (let i = 0; i < nSections; i++) {
    const type = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    sections.set(type, [pos + 12, size]);
    pos += 12 + size;
  }
  const [h] = sections.get(1) ?? [];
  if (h === undefined) throw new Error(`${path}: no header section`);
  const n8 = dv.getUint32(h, true);
  const bigAt = (at: number) => {
    let x = 0n;
    for (let i = n8 - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[at + i]!);
    return x;
  };
  if (bigAt(h + 4) !== FIELD) throw new Error(`${path}: not over the BN254 scalar field`);
  let o = h + 4 + n8;
  const nWires = dv.getUint32(o, true);
  const nPubOut = dv.getUint32(o + 4, true);
  const nPubIn = dv.getUint32(o + 8, true);
  const nPrvIn = dv.getUint32(o + 12, true);
  const nConstraints = dv.getUint32(o + 24, true);
  const [c] = sections.get(2) ?? [];
  if (c === undefined) throw new Error(`${path}: no constraints section`);
  o = c;
  const lc = (): LinearCombination => {
    const n = dv.getUint32(o, true);
    o += 4;
    const wires = new Int32Array(n);
    const coeffs = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      wires[i] = dv.getUint32(o, true);
      coeffs[i] = bigAt(o + 4);
      o += 4 + n8;
    }
    return { wires, coeffs };
  };
  const constraints: R1cs["constraints"] = [];
  for (let i = 0; i < nConstraints; i++) constraints.push([lc(), lc(), lc()]);
  return { nWires, nPubOut, nPubIn, nPrvIn, constraints };
}

const evalLc = (l: LinearCombination, w: readonly bigint[]) => {
  let s = 0n;
  for (let i = 0; i < l.wires.length; i++) s += l.coeffs[i]! * w[l.wires[i]!]!;
  return s % FIELD;
};

/** For each wire, its terms in the constraints (in constraint order). */
export interface WireIndex {
  /** terms of wire w: offsets[w] .. offsets[w + 1] */
  offsets: Int32Array;
  constraint: Int32Array;
  /** 0: A, 1: B, 2: C */
  which: Uint8Array;
  coeff: bigint[];
}

/** Builds the wire -> constraints index. */
export function wireIndex(r: R1cs): WireIndex {
  const offsets = new Int32Array(r.nWires + 1);
  for (const lcs of r.constraints) for (const l of lcs) for (const w of l.wires) offsets[w + 1]!++;
  for (let w = 0; w < r.nWires; w++) offsets[w + 1]! += offsets[w]!;
  const n = offsets[r.nWires]!;
  const fill = offsets.slice(0, r.nWires);
  const idx: WireIndex = {
    offsets,
    constraint: new Int32Array(n),
    which: new Uint8Array(n),
    coeff: new Array<bigint>(n),
  };
  r.constraints.forEach((lcs, ci) => {
    lcs.forEach((l, which) => {
      for (let i = 0; i < l.wires.length; i++) {
        const at = fill[l.wires[i]!]!++;
        idx.constraint[at] = ci;
        idx.which[at] = which;
        idx.coeff[at] = l.coeffs[i]!;
      }
    });
  });
  return idx;
}

export interface PerturbationResult {
  /** Constraints the honest witness violates (must be none). */
  violated: number[];
  /** Wires (≥ 1) whose +1 or −1 perturbation leaves all their constraints satisfied. */
  free: number[];
}

/**
 * Perturbs every wire of `witness` (+1, −1) and checks the constraints containing it.
 * @throws if the witness has the wrong length.
 */
export function perturbWires(
  r: R1cs,
  idx: WireIndex,
  witness: readonly bigint[],
): PerturbationResult {
  if (witness.length !== r.nWires)
    throw new Error(`witness has ${witness.length} wires, the r1cs ${r.nWires}`);
  const A: bigint[] = [];
  const B: bigint[] = [];
  const violated: number[] = [];
  r.constraints.forEach(([la, lb, lc], ci) => {
    const a = evalLc(la, witness);
    const b = evalLc(lb, witness);
    A.push(a);
    B.push(b);
    if ((a * b - evalLc(lc, witness)) % FIELD !== 0n) violated.push(ci);
  });
  const free: number[] = [];
  for (let w = 1; w < r.nWires; w++) {
    let plus = true;
    let minus = true;
    const end = idx.offsets[w + 1]!;
    let at = idx.offsets[w]!;
    while (at < end && (plus || minus)) {
      // the wire's coefficients a, b, c in one constraint (its terms are consecutive)
      const ci = idx.constraint[at]!;
      const k = [0n, 0n, 0n];
      for (; at < end && idx.constraint[at] === ci; at++) k[idx.which[at]!]! += idx.coeff[at]!;
      const [a, b, c] = k as [bigint, bigint, bigint];
      // (A + δa)(B + δb) − (C + δc) with AB = C: δ(aB + bA − c) + δ²ab
      const lin = (a * B[ci]! + b * A[ci]! - c) % FIELD;
      const quad = (a * b) % FIELD;
      if ((lin + quad) % FIELD !== 0n) plus = false;
      if ((quad - lin) % FIELD !== 0n) minus = false;
    }
    if (plus || minus) free.push(w);
  }
  return { violated, free };
}

/** The constraints `witness` violates (a whole witness, e.g. one a cheating prover forged). */
export function violatedConstraints(r: R1cs, witness: readonly bigint[]): number[] {
  const out: number[] = [];
  r.constraints.forEach(([la, lb, lc], ci) => {
    const ab = evalLc(la, witness) * evalLc(lb, witness);
    if ((ab - evalLc(lc, witness)) % FIELD !== 0n) out.push(ci);
  });
  return out;
}

/** A copy of `r` without the given constraints (to show that the check sees a deleted one). */
export function withoutConstraints(r: R1cs, drop: Iterable<number>): R1cs {
  const d = new Set(drop);
  return { ...r, constraints: r.constraints.filter((_, i) => !d.has(i)) };
}

/** Wire -> signal names, from a .sym file's lines (several names may share a wire). */
export async function wireNames(symPath: string): Promise<Map<number, string[]>> {
  const names = new Map<number, string[]>();
  for (const line of (await readFile(symPath, "utf8")).split("\n")) {
    if (!line) continue;
    const [, wid, , name] = line.split(",");
    const w = Number(wid);
    if (w < 0) continue;
    if (!names.has(w)) names.set(w, []);
    names.get(w)!.push(name!);
  }
  return names;
}

/** A signal name with its array indices as [*] (a report row). */
export const signalPattern = (name: string) => name.replace(/\[\d+\]/g, "[*]");

/** The compiled constraint system of a chunk configuration, with its witness calculator. */
export interface R1csCircuit {
  r1cs: R1cs;
  index: WireIndex;
  /** wire -> signal names (from the .sym of the same compile). */
  names: Map<number, string[]>;
  wc: WitnessCalculator;
}

/**
 * Compiles (or finds cached) the configuration's circuit as `npm run setup` does (--O2, r1cs,
 * wasm) with its symbols, and loads the r1cs and its wire index.
 */
export async function loadR1csCircuit(
  config: ChunkCircuitConfig,
  options: { cacheDir: string; log?: (m: string) => void },
): Promise<R1csCircuit> {
  const entry = getCircuit(config.name);
  const v = await compileVariant(
    {
      label: `${config.name}-r1cs`,
      file: entry.file,
      template: entry.template,
      params: [config.K, config.P, config.IO, config.M],
      publicInputs: entry.publicInputs,
      r1cs: true,
      sym: true,
      optimization: "O2",
    },
    options,
  );
  const r1cs = await readR1cs(v.r1csPath!);
  return {
    r1cs,
    index: wireIndex(r1cs),
    names: await wireNames(v.symPath!),
    wc: await loadWitnessCalculator(v.wasmPath),
  };
}

/** Layer 2's findings over several honest witnesses. */
export interface WireReport {
  witnesses: number;
  wires: number;
  constraints: number;
  /** Constraints some honest witness violates (must be none). */
  violated: number;
  /** Wires free at every witness checked: unconstrained. */
  unconstrained: { wire: number; names: string[] }[];
  /** Wires free at some witnesses only, by signal pattern: wires and (wire, witness) pairs. */
  sometimesFree: Map<string, { wires: number; cases: number }>;
}

/** Accumulates layer 2 over honest witnesses (each a full witness of `c`'s circuit). */
export class WireCheck {
  private readonly freeCount = new Map<number, number>();
  private witnesses = 0;
  private violated = 0;
  constructor(private readonly c: R1csCircuit) {}

  /** Perturbs every wire of one honest witness. */
  add(witness: readonly bigint[]): PerturbationResult {
    const r = perturbWires(this.c.r1cs, this.c.index, witness);
    this.witnesses++;
    this.violated += r.violated.length;
    for (const w of r.free) this.freeCount.set(w, (this.freeCount.get(w) ?? 0) + 1);
    return r;
  }

  report(): WireReport {
    const unconstrained: WireReport["unconstrained"] = [];
    const sometimesFree: WireReport["sometimesFree"] = new Map();
    for (const [w, n] of [...this.freeCount].sort(([a], [b]) => a - b)) {
      const names = this.c.names.get(w) ?? [`wire ${w}`];
      if (n === this.witnesses) unconstrained.push({ wire: w, names });
      else {
        const p = signalPattern(names[0]!);
        const e = sometimesFree.get(p) ?? { wires: 0, cases: 0 };
        e.wires++;
        e.cases += n;
        sometimesFree.set(p, e);
      }
    }
    return {
      witnesses: this.witnesses,
      wires: this.c.r1cs.nWires,
      constraints: this.c.r1cs.constraints.length,
      violated: this.violated,
      unconstrained,
      sometimesFree,
    };
  }
}
