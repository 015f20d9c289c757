/**
 * The RV32IM chunk circuit against the executor: every guest's chunks satisfy it, single
 * changes to a witness break it (a sample of the mutation harness; `npm run mutate` runs all),
 * and real Groth16 run proofs verify only for their own image, chain and prover.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  executeChunked,
  imageOpening,
  loadElf,
  type ChunkedExecution,
  type ProgramImage,
} from "../prover/executor/index.ts";
import type { CircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { accepts, loadWitnessCalculator, runMutations } from "../prover/zkvm/mutation.ts";
import {
  Groth16ChunkProver,
  MockChunkProver,
  verifyChunk,
  type RunContext,
} from "../prover/zkvm/prover.ts";
import {
  chunkLimits,
  proveRun,
  RunVerifyError,
  verifyRun,
  type RunProof,
} from "../prover/zkvm/run.ts";
import {
  chunkCircuitConfig,
  chunkWitness,
  WitnessError,
  type ChunkWitnessInput,
} from "../prover/zkvm/witness.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const NAME = "rv32im_K8_P4_IO4_M20";
const config = chunkCircuitConfig(NAME);
const PROVER = "0x00000000000000000000000000000000c0ffee01";
let artifacts: CircuitArtifacts;
let wc: Awaited<ReturnType<typeof loadWitnessCalculator>>;

const load = (g: string): ProgramImage =>
  loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/${g}.elf`)));

async function chunked(g: string): Promise<{ exec: ChunkedExecution; ctx: RunContext }> {
  const image = load(g);
  const exec = await executeChunked(image, GUEST_INPUTS[g]!, chunkLimits(config));
  return { exec, ctx: { config, opening: await imageOpening(image) } };
}

beforeAll(async () => {
  artifacts = await getTestArtifacts(NAME);
  wc = await loadWitnessCalculator(artifacts.wasmPath);
}, 1_800_000);

describe("chunk circuit vs executor", () => {
  // allinsn has ~600 chunks here: every 7th (all kinds appear many times over).
  for (const [g, stride] of [
    ["fibonacci", 1],
    ["sort", 1],
    ["ledger", 1],
    ["sha256", 3],
    ["allinsn", 7],
  ] as const) {
    it(`accepts the chunks of ${g}`, async () => {
      const { exec, ctx } = await chunked(g);
      let checked = 0;
      for (let i = 0; i < exec.chunks.length; i += stride) {
        const w = chunkWitness(ctx.config, ctx.opening, exec.chunks[i]!, 1n);
        expect(await accepts(wc, w), `${g} chunk ${i}`).toBe(true);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it("refuses a chunk that does not fit the configuration", async () => {
    const image = load("fibonacci");
    const exec = await executeChunked(image, GUEST_INPUTS.fibonacci!, { chunkSize: 20 });
    const { ctx } = await chunked("fibonacci");
    expect(() => chunkWitness(ctx.config, ctx.opening, exec.chunks[0]!, 1n)).toThrow(WitnessError);
  });
});

describe("mutation harness (sample)", () => {
  // Chunks with a read ecall, loads and stores, and the exit with its output write.
  it("rejects every single change to the step values of fibonacci's chunks", async () => {
    const { exec, ctx } = await chunked("fibonacci");
    const picks = [0, Math.floor(exec.chunks.length / 2), exec.chunks.length - 1];
    const ws = picks.map((i) => chunkWitness(ctx.config, ctx.opening, exec.chunks[i]!, 1n));
    const stepAndState = (path: string) =>
      /^(val|d|inVal|inSlot|outSlot|pcIn|haltedIn|exitIn|inPosIn|cyclesIn|cyclesRetired|regsOut|regsTF)\b/.test(
        path,
      );
    const r = await runMutations(wc, ws, stepAndState);
    expect(r.tried).toBeGreaterThan(1000);
    expect(r.survivors).toEqual([]);
  });

  it("binds the public cycles retired to the chunk's own cycle count (a chain pays per cycle)", async () => {
    const { exec, ctx } = await chunked("fibonacci");
    for (const i of [0, exec.chunks.length - 1]) {
      const c = exec.chunks[i]!;
      const w = chunkWitness(ctx.config, ctx.opening, c, 1n);
      expect(w.cyclesRetired).toBe(String(c.stateOut.cycles - c.stateIn.cycles));
      for (const d of [1n, -1n, 2n ** 32n]) {
        const bad = { ...w, cyclesRetired: String(BigInt(w.cyclesRetired as string) + d) };
        expect(await accepts(wc, bad), `chunk ${i}, ${d}`).toBe(false);
      }
    }
  });

  it("rejects a read value that is not the last one written, even with a consistent time", async () => {
    const { exec, ctx } = await chunked("sort");
    const w = chunkWitness(ctx.config, ctx.opening, exec.chunks[3]!, 1n);
    const bad = structuredClone(w) as ChunkWitnessInput;
    // claim register rs1 of step 2 held 0 since the chunk start (d pointing at time 0)
    (bad.val as string[][])[2]![1] = "0";
    (bad.d as string[][])[2]![1] = String(1 + 5 * 2 + 1 - 1);
    expect((w.val as string[][])[2]![1]).not.toBe("0");
    expect(await accepts(wc, bad)).toBe(false);
  });
});

describe("Groth16 run proofs", () => {
  let run: RunProof;
  beforeAll(async () => {
    const image = load("fibonacci");
    ({ run } = await proveRun(image, GUEST_INPUTS.fibonacci!, {
      config,
      prover: new Groth16ChunkProver(artifacts),
      address: PROVER,
      vk: artifacts.vkey,
    }));
  }, 1_800_000);

  it("verifies: fib(5) = 5, exit 0, every chunk bound to its prover", async () => {
    const v = await verifyRun(artifacts.vkey, run);
    expect(Buffer.from(v.output).readUInt32LE(0)).toBe(5);
    expect(v.exitCode).toBe(0);
    expect(v.chunks).toBe(run.chunks.length);
    expect(run.chunks.every((c) => BigInt(c.publicSignals[3]) === BigInt(PROVER))).toBe(true);
    expect(await verifyChunk(artifacts.vkey, run.chunks[0]!)).toBe(true);
  });

  const tampered = async (f: (r: RunProof) => void): Promise<string> => {
    const r = structuredClone(run);
    f(r);
    try {
      await verifyRun(artifacts.vkey, r);
    } catch (e) {
      if (e instanceof RunVerifyError) return e.message;
      throw e;
    }
    return "accepted";
  };

  it("rejects another prover address on a proof", async () => {
    expect(await tampered((r) => (r.chunks[1]!.publicSignals[3] = "1"))).toMatch(
      /invalid chunk proofs: 1/,
    );
  });
  it("rejects reordered and missing chunks", async () => {
    expect(await tampered((r) => r.chunks.reverse())).toMatch(/S_in|S_out/);
    expect(await tampered((r) => r.chunks.splice(2, 1))).toMatch(/chain entries/);
  });
  it("rejects a changed output, exit code or input", async () => {
    expect(await tampered((r) => (r.output = "06000000"))).toMatch(/output/);
    expect(await tampered((r) => (r.final.exitCode = 1))).toMatch(/final state/);
    expect(await tampered((r) => (r.inputDigest = "7"))).toMatch(/S_0/);
  });
  it("rejects numbers a digest would reduce (exit 2^32, fractional cycles, registers, x + r)", async () => {
    const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
    // exit code 0 + 2^32 hashes like 0: it must not verify as "exit code 4294967296"
    expect(await tampered((r) => (r.final.exitCode = 2 ** 32))).toMatch(/final.exitCode/);
    expect(await tampered((r) => (r.final.exitCode = -1))).toMatch(/final.exitCode/);
    expect(await tampered((r) => (r.final.cycles += 0.5))).toMatch(/final.cycles/);
    expect(await tampered((r) => (r.final.cycles = 2 ** 40))).toMatch(/final.cycles/);
    expect(await tampered((r) => (r.final.pc = 2 ** 32 + r.final.pc))).toMatch(/final.pc/);
    expect(await tampered((r) => (r.final.registers[5] = 2 ** 32))).toMatch(/registers\[5\]/);
    expect(
      await tampered((r) => (r.final.outputDigest = (BigInt(r.final.outputDigest) + R).toString())),
    ).toMatch(/field order/);
    expect(await tampered((r) => (r.image.entry = 2 ** 32 + r.image.entry))).toMatch(/image.entry/);
  });
  it("rejects a chunk that retires nothing (S_in = S_out)", async () => {
    expect(
      await tampered((r) => {
        r.chain.splice(1, 0, r.chain[0]!);
        const idle = structuredClone(r.chunks[0]!);
        idle.publicSignals[1] = idle.publicSignals[0]!;
        r.chunks.unshift(idle);
      }),
    ).toMatch(/retires nothing/);
  });
  it("rejects another image and a proof moved to another chain position", async () => {
    expect(await tampered((r) => (r.image.entry += 4))).toMatch(/image ID/);
    expect(
      await tampered((r) => {
        r.chunks[1]!.proof = structuredClone(r.chunks[2]!.proof);
      }),
    ).toMatch(/invalid chunk proofs: 1, 2|invalid chunk proofs: 1/);
  });
  it("rejects an aliased public input (x + r) and a mock proof", async () => {
    const R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
    expect(
      await tampered((r) => (r.chunks[0]!.publicSignals[3] = (BigInt(PROVER) + R).toString())),
    ).toMatch(/not below the field order/);
    const { exec, ctx } = await chunked("fibonacci");
    const mock = await new MockChunkProver().proveChunk(ctx, exec.chunks[0]!, PROVER);
    expect(await tampered((r) => (r.chunks[0] = mock))).toMatch(/mock/);
  });
});
