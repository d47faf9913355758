/**
 * `pepr build` stays quiet about Lodestone's sources: its format check (prettier with the repo's
 * .prettierrc, over every file eslint lints) finds nothing to report, and its module-format
 * detection finds package.json's `type`. Both are run here with Pepr's own code.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { determineModuleFormat } from "pepr/src/cli/build/build.helpers";
import { formatWithPrettier } from "pepr/src/cli/format/format.helpers";
import Log from "pepr/src/lib/telemetry/logger";

const repo = join(__dirname, "..");

describe("pepr build's checks", () => {
  it("finds every TypeScript file formatted (no `File ... is not formatted correctly`)", async () => {
    const files = execFileSync("git", ["ls-files", "*.ts"], { cwd: repo, encoding: "utf8" }).trim().split("\n");
    expect(files.length).toBeGreaterThan(100);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const failed = await formatWithPrettier(files.map(f => ({ filePath: join(repo, f) })) as Parameters<typeof formatWithPrettier>[0], true);
      expect(errors.mock.calls.map(c => String(c[0]))).toEqual([]);
      expect(failed).toBe(false);
    } finally {
      errors.mockRestore();
    }
  }, 60_000);

  it("reads the module format from package.json without a warning", () => {
    const warn = vi.spyOn(Log, "warn");
    try {
      expect(determineModuleFormat(join(repo, "package.json"))).toBe("cjs");
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
