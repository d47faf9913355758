/**
 * Prints one closing line, `tests: N passed, N failed`, over the JSON reports the vitest runs wrote
 * and the steps file of hack/test-all.sh (`pass|fail|skip<TAB>name` per line: steps that are one test
 * each, such as the type check or the lab), so that whoever reads the end of a CI log sees the whole
 * count at once. Skipped steps are listed above the line with their reason, and every failure is named
 * there too (the step, or the spec file and test with the first line of its error), because a CI log
 * is often read from its tail only. Exits 1 on any failure.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { stripVTControlCharacters } from "node:util";

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSteps: string[] = [];
const failedTests: string[] = [];

/** The first non-empty line of an error message, without ANSI colours, at most 200 characters. */
const firstLine = (message: string | undefined) => {
  const line = stripVTControlCharacters(message ?? "").split("\n").find(l => l.trim()) ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line.trim();
};
const skippedSteps: string[] = [];

const args = process.argv.slice(2);
const stepsAt = args.indexOf("--steps");
const stepsFile = stepsAt >= 0 ? args.splice(stepsAt, 2)[1] : undefined;

if (stepsFile && existsSync(stepsFile)) {
  for (const line of readFileSync(stepsFile, "utf8").split("\n")) {
    const [outcome, name = ""] = line.split("\t");
    if (outcome === "pass") passed++;
    else if (outcome === "fail") {
      failed++;
      failedSteps.push(name);
    }
    else if (outcome === "skip") skippedSteps.push(name);
  }
}
for (const file of args) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8")) as {
    numPassedTests?: number;
    numFailedTests?: number;
    numPendingTests?: number;
    numTodoTests?: number;
    testResults?: {
      name?: string;
      status?: string;
      message?: string;
      assertionResults?: { status?: string; fullName?: string; failureMessages?: string[] }[];
    }[];
  };
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A spec file that failed without a failed test (it did not load, or its beforeAll threw) counts once.
  for (const specFile of report.testResults ?? []) {
    const where = specFile.name ? relative(process.cwd(), specFile.name) : "(unnamed spec file)";
    const failures = (specFile.assertionResults ?? []).filter(a => a.status === "failed");
    for (const test of failures) failedTests.push(`${where} > ${test.fullName ?? "(unnamed test)"}: ${firstLine(test.failureMessages?.[0])}`);
    if (specFile.status === "failed" && failures.length === 0) {
      failed++;
      failedTests.push(`${where} (did not run): ${firstLine(specFile.message)}`);
    }
  }
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}

for (const name of skippedSteps) console.log(`SKIPPED: ${name}`);
for (const name of [...failedSteps, ...failedTests]) console.log(`FAILED: ${name}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
