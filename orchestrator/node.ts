/**
 * One orchestrator process: database, scheduler, batched verifier, chain service, HTTP API and
 * the loop that drives them. `startOrchestrator` is what `concentric orchestrator` and
 * `npm start` run; `stop()` closes the server, waits for the loop and closes the database.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import type { PrivateKeyAccount } from "viem";
import {
  defaultCacheDir,
  getCircuitArtifacts,
  type CircuitArtifacts,
} from "../prover/setup/artifacts.ts";
import { chunkCircuitConfig } from "../prover/zkvm/witness.ts";
import { connect, loadDeployment, type Deployment } from "../scripts/lib/wallet.ts";
import { BatchingVerifier } from "./batch-verifier.ts";
import { ChainService } from "./chain.ts";
import { createMetrics } from "./metrics.ts";
import { Scheduler } from "./scheduler.ts";
import { createApp } from "./server.ts";
import { openDatabase } from "./store.ts";

export interface OrchestratorOptions {
  /** SQLite file; the orchestrator resumes from it after a restart. */
  db: string;
  rpc: string;
  account: PrivateKeyAccount;
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
  const { chain, chainId, publicClient } = await connect(o.rpc);
  const deployment = o.deployment ?? loadDeployment(chainId, o.deploymentFile);
  const artifacts =
    o.artifacts ??
    (await getCircuitArtifacts(deployment.circuit, {
      cacheDir: o.cacheDir ?? defaultCacheDir(),
      log: (m) => log.info(m),
    }));
  const config = chunkCircuitConfig(deployment.circuit);
  const db = openDatabase(o.db);
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
  const chainService = new ChainService(db, scheduler, {
    rpc: o.rpc,
    chain,
    publicClient,
    deployment,
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
  const started = Date.now();
  const app = createApp({
    db,
    scheduler,
    chain: chainService,
    metrics,
    log,
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    info: () => ({
      role: "orchestrator",
      address: o.account.address,
      chainId,
      circuit: deployment.circuit,
      contracts: deployment.contracts,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    }),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(o.port ?? 7001, o.host ?? "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${o.host ?? "127.0.0.1"}:${port}`;
  log.info({ url, address: o.account.address, chainId, circuit: deployment.circuit }, "listening");

  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      try {
        await chainService.tick();
      } catch (e) {
        log.error({ err: (e as Error).message }, "chain round failed; retrying");
      }
      await new Promise<void>((r) => {
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
    deployment,
    async stop() {
      running = false;
      wake?.();
      await loop;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      db.close();
    },
  };
}

export type Orchestrator = Awaited<ReturnType<typeof startOrchestrator>>;
