/**
 * `npm run devnet` — hardhat's node on 127.0.0.1:8545 with the whole system deployed onto it
 * (deployments/31337.json). Runs until Ctrl-C, which stops the node. Quiet by default: the
 * node's per-request log (thousands of lines) only with `npm run devnet -- --verbose`.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { startDevnet } from "./lib/devnet.ts";

const { values } = parseArgs({
  options: {
    verbose: { type: "boolean", default: false },
    port: { type: "string", default: "8545" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--port: 1..65535, got ${values.port}`);
  process.exit(2);
}
let devnet;
try {
  devnet = await startDevnet({
    port,
    deploymentFile: join(REPO_ROOT, "deployments", `31337.json`),
    stdio: values.verbose ? "inherit" : "ignore",
  });
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
console.log(`hardhat node at ${devnet.rpc}; deployment in ${devnet.deploymentFile}`);
for (const [name, address] of Object.entries(devnet.deployment.contracts))
  console.log(`  ${name.padEnd(10)} ${address}`);
console.log("dev accounts: --dev-account 0..19 (hardhat's well-known keys, 10000 ETH each)");
console.log(
  `devnet ready; Ctrl-C stops it${values.verbose ? "" : " (the node's RPC log: npm run devnet -- --verbose)"}`,
);
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
