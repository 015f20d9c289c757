/**
 * `npm run deploy -- --network <name>` — deploys the whole system with its Ignition module
 * (see ignition/modules/Concentric.ts) and writes deployments/<chainId>.json: addresses, the
 * deployment block, the chunk circuit and every parameter. CONCENTRIC_CIRCUIT selects the chunk
 * circuit (default: the network's). Development keys are refused on production chain ids by the
 * generated verifier's constructor. CONCENTRIC_DEPLOYMENT_FILE writes the record elsewhere.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { network } from "hardhat";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { DEFAULT_NETWORK_CIRCUIT, deployConcentric } from "./lib/deploy.ts";

const connection = await network.create();
const chainId = await (await connection.viem.getPublicClient()).getChainId();
const c = await deployConcentric(
  connection,
  process.env.CONCENTRIC_CIRCUIT ?? DEFAULT_NETWORK_CIRCUIT,
);
const record = {
  chainId,
  network: connection.networkName,
  block: c.block.toString(),
  circuit: c.circuit,
  contracts: c.addresses,
  parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, String(v)])),
};
await mkdir(join(REPO_ROOT, "deployments"), { recursive: true });
const path =
  process.env.CONCENTRIC_DEPLOYMENT_FILE ?? join(REPO_ROOT, "deployments", `${chainId}.json`);
await writeFile(path, JSON.stringify(record, null, 2) + "\n");
console.log(`deployed on chain ${chainId} (${connection.networkName}) at block ${c.block}`);
for (const [name, address] of Object.entries(c.addresses))
  console.log(`  ${name.padEnd(10)} ${address}`);
console.log(`wrote ${path}`);
