/**
 * circuits/zkvm/chunk2.circom (`Chunk2Core`: issue 12's in-chunk part of the versioned-cells
 * chunk, the network's since 2026-12-02) on real chunks: K = 8 steps of Step2, the LogUp
 * memory check over the paged cells, the nibble lookups at the transcript's challenges,
 * CellVersions and CellCommitment. Inputs from prover/zkvm/witness2.ts, multiplicities counted
 * from a first witness without constraints.
 * - every chunk of four programs (allinsn: every instruction kind; sha256, ledger: reads and
 *   writes; a program that loads and writes code words) is accepted and ends where the
 *   executor's chunk ends (pc, halted, exit code, instructions retired, input and output
 *   positions), its share of the job-wide sum that of the reference models (versions.ts's
 *   cells, io-elements.ts's moved bytes);
 * - what a cheating prover would change is refused: a paged-in value nobody wrote, a read
 *   claiming another write (its distance moved), a last value or last time that is not the
 *   cell's, a cell paged twice, a code load named as data, a count that is not the count;
 * - the mutation harness's wrong executors (DIV rounding toward −∞, SRA as SRL, SB in the
 *   neighbouring lane, a read returning one byte more, a write emitting another byte, …): the
 *   chunk holding the wrong step, with every input derived from the wrong execution, is
 *   refused, or its share of the job-wide sum is not the one the wrong run's claimed input and
 *   output need (io-elements.ts: the job's sum would not balance);
 * - every hint of it replaced as a cheating prover would (instrumented build, as the mutation
 *   harness makes them): the last values' and times' nibbles re-split or moved, the LogUp
 *   inverses moved, the counts' nibbles re-split, the steps' nibbles re-split — each refused;
 * - no wire of its constraint system is free: each wire perturbed alone (+1, −1) on honest
 *   witnesses breaks a constraint (the mutation harness's layer 2), and deleting the
 *   constraint that binds a lookup nibble makes that wire show up;
 * - the constraint count per step at two sizes (printed).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChunkRecord, ProgramImage } from "../prover/executor/index.ts";
import {
  execute,
  executeChunked,
  imageId,
  imageOpening,
  loadElf,
} from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator, witnessOrNull } from "../prover/zkvm/mutation.ts";
import {
  compileVariant,
  PATH_BASE,
  readSymbols,
  SITE_STRIDE,
} from "../prover/zkvm/mutation-variants.ts";
import { FIELD } from "../prover/zkvm/mutation-replay.ts";
import {
  readR1cs,
  WireCheck,
  wireIndex,
  wireNames,
  withoutConstraints,
} from "../prover/zkvm/mutation-r1cs.ts";
import {
  runWrongExecutors,
  WRONG_EXECUTORS,
  type GuestRun,
} from "../prover/zkvm/mutation-wrong.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { chunkIoShare } from "../prover/executor/io-elements.ts";
import { element, logDerivativeSum } from "../prover/executor/versions.ts";
import {
  chunk2CoreInputs,
  chunk2Limits,
  countLookups,
  nPlain,
  CODE_CELL,
  type Chunk2CoreConfig,
} from "../prover/zkvm/witness2.ts";
import { codeEdges } from "./helpers/code-edges.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const CFG: Chunk2CoreConfig = { K: 8, NC: 96, TB: 6, M: 20, MB: 16, NM: 2 };
const NPLAIN = nPlain(CFG.TB);
const params = (c: Chunk2CoreConfig) => [c.K, c.NC, c.TB, c.M, c.MB, c.NM];
type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;

interface Build {
  wc: Wc;
  sym: Map<string, number>;
}
let probe: Build;
let checked: Build;
interface Case {
  where: string;
  chunk: ChunkRecord;
  inputs: Record<string, unknown>;
}
const cases: Case[] = [];

async function build(label: string, noAsserts: boolean, cfg = CFG): Promise<Build> {
  const v = await compileVariant(
    {
      file: "circuits/zkvm/chunk2.circom",
      template: "Chunk2Core",
      params: params(cfg),
      label,
      sym: true,
      noAsserts,
    },
    { cacheDir: defaultCacheDir() },
  );
  return { wc: await loadWitnessCalculator(v.wasmPath), sym: await readSymbols(v.symPath!) };
}

const witness = (b: Build, inputs: Record<string, unknown>) => witnessOrNull(b.wc, inputs);

/** The inputs with the multiplicities an honest prover counts for them. */
async function withCounts(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const w = await witness(probe, inputs);
  if (!w) throw new Error("the probe build failed");
  const signal = (n: string) => {
    const i = probe.sym.get(`main.${n}`);
    if (i === undefined) throw new Error(`no signal ${n}`);
    return w[i]!;
  };
  return { ...inputs, m: countLookups(CFG, NPLAIN, signal) };
}

