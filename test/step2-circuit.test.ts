/**
 * circuits/zkvm/step2.circom (issue 12's step for the versioned-cells chunk, not yet wired into
 * a chunk), compiled alone beside today's step.circom: its constraint count against the
 * step's at the test (TB = 6) and production (TB = 13, K = 1,024) sizes; on every step of
 * real chunks (allinsn: every instruction kind; sha256, ledger: reads and writes; a small
 * program that loads and writes code words and touches the words around the code) it computes
 * what Step computes, with the fetch and code loads under code cells; and the witnesses a
 * cheating prover would try on the new advice bit are refused: a store or a read ecall naming a
 * code cell, a code cell named by a step that accesses no memory, a non-boolean bit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { beforeAll, describe, expect, it } from "vitest";
import { executeChunked, imageOpening, loadElf } from "../prover/executor/index.ts";
import { buildElf, ECALL, encI, encR, encS, li, words } from "../prover/executor/testing.ts";
import type { ProgramImage } from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator } from "../prover/zkvm/mutation.ts";
import { compileVariant, readSymbols } from "../prover/zkvm/mutation-variants.ts";
import { chunkLimits } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const config = chunkCircuitConfig("rv32im_K8_P4_IO4_M20");
const TB = 6; // the K = 8 configuration's distance bits
const CODE = 1n << 23n;
const OUT = [
  "nextPc",
  "nextHalted",
  "nextExit",
  "cycInc",
  "cell[0]",
  "cell[1]",
  "cell[2]",
  "cell[3]",
  "cell[4]",
  "newVal[0]",
  "newVal[1]",
  "newVal[2]",
  "newVal[3]",
  "newVal[4]",
  "e",
  "inEvent",
  "outEvent",
  "outByte",
  "sysA",
  "isRead",
  "go",
  "fdOk",
  "fd1",
] as const;
type Outputs = Record<(typeof OUT)[number], bigint>;
type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;

class Circuit {
  constructor(
    private readonly wc: Wc,
    private readonly at: number[],
  ) {}
  static async load(file: string, template: string): Promise<Circuit> {
    const v = await compileVariant(
      { file, template, params: [20, TB], label: `step2-test-${template}`, sym: true },
      { cacheDir: defaultCacheDir() },
    );
    const sym = await readSymbols(v.symPath!);
    const at = OUT.map((n) => {
      const i = sym.get(`main.${n}`);
      if (i === undefined) throw new Error(`${template} has no output ${n}`);
      return i;
    });
    return new Circuit(await loadWitnessCalculator(v.wasmPath), at);
  }
  /** The outputs, or null when a constraint fails. */
  async run(inputs: Record<string, unknown>): Promise<Outputs | null> {
    const { error, log } = console;
    console.error = console.log = () => {};
    try {
      const w = await this.wc.calculateWitness(inputs as never, true);
      return Object.fromEntries(OUT.map((n, i) => [n, w[this.at[i]!]!])) as Outputs;
    } catch {
      return null;
    } finally {
      console.error = error;
      console.log = log;
    }
  }
}

async function constraintsOf(file: string, template: string, tb: number): Promise<number> {
  const v = await compileVariant(
    {
      file,
      template,
      params: [20, tb],
      label: `step2-o2-${template}-${tb}`,
      r1cs: true,
      optimization: "O2",
    },
    { cacheDir: defaultCacheDir() },
  );
  return ((await snarkjs.r1cs.info(v.r1csPath!)) as { nConstraints: number }).nConstraints;
}

/** A program on the code's edges: loads and a write from code words, stores and a read
 *  just outside the code. */
