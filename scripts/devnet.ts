/**
 * `npm run devnet` — hardhat's node on 127.0.0.1:8545 with the whole system deployed onto it
 * (deployments/31337.json). Runs until Ctrl-C, which stops the node.
 */
import { join } from "node:path";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { startDevnet } from "./lib/devnet.ts";

const devnet = await startDevnet({
  port: 8545,
  deploymentFile: join(REPO_ROOT, "deployments", "31337.json"),
  stdio: "inherit",
});
console.log(`hardhat node at ${devnet.rpc}; deployment in ${devnet.deploymentFile}`);
for (const [name, address] of Object.entries(devnet.deployment.contracts))
  console.log(`  ${name.padEnd(10)} ${address}`);
console.log("devnet ready; Ctrl-C stops it");
const stop = () => {
  devnet.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
devnet.node.on("exit", (code) => {
  console.error(`hardhat node exited (${code})`);
  process.exit(code ?? 1);
});
