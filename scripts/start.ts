/**
 * `npm start` — the whole local network, end to end:
 *   a hardhat node with the system deployed (deployments/31337.json); an orchestrator that
 *   stakes, registers as a root and serves the /v1 API and its dashboard; N delegator daemons
 *   (separate processes, `concentric delegator`); a user who registers a committed guest and
 *   submits a job; the orchestrator executes it, the delegators prove its chunks with Groth16,
 *   and once the epoch has ended the orchestrator submits the Universal Proof, verified on chain.
 * Prints progress and the on-chain result (output, gas, rewards). Ctrl-C stops everything.
 *
 *   npm start -- [--delegators 2] [--depth 1] [--guest fibonacci] [--n 10] [--keep]
 *                [--rpc-port 8545] [--api-port 7001] [--production] [--v1]
 *
 * The job is a versioned-cells job (JobRegistry.submitJob2, settled by
 * EpochManager.submitEpoch2; circuits/zkvm/README.md): the orchestrator runs both rounds and
 * proves the job's boundary, input and output proofs, the delegators prove its chunks (Chunk2)
 * under their own addresses. Its chunks are the test key set's (job2_test, K = 8 steps) unless
 * --production: the production key set (job2_production, K = 1,024 steps a chunk), whose keys
 * the first run builds (several minutes, with progress; about 35 s a chunk proof after that).
 * --v1 runs the chunk-circuit job instead (JobRegistry.submitJobWithInput, submitEpoch).
 *
 * --depth D > 1 puts D − 1 child orchestrators between the root and the delegators (rings:
 * root → ring D−1 → … → ring 1 → delegators), each staked and registered on chain under its
 * parent, serving on the next ports; segments go down and verified bundles come back up.
 * --keep leaves the network running after the epoch (the web app at the printed URL: connect a
 * browser wallet to the printed RPC to stake, submit jobs and watch them settle).
 * Logs: .concentric/start/orchestrator.log (pino JSON lines).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { formatEther } from "viem";
import { startOrchestrator, type Orchestrator } from "../orchestrator/node.ts";
import { outputDigest } from "../prover/executor/index.ts";
import { defaultCacheDir, getCircuitArtifacts } from "../prover/setup/artifacts.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { devAccount, stakeAndRegister, submitGuestJob, submitGuestJob2 } from "./lib/actors.ts";
import { DEFAULT_NETWORK_CIRCUIT, JOB2_TEST_KEY_SET } from "./lib/deploy.ts";
import { job2Circuits } from "../prover/setup/registry.ts";
import { createHash } from "node:crypto";

/** The versioned-cells production key set (circuits/circuits.json). */
const JOB2_PRODUCTION_KEY_SET = "job2_production";
import { startDevnet, type Devnet } from "./lib/devnet.ts";
import { connect, contracts } from "../client/chain.ts";

const { values } = parseArgs({
  options: {
    delegators: { type: "string", default: "2" },
    depth: { type: "string", default: "1" },
    guest: { type: "string", default: "fibonacci" },
    n: { type: "string", default: "10" },
    keep: { type: "boolean", default: false },
    "rpc-port": { type: "string", default: "8545" },
    "api-port": { type: "string", default: "7001" },
    production: { type: "boolean", default: false },
    v1: { type: "boolean", default: false },
  },
});
const keySet2 = values.production ? JOB2_PRODUCTION_KEY_SET : JOB2_TEST_KEY_SET;
if (values.production && values.v1) {
  console.error("--production is the versioned-cells production key set: not with --v1");
  process.exit(2);
}
const delegators = Number(values.delegators);
if (!Number.isInteger(delegators) || delegators < 1 || delegators > 8) {
  console.error("--delegators: 1..8 (dev accounts 2..9)");
  process.exit(2);
}
const depth = Number(values.depth);
if (!Number.isInteger(depth) || depth < 1 || depth > 5) {
  console.error("--depth: 1..5 (1 = delegators under the root)");
  process.exit(2);
}
const n = Number(values.n);
if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) {
  console.error("--n: a u32 (the guest's input word)");
  process.exit(2);
}
const INPUT = new Uint8Array(Uint32Array.of(n).buffer);
const runDir = join(REPO_ROOT, ".concentric", "start");
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });

const t0 = performance.now();
const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
let devnet: Devnet | undefined;
let node: Orchestrator | undefined;
const rings: Orchestrator[] = [];
const children: ChildProcess[] = [];
let stopping = false;
async function shutdown(code: number): Promise<void> {
  // Ctrl-C reaches every process of the terminal's group, and tsx relays it once more: a
  // repeated signal must not cut the shutdown short (the chain runs in its own group).
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGINT");
  await Promise.race([
    Promise.all(children.map((c) => c.exitCode === null && new Promise((r) => c.once("exit", r)))),
    new Promise((r) => setTimeout(r, 15_000)),
  ]);
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const r of rings.reverse()) await r.stop().catch(() => undefined);
  await node?.stop().catch(() => undefined);
  devnet?.stop();
  process.exit(code);
}
process.on("SIGINT", () => {
  if (!stopping) console.log("\nCtrl-C: stopping delegators, orchestrator and chain…");
  void shutdown(130);
});

