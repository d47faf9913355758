/**
 * `pepr build` stays quiet about Lodestone's sources: its format check (prettier with the repo's
 * .prettierrc, over every file eslint lints) finds nothing to report, and its module-format
 * detection finds package.json's `type`. Both are run here with Pepr's own code.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

// Pepr's own sources, imported by a computed name: tsc would otherwise type-check them under this
// repo's stricter settings, which they do not meet.
const peprSource = async <T>(path: string): Promise<T> => (await import(`pepr/src/${path}`)) as T;
type FormatWithPrettier = (results: { filePath: string }[], validateOnly: boolean) => Promise<boolean>;

const repo = join(__dirname, "..");

describe("pepr build's checks", () => {
  it("finds every TypeScript file formatted (no `File ... is not formatted correctly`)", async () => {
    const files = execFileSync("git", ["ls-files", "*.ts"], { cwd: repo, encoding: "utf8" }).trim().split("\n");
    expect(files.length).toBeGreaterThan(100);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const { formatWithPrettier } = await peprSource<{ formatWithPrettier: FormatWithPrettier }>("cli/format/format.helpers");
      const failed = await formatWithPrettier(files.map(f => ({ filePath: join(repo, f) })), true);
      expect(errors.mock.calls.map(c => String(c[0]))).toEqual([]);
      expect(failed).toBe(false);
    } finally {
      errors.mockRestore();
    }
  }, 60_000);

  it("reads the module format from package.json without a warning", async () => {
    const { determineModuleFormat } = await peprSource<{ determineModuleFormat: (path: string) => string }>("cli/build/build.helpers");
    const { default: Log } = await peprSource<{ default: { warn: (...args: unknown[]) => void } }>("lib/telemetry/logger");
    const warn = vi.spyOn(Log, "warn");
    try {
      expect(determineModuleFormat(join(repo, "package.json"))).toBe("cjs");
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
