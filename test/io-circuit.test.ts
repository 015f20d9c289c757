/**
 * circuits/zkvm/io.circom (`InputProof`, `OutputProof`: issue 12 item 5's input and output
 * commitments, the network's since 2026-12-02), compiled alone at MAXB = 64, and the contract
 * side that opens an output (contracts/JobOutput.sol, used by contracts/test/OutputReader.sol)
 * on hardhat's chain:
 * - their digests are SHA-256 of the bytes for every length around SHA-256's block boundaries
 *   and for the input and output of real word-mode runs; their shares of the job-wide sum are
 *   the model's (io-elements.ts), and with the chunks' shares a whole job's I/O sum is 0 — and
 *   not 0 when the output proof commits to an output the chunks did not write, or the input
 *   proof to an input they did not read;
 * - what a cheating prover would change is refused: a byte past the length, a byte above 255,
 *   a length above MAXB, more bytes read than the input has, the end found before every byte
 *   was read, every inverse moved with the share it sums (forged witnesses checked against the
 *   R1CS), and no wire of either R1CS free;
 * - a contract given the digest as the proof outputs it reads fib(20) from the output bytes
 *   itself, refuses bytes that are not the output, and an opening of 64 bytes costs less than
 *   50,000 gas (printed).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import { encodeFunctionData } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import type { Poseidon } from "circomlibjs";
import { executeChunked, getPoseidon, loadElf } from "../prover/executor/index.ts";
import {
  chunkIoShare,
  inputClaim,
  inputProofShare,
  outputProofShare,
  shareSum,
} from "../prover/executor/io-elements.ts";
import { R } from "../prover/executor/versions.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { loadWitnessCalculator, witnessOrNull } from "../prover/zkvm/mutation.ts";
import { compileVariant, readSymbols } from "../prover/zkvm/mutation-variants.ts";
import {
  readR1cs,
  violatedConstraints,
  WireCheck,
  wireIndex,
  wireNames,
} from "../prover/zkvm/mutation-r1cs.ts";
import { chunk2Limits, digestOfState2Fields } from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const MAXB = 64;
const GAMMA =
  0x0d5e_7a31_c4b9_2f86_1e0c_9b47_a3d2_f518_6c0b_e94f_27a1_d38c_5f60_b2e7_913a_4cd8n % R;

interface Circuit {
  wc: Awaited<ReturnType<typeof loadWitnessCalculator>>;
  sym: Map<string, number>;
  r1cs: Awaited<ReturnType<typeof readR1cs>>;
  names: Map<number, string[]>;
}
let outputProof: Circuit;
let inputProof: Circuit;

/** One --O2 build: its witness calculator checks every constraint as it computes (a refused
 * witness throws), its R1CS is what forged witnesses and the wire layer are checked on. */
async function build(template: string): Promise<Circuit> {
  const v = await compileVariant(
    {
      file: "circuits/zkvm/io.circom",
      template,
      params: [MAXB],
      // the input proof's counts are public: the verifier derives gammaJob from them
      publicInputs:
        template === "InputProof"
          ? ["gammaJob", "read", "ends"]
          : ["gammaJob", "sFinal", "exitCode"],
      label: `io-${template}-o2`,
      r1cs: true,
      sym: true,
      optimization: "O2",
    },
    { cacheDir: defaultCacheDir() },
  );
  return {
    wc: await loadWitnessCalculator(v.wasmPath),
    sym: await readSymbols(v.symPath!),
    r1cs: await readR1cs(v.r1csPath!),
    names: await wireNames(v.symPath!),
  };
}

const padded = (bytes: Uint8Array | number[]) => [
  ...Array.from(bytes, BigInt),
  ...Array<bigint>(MAXB - bytes.length).fill(0n),
];
/** A final state the output proof opens: halted, outside any call, its output position len. */
const FINAL = {
  imageId: 0x1234_5678n,
  t: 5n,
  cycles: 4_321n,
  pc: 0x1_0040n,
  inPos: 3n,
  exitCode: 7n,
};
const finalDigest = (
  len: number,
  o: { halted?: bigint; exitCode?: bigint; io?: bigint; outPos?: bigint } = {},
) =>
  digestOfState2Fields(poseidon, [
    FINAL.imageId,
    FINAL.t,
    FINAL.cycles,
    FINAL.pc,
    o.halted ?? 1n,
    o.exitCode ?? FINAL.exitCode,
    o.io ?? 0n,
    0n,
    0n,
    0n,
    0n,
    0n,
    FINAL.inPos,
    o.outPos ?? BigInt(len),
  ]);
