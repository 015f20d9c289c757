/**
 * The orchestrator's preparation of a versioned-cells job and a delegator's rebuild of one chunk
 * from its lease (prover/zkvm/prepare2.ts; issue 12 item 6), against the reference: every chunk
 * recorded in one run (executeChunked with records and the Merkle tree, as the chunk circuit's
 * tests and `Job2Prover.prepare` build them) with versions tracked from the built inputs
 * (`JobVersions`). No witness: inputs are compared field by field.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  executeChunked,
  getPoseidon,
  imageOpening,
  loadElf,
  type ImageOpening,
  type ProgramImage,
} from "../prover/executor/index.ts";
import { inputClaim } from "../prover/executor/io-elements.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { leaseInputs2, prepareJob2, PrepareError } from "../prover/zkvm/prepare2.ts";
import {
  chunk2Inputs,
  chunk2Limits,
  JobVersions,
  type Chunk2CoreConfig,
} from "../prover/zkvm/witness2.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

type P = Awaited<ReturnType<typeof getPoseidon>>;
let p: P;
beforeAll(async () => {
  p = await getPoseidon();
});

const TEST: Chunk2CoreConfig = { K: 8, NC: 96, TB: 6, M: 20, MB: 16, NM: 2 };
const PRODUCTION: Chunk2CoreConfig = { K: 1024, NC: 256, TB: 13, M: 20, MB: 17, NM: 4 };
const GAMMA = 0x0123_4567_89ab_cdefn;
const PROVER = 0xa11cen;

const guest = (name: string) =>
  loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${name}.elf`)));

/** Every chunk's inputs and the boundary as one recorded run builds them (the reference). */
async function reference(
  cfg: Chunk2CoreConfig,
  image: ProgramImage,
  opening: ImageOpening,
  input: Uint8Array,
) {
  const run = await executeChunked(image, input, chunk2Limits(cfg));
  const versions = new JobVersions(image);
  const inputs = run.chunks.map((c) => {
    const x = chunk2Inputs(p, cfg, opening, c, versions.context(c.index + 1, GAMMA, PROVER));
    versions.record(x);
    return x;
  });
  return { run, inputs, boundary: versions.boundary(), claim: inputClaim(run.chunks, input) };
}

describe("a versioned-cells job prepared without witnesses, rebuilt chunk by chunk", () => {
  for (const [cfgName, cfg] of [
    ["K = 8", TEST],
    ["K = 1,024", PRODUCTION],
  ] as const) {
    it(`${cfgName}: every chunk a lease rebuilds is the reference's, on every committed guest`, async () => {
      let chunks = 0;
      // at K = 1,024 inputs long enough for many chunks (the committed guests' are a few)
      const inputs =
        cfg.K === 8
          ? GUEST_INPUTS
          : {
              ...GUEST_INPUTS,
              sha256: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 255),
              sort: new Uint8Array(
                Uint32Array.from({ length: 400 }, (_, i) => Math.imul(i, 2654435761) >>> 0).buffer,
              ),
            };
      for (const [name, input] of Object.entries(inputs)) {
        const image = guest(name);
        const opening = await imageOpening(image);
        const ref = await reference(cfg, image, opening, input);
        const prep = await prepareJob2(p, cfg, image, opening, input);
        expect(prep.leases.length, name).toBe(ref.inputs.length);
        expect(prep.boundary, name).toEqual(ref.boundary);
        expect({ read: prep.read, ends: prep.ends }, name).toEqual({
          read: ref.claim.read,
          ends: ref.claim.ends,
        });
        expect(Buffer.from(prep.output)).toEqual(Buffer.from(ref.run.output));
        expect(prep.cycles).toBe(ref.run.cycles);
        for (const [i, lease] of prep.leases.entries()) {
          expect(lease.sIn, `${name} ${i}`).toBe(ref.inputs[i]!.sIn);
          expect(lease.sOut, `${name} ${i}`).toBe(ref.inputs[i]!.sOut);
          expect(String(lease.cyclesRetired)).toBe(ref.inputs[i]!.cyclesRetired);
        }
        // the rebuild runs the job up to its chunk: every chunk at K = 8, a sample at 1,024
        const picks =
          cfg.K === 8
            ? prep.leases.map((_, i) => i)
            : [0, prep.leases.length >> 1, prep.leases.length - 1];
        for (const i of new Set(picks)) {
          const x = await leaseInputs2(p, cfg, image, opening, input, prep.leases[i]!, {
            gammaJob: GAMMA,
            prover: PROVER,
          });
          expect(x, `${name} chunk ${i}`).toEqual(ref.inputs[i]);
          chunks++;
        }
      }
      expect(chunks).toBeGreaterThan(cfg.K === 8 ? 100 : 10);
    }, 300_000);
  }

  it("K = 1,024: a memory-heavy job whose chunks the cell limit cuts short, every chunk rebuilt", async () => {
    // a sort of 1,000 words (test/chunk2-limits.test.ts): its reads and its loops page more
    // words than a chunk holds, so the fast cutter's limit and the step-by-step one both cut
    const image = guest("sort");
    const opening = await imageOpening(image);
    const input = new Uint8Array(
      Uint32Array.from({ length: 1_000 }, (_, i) => (i * 2_654_435_761) >>> 0).buffer,
    );
    const ref = await reference(PRODUCTION, image, opening, input);
    const prep = await prepareJob2(p, PRODUCTION, image, opening, input);
    expect(prep.boundary).toEqual(ref.boundary);
    const short = ref.run.chunks.filter((c, i) => i < ref.run.chunks.length - 1 && c.steps < 1024);
    expect(short.length).toBeGreaterThan(0);
    expect(prep.leases.map((l) => l.sOut)).toEqual(ref.inputs.map((x) => x.sOut));
    for (const i of [...short.map((c) => c.index).slice(0, 4), prep.leases.length - 1]) {
      const x = await leaseInputs2(p, PRODUCTION, image, opening, input, prep.leases[i]!, {
        gammaJob: GAMMA,
        prover: PROVER,
      });
      expect(x, `chunk ${i}`).toEqual(ref.inputs[i]);
    }
  }, 300_000);

  it("refuses a lease that is not this job's run: another chunk's states, t, or a chunk past the end", async () => {
    const image = guest("fibonacci");
    const opening = await imageOpening(image);
    const input = GUEST_INPUTS.fibonacci!;
    const prep = await prepareJob2(p, TEST, image, opening, input);
    const ctx = { gammaJob: GAMMA, prover: PROVER };
    const l = prep.leases[3]!;
    const rebuild = (x: typeof l) => leaseInputs2(p, TEST, image, opening, input, x, ctx);
    await expect(rebuild({ ...l, sIn: prep.leases[2]!.sIn })).rejects.toThrow(
      /chunk 3: its states are not the lease's/,
    );
    await expect(rebuild({ ...l, t: 3 })).rejects.toThrow(PrepareError);
    const n = prep.leases.length;
    await expect(rebuild({ ...l, index: n, t: n + 1 })).rejects.toThrow(
      new RegExp(`the run has ${n} chunks: no chunk ${n} to prove`),
    );
  });

  it("stops a run past its chunk bound before preparing anything", async () => {
    const image = guest("sha256");
    const opening = await imageOpening(image);
    await expect(
      prepareJob2(p, TEST, image, opening, GUEST_INPUTS.sha256!, { maxChunks: 3 }),
    ).rejects.toThrow(/more than 3 chunks/);
  });
});
