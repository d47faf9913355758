import { defineConfig } from "vitest/config";

// The end-to-end suites share one cluster (and its pools in metallb-system): one file at a time.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.spec.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: "forks",
  },
});
