/**
 * The network's long-running commands:
 *
 *   concentric orchestrator [--port 7001] [--host 127.0.0.1] [--db <file>] [--lease-seconds 60]
 *                           [--prove-locally] [--delegator-stake 0.1] [--newcomer-leases 4]
 *                           ([--rpc <url>] [--deployment <file>] | --parent <url> [--rpc <url>]) <key>
 *   concentric delegator --orchestrator <url> [--workers N] [--name <s>] <key>
 *
 * A root orchestrator follows the chain at --rpc (default http://127.0.0.1:8545); with --parent
 * it is a child (a ring below that orchestrator) and leases segments from it instead — given
 * --rpc as well, it reads the chain there to admit rings below it (only rings registered on
 * chain under an orchestrator may lease its segments; without --rpc a child leases none).
 * --prove-locally: the orchestrator also proves chunks itself, only those whose epoch's
 * deadline is near and that no delegator has proven (the last resort; it costs its CPU).
 * --delegator-stake (ETH in Staking, read from the chain): a delegator with that much staked
 * may hold the per-node lease cap at once; an unstaked one holds 1 + its accepted proofs, and
 * unstaked keys with no accepted proof share --newcomer-leases leases all together (so fresh
 * keys cannot hoard chunks for free).
 * The database defaults to .concentric/orchestrator-<chain id>-<deployment>-<address>.sqlite,
 * <deployment> the first 8 hex digits of the deployment block's hash (a child: as its parent
 * reports it): a database is bound to one deployment (store.ts), and a devnet restarted from
 * scratch is another one (same chain id, same addresses, another block hash), so it gets a
 * fresh file while a restarted orchestrator resumes its own.
 * <key> is --keystore <file> [--password-file <file>], or --dev-account <i> on a devnet. Both
 * log JSON lines (pino) to stderr; the delegator prints one progress line per accepted proof.
 * Ctrl-C: the orchestrator stops serving and closes its database (a restart resumes from it);
 * the delegator finishes and submits the chunk in hand, a second Ctrl-C returns it instead.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { parseEther } from "viem";
import { Delegator } from "../orchestrator/delegator.ts";
import { startOrchestrator } from "../orchestrator/node.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { connect, loadAccount, loadDeployment, WalletError } from "../client/chain.ts";

const KEY = {
  keystore: { type: "string" },
  "password-file": { type: "string" },
  "dev-account": { type: "string" },
} as const;

function keyOptions(v: Record<string, string | boolean | undefined>) {
  return {
    keystore: v.keystore as string | undefined,
    passwordFile: v["password-file"] as string | undefined,
    devAccount: v["dev-account"] as string | undefined,
  };
}

function logger(name: string, verbose: boolean) {
  return pino({ name, level: verbose ? "debug" : "info" }, pino.destination(2));
}

/** Resolves on the first SIGINT/SIGTERM; `again` is called on the next ones. */
function onSignals(first: () => void, again: () => void) {
  let n = 0;
  const handler = () => (n++ === 0 ? first() : again());
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** Fails with one line when `host:port` cannot be listened on (in use, or not allowed). */
async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new WalletError(
          e.code === "EADDRINUSE"
            ? `port ${port} on ${host} is in use (another orchestrator?): stop it or pick another --port`
            : `cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
        ),
      ),
    );
    s.listen(port, host, () => s.close(() => resolve()));
  });
}

/** The chain an orchestrator settles on, and its deployment block's hash, from its status. */
async function statusOf(url: string): Promise<{ chainId: number; deploymentBlockHash?: string }> {
  try {
    const r = await fetch(`${url.replace(/\/+$/, "")}/v1/status`);
    return (await r.json()) as { chainId: number; deploymentBlockHash?: string };
  } catch (e) {
    throw new WalletError(`no orchestrator at ${url}: ${(e as Error).message}`);
  }
}

const chainIdOf = async (url: string) => (await statusOf(url)).chainId;

/**
 * The deployment a root at `rpc` serves: chain id and deployment block hash (undefined when it
 * cannot be read here: the orchestrator then reports why when it starts).
 */
async function deploymentOf(rpc: string, file: string | undefined) {
  const c = await connect(rpc);
  try {
    const d = loadDeployment(c.chainId, file);
    const block = await c.publicClient.getBlock({ blockNumber: BigInt(d.block) });
    return { chainId: c.chainId, deploymentBlockHash: block.hash as string | undefined };
  } catch {
    return { chainId: c.chainId, deploymentBlockHash: undefined };
  }
}

async function orchestrator(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...KEY,
      rpc: { type: "string" },
      deployment: { type: "string" },
      parent: { type: "string" },
      "segment-chunks": { type: "string", default: "8" },
      port: { type: "string", default: "7001" },
      host: { type: "string", default: "127.0.0.1" },
      db: { type: "string" },
      "lease-seconds": { type: "string", default: "60" },
      "prove-locally": { type: "boolean", default: false },
      "delegator-stake": { type: "string", default: "0.1" },
      "newcomer-leases": { type: "string", default: "4" },
      verbose: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new WalletError(`--port: 0..65535, got ${values.port}`);
  const leaseSeconds = Number(values["lease-seconds"]);
  if (!(leaseSeconds > 0)) throw new WalletError("--lease-seconds: a positive number");
  const segmentChunks = Number(values["segment-chunks"]);
  if (!Number.isInteger(segmentChunks) || segmentChunks < 1)
    throw new WalletError("--segment-chunks: a positive integer");
  let delegatorStake: bigint;
  try {
    delegatorStake = parseEther(values["delegator-stake"]);
  } catch {
    throw new WalletError(`--delegator-stake: an amount of ETH, got ${values["delegator-stake"]}`);
  }
  if (delegatorStake < 0n) throw new WalletError("--delegator-stake: not negative");
  const newcomerLeases = Number(values["newcomer-leases"]);
  if (!Number.isInteger(newcomerLeases) || newcomerLeases < 0)
    throw new WalletError("--newcomer-leases: a non-negative integer");
  await checkPort(values.host, port);
  const rpc = values.rpc ?? (values.parent ? undefined : "http://127.0.0.1:8545");
  const served = values.parent
    ? await statusOf(values.parent)
    : await deploymentOf(rpc!, values.deployment);
  const chainId = served.chainId;
  const deployment = served.deploymentBlockHash?.slice(2, 10) ?? "unknown";
  const account = await loadAccount(keyOptions(values), chainId);
  const log = logger("orchestrator", values.verbose);
  const node = await startOrchestrator({
    db:
      values.db ??
      join(
        REPO_ROOT,
        ".concentric",
        `orchestrator-${chainId}-${deployment}-${account.address}.sqlite`,
      ),
    ...(values.parent ? { parent: values.parent, segmentChunks } : {}),
    ...(rpc ? { rpc } : {}),
    account,
    ...(values.deployment ? { deploymentFile: values.deployment } : {}),
    host: values.host,
    port,
    leaseMs: leaseSeconds * 1000,
    proveLocally: values["prove-locally"],
    delegatorStake,
    newcomerLeases,
    log,
  });
  console.log(`orchestrator ${account.address} serving ${node.url} (dashboard: ${node.url}/)`);
  await new Promise<void>((resolve) =>
    onSignals(
      () => {
        console.log("stopping…");
        void node.stop().then(resolve);
      },
      () => process.exit(130),
    ),
  );
  return 0;
}

async function delegator(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...KEY,
      orchestrator: { type: "string" },
      workers: { type: "string", default: "1" },
      name: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  if (!values.orchestrator) throw new WalletError("delegator needs --orchestrator <url>");
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new WalletError(`--workers: 1..64, got ${values.workers}`);
  // The chain id decides whether a dev account may be used: ask the orchestrator.
  const chainId = await chainIdOf(values.orchestrator);
  const account = await loadAccount(keyOptions(values), chainId);
  const d = new Delegator({
    orchestrator: values.orchestrator,
    account,
    workers,
    log: logger("delegator", values.verbose),
    ...(values.name ? { name: values.name } : {}),
    onProof: (p) =>
      console.log(
        `proved job ${p.jobId} chunk ${p.index} in ${p.seconds.toFixed(1)} s (${p.total} accepted)`,
      ),
  });
  console.log(`delegator ${account.address} proving for ${values.orchestrator} (Ctrl-C to stop)`);
  onSignals(
    () => {
      console.log("finishing the chunk in hand (Ctrl-C again to return it now)…");
      d.stop();
    },
    () => d.stop({ release: true }),
  );
  await d.run();
  console.log(`stopped: ${d.accepted} accepted, ${d.rejected} refused`);
  return 0;
}

export const networkCommands = { orchestrator, delegator };