try {
  const a = await getCircuitArtifacts(DEFAULT_NETWORK_CIRCUIT, {
    cacheDir: defaultCacheDir(),
    log: (m) => console.log(`  ${m}`),
  });
  console.log(`1. chunk circuit ${a.name}: ${a.nConstraints} constraints [${at()}]`);
  if (values.production) {
    // The production key set's keys and its multi verifier contract (generated by the setup,
    // then compiled): built on the first run, with progress; cached after.
    console.log("   the production key set's keys and verifier (the first run builds them):");
    for (const [cmd, args] of [
      ["npm", ["run", "setup", "--", "--production"]],
      ["npx", ["hardhat", "compile"]],
    ] as const) {
      const r = spawnSync(cmd, [...args], { cwd: REPO_ROOT, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status})`);
    }
  }
  if (!values.v1) {
    // The key set's four keys (the production ones are built on the first run).
    for (const [role, name] of Object.entries(job2Circuits(keySet2))) {
      const k = await getCircuitArtifacts(name, {
        cacheDir: defaultCacheDir(),
        log: (m) => console.log(`  ${m}`),
      });
      console.log(`   versioned-cells ${role} circuit ${k.name}: ${k.nConstraints} constraints`);
    }
  }
  // The deployment's JobVerifier2 checks this key set (scripts/deploy.ts).
  process.env.CONCENTRIC_KEY_SET2 = keySet2;

  devnet = await startDevnet({
    port: Number(values["rpc-port"]),
    deploymentFile: join(REPO_ROOT, "deployments", "31337.json"),
  });
  console.log(`2. hardhat node at ${devnet.rpc}, contracts deployed [${at()}]`);
  for (const [k, v] of Object.entries(devnet.deployment.contracts))
    console.log(`     ${k.padEnd(10)} ${v}`);

  const orch = await devAccount(1);
  const url = `http://127.0.0.1:${values["api-port"]}`;
  await stakeAndRegister(devnet.rpc, devnet.deployment, orch, url);
  node = await startOrchestrator({
    db: join(runDir, "orchestrator.sqlite"),
    rpc: devnet.rpc,
    account: orch,
    deployment: devnet.deployment,
    port: Number(values["api-port"]),
    artifacts: a,
    // A production chunk takes a delegator about 35 s alone (two sharing two cores: about
    // twice that, and a first proof loads its key): leases of 5 minutes, not 1.
    ...(values.production ? { leaseMs: 300_000 } : {}),
    log: pino({ name: "orchestrator" }, pino.destination(join(runDir, "orchestrator.log"))),
  });
  console.log(`3. orchestrator ${orch.address} staked 2 ETH, registered as a root, serving ${url}`);
  console.log(
    `     web app ${url}/ (a browser wallet on chain ${devnet.deployment.chainId}, RPC ${devnet.rpc})   metrics ${url}/metrics   API ${url}/v1/openapi.json`,
  );

  // Rings: each child leases segments from the one above; delegators serve the lowest.
  let bottom = url;
  for (let level = depth - 1; level >= 1; level--) {
    const key = await devAccount(10 + level);
    const parent = rings.at(-1)?.url ?? url;
    const port = Number(values["api-port"]) + (depth - level);
    const parentKey = rings.length === 0 ? orch : await devAccount(10 + level + 1);
    await stakeAndRegister(devnet.rpc, devnet.deployment, key, `http://127.0.0.1:${port}`, {
      parent: parentKey,
    });
    const ring = await startOrchestrator({
      db: join(runDir, `ring-${level}.sqlite`),
      parent,
      // Reads the chain to admit the ring below it (only rings registered under it lease).
      rpc: devnet.rpc,
      account: key,
      port,
      artifacts: a,
      segmentChunks: Math.max(2, 2 ** (level + 1)),
      ...(values.production ? { leaseMs: 300_000 } : {}),
      log: pino({ name: `ring-${level}` }, pino.destination(join(runDir, `ring-${level}.log`))),
    });
    rings.push(ring);
    bottom = ring.url;
    console.log(
      `   ring-${level} orchestrator ${key.address} (parent ${parentKey.address}) serving ${ring.url}`,
    );
  }

  const provers: string[] = [];
  for (let i = 0; i < delegators; i++) {
    const account = 2 + i;
    provers.push((await devAccount(account)).address);
    // One process (node with tsx's loader), so Ctrl-C reaches the daemon itself.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/cli.ts",
        "delegator",
        "--orchestrator",
        bottom,
        "--dev-account",
        String(account),
        "--name",
        `delegator-${i + 1}`,
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] },
    );
    children.push(child);
    child.stdout!.on("data", (b: Buffer) => {
      for (const line of b.toString().split("\n").filter(Boolean))
        console.log(`     [delegator ${i + 1}] ${line}`);
    });
  }
  console.log(
    `4. ${delegators} delegator daemons started (dev accounts 2..${1 + delegators}), proving for ${bottom}`,
  );

  const user = await devAccount(10 + depth);
  const job = values.v1
    ? await submitGuestJob(devnet.rpc, devnet.deployment, user, values.guest, INPUT)
    : await submitGuestJob2(devnet.rpc, devnet.deployment, user, values.guest, INPUT);
  console.log(
    `5. user ${user.address} submitted ${values.v1 ? "chunk-circuit" : `versioned-cells (${keySet2})`} job ${job.jobId}: ${values.guest}(${n}), fee 0.01 ETH, epoch ${job.epoch} [${at()}]`,
  );

  const row = () =>
    node!.db
      .prepare("SELECT status, chunks, error FROM jobs WHERE id = ?")
      .get(Number(job.jobId)) as
      { status: string; chunks: number; error: string | null } | undefined;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (!row()) await wait(250);
  if (row()!.status === "failed") throw new Error(`the job cannot be proven: ${row()!.error}`);
  console.log(
    `6. orchestrator executed the job: ${row()!.chunks} chunks open for leasing [${at()}]`,
  );
  while (row()!.status === "proving") await wait(500);
  console.log(`7. every chunk proven and verified on receipt [${at()}]`);

  const c = contracts(devnet.deployment, { public: (await connect(devnet.rpc)).publicClient });
  const end = Number(await c.epochs.read.epochEnd([job.epoch]));
  const left = end - Math.floor(Date.now() / 1000);
  if (left > 0) console.log(`8. waiting ${left} s for epoch ${job.epoch} to end…`);
  const epochRow = () =>
    node!.db.prepare("SELECT * FROM epochs WHERE epoch = ?").get(Number(job.epoch)) as
      | { status: string; gas: string; tx_hash: string; chunks: number; error: string | null }
      | undefined;
  while (epochRow()?.status !== "submitted") {
    const e = epochRow();
    if (e?.error) console.log(`     epoch ${job.epoch}: ${e.status}: ${e.error} (retrying)`);
    await wait(1000);
  }
  const e = epochRow()!;
  console.log(
    `9. Universal Proof of epoch ${job.epoch} verified on chain: tx ${e.tx_hash}, ${e.gas} gas (${Math.round(Number(e.gas) / e.chunks)} per chunk) [${at()}]`,
  );

  const [settled, r] = (await c.jobs.read.result([job.jobId])) as [
    boolean,
    { exitCode: number; cycles: bigint; outputDigest: bigint },
  ];
  // the output as executed here, and its digest as the chain records it (v1: Poseidon; a
  // versioned-cells job: SHA-256, which a contract opens itself)
  const output = Buffer.from(
    values.v1
      ? node.scheduler.runProof(Number(job.jobId)).output
      : (JSON.parse(node.scheduler.jobRecord(Number(job.jobId))!) as { output: string }).output,
    "hex",
  );
  const matches =
    r.outputDigest ===
    (values.v1
      ? await outputDigest(output)
      : BigInt(`0x${createHash("sha256").update(output).digest("hex")}`));
  console.log(
    `10. on chain, job ${job.jobId}: ${settled ? "settled" : "NOT settled"}, exit ${r.exitCode}, ${r.cycles} cycles, ` +
      `output 0x${output.toString("hex")} (u32 ${output.length === 4 ? output.readUInt32LE(0) : "-"}), digest ${matches ? "matches" : "DOES NOT match"}`,
  );
  // This run's epoch carries this one job: its Universal Proof's gas over the cycles it proved.
  console.log(
    `     gas per proven cycle: ${Math.round(Number(e.gas) / Number(r.cycles)).toLocaleString("en-US")} (${e.gas} gas / ${r.cycles} cycles; issue 12's target is 60)`,
  );
  for (const [i, p] of provers.entries())
    console.log(
      `     rewards of delegator ${i + 1} ${p}: ${formatEther(await c.epochs.read.rewardsOf([p]))} ETH`,
    );
  console.log(
    `     rewards of orchestrator ${orch.address}: ${formatEther(await c.epochs.read.rewardsOf([orch.address]))} ETH`,
  );
  console.log(`done in ${at()}`);
  if (values.keep)
    console.log(
      `network still running: open the web app at ${url}/ (wallet RPC ${devnet.rpc}, chain ${devnet.deployment.chainId}); Ctrl-C stops it`,
    );
  else await shutdown(settled && matches ? 0 : 1);
} catch (e) {
  if (!stopping) console.error(`failed: ${(e as Error).message}`);
  await shutdown(1);
}
