/**
 * hack/test-summary.ts, the closing line of `npm test`: it is true whatever failed. Failed steps and
 * failed tests are counted and named, a spec file that failed without a failed test counts once, a
 * suite that wrote no report counts as a failed step, skipped suites are named with their reason.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeCommand } from "./netns/bed";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (name -> content) to a fresh folder and runs the summary over them. */
function summarize(files: Record<string, string>, args: (dir: string) => string[]) {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-summary-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const [node, ...rest] = nodeCommand("hack/test-summary.ts", args(dir));
  const run = spawnSync(node!, rest, { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout };
}

const report = (passed: number, failed: number, files: { status: string; tests: string[] }[] = []) =>
  JSON.stringify({
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: 0,
    numTodoTests: 0,
    testResults: files.map(f => ({ status: f.status, assertionResults: f.tests.map(status => ({ status })) })),
  });

describe("test-summary", () => {
  it("says 0 failed and exits 0 when every step and test passed", () => {
    const run = summarize({ "steps.tsv": "pass\ttype check\npass\tlint\n", "unit.json": report(40, 0) }, d => ["--steps", join(d, "steps.tsv"), join(d, "unit.json")]);
    expect(run).toEqual({ status: 0, stdout: "tests: 42 passed, 0 failed\n" });
  });

  it("counts a failed step and failed tests, names the step and exits 1", () => {
    const run = summarize(
      {
        "steps.tsv": "fail\ttype check\npass\tlint\nfail\tunit tests on Node 24 LTS (no report written)\n",
        "unit.json": report(10, 2, [{ status: "failed", tests: ["passed", "failed", "failed"] }]),
      },
      d => ["--steps", join(d, "steps.tsv"), join(d, "unit.json")],
    );
    expect(run).toEqual({
      status: 1,
      stdout: "FAILED: type check\nFAILED: unit tests on Node 24 LTS (no report written)\ntests: 11 passed, 4 failed\n",
    });
  });

  it("counts a spec file that failed to load once, though none of its tests failed", () => {
    const run = summarize({ "unit.json": report(5, 0, [{ status: "failed", tests: [] }, { status: "passed", tests: ["passed"] }]) }, d => [join(d, "unit.json")]);
    expect(run).toEqual({ status: 1, stdout: "tests: 5 passed, 1 failed\n" });
  });

  it("names each skipped suite with its reason above the closing line", () => {
    const run = summarize(
      { "steps.tsv": "pass\tlint\nskip\tnetwork-namespace tests: they need root (run as root, as CI does)\n" },
      d => ["--steps", join(d, "steps.tsv"), join(d, "missing.json")],
    );
    expect(run).toEqual({ status: 0, stdout: "SKIPPED: network-namespace tests: they need root (run as root, as CI does)\ntests: 1 passed, 0 failed\n" });
  });
});
