import { defineConfig } from "vitest/config";

// Unit tests sit next to their source (*.spec.ts). Tests that need root and network namespaces
// are named *.netns.spec.ts and run in their own project (see hack/test-all.sh); e2e/ has its own runner.
export default defineConfig({
  test: {
    include: ["capabilities/**/*.spec.ts", "core/**/*.spec.ts", "protocols/**/*.spec.ts", "kube/**/*.spec.ts", "controller/**/*.spec.ts", "speaker/**/*.spec.ts", "deploy/**/*.spec.ts", "observability/**/*.spec.ts", "cli/**/*.spec.ts", "native/**/*.spec.ts", "crds/**/*.spec.ts", "hack/**/*.spec.ts", "test/**/*.spec.ts", "docs/**/*.spec.ts", "e2e/support/*.spec.ts", "bin/*.spec.ts", "*.spec.ts"],
    exclude: ["**/node_modules/**", "**/*.netns.spec.ts"],
    testTimeout: 20_000,
    pool: "forks",
    setupFiles: ["test/vitest-setup.ts"],
  },
});
