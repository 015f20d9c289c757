/**
 * A versioned-cells job through the network (issue 12, items 6 and 8): a hardhat node with the
 * system deployed (JobVerifier2 of the test key set wired in), a root orchestrator, a user's
 * job submitted with JobRegistry.submitJob2, prepared by the orchestrator without a witness,
 * each chunk's round 1 (its commitment) by the delegator that leases it, gammaJob derived and
 * the job's three proofs made by the orchestrator, each chunk's round 2 proven by delegators
 * under their own addresses, and the epoch settled with EpochManager.submitEpoch2: the
 * result's digest the output's SHA-256, each delegator credited. On the way, a stranger with
 * one key and nothing staked: a proof for a round-1 lease, a commitment that is no field
 * element, a false commitment (checked and replaced before gammaJob), round-2 proofs whose
 * gammaJob, commitment, prover or share is not the task's, and a false dispute; each refused
 * or found out and counted against it, and the job completes.
 * Before the job, the stranger publishes garbage as the guest's ELF: ignored (it does not open
 * to the image ID), the user's ELF, published with the job, is the one executed.
 */
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { connect, contracts, walletClient } from "../client/chain.ts";
import { imageOpening, loadElf } from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { OrchestratorClient, ApiError } from "../orchestrator/client.ts";
import { Delegator } from "../orchestrator/delegator.ts";
import { startOrchestrator, type Orchestrator } from "../orchestrator/node.ts";
import { job2Circuits } from "../prover/setup/registry.ts";
import { Groth16ChunkProver, addressToField, type ChunkProof } from "../prover/zkvm/prover.ts";
import { getPoseidon } from "../prover/executor/index.ts";
import { defaultCacheDir } from "../prover/setup/artifacts.ts";
import { keySetCircuits } from "../prover/zkvm/job2-file.ts";
import { Chunk2Rounds, loadChunk2Probe } from "../prover/zkvm/job2.ts";
import type { Job2TaskInput } from "../orchestrator/execute-job2.ts";
import { devAccount, stakeAndRegister, submitGuestJob2 } from "../scripts/lib/actors.ts";
import { JOB2_TEST_KEY_SET } from "../scripts/lib/deploy.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";
import { until } from "./helpers/until.ts";

const RPC_PORT = 18556;
const API_PORT = 17051;
const dir = mkdtempSync(join(tmpdir(), "concentric-net2-"));
const silent = pino({ level: "silent" });
let devnet: Devnet;
let node: Orchestrator;

beforeAll(async () => {
  devnet = await startDevnet({ port: RPC_PORT, deploymentFile: join(dir, "deployment.json") });
}, 300_000);

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  devnet?.stop();
});

