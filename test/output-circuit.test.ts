/**
 * circuits/zkvm/output.circom (`OutputProof`: issue 12 item 5's output commitment, not wired
 * into the network yet), compiled alone at MAXB = 64, and the contract side that opens it
 * (contracts/JobOutput.sol, used by contracts/test/OutputReader.sol) on hardhat's chain:
 * - its digest is SHA-256 of the output for every length around SHA-256's block boundaries
 *   and for the outputs of real word-mode runs; its share of the job-wide sum is the model's
 *   (io-elements.ts), and with the chunks' shares and the input proof's a whole job's I/O sum
 *   is 0 — and not 0 when it commits to an output the chunks did not write;
 * - what a cheating prover would change is refused: a byte past the length, a byte above 255,
 *   a length above MAXB, every inverse moved with the share it sums (forged witnesses checked
 *   against the R1CS), and no wire of its R1CS free;
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
import { executeChunked, loadElf } from "../prover/executor/index.ts";
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
import { chunk2Limits } from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const MAXB = 64;
const GAMMA =
  0x0d5e_7a31_c4b9_2f86_1e0c_9b47_a3d2_f518_6c0b_e94f_27a1_d38c_5f60_b2e7_913a_4cd8n % R;
type Wc = Awaited<ReturnType<typeof loadWitnessCalculator>>;
let wc: Wc;
let sym: Map<string, number>;
let r1cs: Awaited<ReturnType<typeof readR1cs>>;
let names: Map<number, string[]>;

const inputsOf = (bytes: Uint8Array | number[]) => ({
  gammaJob: GAMMA,
  len: BigInt(bytes.length),
  out: [...Array.from(bytes, BigInt), ...Array<bigint>(MAXB - bytes.length).fill(0n)],
});

async function outputs(inputs: ReturnType<typeof inputsOf>) {
  const w = await wc.calculateWitness(inputs as never, true);
  const at = (n: string) => w[sym.get(`main.${n}`)!]!;
  const hi = at("digestHi");
  const lo = at("digestLo");
  return {
    digest: (hi.toString(16).padStart(32, "0") + lo.toString(16).padStart(32, "0")).toLowerCase(),
    hi,
    lo,
    jobSum: at("jobSum"),
    witness: w,
  };
}

const sha = (b: Uint8Array | number[]) =>
  createHash("sha256").update(Uint8Array.from(b)).digest("hex");
const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
const elf = (n: string) => loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${n}.elf`)));
const word = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);

beforeAll(async () => {
  // one --O2 build: its witness calculator checks every constraint as it computes (a refused
  // witness throws), its R1CS is what the forged witnesses and the wire layer are checked on
  const v = await compileVariant(
    {
      file: "circuits/zkvm/output.circom",
      template: "OutputProof",
      params: [MAXB],
      publicInputs: ["gammaJob"],
      label: "output-o2",
      r1cs: true,
      sym: true,
      optimization: "O2",
    },
    { cacheDir: defaultCacheDir() },
  );
  wc = await loadWitnessCalculator(v.wasmPath);
  sym = await readSymbols(v.symPath!);
  r1cs = await readR1cs(v.r1csPath!);
  names = await wireNames(v.symPath!);
}, 600_000);

describe("the output proof (issue 12, item 5: SHA-256 of the output, opened by a contract)", () => {
  it("commits to SHA-256 of the output and consumes its bytes from the job-wide sum", async () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64]) {
      const b = bytesOf(n);
      const o = await outputs(inputsOf(b));
      expect(o.digest, `${n} bytes`).toBe(sha(b));
      expect(o.jobSum, `${n} bytes`).toBe(shareSum(outputProofShare(b), GAMMA));
    }
    // real jobs (word mode): the chunks' shares, the input proof's and the output proof's
    // balance; an output proof over another output does not
    for (const [name, input] of [
      ["fibonacci", word(20)],
      ["sha256", GUEST_INPUTS.sha256!],
    ] as const) {
      const { chunks, output } = await executeChunked(elf(name), input, chunk2Limits(8));
      expect(output.length).toBeLessThanOrEqual(MAXB);
      const o = await outputs(inputsOf(output));
      expect(o.digest, name).toBe(sha(output));
      const rest = [...chunks.map(chunkIoShare), inputProofShare(inputClaim(chunks, input))];
      const others = rest.reduce((a, s) => (a + shareSum(s, GAMMA)) % R, 0n);
      expect((others + o.jobSum) % R, name).toBe(0n);
      const wrong = Uint8Array.from(output, (b, i) => (i === 0 ? b ^ 1 : b));
      const w = await outputs(inputsOf(wrong));
      expect((others + w.jobSum) % R, `${name}: another output`).not.toBe(0n);
      const short = await outputs(inputsOf(output.slice(0, -1)));
      expect((others + short.jobSum) % R, `${name}: a byte dropped`).not.toBe(0n);
    }
  });

  it("refuses a byte past the length, a byte above 255, a length above MAXB", async () => {
    const refused = async (x: Record<string, unknown>) =>
      expect(await witnessOrNull(wc, x)).toBeNull();
    const b = bytesOf(10);
    expect(await witnessOrNull(wc, inputsOf(b))).not.toBeNull();
    const past = inputsOf(b);
    past.out[10] = 1n; // the output is 10 bytes, the 11th slot is not 0
    await refused(past);
    const big = inputsOf(b);
    big.out[3] = 256n;
    await refused(big);
    await refused({ ...inputsOf(bytesOf(MAXB)), len: BigInt(MAXB + 1) });
    await refused({ ...inputsOf(b), len: R - 1n });
  });

  it("refuses every inverse moved, with the share it sums (forged witnesses)", async () => {
    // the inverses are the only hints of the template itself: a prover moving one moves the
    // share (jobSum) with it, and the inverse's own constraint refuses the pair
    let tried = 0;
    for (const n of [0, 5, 64]) {
      const honest = await wc.calculateWitness(inputsOf(bytesOf(n)) as never, true);
      expect(violatedConstraints(r1cs, honest)).toEqual([]);
      const sumWire = sym.get("main.jobSum")!;
      for (let i = 0; i < MAXB; i++)
        for (const dv of [1n, -1n]) {
          const w = honest.slice();
          // --O2 keeps jobSum (an output) and writes the last inverse as jobSum minus the
          // others: moving jobSum alone moves that one
          const at = sym.get(`main.inv[${i}]`);
          if (at !== undefined) w[at] = (((w[at]! + dv) % R) + R) % R;
          else expect(i).toBe(MAXB - 1);
          w[sumWire] = (((w[sumWire]! + dv) % R) + R) % R;
          expect(violatedConstraints(r1cs, w).length, `${n} bytes: inv[${i}] ${dv}`).toBe(1);
          tried++;
        }
    }
    expect(tried).toBe(3 * MAXB * 2);
  });

  it("leaves no wire of its R1CS free, and costs about a SHA-256 block per 64 bytes", async () => {
    const check = new WireCheck({ r1cs, index: wireIndex(r1cs), names, wc });
    for (const n of [0, 7, 60, 64])
      check.add(await wc.calculateWitness(inputsOf(bytesOf(n)) as never, true));
    const r = check.report();
    const n = r1cs.constraints.length;
    console.log(
      `OutputProof(${MAXB}): ${n} constraints (--O2); R1CS: ${r.wires} wires, ${r.witnesses} witnesses, ${r.unconstrained.length} unconstrained`,
    );
    expect(r.violated).toBe(0);
    expect(r.unconstrained.map((u) => u.names[0])).toEqual([]);
    // free at some witnesses: IsZero's inverses of 0, and gammaJob when the output is empty
    // (every term of the share is 0 then; the verifier fixes gammaJob)
    for (const p of r.sometimesFree.keys()) expect(p).toMatch(/\.inv$|^main\.gammaJob$/);
    expect(n).toBeLessThan(2 * 32_000); // two SHA-256 blocks at MAXB = 64
  });

  it("lets a contract read the output itself: bytes in, SHA-256 checked", async () => {
    const { output } = await executeChunked(elf("fibonacci"), word(20), chunk2Limits(8));
    const fib = await outputs(inputsOf(output));
    const long = bytesOf(MAXB);
    const o64 = await outputs(inputsOf(long));
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
