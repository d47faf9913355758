import { defineConfig } from "vitest/config";

// Tests that need root: they create their own network namespaces and remove them (hack/netns).
// One file at a time, since they share the kernel's namespace list and the machine's two cores.
export default defineConfig({
  test: {
    include: ["**/*.netns.spec.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["test/vitest-setup.ts"],
    fileParallelism: false,
    passWithNoTests: true,
  },
});