const outInputs = (bytes: Uint8Array | number[], sFinal = finalDigest(bytes.length)) => ({
  gammaJob: GAMMA,
  sFinal,
  exitCode: FINAL.exitCode,
  len: BigInt(bytes.length),
  out: padded(bytes),
  imageId: FINAL.imageId,
  t: FINAL.t,
  cycles: FINAL.cycles,
  pc: FINAL.pc,
  inPos: FINAL.inPos,
});
const inInputs = (bytes: Uint8Array | number[], read = bytes.length, ends = 0) => ({
  gammaJob: GAMMA,
  len: BigInt(bytes.length),
  in: padded(bytes),
  read: BigInt(read),
  ends: BigInt(ends),
});

async function outputs(c: Circuit, inputs: object) {
  const w = await c.wc.calculateWitness(inputs as never, true);
  const at = (n: string) => w[c.sym.get(`main.${n}`)!]!;
  const hi = at("digestHi");
  const lo = at("digestLo");
  return {
    digest: hi.toString(16).padStart(32, "0") + lo.toString(16).padStart(32, "0"),
    hi,
    lo,
    jobSum: at("jobSum"),
  };
}

const sha = (b: Uint8Array | number[]) =>
  createHash("sha256").update(Uint8Array.from(b)).digest("hex");
