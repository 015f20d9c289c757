/**
 * `npm run deploy -- --network <name>` — deploys the whole system with its Ignition module
 * (see ignition/modules/Concentric.ts) and writes deployments/<chainId>.json: addresses, the
 * deployment block, the chunk circuit and every parameter. CONCENTRIC_CIRCUIT selects the chunk
 * circuit (default: the network's). Development keys are refused on production chain ids by the
 * generated verifier's constructor. CONCENTRIC_DEPLOYMENT_FILE writes the record elsewhere.
 * CONCENTRIC_KEY_SET2 selects the versioned-cells key set JobVerifier2 checks (default the test
 * key set job2_test; `none`: versioned-cells jobs disabled), recorded as `keySet2`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { network } from "hardhat";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { DEFAULT_NETWORK_CIRCUIT, deployConcentric, JOB2_TEST_KEY_SET } from "./lib/deploy.ts";

const connection = await network.create();
const chainId = await (await connection.viem.getPublicClient()).getChainId();
const keySet2 = process.env.CONCENTRIC_KEY_SET2 ?? JOB2_TEST_KEY_SET;
const c = await deployConcentric(
  connection,
  process.env.CONCENTRIC_CIRCUIT ?? DEFAULT_NETWORK_CIRCUIT,
  {},
  keySet2 === "none" ? null : keySet2,
);
const record = {
  chainId,
  network: connection.networkName,
  block: c.block.toString(),
  circuit: c.circuit,
  ...(c.keySet2 ? { keySet2: c.keySet2 } : {}),
  contracts: Object.fromEntries(Object.entries(c.addresses).filter(([, a]) => a !== undefined)),
  parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, String(v)])),
};
await mkdir(join(REPO_ROOT, "deployments"), { recursive: true });
const path =
  process.env.CONCENTRIC_DEPLOYMENT_FILE ?? join(REPO_ROOT, "deployments", `${chainId}.json`);
await writeFile(path, JSON.stringify(record, null, 2) + "\n");
console.log(`deployed on chain ${chainId} (${connection.networkName}) at block ${c.block}`);
for (const [name, address] of Object.entries(record.contracts))
  console.log(`  ${name.padEnd(10)} ${address}`);
console.log(`wrote ${path}`);
