/**
 * A versioned-cells job's two rounds through small leases (prover/zkvm/prepare2.ts and
 * Job2Prover's commitLease / assembleLeased / proveLease): the orchestrator prepares the job
 * without a witness, each chunk's round 1 and round 2 are computed from its lease alone (as a
 * delegator does), and the job is exactly the one `Job2Prover.prepare` + `assemble` make from
 * one recorded run: the same gammaJob, commitments, shares and proof inputs. A lying round-1
 * commitment is found by the chunk's round-2 prover. Witness level (no Groth16): every chunk's
 * witness is checked against the registry's chunk circuit (job2_test keys).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getAddress } from "viem";
import { getPoseidon, imageOpening, loadElf } from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import {
  CommitmentMismatch,
  Job2Prover,
  loadChunk2Probe,
  type Job2Keys,
} from "../prover/zkvm/job2.ts";
import { loadWitnessCalculator, witnessOrNull } from "../prover/zkvm/mutation.ts";
import { prepareJob2 } from "../prover/zkvm/prepare2.ts";
import { verifyJob2 } from "../prover/zkvm/verify2.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const CHAIN = {
  chainId: 31337n,
  contract: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
  jobId: 3n,
};
const PROVER = 0xb0bn;

let p: Awaited<ReturnType<typeof getPoseidon>>;
let kit: Job2Prover;
let chunkWc: Awaited<ReturnType<typeof loadWitnessCalculator>>;
const ks = keySetCircuits("job2_test");

beforeAll(async () => {
  p = await getPoseidon();
  const [chunk, boundary, input, output] = await Promise.all(
    [ks.names.chunk, ks.names.boundary, ks.names.input, ks.names.output].map(getTestArtifacts),
  );
  const keys: Job2Keys = { chunk: chunk!, boundary: boundary!, input: input!, output: output! };
  kit = await Job2Prover.fromArtifacts(
    p,
    ks.cfg,
    ks.np,
    ks.maxb,
    await loadChunk2Probe(ks.cfg, defaultCacheDir()),
    keys,
  );
  chunkWc = await loadWitnessCalculator(chunk!.wasmPath);
}, 900_000);

const guest = (name: string) =>
  loadElf(readFileSync(join(REPO_ROOT, "guests", "elf", `${name}.elf`)));

describe("a versioned-cells job's two rounds through small leases", () => {
  it("makes the job one recorded run makes: the same gammaJob, commitments, shares and proof inputs", async () => {
    for (const name of ["fibonacci", "sort"]) {
      const image = guest(name);
      const input = GUEST_INPUTS[name]!;
      const opening = await imageOpening(image);
      const parts = { image, opening, input };
      // the reference: one recorded run, round 1 and round 2 from its inputs
      const ref = await kit.assemble(await kit.prepare(image, input, PROVER), CHAIN);
      // the orchestrator prepares; each chunk's round 1 from its lease
      const prep = await prepareJob2(p, ks.cfg, image, opening, input);
      const commitments: bigint[] = [];
      for (const l of prep.leases)
        commitments.push(BigInt((await kit.commitLease(parts, l)).commitment as string));
      expect(commitments, name).toEqual(ref.job.chunks.map((c) => c.commitment));
      const a = await kit.assembleLeased(prep, parts, commitments, CHAIN);
      expect(a.boundaryAccepted).toBe(true);
      const gamma = a.job.boundary.gammaJob;
      expect(gamma, name).toBe(ref.job.boundary.gammaJob);
      expect(a.proofInputs).toEqual({
        boundary: ref.proofInputs.boundary,
        input: ref.proofInputs.input,
        output: ref.proofInputs.output,
      });
      // each chunk's round 2 from its lease, under the delegator's address: the reference's
      // inputs, and a witness the chunk circuit accepts
      const shares: bigint[] = [];
      for (const [i, l] of prep.leases.entries()) {
        const x = await kit.proveLease(parts, l, {
          gammaJob: gamma,
          commitment: commitments[i]!,
          prover: PROVER,
        });
        expect(x, `${name} chunk ${i}`).toEqual(ref.proofInputs.chunks[i]);
        expect(await witnessOrNull(chunkWc, x), `${name} chunk ${i}`).not.toBeNull();
        shares.push(BigInt(x.jobSum as string));
      }
      // the job with the proofs' shares and provers filled in verifies, and is the reference's
      const job = {
        ...a.job,
        chunks: a.job.chunks.map((c, i) => ({ ...c, jobSum: shares[i]!, prover: PROVER })),
      };
      expect(job).toEqual(ref.job);
      expect(() => verifyJob2(p, job)).not.toThrow();
    }
  }, 900_000);

  it("a lying round-1 commitment: gammaJob follows it, and the chunk's round-2 prover finds it", async () => {
    const image = guest("fibonacci");
    const input = GUEST_INPUTS.fibonacci!;
    const opening = await imageOpening(image);
    const parts = { image, opening, input };
    const prep = await prepareJob2(p, ks.cfg, image, opening, input);
    const commitments: bigint[] = [];
    for (const l of prep.leases)
      commitments.push(BigInt((await kit.commitLease(parts, l)).commitment as string));
    const honest = await kit.assembleLeased(prep, parts, commitments, CHAIN);
    const lied = commitments.map((c, i) => (i === 2 ? c + 1n : c));
    const a = await kit.assembleLeased(prep, parts, lied, CHAIN);
    expect(a.job.boundary.gammaJob).not.toBe(honest.job.boundary.gammaJob);
    const at = (i: number) => ({
      gammaJob: a.job.boundary.gammaJob,
      commitment: lied[i]!,
      prover: PROVER,
    });
    await expect(kit.proveLease(parts, prep.leases[2]!, at(2))).rejects.toThrow(CommitmentMismatch);
    await expect(kit.proveLease(parts, prep.leases[2]!, at(2))).rejects.toThrow(
      `chunk 2: its commitment is ${commitments[2]}, not the ${lied[2]} gammaJob was drawn from`,
    );
    // the other chunks prove at that gammaJob, but no proof of chunk 2 at it exists: its
    // witness with the lie written in is refused by the circuit
    const x = await kit.proveLease(parts, prep.leases[1]!, at(1));
    expect(await witnessOrNull(chunkWc, x)).not.toBeNull();
    const forced = {
      ...(await kit.commitLease(parts, prep.leases[2]!)),
      commitment: lied[2]!.toString(),
      gammaJob: a.job.boundary.gammaJob.toString(),
      prover: PROVER.toString(),
    };
    expect(await witnessOrNull(chunkWc, forced)).toBeNull();
  }, 900_000);
});