const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
const elf = (n: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${n}.elf`)));
const word = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);
const flip = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 1 : x));

let poseidon: Poseidon;

beforeAll(async () => {
  poseidon = await getPoseidon();
  outputProof = await build("OutputProof");
  inputProof = await build("InputProof");
}, 600_000);

describe("the input and output proofs (issue 12, item 5: SHA-256 commitments)", () => {
  it("commit to SHA-256 of their bytes and take the model's share of the job-wide sum", async () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64]) {
      const b = bytesOf(n);
      const o = await outputs(outputProof, outInputs(b));
      expect(o.digest, `output of ${n} bytes`).toBe(sha(b));
      expect(o.jobSum, `output of ${n} bytes`).toBe(shareSum(outputProofShare(b), GAMMA));
      // an input read whole and its end found twice, and one read only in part
      for (const [read, ends] of [
        [n, 2],
        [Math.floor(n / 2), 0],
      ] as const) {
        const i = await outputs(inputProof, inInputs(b, read, ends));
        expect(i.digest, `input of ${n} bytes`).toBe(sha(b));
        expect(i.jobSum, `input of ${n} bytes, ${read} read, ${ends} ends`).toBe(
          shareSum(inputProofShare({ input: b, read, ends }), GAMMA),
        );
      }
    }
  });

  it("balance a whole job's bytes with its chunks, and only the bytes they moved", async () => {
    // real jobs (word mode): the chunks' shares (the model; test/chunk2-circuit.test.ts checks
    // the chunk circuit's equals it), the input proof's and the output proof's sum to 0
    for (const [name, input] of [
      ["fibonacci", word(20)],
      ["sha256", GUEST_INPUTS.sha256!],
    ] as const) {
      const { chunks, output } = await executeChunked(
        elf(name),
        input,
        chunk2Limits({ K: 8, NC: 96 }),
      );
      expect(output.length).toBeLessThanOrEqual(MAXB);
      const claim = inputClaim(chunks, input);
      const chunkSum = chunks.reduce((a, c) => (a + shareSum(chunkIoShare(c), GAMMA)) % R, 0n);
      const o = await outputs(outputProof, outInputs(output));
      const i = await outputs(inputProof, inInputs(input, claim.read, claim.ends));
      expect(o.digest, name).toBe(sha(output));
      expect(i.digest, name).toBe(sha(input));
      expect((chunkSum + o.jobSum + i.jobSum) % R, name).toBe(0n);
      // another output, an output a byte short, another input: unbalanced
      const bad = [
        (await outputs(outputProof, outInputs(flip(output)))).jobSum + i.jobSum,
        (await outputs(outputProof, outInputs(output.slice(0, -1)))).jobSum + i.jobSum,
        o.jobSum +
          (await outputs(inputProof, inInputs(flip(input), claim.read, claim.ends))).jobSum,
      ];
      for (const [k, s] of bad.entries()) expect((chunkSum + s) % R, `${name} ${k}`).not.toBe(0n);
    }
  });

  it("refuse bytes past the length or above 255, a length above MAXB, a false end", async () => {
    const refused = async (c: Circuit, x: Record<string, unknown>, what: string) =>
      expect(await witnessOrNull(c.wc, x), what).toBeNull();
    const b = bytesOf(10);
    expect(await witnessOrNull(outputProof.wc, outInputs(b))).not.toBeNull();
    expect(await witnessOrNull(inputProof.wc, inInputs(b))).not.toBeNull();
    const cases: [Circuit, Record<string, unknown>, string][] = [
      [outputProof, outInputs(b), "out"],
      [inputProof, inInputs(b), "in"],
    ];
    for (const [c, x, key] of cases) {
      const past = (x[key] as bigint[]).slice();
      past[10] = 1n; // 10 bytes: the 11th slot is not 0
      await refused(c, { ...x, [key]: past }, `${key}: a byte past the length`);
      const big = (x[key] as bigint[]).slice();
      big[3] = 256n;
      await refused(c, { ...x, [key]: big }, `${key}: a byte above 255`);
      await refused(c, { ...x, len: BigInt(MAXB + 1) }, `${key}: a length above MAXB`);
      await refused(c, { ...x, len: R - 1n }, `${key}: a negative length`);
    }
    // the final state it opens must be halted, outside any call, with the public exit code
    // and len bytes written
    await refused(outputProof, outInputs(b, finalDigest(10, { halted: 0n })), "not halted");
    await refused(outputProof, outInputs(b, finalDigest(10, { exitCode: 8n })), "another exit");
    await refused(outputProof, outInputs(b, finalDigest(10, { io: 1n })), "inside a call");
    await refused(outputProof, outInputs(b, finalDigest(10, { outPos: 11n })), "a byte more");
    await refused(outputProof, outInputs(b, finalDigest(10, { outPos: 9n })), "a byte fewer");
    await refused(outputProof, { ...outInputs(b), exitCode: 8n }, "the exit code moved");
    await refused(inputProof, inInputs(b, 11), "more bytes read than the input has");
    await refused(inputProof, inInputs(b, 9, 1), "the end found with a byte unread");
    await refused(inputProof, inInputs(b, 10, -1), "a negative number of ends");
    await refused(inputProof, { ...inInputs(b), read: R - 1n }, "a negative number read");
  });

  it("refuse every inverse moved, with the share it sums (forged witnesses)", async () => {
    // the inverses are the only hints of the templates themselves: a prover moving one moves
    // the share (jobSum) with it, and the inverse's own constraint refuses the pair
    let tried = 0;
    for (const [c, inputs, hints] of [
      [outputProof, (n: number) => outInputs(bytesOf(n)), ["inv"]],
      [inputProof, (n: number) => inInputs(bytesOf(n), n, 1), ["inv", "invEnd"]],
    ] as const)
      for (const n of [0, 5, 64]) {
        const honest = await c.wc.calculateWitness(inputs(n) as never, true);
        expect(violatedConstraints(c.r1cs, honest)).toEqual([]);
        const sumWire = c.sym.get("main.jobSum")!;
        const signals = hints.flatMap((h) =>
          h === "inv" ? Array.from({ length: MAXB }, (_, i) => `inv[${i}]`) : [h],
        );
        for (const s of signals)
          for (const dv of [1n, -1n]) {
            const w = honest.slice();
            // --O2 keeps jobSum (an output) and writes one inverse as jobSum minus the
            // others: moving jobSum alone moves that one
            const at = c.sym.get(`main.${s}`);
            if (at !== undefined) w[at] = (((w[at]! + dv) % R) + R) % R;
            w[sumWire] = (((w[sumWire]! + dv) % R) + R) % R;
            expect(violatedConstraints(c.r1cs, w).length, `${n} bytes: ${s} ${dv}`).toBe(1);
            tried++;
          }
      }
    expect(tried).toBe(3 * (MAXB + MAXB + 1) * 2);
  });

  it("leave no wire of their R1CS free, and cost about a SHA-256 block per 64 bytes", async () => {
    for (const [name, c, inputs] of [
      ["OutputProof", outputProof, (n: number) => outInputs(bytesOf(n))],
      ["InputProof", inputProof, (n: number) => inInputs(bytesOf(n), n >> 1, 0)],
      ["InputProof", inputProof, (n: number) => inInputs(bytesOf(n), n, 3)],
    ] as const) {
      const check = new WireCheck({ ...c, index: wireIndex(c.r1cs) });
      for (const n of [0, 7, 60, 64])
        check.add(await c.wc.calculateWitness(inputs(n) as never, true));
      const r = check.report();
      const n = c.r1cs.constraints.length;
      console.log(
        `${name}(${MAXB}): ${n} constraints (--O2); R1CS: ${r.wires} wires, ${r.witnesses} witnesses, ${r.unconstrained.length} unconstrained`,
      );
      expect(r.violated).toBe(0);
      expect(r.unconstrained.map((u) => u.names[0])).toEqual([]);
      // free at some witnesses: IsZero's inverses of 0, and gammaJob when no byte is in the
      // share (every term is 0 then; the verifier fixes gammaJob)
      for (const p of r.sometimesFree.keys()) expect(p).toMatch(/\.inv$|^main\.gammaJob$/);
      expect(n).toBeLessThan(2 * 32_000); // two SHA-256 blocks at MAXB = 64
    }
  });

  it("lets a contract read the output itself: bytes in, SHA-256 checked", async () => {
    const { output } = await executeChunked(
      elf("fibonacci"),
      word(20),
      chunk2Limits({ K: 8, NC: 96 }),
    );
    const fib = await outputs(outputProof, outInputs(output));
    const long = bytesOf(MAXB);
    const o64 = await outputs(outputProof, outInputs(long));
    const connection = await network.create();
    const pc = await connection.viem.getPublicClient();
    const reader = await connection.viem.deployContract("OutputReader", [fib.hi, fib.lo]);
    const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as const;
    // fib(20) = 6765, as the guest writes it: a little-endian u32
    expect(await reader.read.wordOf([hex(output)])).toBe(6765);
    await reader.write.acceptWord([hex(output)]);
    expect(await reader.read.lastWord()).toBe(6765);
    // bytes that are not the output: refused
    const other = Uint8Array.from(output, (b, i) => (i === 0 ? b + 1 : b));
    await expect(reader.read.wordOf([hex(other)])).rejects.toThrow(/JobOutput__NotTheOutput/);
    await expect(reader.read.wordOf([hex(output.slice(0, 3))])).rejects.toThrow(
      /JobOutput__NotTheOutput/,
    );
    // a 64-byte output: the whole opening in one transaction (base, calldata, SHA-256 and the
    // word kept in storage) under 50,000 gas
    const reader64 = await connection.viem.deployContract("OutputReader", [o64.hi, o64.lo]);
    const gas = await pc.estimateContractGas({
      address: reader64.address,
      abi: reader64.abi,
      functionName: "acceptWord",
      args: [hex(long)],
    });
    const view = await pc.estimateGas({
      to: reader64.address,
      data: encodeFunctionData({ abi: reader64.abi, functionName: "wordOf", args: [hex(long)] }),
    });
    console.log(
      `opening a 64-byte output: ${gas} gas with the word kept in storage, ${view} gas to read it (transaction base included)`,
    );
    expect(gas).toBeLessThan(50_000n);
    // the digest's halves must be 128-bit (what the proof outputs)
    await expect(connection.viem.deployContract("OutputReader", [1n << 128n, 0n])).rejects.toThrow(
      /half out of range/,
    );
  });
});
