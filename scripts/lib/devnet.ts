/**
 * A local chain for the network: hardhat's node on a port, with the whole system deployed by
 * scripts/deploy.ts (its record written to `deploymentFile`). Used by `npm run devnet`,
 * `npm start` and the tests that need a real JSON-RPC node.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "../../prover/setup/registry.ts";
import type { Deployment } from "../../client/chain.ts";

export interface Devnet {
  rpc: string;
  deployment: Deployment;
  deploymentFile: string;
  node: ChildProcess;
  /** JSON-RPC call to the node (e.g. evm_increaseTime on this development chain). */
  rpcCall(method: string, params?: unknown[]): Promise<unknown>;
  stop(): void;
}

async function call(rpc: string, method: string, params: unknown[] = []): Promise<unknown> {
  const r = await fetch(rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

export async function startDevnet(o: {
  port: number;
  deploymentFile: string;
  /** Where the node's own output goes (default: ignored). */
  stdio?: "ignore" | "inherit";
}): Promise<Devnet> {
  const rpc = `http://127.0.0.1:${o.port}`;
  try {
    await call(rpc, "eth_chainId");
    throw new Error(`port ${o.port} already serves JSON-RPC: stop that node or pick another port`);
  } catch (e) {
    if ((e as Error).message.startsWith("port ")) throw e;
  }
  const node = spawn(
    "npx",
    ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(o.port)],
    // Its own process group, so stopping reaches hardhat's node process under npx.
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", o.stdio ?? "ignore", o.stdio ?? "ignore"],
      detached: true,
    },
  );
  const stop = () => {
    if (node.exitCode !== null || node.pid === undefined) return;
    try {
      process.kill(-node.pid, "SIGINT");
    } catch {
      // already gone
    }
  };
  const started = Date.now();
  for (;;) {
    try {
      await call(rpc, "eth_chainId");
      break;
    } catch {
      if (node.exitCode !== null) throw new Error(`hardhat node exited (${node.exitCode})`);
      if (Date.now() - started > 120_000) {
        stop();
        throw new Error(`no JSON-RPC at ${rpc} after 120 s`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const d = spawnSync("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CONCENTRIC_RPC: rpc, CONCENTRIC_DEPLOYMENT_FILE: o.deploymentFile },
    encoding: "utf8",
  });
  if (d.status !== 0) {
    stop();
    throw new Error(`deploy failed: ${d.stderr}`);
  }
  const deployment = JSON.parse(readFileSync(o.deploymentFile, "utf8")) as Deployment;
  return {
    rpc,
    deployment,
    deploymentFile: o.deploymentFile,
    node,
    rpcCall: (method, params) => call(rpc, method, params),
    stop,
  };
}