/**
 * The chunk's share of the job-wide sum as the reference models compute it: its paged cells'
 * versions (versions.ts: (cell, vout, t) produced, (cell, vin, tin) consumed) and the bytes its
 * record claims it moved (io-elements.ts).
 */
function modelShare(inputs: Record<string, unknown>, chunk: ChunkRecord): bigint {
  const gamma = BigInt(inputs.gammaJob as string);
  const at = (key: string, i: number) => Number((inputs[key] as string[])[i]);
  const xs: bigint[] = [];
  const signs: number[] = [];
  const t = Number(inputs.t);
  for (let i = 0; i < CFG.NC; i++) {
    if (at("used", i) !== 1) continue;
    xs.push(
      element(at("cell", i), at("vout", i), t),
      element(at("cell", i), at("vin", i), at("tin", i)),
    );
    signs.push(1, -1);
  }
  const io = chunkIoShare(chunk);
  return logDerivativeSum(gamma, [...xs, ...io.xs], [...signs, ...io.signs]);
}

const accepted = async (inputs: Record<string, unknown>) =>
  (await witness(checked, await withCounts(inputs))) !== null;

async function collect(g: { name: string; image: ProgramImage; input: Uint8Array }, max = 1e9) {
  const opening = await imageOpening(g.image);
  const { chunks } = await executeChunked(g.image, g.input, chunk2Limits(CFG));
  // the first `max` chunks, and the last 12 (where sha256 and ledger write their output)
  const keep = chunks.length <= max + 12 ? chunks : [...chunks.slice(0, max), ...chunks.slice(-12)];
  for (const chunk of keep)
    cases.push({
      where: `${g.name} chunk ${chunk.index}`,
      chunk,
      inputs: chunk2CoreInputs(CFG, opening, chunk),
    });
}