function codeEdges(): { name: string; image: ProgramImage; input: Uint8Array } {
  const BASE = 0x2000;
  const [t0, t1, t2, s5, s6] = [5, 6, 7, 21, 22];
  const [a0, a1, a2, a7] = [10, 11, 12, 17];
  const program = (codeEnd: number) => [
    ...li(s5, BASE),
    encI(0, s5, 2, t0, 0x03), // LW t0, 0(code start)
    encI(7, s5, 4, t1, 0x03), // LBU t1, 7(code start)
    encI(2, s5, 1, t2, 0x03), // LH t2, 2(code start)
    encR(0, t1, t0, 0, t2, 0x33), // ADD
    ...li(s6, codeEnd),
    encS(0, t0, s6, 2), // SW just past the code
    encI(0, s6, 2, t1, 0x03), // LW it back
    ...li(s6, BASE - 4),
    encS(0, t0, s6, 0), // SB just below the code
    // write(1, code start, 5): bytes of the code itself
    ...li(a7, 64),
    ...li(a0, 1),
    ...li(a1, BASE),
    ...li(a2, 5),
    ECALL,
    // read(0, codeEnd + 8, 1)
    ...li(a7, 63),
    ...li(a0, 0),
    ...li(a1, codeEnd + 8),
    ...li(a2, 1),
    ECALL,
    ...li(a0, 0),
    ...li(a7, 93),
    ECALL,
  ];
  const n = program(0).length;
  const elf = buildElf([{ vaddr: BASE, data: words(program(BASE + 4 * n)), flags: 5 }], BASE);
  return { name: "code-edges", image: loadElf(elf), input: new TextEncoder().encode("Z") };
}

interface StepCase {
  where: string;
  step: Record<string, unknown>; // Step's inputs
  step2: Record<string, unknown>; // Step2's honest inputs
  out: Outputs; // Step's outputs
  memWord: bigint | null; // the word the MEM slot names (null: no data access)
  kind: "load" | "store" | "read" | "write" | "other";
}

let step: Circuit;
let step2: Circuit;
const cases: StepCase[] = [];

/** Runs Step over every step of a guest's chunks and keeps its inputs and outputs. */
async function collect(g: { name: string; image: ProgramImage; input: Uint8Array }) {
  const opening = await imageOpening(g.image);
  const { chunks } = await executeChunked(g.image, g.input, chunkLimits(config));
  const [codeStart, codeEnd] = [BigInt(opening.codeStart), BigInt(opening.codeEnd)];
  for (const chunk of chunks) {
    const h = chunkWitness(config, opening, chunk, 0xc0ffeen);
    let pc = BigInt(h.pcIn as string);
    let halted = BigInt(h.haltedIn as string);
    let exit = BigInt(h.exitIn as string);
    let prev = [0n, 0n, 0n, 0n, 0n];
    for (let k = 0; k < config.K; k++) {
      const common = {
        t0: BigInt(1 + 5 * k),
        pc,
        halted,
        exitIn: exit,
        prevSysA: prev[0],
        prevIsRead: prev[1],
        prevGo: prev[2],
        prevFdOk: prev[3],
        prevFd1: prev[4],
        val: (h.val as string[][])[k]!.map(BigInt),
        d: (h.d as string[][])[k]!.map(BigInt),
        inVal: BigInt((h.inVal as string[])[k]!),
      };
      const inputs = { ...common, codeStart, codeEnd };
      const out = await step.run(inputs);
      if (!out) throw new Error(`${g.name} chunk ${chunk.index} step ${k}: Step refuses it`);
      const c3 = out["cell[3]"];
      const memWord = c3 >= 32n ? c3 - 32n : null;
      const inCode = memWord !== null && memWord * 4n >= codeStart && memWord * 4n < codeEnd;
      const instr = common.val[0]!;
      const opcode = instr & 0x7fn;
      const kind =
        memWord === null
          ? "other"
          : opcode === 0x03n
            ? "load"
            : opcode === 0x23n
              ? "store"
              : prev[1] === 1n
                ? "read"
                : "write";
      cases.push({
        where: `${g.name} chunk ${chunk.index} step ${k}`,
        step: inputs,
        step2: { ...common, isCodeLoad: inCode ? 1n : 0n },
        out,
        memWord,
        kind,
      });
      pc = out.nextPc;
      halted = out.nextHalted;
      exit = out.nextExit;
      prev = [out.sysA, out.isRead, out.go, out.fdOk, out.fd1];
    }
  }
}

