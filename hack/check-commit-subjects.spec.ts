/**
 * hack/check-commit-subjects.ts over a throwaway repository: subjects of at most 72 characters pass,
 * one longer fails and is named, commits up to the base are not judged, an unknown base fails loudly.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeCommand } from "./netns/bed";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with one empty commit per subject; returns it and the commits' short hashes. */
function repoWith(subjects: readonly string[]): { dir: string; hashes: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-subjects-"));
  dirs.push(dir);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
  git("init", "--quiet");
  const hashes = subjects.map(subject => {
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", subject);
    return git("rev-parse", "--short", "HEAD");
  });
  return { dir, hashes };
}

function check(dir: string, base: string) {
  const [node, ...args] = nodeCommand("hack/check-commit-subjects.ts", ["--repo", dir, "--base", base]);
  const run = spawnSync(node!, args, { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const long = "x".repeat(73);

describe("check-commit-subjects", () => {
  it("passes subjects of at most 72 characters after the base, whatever came before it", () => {
    const { dir, hashes } = repoWith([long, "base", "y".repeat(72), "short"]);
    expect(check(dir, hashes[1]!)).toEqual({
      status: 0,
      stdout: `commit subjects after ${hashes[1]}: 2 checked, 0 longer than 72 characters\n`,
      stderr: "",
    });
  });

  it("fails on a subject of 73 characters and names its commit", () => {
    const { dir, hashes } = repoWith(["base", "short", long]);
    expect(check(dir, hashes[0]!)).toEqual({
      status: 1,
      stdout: `commit subjects after ${hashes[0]}: 2 checked, 1 longer than 72 characters\n`,
      stderr: `${hashes[2]}: subject is 73 characters (at most 72): ${long}\n`,
    });
  });

  it("fails, saying why, when the base is not in the history", () => {
    const { dir } = repoWith(["only"]);
    expect(check(dir, "0123456")).toEqual({
      status: 1,
      stdout: "",
      stderr: `check-commit-subjects: base commit 0123456 is not in the history of ${dir}\n`,
    });
  });

  it("judges every commit a shallow clone has when it does not reach the base", () => {
    const { dir, hashes } = repoWith(["base", long, "short", "last"]);
    const shallow = mkdtempSync(join(tmpdir(), "lodestone-subjects-shallow-"));
    dirs.push(shallow);
    execFileSync("git", ["clone", "--quiet", "--depth", "2", `file://${dir}`, shallow]);
    expect(check(shallow, hashes[0]!)).toEqual({
      status: 0,
      stdout: `commit subjects in this shallow clone (${hashes[0]} not reached): 2 checked, 0 longer than 72 characters\n`,
      stderr: "",
    });
    const deeper = mkdtempSync(join(tmpdir(), "lodestone-subjects-shallow-"));
    dirs.push(deeper);
    execFileSync("git", ["clone", "--quiet", "--depth", "3", `file://${dir}`, deeper]);
    expect(check(deeper, hashes[0]!)).toEqual({
      status: 1,
      stdout: `commit subjects in this shallow clone (${hashes[0]} not reached): 3 checked, 1 longer than 72 characters\n`,
      stderr: `${hashes[1]}: subject is 73 characters (at most 72): ${long}\n`,
    });
  });
});
