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

type SpecFile = { name?: string; status: string; message?: string; tests: string[] };
const report = (passed: number, failed: number, files: SpecFile[] = []) =>
  JSON.stringify({
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: 0,
    numTodoTests: 0,
    testResults: files.map(f => ({
      name: f.name,
      status: f.status,
      message: f.message,
      assertionResults: f.tests.map((status, i) => ({
        status,
        fullName: `suite test ${i}`,
        failureMessages: status === "failed" ? [`\x1b[31mAssertionError: expected ${i} to be 7\x1b[39m\n    at spec.ts:1:1`] : [],
      })),
    })),
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
        "unit.json": report(10, 2, [{ name: join(process.cwd(), "core/x.spec.ts"), status: "failed", tests: ["passed", "failed", "failed"] }]),
      },
      d => ["--steps", join(d, "steps.tsv"), join(d, "unit.json")],
    );
    expect(run).toEqual({
      status: 1,
      stdout: [
        "FAILED: type check",
        "FAILED: unit tests on Node 24 LTS (no report written)",
        "FAILED: core/x.spec.ts > suite test 1: AssertionError: expected 1 to be 7",
        "FAILED: core/x.spec.ts > suite test 2: AssertionError: expected 2 to be 7",
        "tests: 11 passed, 4 failed",
        "",
      ].join("\n"),
    });
  });

  it("counts a spec file that failed to load once, though none of its tests failed", () => {
    const broken = { name: join(process.cwd(), "speaker/y.spec.ts"), status: "failed", message: "Error: Cannot find module './z'\nRequire stack:", tests: [] };
    const run = summarize({ "unit.json": report(5, 0, [broken, { status: "passed", tests: ["passed"] }]) }, d => [join(d, "unit.json")]);
    expect(run).toEqual({ status: 1, stdout: "FAILED: speaker/y.spec.ts (did not run): Error: Cannot find module './z'\ntests: 5 passed, 1 failed\n" });
  });

  it("names each skipped suite with its reason above the closing line", () => {
    const run = summarize(
      { "steps.tsv": "pass\tlint\nskip\tnetwork-namespace tests: they need root (run as root, as CI does)\n" },
      d => ["--steps", join(d, "steps.tsv"), join(d, "missing.json")],
    );
    expect(run).toEqual({ status: 0, stdout: "SKIPPED: network-namespace tests: they need root (run as root, as CI does)\ntests: 1 passed, 0 failed\n" });
  });
});