beforeAll(async () => {
  probe = await build("chunk2-core-probe", true);
  checked = await build("chunk2-core", false);
  const elf = (n: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${n}.elf`)));
  await collect({ name: "allinsn", image: elf("allinsn"), input: GUEST_INPUTS.allinsn! });
  for (const name of ["sha256", "ledger"])
    await collect({ name, image: elf(name), input: GUEST_INPUTS[name]! }, 60);
  await collect(codeEdges());
}, 900_000);

describe("the versioned-cells chunk core (issue 12, alone)", () => {
  it("accepts every chunk of real programs and ends where the executor ends", async () => {
    for (const c of cases) {
      const inputs = await withCounts(c.inputs);
      const w = await witness(checked, inputs);
      expect(w, c.where).not.toBeNull();
      const out = (n: string) => w![checked.sym.get(`main.${n}`)!]!;
      const s = c.chunk.stateOut;
      expect(out("pcOut"), c.where).toBe(BigInt(s.pc >>> 0));
      expect(out("haltedOut"), c.where).toBe(s.halted ? 1n : 0n);
      expect(out("exitOut"), c.where).toBe(BigInt(s.exitCode >>> 0));
      expect(out("cycles"), c.where).toBe(BigInt(c.chunk.steps));
      // the bytes it read and wrote, and the transfer it ends inside (the next chunk's io in)
      expect(out("inPosOut"), c.where).toBe(BigInt(s.inputPosition));
      expect(out("outPosOut"), c.where).toBe(BigInt(s.outputPosition!));
      // its share of the job-wide sum: the cells' and the moved bytes' (io-elements.ts)
      expect(out("jobSum"), c.where).toBe(modelShare(c.inputs, c.chunk));
      const ioOut = [0, 1, 2, 3, 4, 5].map((j) => out(`ioOut[${j}]`));
      const next = cases.find((n) => n.chunk.stateIn === s);
      if (next) expect(ioOut, c.where).toEqual((next.inputs.ioIn as string[]).map(BigInt));
      expect(ioOut[5], c.where).toBe(BigInt(s.ioDone ?? 0));
    }
    expect(cases.length).toBeGreaterThan(300);
    // chunks that start inside a read's or a write's transfer
    expect(cases.filter((c) => (c.inputs.ioIn as string[])[0] === "1").length).toBeGreaterThan(0);
    // code words were loaded under their code cells
    expect(cases.some((c) => (c.inputs.isCodeLoad as string[]).includes("1"))).toBe(true);
  }, 900_000);

  it("refuses what a cheating prover would change", async () => {
    const sample = cases.filter((_, i) => i % 50 === 0);
    let tried = 0;
    for (const c of sample) {
      const x = c.inputs;
      const used = (x.used as string[]).map(Number);
      const memSlots = used.map((u, i) => (u && i >= 32 ? i : -1)).filter((i) => i >= 0);
      const change = (key: string, at: number, f: (v: string) => string) => {
        const arr = (x[key] as string[]).slice();
        arr[at] = f(arr[at]!);
        return { ...x, [key]: arr };
      };
      const plus1 = (v: string) => String(BigInt(v) + 1n);
      const tries: [string, Record<string, unknown>][] = [];
      for (const i of memSlots.slice(0, 3)) {
        tries.push([`vin of slot ${i} + 1 (a value nobody wrote)`, change("vin", i, plus1)]);
        tries.push([`vout of slot ${i} + 1`, change("vout", i, plus1)]);
        tries.push([`tlast of slot ${i} + 1`, change("tlast", i, plus1)]);
      }
      tries.push([`vin of x5 + 1`, change("vin", 5, plus1)]);
      if (memSlots.length > 0) {
        const i = memSlots[0]!;
        const cell = (x.cell as string[]).slice();
        const dup = [...cell];
        dup.splice(i + 1, 0, cell[i]!);
        dup.length = cell.length;
        const dupOf = (key: string) => {
          const a = (x[key] as string[]).slice();
          a.splice(i + 1, 0, a[i]!);
          a.length = cell.length;
          return a;
        };
        tries.push([
          `cell of slot ${i} paged twice`,
          {
            ...x,
            cell: dup,
            used: dupOf("used"),
            vin: dupOf("vin"),
            vout: dupOf("vout"),
            tlast: dupOf("tlast"),
            tin: dupOf("tin"),
          },
        ]);
      }
      // a read claiming another write: each non-zero distance of the first step moved
      const d = x.d as string[][];
      for (let s = 0; s < 5; s++) {
        const moved = d.map((r) => r.slice());
        moved[0]![s] = String(BigInt(moved[0]![s]!) + 1n);
        tries.push([`step 0 slot ${s} distance + 1`, { ...x, d: moved }]);
      }
      // a transfer step moving one byte more or fewer than it did, or a write changing the
      // word it reads from
      const ioN = x.ioN as string[];
      const moving = ioN.findIndex((v) => v !== "0");
      if (moving >= 0) {
        tries.push([`step ${moving} moves one byte more`, change("ioN", moving, plus1)]);
        const minus1 = (v: string) => String(BigInt(v) - 1n);
        tries.push([`step ${moving} moves one byte fewer`, change("ioN", moving, minus1)]);
        tries.push([`step ${moving}'s word after + 1`, change("ioNew", moving, plus1)]);
      }
      const codeAt = (x.isCodeLoad as string[]).indexOf("1");
      if (codeAt >= 0)
        tries.push([
          `code load at step ${codeAt} named as data`,
          change("isCodeLoad", codeAt, () => "0"),
        ]);
      for (const [what, bad] of tries) {
        expect(await accepted(bad), `${c.where}: ${what}`).toBe(false);
        tried++;
      }
      // honest counts, one moved: refused
      const honest = await withCounts(x);
      const m = (honest.m as string[]).slice();
      m[0] = plus1(m[0]!);
      expect(await witness(checked, { ...honest, m }), `${c.where}: count + 1`).toBeNull();
      tried++;
    }
    expect(tried).toBeGreaterThan(100);
  }, 900_000);

  it("refuses the chunk of every wrong executor (a coherent wrong execution)", async () => {
    const elf = (n: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${n}.elf`)));
    const runs: GuestRun[] = [];
    for (const name of ["allinsn", "sha256", "ledger"]) {
      const image = elf(name);
      const input = GUEST_INPUTS[name]!;
      runs.push({
        name,
        image,
        input,
        opening: await imageOpening(image),
        cycles: execute(image, input).cycles,
      });
    }
    const ids = await Promise.all(runs.map((r) => imageId(r.image)));
    const config = chunkCircuitConfig("rv32im_K8_P4_IO4_M20");
    // Every input is derived from the wrong run's records (a division's q and r are the
    // circuit's own hints here, not the cheating prover's: the harness gives those to today's
    // chunk only).
    const judge = async (c: Parameters<Parameters<typeof runWrongExecutors>[2]>[0]) => {
      const at = ids.indexOf(c.chunk.stateIn.imageId);
      expect(at).toBeGreaterThanOrEqual(0);
      // accepted: the constraints hold and the chunk ends in the state the wrong run claims
      const inputs = await withCounts(chunk2CoreInputs(CFG, runs[at]!.opening, c.chunk));
      const w = await witness(checked, inputs);
      if (!w) return false;
      const out = (n: string) => w[checked.sym.get(`main.${n}`)!]!;
      const s = c.chunk.stateOut;
      // and its share of the job-wide sum is what the wrong run's claims need: every other
      // chunk of that run is honest and adds the model's share, and the model's shares of the
      // run (with the input and output proofs over its input and claimed output) sum to 0, so
      // a chunk adding anything else leaves the job's sum unbalanced
      return (
        out("pcOut") === BigInt(s.pc >>> 0) &&
        out("haltedOut") === (s.halted ? 1n : 0n) &&
        out("exitOut") === BigInt(s.exitCode >>> 0) &&
        out("cycles") === BigInt(c.chunk.steps) &&
        out("jobSum") === modelShare(inputs, c.chunk)
      );
    };
    const { outcomes, neverFired } = await runWrongExecutors(config, runs, judge, { io: "word" });
    console.log(
      `wrong executors: ${outcomes.length} chunks, ${outcomes.filter((o) => o.refused).length} refused`,
    );
    expect(neverFired).toEqual([]);
    expect(outcomes).toHaveLength(WRONG_EXECUTORS.length);
    // a byte written other than the memory's is refused by the job-wide sum: the chunk
    // produces the memory's byte, the output proof consumes the claimed one
    expect(outcomes.filter((o) => !o.refused).map((o) => o.wrong)).toEqual([]);
  }, 900_000);

  it("refuses every hint a cheating prover would change (hint overrides)", async () => {
    const v = await compileVariant(
      {
        file: "circuits/zkvm/chunk2.circom",
        template: "Chunk2Core",
        params: params(CFG),
        label: "chunk2-core-hints",
        sym: true,
        instrument: true,
      },
      { cacheDir: defaultCacheDir() },
    );
    const wc = await loadWitnessCalculator(v.wasmPath);
    const sym = await readSymbols(v.symPath!);
    const T = v.templates;
    const site = (tmpl: string, hint: string) => SITE_STRIDE * T[tmpl]!.hints[hint]!;
    // a component's route: 2 + its declaration index + 64 * its array index
    const route = (name: string, idx = 0) =>
      BigInt(PATH_BASE) * 1n + BigInt(2 + T.Chunk2Core!.components[name]!.decl + 64 * idx);
    type Alt = [path: bigint, site: number, signal: string, delta: bigint];
    let refused = 0;
    let accepted = 0;
    const ND = Math.floor(CFG.TB / 4);
    // a sample, and a chunk that reads, one that writes and one that finds the input's end
    const moves = (c: Case, kind: string, ended = false) =>
      c.chunk.stepRecords.some((r) => r.io?.kind === kind && r.io.n > 0 && (!ended || r.io.ended));
    const endsInput = (c: Case) => c.chunk.stepRecords.some((r) => r.io?.ended);
    const ioCases = [
      cases.find((c) => moves(c, "read")),
      cases.find((c) => moves(c, "write") && c.chunk.outputBytes.length > 0),
      cases.find(endsInput),
    ];
    expect(ioCases.every((c) => c !== undefined)).toBe(true);
    for (const c of [...cases.filter((_, i) => i % 200 === 7), ...(ioCases as Case[])]) {
      const inputs = await withCounts(c.inputs);
      const honest = await wc.calculateWitness(
        { ...inputs, hov: [0, 0, 0, 0, 0, 0] } as never,
        true,
      );
      const val = (n: string) => honest[sym.get(`main.${n}`)!]!;
      const run = async (alts: Alt[]) => {
        const hov = [0n, 0n, 0n, 0n, 0n, 0n];
        alts.forEach(([path, st, signal, dv], j) => {
          hov[3 * j] = path;
          hov[3 * j + 1] = BigInt(st);
          hov[3 * j + 2] = (((val(signal) + dv) % FIELD) + FIELD) % FIELD;
        });
        const ok = (await witnessOrNull(wc, { ...inputs, hov })) !== null;
        if (ok) accepted++;
        else refused++;
        return ok;
      };
      const tries: Alt[][] = [];
      const self = 1n;
      const used = (inputs.used as string[]).map(Number);
      for (let i = 0; i < CFG.NC; i += used[i] ? 7 : 23) {
        for (let k = 0; k < 8; k++) {
          const at = 8 * i + k;
          for (const dv of [1n, -1n, 16n])
            tries.push([[self, site("Chunk2Core", "vn") + at, `vn[${at}]`, dv]]);
          if (k < 7)
            tries.push([
              [self, site("Chunk2Core", "vn") + at, `vn[${at}]`, 16n],
              [self, site("Chunk2Core", "vn") + at + 1, `vn[${at + 1}]`, -1n],
            ]);
        }
        for (let k = 0; k < ND; k++) {
          const at = ND * i + k;
          for (const dv of [1n, 16n])
            tries.push([[self, site("Chunk2Core", "tn") + at, `tn[${at}]`, dv]]);
        }
        const ii = `ii[${i}]`;
        tries.push([[self, site("Chunk2Core", "ii") + i, ii, 1n]]);
        tries.push([[self, site("Chunk2Core", "ifin") + i, `ifin[${i}]`, 1n]]);
      }
      for (let j = 0; j < 5 * CFG.K; j += 3) {
        tries.push([[self, site("Chunk2Core", "ir") + j, `ir[${j}]`, 1n]]);
        tries.push([[self, site("Chunk2Core", "iw") + j, `iw[${j}]`, -1n]]);
      }
      // the moved bytes' inverses (moving and not) and the end's
      for (let j = 0; j < 4 * CFG.K; j++)
        tries.push([[self, site("Chunk2Core", "iio") + j, `iio[${j}]`, 1n]]);
      for (let k = 0; k < CFG.K; k++)
        tries.push([[self, site("Chunk2Core", "iend") + k, `iend[${k}]`, -1n]]);
      // the counts' nibbles, re-split (x - 16, y + 1): the same count
      const m = (inputs.m as string[]).map(BigInt);
      for (let j = 16; j < 272; j += 1) {
        if (m[j] === 0n) continue;
        const at = CFG.NM * (j - 16);
        tries.push([
          [route("counts"), site("NibbleCounts", "mn") + at, `counts.mn[${at}]`, -16n],
          [route("counts"), site("NibbleCounts", "mn") + at + 1, `counts.mn[${at + 1}]`, 1n],
        ]);
        if (tries.length > 400) break;
      }
      // the steps' nibbles, re-split (x + 16, y - 1) inside each 32-bit quantity
      for (let k = 0; k < CFG.K; k++)
        for (const at of [0, 9, 17, 26, 34, 41, 50, 60, 72]) {
          const sig = (n: number) => `stp[${k}].nib[${n}]`;
          tries.push([
            [route("stp", k), site("Step2", "nib") + at, sig(at), 16n],
            [route("stp", k), site("Step2", "nib") + at + 1, sig(at + 1), -1n],
          ]);
        }
      for (const alts of tries) {
        const ok = await run(alts);
        expect(ok, `${c.where}: ${alts.map((a) => `${a[2]} ${a[3]}`).join(", ")}`).toBe(false);
      }
    }
    console.log(`Chunk2Core hint alternatives: ${refused} refused, ${accepted} accepted`);
    expect(refused).toBeGreaterThan(1500);
  }, 900_000);

  it("leaves no wire unconstrained (R1CS perturbation on honest witnesses)", async () => {
    const v = await compileVariant(
      {
        file: "circuits/zkvm/chunk2.circom",
        template: "Chunk2Core",
        params: params(CFG),
        label: "chunk2-core-r1cs",
        r1cs: true,
        sym: true,
        optimization: "O2",
      },
      { cacheDir: defaultCacheDir() },
    );
    const r1cs = await readR1cs(v.r1csPath!);
    const c = {
      r1cs,
      index: wireIndex(r1cs),
      names: await wireNames(v.symPath!),
      wc: await loadWitnessCalculator(v.wasmPath),
    };
    const witnesses: bigint[][] = [];
    // and a chunk with a read that finds the input's end (sha256's first read: 2 bytes of 4)
    const short = cases.findIndex(
      (c) =>
        c.where.startsWith("sha256") &&
        c.chunk.stepRecords.some(
          (r) => r.io?.kind === "read" && r.io.last && r.io.n > 0 && r.io.n < 4,
        ),
    );
    expect(short).toBeGreaterThan(0);
    for (const k of [0, 1, 40, 200, short, cases.length - 1])
      witnesses.push(
        await c.wc.calculateWitness((await withCounts(cases[k]!.inputs)) as never, true),
      );
    const check = new WireCheck(c);
    for (const w of witnesses) check.add(w);
    const r = check.report();
    console.log(
      `Chunk2Core R1CS: ${r.wires} wires, ${r.constraints} constraints, ${r.witnesses} witnesses: ${r.unconstrained.length} unconstrained; free at some witnesses: ${[...r.sometimesFree.keys()].join(", ") || "none"}`,
    );
    expect(r.violated).toBe(0);
    const patterns = new Map<string, number>();
    for (const u of r.unconstrained) {
      const p = u.names[0]!.replace(/\[\d+\]/g, "[*]");
      patterns.set(p, (patterns.get(p) ?? 0) + 1);
    }
    expect(Object.fromEntries(patterns)).toEqual({});
    // What may be free at some witnesses is an inverse of 0 (IsZero's), pinned elsewhere.
    for (const p of r.sometimesFree.keys()) expect(p).toMatch(/\.inv$/);
    // Deleting the constraints on one nibble of vout makes its wire free: the layer sees it.
    const wire = [...c.names].find(([, n]) => n.includes("main.vn[323]"))![0];
    const binding = r1cs.constraints.flatMap((lcs, i) =>
      lcs.some((l) => l.wires.includes(wire)) ? [i] : [],
    );
    expect(binding.length).toBeGreaterThan(0);
    const weak = withoutConstraints(r1cs, binding);
    const check2 = new WireCheck({ ...c, r1cs: weak, index: wireIndex(weak) });
    check2.add(witnesses[0]!);
    expect(check2.report().unconstrained.map((u) => u.wire)).toContain(wire);
  }, 900_000);

  it("costs per step what the budget says (printed)", async () => {
    const count = async (c: Chunk2CoreConfig) => {
      const v = await compileVariant(
        {
          file: "circuits/zkvm/chunk2.circom",
          template: "Chunk2Core",
          params: params(c),
          label: `chunk2-core-o2-${c.K}`,
          r1cs: true,
          optimization: "O2",
        },
        { cacheDir: defaultCacheDir() },
      );
      return ((await snarkjs.r1cs.info(v.r1csPath!)) as { nConstraints: number }).nConstraints;
    };
    // K = 8 and 23: the transcript takes 2 elements a step, 15 a Poseidon(16) block, so 15
    // more steps are exactly 2 more blocks (44 and 74 elements: 3 and 5 blocks). A pair whose
    // element counts straddle block boundaries differently measures a whole block too many or
    // too few per pair (K = 8 -> 24 is 3 -> 6 blocks: about 38 per step too many).
    const a = await count({ ...CFG, K: 8, TB: 7 });
    const b = await count({ ...CFG, K: 23, TB: 7 });
    const perStep = (b - a) / 15;
    console.log(
      `Chunk2Core(K = 8, NC = 96, TB = 7) ${a}, (K = 23) ${b} constraints: ${perStep.toFixed(1)} per step, ${Math.round(a - 8 * perStep)} per chunk`,
    );
    // 496 before the padding's io carry (12 products a step) and its pad check
    expect(perStep).toBeLessThan(520);
  }, 600_000);
});

describe("a chunk cut by its cells inside a transfer (padding carries the io state)", () => {
  // 8 memory cells a chunk: a read of 24 words is cut inside its transfer, and the chunk ends
  // with idle steps while the transfer is pending (found at the production size, where a read
  // of more than 223 words is cut so: bench:prove2 --guests, the sort and sha256 workloads).
  const CUT: Chunk2CoreConfig = { ...CFG, NC: 40 };
  const words = Array.from({ length: 24 }, (_, i) => (i * 2_654_435_761) >>> 0);
  let cut: { checked: Build; probe: Build };
  let chunks: ChunkRecord[];
  let opening: Awaited<ReturnType<typeof imageOpening>>;
  const counted = async (x: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const w = await witnessOrNull(cut.probe.wc, x);
    if (!w) throw new Error("the probe build failed");
    const m = countLookups(CUT, NPLAIN, (n) => w[cut.probe.sym.get(`main.${n}`)!]!);
    return { ...x, m };
  };
  beforeAll(async () => {
    cut = {
      checked: await build("chunk2-core-nc40", false, CUT),
      probe: await build("chunk2-core-nc40-probe", true, CUT),
    };
    const image = loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", "sort.elf")));
    opening = await imageOpening(image);
    ({ chunks } = await executeChunked(
      image,
      new Uint8Array(Uint32Array.from(words).buffer),
      chunk2Limits(CUT),
    ));
  }, 600_000);

  it("accepts every chunk, those ending inside a transfer with idle steps included", async () => {
    let padded = 0;
    for (const chunk of chunks) {
      const x = await counted(chunk2CoreInputs(CUT, opening, chunk));
      const w = await witnessOrNull(cut.checked.wc, x);
      expect(w, `chunk ${chunk.index}`).not.toBeNull();
      const out = (n: string) => w![cut.checked.sym.get(`main.${n}`)!]!;
      const s = chunk.stateOut;
      expect(out("pcOut")).toBe(BigInt(s.pc >>> 0));
      expect(out("cycles")).toBe(BigInt(chunk.steps));
      expect(out("inPosOut")).toBe(BigInt(s.inputPosition));
      expect(out("ioOut[5]")).toBe(BigInt(s.ioDone ?? 0));
      const idle = (x.val as string[][]).filter((v) => v[0] === "0").length;
      if ((s.ioDone ?? 0) > 0 && idle > 0) padded++;
    }
    expect(padded).toBeGreaterThan(0);
  }, 600_000);

  it("refuses a padded chunk that claims the transfer ended at its cut", async () => {
    const chunk = chunks.find(
      (c) =>
        (c.stateOut.ioDone ?? 0) > 0 &&
        (chunk2CoreInputs(CUT, opening, c).val as string[][]).some((v) => v[0] === "0"),
    )!;
    const x = await counted(chunk2CoreInputs(CUT, opening, chunk));
    const w = await witnessOrNull(cut.checked.wc, x);
    expect(w).not.toBeNull();
    // the idle steps are a no-op: the chunk's end state is the transfer's, never an idle one
    const ioOut = [0, 1, 2, 3, 4, 5].map((j) => w![cut.checked.sym.get(`main.ioOut[${j}]`)!]!);
    expect(ioOut[0]).toBe(1n); // the next step is a SYSB
    // a real step posing as a pad: its fetched word set to 0 while it moved bytes
    const real = (x.val as string[][]).findIndex((v) => v[0] !== "0");
    const forged = structuredClone(x) as Record<string, unknown>;
    (forged.val as string[][])[real]![0] = "0";
    expect(await witnessOrNull(cut.checked.wc, await counted(forged))).toBeNull();
  }, 600_000);
});

void CODE_CELL;