describe("a versioned-cells job through the network", () => {
  it("is executed in two rounds, proven by delegators, refused when forged, settled by submitEpoch2", async () => {
    expect(devnet.deployment.keySet2).toBe(JOB2_TEST_KEY_SET);
    const [orch, user, stranger] = [await devAccount(1), await devAccount(5), await devAccount(6)];
    const url = `http://127.0.0.1:${API_PORT}`;
    await stakeAndRegister(devnet.rpc, devnet.deployment, orch, url);
    node = await startOrchestrator({
      db: join(dir, "orchestrator.sqlite"),
      rpc: devnet.rpc,
      account: orch,
      deployment: devnet.deployment,
      port: API_PORT,
      leaseMs: 20_000,
      pollMs: 500,
      log: silent,
    });
    // A stranger publishes garbage as the guest's ELF first: the orchestrator keeps only an ELF
    // that opens to the image ID (the user's, published with the job).
    const elf = readFileSync(join(REPO_ROOT, "guests", "elf", "fibonacci.elf"));
    const o = await imageOpening(loadElf(elf));
    const { chain, publicClient } = await connect(devnet.rpc);
    const cs = contracts(devnet.deployment, {
      public: publicClient,
      wallet: walletClient(chain, devnet.rpc, stranger),
    });
    await publicClient.waitForTransactionReceipt({
      hash: await cs.jobs.write.registerImage2([
        o.entry,
        o.memorySize,
        o.codeStart,
        o.codeEnd,
        o.initRoot,
        "0xdeadbeef",
      ]),
    });
    const input = GUEST_INPUTS.fibonacci!;
    const job = await submitGuestJob2(devnet.rpc, devnet.deployment, user, "fibonacci", input);
    const id = Number(job.jobId);
    const row = () =>
      node.db.prepare("SELECT status, chunks, error FROM jobs WHERE id = ?").get(id) as
        { status: string; chunks: number; error: string | null } | undefined;
    await until("the job to be executed", async () => row(), 300_000);
    expect(row()!.error).toBeNull();
    expect(row()!.chunks).toBeGreaterThan(4);

    // Round 1. A stranger (one key, nothing staked) leases a chunk: a proof is not what round 1
    // takes, a commitment that is no field element is refused, and a false one is recorded but
    // checked by the orchestrator before gammaJob (the stranger has nothing at stake), which
    // replaces it and counts it against the stranger.
    const chunk2 = await getTestArtifacts(job2Circuits(JOB2_TEST_KEY_SET).chunk);
    const prover = new Groth16ChunkProver(chunk2);
    const ks = keySetCircuits(JOB2_TEST_KEY_SET);
    const rounds = new Chunk2Rounds(
      await getPoseidon(),
      ks.cfg,
      await loadChunk2Probe(ks.cfg, defaultCacheDir()),
    );
    const client = new OrchestratorClient(url, stranger);
    await client.register("delegator", "stranger");
    const first = (await client.lease())!;
    expect(first.circuit).toBe(chunk2.name);
    expect(first.program?.keySet).toBe(JOB2_TEST_KEY_SET);
    const parts = {
      image: loadElf(Buffer.from(first.program!.elf, "base64")),
      opening: o,
      input: new Uint8Array(Buffer.from(first.program!.input, "hex")),
    };
    expect(Buffer.from(parts.input)).toEqual(Buffer.from(input));
    const w1 = first.input as unknown as Job2TaskInput;
    expect(w1.job2).toBe(1);
    const status = async (p: Promise<unknown>) =>
      ((await p.catch((e: unknown) => e)) as ApiError).status;
    const g1 = ["1", "2", "1"] as [string, string, string];
    const shaped: ChunkProof = {
      circuit: chunk2.name,
      index: first.index,
      publicSignals: Array<string>(8).fill("1") as never,
      proof: {
        pi_a: g1,
        pi_b: [
          ["1", "0"],
          ["1", "0"],
          ["1", "0"],
        ],
        pi_c: g1,
        protocol: "groth16",
        curve: "bn128",
      } as never,
    };
    expect(await status(client.submit(first.leaseId, shaped))).toBe(409);
    const honestC = String((await rounds.commitLease(parts, w1.lease)).commitment);
    expect(await status(client.commit(first.leaseId, "0x12"))).toBe(400);
    expect(await status(client.commit(first.leaseId, (2n ** 254n).toString()))).toBe(422);
    const lie = (BigInt(honestC) + 1n).toString();
    expect((await client.commit(first.leaseId, lie))!.recorded).toBe(true);
    expect(node.scheduler.job2Task(id, first.index)!.commitment).toBe(lie);

    // Every other chunk's round 1 by an honest delegator (by hand, so round 2 waits for the
    // stranger below); then the orchestrator checks the stranger's and opens round 2.
    const honestClient = new OrchestratorClient(url, await devAccount(2));
    await honestClient.register("delegator", "honest");
    for (let l = await honestClient.lease(); l; l = await honestClient.lease()) {
      const w = l.input as unknown as Job2TaskInput;
      if (w.job2 !== 1) {
        await honestClient.release(l.leaseId);
        break;
      }
      await honestClient.commit(
        l.leaseId,
        String((await rounds.commitLease(parts, w.lease)).commitment),
      );
    }
    await until(
      "round 2 open",
      async () => (node.scheduler.job2Task(id, 0)?.job2 === 2 ? true : undefined),
      300_000,
    );
    expect(node.scheduler.job2Task(id, first.index)!.commitment).toBe(honestC);
    expect(node.scheduler.node(stranger.address)!.rejected).toBe(2); // 2^254, and the lie

    // Round 2. The stranger leases a chunk and tries what a cheating prover would.
    const lease = (await client.lease())!;
    const w2 = lease.input as unknown as Job2TaskInput;
    expect(w2.job2).toBe(2);
    const x = await rounds.proveLease(parts, w2.lease, {
      gammaJob: BigInt(w2.gammaJob!),
      commitment: BigInt(w2.commitment!),
      prover: addressToField(stranger.address),
    });
    const mine = await prover.proveWitness(lease.index, x as never);
    const forged = (i: number, v: string): ChunkProof => ({
      ...mine,
      publicSignals: mine.publicSignals.map((s, k) => (k === i ? v : s)) as never,
    });
    const refused = async (p: ChunkProof, why: RegExp) => {
      const e = await client.submit(lease.leaseId, p).catch((x: unknown) => x);
      expect(e, String(why)).toBeInstanceOf(ApiError);
      expect((e as ApiError).status).toBe(422);
      expect((e as ApiError).message).toMatch(why);
    };
    await refused(forged(6, "12345"), /gammaJob is not this chunk's/);
    await refused(forged(5, "12345"), /commitment is not this chunk's/);
    // a proof crediting another address (made with its address as the prover input)
    const other = await prover.proveWitness(lease.index, {
      ...x,
      prover: addressToField(orch.address).toString(),
    } as never);
    await refused(other, /prover address is not this chunk's/);
    // another share than its proof's: the share is the proof's own, and the pairing refuses it
    await refused(forged(7, "12345"), /invalid proof/);
    expect(node.scheduler.node(stranger.address)!.rejected).toBe(6);
    // A false dispute: this chunk's commitment was checked by the orchestrator itself (every
    // round-1 commitment here came from a key with nothing at stake), so it is refused at once.
    const again = (await client.lease())!;
    const e = await client.dispute(again.leaseId, "12345").catch((x: unknown) => x);
    expect((e as ApiError).status).toBe(422);
    expect((e as ApiError).message).toMatch(/checked by this node: it is right/);
    expect(node.scheduler.node(stranger.address)!.rejected).toBe(7);
    await client.release(again.leaseId);

    // Honest delegators prove every chunk (the stranger's lease was re-opened or expires).
    const delegators = await Promise.all(
      [2, 3].map(
        async (i) =>
          new Delegator({
            orchestrator: url,
            account: await devAccount(i),
            log: silent,
            pollMs: 300,
          }),
      ),
    );
    const runs = delegators.map((d) => d.run().catch(() => undefined));
    await until(
      "every chunk proven",
      async () => row()!.status !== "proving" || undefined,
      600_000,
    );
    // On a slow machine the epoch may end while the chunks are proven, and
    // the root then submits it at once: proven or already settled, not failed.
    expect(["proven", "settled"]).toContain(row()!.status);
    for (const d of delegators) d.stop();
    await Promise.all(runs);

    // The epoch ends; the root submits it through submitEpoch2.
    const c = contracts(devnet.deployment, { public: (await connect(devnet.rpc)).publicClient });
    const end = Number(await c.epochs.read.epochEnd([job.epoch]));
    const ahead = end + 5 - Number((await publicClient.getBlock()).timestamp);
    if (ahead > 0) await devnet.rpcCall("evm_increaseTime", [ahead]);
    await devnet.rpcCall("evm_mine");
    const epochRow = () =>
      node.db
        .prepare("SELECT status, gas, chunks FROM epochs WHERE epoch = ?")
        .get(Number(job.epoch)) as { status: string; gas: string; chunks: number } | undefined;
    await until(
      "the epoch submitted",
      async () => (epochRow()?.status === "submitted" ? true : undefined),
      120_000,
    );
    const [settled, r] = (await c.jobs.read.result([job.jobId])) as [
      boolean,
      { exitCode: number; cycles: bigint; outputDigest: bigint },
    ];
    expect(settled).toBe(true);
    const output = Buffer.from(
      (JSON.parse(node.scheduler.jobRecord(id)!) as { output: string }).output,
      "hex",
    );
    expect(output.readUInt32LE(0)).toBe(5); // fibonacci(5)
    expect(r.outputDigest).toBe(BigInt(`0x${createHash("sha256").update(output).digest("hex")}`));
    expect(r.cycles).toBe(BigInt(job.cycles));
    for (const i of [2, 3]) {
      const a = (await devAccount(i)).address;
      expect(await c.epochs.read.rewardsOf([a]), `delegator ${i}`).toBeGreaterThan(0n);
    }
    expect(await c.epochs.read.rewardsOf([stranger.address])).toBe(0n);
    console.log(
      `network: ${epochRow()!.chunks} chunk proofs, ${r.cycles} cycles: submitEpoch2 ${epochRow()!.gas} gas`,
    );
  }, 900_000);
});
