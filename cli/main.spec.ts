import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main, usage } from "./main";

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: l => out.push(l), err: l => err.push(l) });
  return { code, out, err };
}

const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };

describe("lodestone command", () => {
  it("answers an unknown command or flag with exit 2 and the usage on stderr", async () => {
    expect(await run(["frobnicate"])).toEqual({ code: 2, out: [], err: ['lodestone: unknown command "frobnicate"', usage()] });
    expect(await run(["--frobnicate"])).toEqual({ code: 2, out: [], err: ['lodestone: unknown flag "--frobnicate"', usage()] });
  });

  it("prints the usage on stdout with exit 0 for no argument, help, -h and --help", async () => {
    expect(usage().split("\n")[0]).toBe("usage: lodestone <command> [flags]");
    for (const args of [[], ["help"], ["-h"], ["--help"]]) expect(await run(args)).toEqual({ code: 0, out: [usage()], err: [] });
  });

  it("prints the package's version on stdout with exit 0 for version, -v and --version", async () => {
    for (const flag of ["version", "-v", "--version"]) expect(await run([flag])).toEqual({ code: 0, out: [`lodestone ${pkg.version}`], err: [] });
  });

  it.each(["validate", "status", "convert", "prepare", "uninstall", "install"])("gives `%s --help` and `%s -h` on stdout with exit 0", async command => {
    for (const flag of ["--help", "-h"]) {
      const r = await run([command, flag]);
      expect(r.code).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.out.join("\n")).toMatch(new RegExp(`^usage: lodestone ${command} `));
    }
  });

  it.each(["validate", "status", "convert", "prepare", "uninstall", "install"])("answers `%s --frobnicate` with exit 2, the flag named and the usage on stderr", async command => {
    const r = await run([command, "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toBe(`lodestone ${command}: unknown flag "--frobnicate"`);
    expect(r.err[1]).toMatch(new RegExp(`^usage: lodestone ${command} `));
  });
});
