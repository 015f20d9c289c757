/**
 * `npm run devnet` — hardhat's node on 127.0.0.1:8545 with the whole system deployed onto it
 * (deployments/31337.json). Runs until Ctrl-C, which stops the node.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { REPO_ROOT } from "../prover/setup/registry.ts";

const RPC = "http://127.0.0.1:8545";
const children: ChildProcess[] = [];
const stop = (code = 0) => {
  for (const c of children) c.kill("SIGINT");
  process.exit(code);
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const node = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", "8545"], {
  cwd: REPO_ROOT,
  stdio: ["ignore", "ignore", "inherit"],
});
children.push(node);
node.on("exit", (code) => {
  console.error(`hardhat node exited (${code})`);
  stop(code ?? 1);
});

async function rpcReady(): Promise<boolean> {
  try {
    const r = await fetch(RPC, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return r.ok;
  } catch {
    return false;
  }
}
const started = Date.now();
while (!(await rpcReady())) {
  if (Date.now() - started > 60_000) {
    console.error(`no JSON-RPC at ${RPC} after 60 s`);
    stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`hardhat node at ${RPC}`);
const deploy = spawn("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
  cwd: REPO_ROOT,
  stdio: "inherit",
});
deploy.on("exit", (code) => {
  if (code !== 0) {
    console.error("deploy failed");
    stop(code ?? 1);
  }
  console.log("devnet ready; Ctrl-C stops it");
});
