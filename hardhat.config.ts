import { createRequire } from "node:module";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * Hardhat cannot download solc on machines without internet, so we compile with the
 * solcjs build shipped by the `solc` npm package. Its version must equal `SOLC_VERSION`
 * (both are pinned in package.json).
 */
const SOLC_VERSION = "0.8.28";

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // A simulated chain with a production chain id: development keys must be refused there.
    simulatedChain1: { type: "edr-simulated", chainType: "l1", chainId: 1 },
    // CONCENTRIC_RPC points it at another local node (the CLI test runs one on its own port).
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.CONCENTRIC_RPC ?? "http://127.0.0.1:8545",
    },
  },
});
