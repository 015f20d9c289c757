import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "artifacts/**", ".cache/**"],
    // Proofs and circuit builds are slow on 2 cores; the cached artifact helper builds once.
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    // Test files share one machine of 2 cores: run them one at a time.
    fileParallelism: false,
  },
});
