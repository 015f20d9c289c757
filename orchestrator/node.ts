/**
 * One orchestrator process: database, scheduler, batched verifier, chain service, HTTP API and
 * the loop that drives them. `startOrchestrator` is what `concentric orchestrator` and
 * `npm start` run; `stop()` closes the server, waits for the loop and closes the database.
 *
 * The database is bound to the chain deployment it serves (store.ts): a root binds it to the
 * chain id, the contracts and the deployment block's number and hash (read from its RPC); a
 * child to what its parent's /v1/status reports of the same, plus the parent's address. Started
 * on a database of another deployment it refuses to start (DatabaseBindingError, naming both).
 *
 * Against lease hoarding (scheduler.ts): segments go only to rings the chain shows under this
 * node ({@link RingAdmission}, through the root's RPC; a child reads the chain only when given
 * `rpc` too, and without it leases no segments to rings below it); leases per node and segment
 * sizes are capped; expired leases are swept every round and counted against their holders.
 * With `proveLocally` the node also proves chunks itself, through its own API like any
 * delegator, but only those of jobs inside their deadline's reserve: the last resort that keeps
 * an epoch from being missed when every delegator vanished (it costs this process the proving
 * CPU while it lasts).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { formatEther, type Chain, type PrivateKeyAccount, type PublicClient } from "viem";
import {
  defaultCacheDir,
  getCircuitArtifacts,
  type CircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { Groth16ChunkProver, type Address } from "../prover/zkvm/prover.ts";
import { connect, loadDeployment, type Deployment } from "../client/chain.ts";
import { BatchingVerifier } from "./batch-verifier.ts";
import { ChainService } from "./chain.ts";
import { OrchestratorClient } from "./client.ts";
import { Delegator } from "./delegator.ts";
import { InputIntake } from "./inputs.ts";
import { ParentLink } from "./ring.ts";
import { RingAdmission } from "./ring-admission.ts";
import { StakeCheck } from "./stake-check.ts";
import { createMetrics } from "./metrics.ts";
import { Scheduler } from "./scheduler.ts";
import { createApp } from "./server.ts";
import { job2Circuits } from "../prover/setup/registry.ts";
import { openDatabase, type DatabaseBinding } from "./store.ts";

export interface OrchestratorOptions {
  /** SQLite file; the orchestrator resumes from it after a restart. */
  db: string;
  account: PrivateKeyAccount;
  /** A root follows the chain at `rpc`… */
  rpc?: string;
  /**
   * …a child (ring ≥ 1) leases segments from the orchestrator at `parent` instead (and with
   * `rpc` too, only reads the chain there, to admit the rings below it).
   */
  parent?: string;
  /** Chunks per segment leased from the parent. */
  segmentChunks?: number;
  deployment?: Deployment;
  deploymentFile?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  leaseMs?: number;
  maxRejected?: number;
  pollMs?: number;
  deadlineMarginS?: number;
  cacheDir?: string;
  log?: Logger;
  artifacts?: CircuitArtifacts;
  rateLimit?: { rate: number; burst: number };
  /** Concurrent leases per node and the largest segment (Scheduler `limits`). */
  limits?: { chunkLeases?: number; segmentLeases?: number; segmentChunks?: number };
  /** Time kept before a job's deadline for leftovers (default leaseMs). */
  reserveMs?: number;
  /** Prove chunks here when their job's deadline is near and nobody else has (see above). */
  proveLocally?: boolean;
  /**
   * Stake (wei, in Staking) that lets a delegator lease up to the per-node cap from the start
   * (default 0.1 ETH); without it a key earns leases by proving (Scheduler `newcomers`).
   */
  delegatorStake?: bigint;
  /** Chunk leases all newcomers (no stake, no accepted proof) share (default 4). */
  newcomerLeases?: number;
}