beforeAll(async () => {
  step = await Circuit.load("circuits/zkvm/step.circom", "Step");
  step2 = await Circuit.load("circuits/zkvm/step2.circom", "Step2");
  const elf = (n: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${n}.elf`)));
  for (const name of ["allinsn", "sha256", "ledger"])
    await collect({ name, image: elf(name), input: GUEST_INPUTS[name]! });
  await collect(codeEdges());
}, 900_000);

describe("the versioned-cells step (issue 12, alone)", () => {
  it("costs about 60 constraints less than today's step (printed)", async () => {
    for (const tb of [6, 13]) {
      const a = await constraintsOf("circuits/zkvm/step.circom", "Step", tb);
      const b = await constraintsOf("circuits/zkvm/step2.circom", "Step2", tb);
      console.log(`TB = ${tb}: Step ${a}, Step2 ${b} constraints (${b - a})`);
      expect(b).toBeLessThanOrEqual(a - 55);
    }
  }, 300_000);

  it("computes what Step computes on every step of real chunks, code under code cells", async () => {
    const seen = new Set<string>();
    const SHIFT = 1n << BigInt(169 + 5 * TB);
    for (const c of cases) {
      const got = await step2.run(c.step2);
      expect(got, c.where).not.toBeNull();
      const active = (c.step.val as bigint[])[0] !== 0n;
      const pc = c.step.pc as bigint;
      const isCode = c.step2.isCodeLoad as bigint;
      const want: Outputs = {
        ...c.out,
        "cell[0]": active ? CODE + pc / 4n : 0n,
        "cell[3]": c.memWord === null ? 0n : (isCode ? CODE : 32n) + c.memWord,
        e: c.out.e + isCode * SHIFT,
      };
      expect(got, c.where).toEqual(want);
      seen.add(`${c.kind}${isCode ? " from code" : ""}`);
    }
    // Every kind of data access was seen, and code read both ways a load or write may.
    expect([...seen].sort()).toEqual(
      ["load", "load from code", "other", "read", "store", "write", "write from code"].sort(),
    );
  }, 600_000);

  it("refuses a code cell for a store, a read ecall's byte, or a step without data access", async () => {
    let tried = 0;
    for (const c of cases) {
      if (c.kind === "load" || c.kind === "write") continue;
      // A store or read-ecall byte into a code word would name CODE + w: refused. So would a
      // step that names no data word claiming to read code.
      expect(await step2.run({ ...c.step2, isCodeLoad: 1n }), c.where).toBeNull();
      tried++;
    }
    expect(tried).toBeGreaterThan(1000);
  }, 600_000);

  it("refuses an advice bit that is not a bit, and a code load claimed as data only by its cell", async () => {
    const loads = cases.filter((c) => c.kind === "load" || c.kind === "write");
    expect(loads.length).toBeGreaterThan(100);
    for (const c of loads.slice(0, 200)) {
      for (const bad of [2n, -1n, 1n << 32n])
        expect(await step2.run({ ...c.step2, isCodeLoad: bad }), c.where).toBeNull();
      // The other value of the bit is accepted by the step, but names the other cell: only
      // one of CODE + w and 32 + w exists (which one is the boundary's rule), so the chunk's
      // memory check decides.
      const flipped = 1n - (c.step2.isCodeLoad as bigint);
      const other = await step2.run({ ...c.step2, isCodeLoad: flipped });
      expect(other, c.where).not.toBeNull();
      expect(other!["cell[3]"], c.where).toBe((flipped ? CODE : 32n) + c.memWord!);
    }
  }, 600_000);
});
