/**
 * test/vitest-setup.ts: a passing test's log lines are never printed, a failing test's are printed
 * with its failure. Runs vitest on a two-test spec written under build/ for the occasion.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../hack/netns/bed";

const dir = join(REPO_ROOT, "build", "vitest-setup-check");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the vitest setup", () => {
  it("prints the logs of a failing test only", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "logs.check.ts"),
      `import { expect, it } from "vitest";
import { logger } from "../../observability/log";
const log = logger("fixture");
it("passes", () => log.info("line of the passing test"));
it("fails", () => {
  log.warn({ ip: "192.0.2.1" }, "line of the failing test");
  expect(1).toBe(2);
});
`,
    );
    writeFileSync(
      join(dir, "vitest.config.mts"),
      `import { defineConfig } from "vitest/config";
export default defineConfig({ root: ${JSON.stringify(REPO_ROOT)}, test: { include: ["build/vitest-setup-check/*.check.ts"], setupFiles: ["test/vitest-setup.ts"] } });
`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env["LOG_LEVEL"];
    const run = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--config", join(dir, "vitest.config.mts")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    const output = run.stdout + run.stderr;
    expect(run.status).toBe(1);
    expect(output).toContain("1 failed | 1 passed");
    expect(output).not.toContain("line of the passing test");
    expect(output).toMatch(/logs of the failed test:\n\{"level":"warn","time":"[^"]+","component":"fixture","ip":"192\.0\.2\.1","msg":"line of the failing test"\}\n/);
  }, 60_000);
});