export async function startOrchestrator(o: OrchestratorOptions) {
  const log = o.log ?? pino({ name: "orchestrator" });
  if (!o.rpc && !o.parent) throw new Error("an orchestrator needs either rpc (root) or parent");
  let chainId: number;
  let circuit: string;
  /** The versioned-cells key set the deployment settles (none: not enabled). */
  let keySet2: string | undefined;
  let root: { chain: Chain; publicClient: PublicClient; deployment: Deployment } | undefined;
  /** The deployment this orchestrator serves (shown in its status, binds its database). */
  let deployed: Omit<DatabaseBinding, "chainId" | "parent">;
  let binding: DatabaseBinding;
  const parentClient = o.parent ? new OrchestratorClient(o.parent, o.account) : undefined;
  /** Where rings below this node are checked (a root's RPC, or a child's optional one). */
  let ringReader:
    { publicClient: PublicClient; registry: Address; staking: Address | undefined } | undefined;
  if (!o.parent) {
    const c = await connect(o.rpc!);
    const deployment = o.deployment ?? loadDeployment(c.chainId, o.deploymentFile);
    root = { chain: c.chain, publicClient: c.publicClient, deployment };
    chainId = c.chainId;
    circuit = deployment.circuit;
    keySet2 = deployment.keySet2;
    let block;
    try {
      block = await c.publicClient.getBlock({ blockNumber: BigInt(deployment.block) });
    } catch (e) {
      throw new Error(
        `cannot read the deployment block ${deployment.block} at ${o.rpc}: ${(e as Error).message}`,
      );
    }
    deployed = {
      contracts: deployment.contracts,
      deploymentBlock: String(deployment.block),
      deploymentBlockHash: block.hash,
    };
    binding = { chainId, ...deployed };
    ringReader = {
      publicClient: c.publicClient,
      registry: deployment.contracts.registry,
      staking: deployment.contracts.staking,
    };
  } else {
    const s = await parentClient!.get<
      { chainId: number; circuit: string; keySet2?: string; address: string } & typeof deployed
    >("/v1/status");
    chainId = s.chainId;
    circuit = s.circuit;
    keySet2 = s.keySet2;
    deployed = {
      ...(s.contracts ? { contracts: s.contracts } : {}),
      ...(s.deploymentBlock ? { deploymentBlock: s.deploymentBlock } : {}),
      ...(s.deploymentBlockHash ? { deploymentBlockHash: s.deploymentBlockHash } : {}),
    };
    binding = { chainId, ...deployed, parent: s.address ?? o.parent };
    if (o.rpc) {
      const c = await connect(o.rpc);
      if (c.chainId !== chainId)
        throw new Error(
          `the RPC at ${o.rpc} serves chain ${c.chainId}, the parent's is ${chainId}`,
        );
      const registry = s.contracts?.registry as Address | undefined;
      if (!registry) throw new Error(`the parent at ${o.parent} reports no registry contract`);
      ringReader = {
        publicClient: c.publicClient,
        registry,
        staking: s.contracts?.staking as Address | undefined,
      };
    }
  }
  const admission = ringReader && new RingAdmission({ ...ringReader, self: o.account.address });
  const delegatorStake = o.delegatorStake ?? 10n ** 17n;
  const stakeCheck =
    ringReader?.staking &&
    new StakeCheck({
      publicClient: ringReader.publicClient,
      staking: ringReader.staking,
      minStake: delegatorStake,
    });
  const artifacts =
    o.artifacts ??
    (await getCircuitArtifacts(circuit, {
      cacheDir: o.cacheDir ?? defaultCacheDir(),
      log: (m) => log.info(m),
    }));
  const config = chunkCircuitConfig(circuit);
  const db = openDatabase(o.db, { binding });
  const metrics = createMetrics();
  const verifier = new BatchingVerifier(artifacts.vkey);
  // Versioned-cells chunks are checked against their own key.
  const chunk2 = keySet2
    ? await getCircuitArtifacts(job2Circuits(keySet2).chunk, {
        cacheDir: o.cacheDir ?? defaultCacheDir(),
        log: (m) => log.info(m),
      })
    : undefined;
  const scheduler = new Scheduler(db, verifier, {
    leaseMs: o.leaseMs ?? 60_000,
    maxRejected: o.maxRejected ?? 10,
    onVerdict: (ok, _holder, ms) => {
      if (ok) {
        metrics.accepted.inc();
        metrics.latency.observe(ms / 1000);
      } else metrics.rejected.inc();
    },
    onJobProven: (jobId) => log.info({ job: jobId }, "job proven: every chunk accepted"),
    ...(chunk2 ? { verifiers: { [chunk2.name]: new BatchingVerifier(chunk2.vkey) } } : {}),
    ...(admission ? { admitRing: (a: Address) => admission.check(a) } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
    newcomers: {
      leases: o.newcomerLeases ?? 4,
      ...(stakeCheck
        ? { hint: `stake at least ${formatEther(delegatorStake)} ETH (concentric stake)` }
        : {}),
    },
    ...(o.reserveMs !== undefined ? { reserveMs: o.reserveMs } : {}),
    ...(o.proveLocally ? { localProver: o.account.address } : {}),
    onExpired: (holder, kind, counted) => {
      if (counted) metrics.rejected.inc();
      log.info({ holder, kind, counted }, "lease expired; its chunks are open again");
    },
  });
  const chainService =
    root &&
    new ChainService(db, scheduler, {
      rpc: o.rpc!,
      chain: root.chain,
      publicClient: root.publicClient,
      deployment: root.deployment,
      account: o.account,
      config,
      ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
      vk: artifacts.vkey,
      log,
      ...(o.deadlineMarginS !== undefined ? { deadlineMarginS: o.deadlineMarginS } : {}),
      onEpoch: (_e, gas) => {
        metrics.epochs.inc();
        metrics.gas.inc(Number(gas));
        metrics.lastGas.set(Number(gas));
      },
    });
  const inputs = root && new InputIntake(db);
  const parentLink =
    parentClient &&
    new ParentLink(db, scheduler, parentClient, log, {
      ...(o.segmentChunks ? { segmentChunks: o.segmentChunks } : {}),
    });

  const started = Date.now();
  const app = createApp({
    db,
    scheduler,
    ...(stakeCheck ? { stakeCheck } : {}),
    ...(inputs ? { inputs } : {}),
    metrics,
    log,
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    account: o.account,
    info: () => ({
      role: "orchestrator",
      address: o.account.address,
      chainId,
      circuit,
      ...(keySet2 ? { keySet2 } : {}),
      ...deployed,
      ...(root ? {} : { parent: o.parent }),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    }),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(o.port ?? 7001, o.host ?? "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${o.host ?? "127.0.0.1"}:${port}`;
  log.info({ url, address: o.account.address, chainId, circuit, parent: o.parent }, "listening");

  // The last resort: this node proves what would otherwise miss its deadline (the scheduler
  // offers its own address nothing else).
  let local: { delegator: Delegator; run: Promise<void> } | undefined;
  if (o.proveLocally) {
    const prover = new Groth16ChunkProver(artifacts);
    const prover2 = chunk2 && new Groth16ChunkProver(chunk2);
    const delegator = new Delegator({
      orchestrator: url,
      account: o.account,
      log: log.child({ local: true }),
      name: "local",
      pollMs: o.pollMs ?? 1000,
      prove: (lease, input) =>
        (prover2 && lease.circuit === chunk2!.name ? prover2 : prover).proveWitness(
          lease.index,
          input,
        ),
    });
    const run = delegator
      .run()
      .catch((e: Error) => log.error({ err: e.message }, "local proving stopped"));
    local = { delegator, run };
  }

  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      try {
        scheduler.expireLeases();
        await chainService?.tick();
        await parentLink?.tick();
      } catch (e) {
        log.error({ err: (e as Error).message }, "round failed; retrying");
      }
      await new Promise<void>((r) => {
        if (!running) return r(); // stop() came during the round: no sleep after it
        const t = setTimeout(r, o.pollMs ?? 1000);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();

  return {
    url,
    db,
    scheduler,
    chain: chainService,
    metrics,
    verifier,
    deployment: root?.deployment,
    async stop() {
      running = false;
      wake?.();
      local?.delegator.stop({ release: true });
      await local?.run;
      await loop;
      await chainService?.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await inputs?.close();
      db.close();
    },
  };
}

export type Orchestrator = Awaited<ReturnType<typeof startOrchestrator>>;
