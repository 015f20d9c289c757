/**
 * One orchestrator process: database, scheduler, batched verifier, chain service, HTTP API and
 * the loop that drives them. `startOrchestrator` is what `concentric orchestrator` and
 * `npm start` run; `stop()` closes the server, waits for the loop and closes the database.
 *
 * The database is bound to the chain deployment it serves (store.ts): a root binds it to the
 * chain id, the contracts and the deployment block's number and hash (read from its RPC); a
 * child to what its parent's /v1/status reports of the same, plus the parent's address. Started
 * on a database of another deployment it refuses to start (DatabaseBindingError, naming both).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import type { Chain, PrivateKeyAccount, PublicClient } from "viem";
import {
  defaultCacheDir,
  getCircuitArtifacts,
  type CircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { connect, loadDeployment, type Deployment } from "../scripts/lib/wallet.ts";
import { BatchingVerifier } from "./batch-verifier.ts";
import { ChainService } from "./chain.ts";
import { OrchestratorClient } from "./client.ts";
import { InputIntake } from "./inputs.ts";
import { ParentLink } from "./ring.ts";
import { createMetrics } from "./metrics.ts";
import { Scheduler } from "./scheduler.ts";
import { createApp } from "./server.ts";
import { openDatabase, type DatabaseBinding } from "./store.ts";

export interface OrchestratorOptions {
  /** SQLite file; the orchestrator resumes from it after a restart. */
  db: string;
  account: PrivateKeyAccount;
  /** A root follows the chain at `rpc`… */
  rpc?: string;
  /** …a child (ring ≥ 1) leases segments from the orchestrator at `parent` instead. */
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
}

export async function startOrchestrator(o: OrchestratorOptions) {
  const log = o.log ?? pino({ name: "orchestrator" });
  if (!o.rpc === !o.parent) throw new Error("an orchestrator needs either rpc (root) or parent");
  let chainId: number;
  let circuit: string;
  let root: { chain: Chain; publicClient: PublicClient; deployment: Deployment } | undefined;
  /** The deployment this orchestrator serves (shown in its status, binds its database). */
  let deployed: Omit<DatabaseBinding, "chainId" | "parent">;
  let binding: DatabaseBinding;
  const parentClient = o.parent ? new OrchestratorClient(o.parent, o.account) : undefined;
  if (o.rpc) {
    const c = await connect(o.rpc);
    const deployment = o.deployment ?? loadDeployment(c.chainId, o.deploymentFile);
    root = { chain: c.chain, publicClient: c.publicClient, deployment };
    chainId = c.chainId;
    circuit = deployment.circuit;
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
  } else {
    const s = await parentClient!.get<
      { chainId: number; circuit: string; address: string } & typeof deployed
    >("/v1/status");
    chainId = s.chainId;
    circuit = s.circuit;
    deployed = {
      ...(s.contracts ? { contracts: s.contracts } : {}),
      ...(s.deploymentBlock ? { deploymentBlock: s.deploymentBlock } : {}),
      ...(s.deploymentBlockHash ? { deploymentBlockHash: s.deploymentBlockHash } : {}),
    };
    binding = { chainId, ...deployed, parent: s.address ?? o.parent };
  }
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
    ...(inputs ? { inputs } : {}),
    metrics,
    log,
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    info: () => ({
      role: "orchestrator",
      address: o.account.address,
      chainId,
      circuit,
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

  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      try {
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
      await loop;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await inputs?.close();
      db.close();
    },
  };
}

export type Orchestrator = Awaited<ReturnType<typeof startOrchestrator>>;
