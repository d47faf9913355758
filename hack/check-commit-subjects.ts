/**
 * Fails when a commit made after BASE has a subject longer than 72 characters, the limit git's own
 * documentation and most projects keep so `git log --oneline` and shortlogs fit a terminal (git
 * help commit: "less than 50 characters" is the advice, 72 the usual hard line). Commits up to BASE
 * are history and are not judged. Run by hack/test-all.sh. In a shallow clone that does not reach
 * BASE (CI may clone with a depth), every commit the clone has is judged instead, and the line says so.
 *
 *   npx tsx hack/check-commit-subjects.ts [--base REV] [--repo DIR]
 */
import { execFileSync } from "node:child_process";

/** The last commit not judged: everything before it was written before the rule. */
const BASE = "425330b";
const MAX_SUBJECT = 72;

interface Commit {
  readonly hash: string;
  readonly subject: string;
}

/** The commits whose subject is longer than `max` characters (counted as Unicode code points). */
const longSubjects = (commits: readonly Commit[], max = MAX_SUBJECT): Commit[] =>
  commits.filter(c => [...c.subject].length > max);

/**
 * The commits after `base` up to HEAD in `repo`, or, in a shallow clone that does not reach `base`,
 * all the commits it has (`range` says which); throws a clear error when `base` is unknown otherwise.
 */
function commitsAfter(repo: string, base: string): { commits: Commit[]; range: string } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  let range = `${base}..HEAD`;
  try {
    git("rev-parse", "--verify", "--quiet", `${base}^{commit}`);
  } catch {
    if (git("rev-parse", "--is-shallow-repository").trim() !== "true") throw new Error(`base commit ${base} is not in the history of ${repo}`);
    range = "HEAD";
  }
  const commits = git("log", "--format=%h%x09%s", range)
    .split("\n")
    .filter(line => line !== "")
    .map(line => {
      const tab = line.indexOf("\t");
      return { hash: line.slice(0, tab), subject: line.slice(tab + 1) };
    });
  return { commits, range };
}

function main(args: string[]): number {
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const base = option("--base") ?? BASE;
  const repo = option("--repo") ?? process.cwd();
  let commits: Commit[];
  let range: string;
  try {
    ({ commits, range } = commitsAfter(repo, base));
  } catch (error) {
    console.error(`check-commit-subjects: ${(error as Error).message}`);
    return 1;
  }
  const long = longSubjects(commits);
  for (const c of long) console.error(`${c.hash}: subject is ${[...c.subject].length} characters (at most ${MAX_SUBJECT}): ${c.subject}`);
  const scope = range === "HEAD" ? `in this shallow clone (${base} not reached)` : `after ${base}`;
  console.log(`commit subjects ${scope}: ${commits.length} checked, ${long.length} longer than ${MAX_SUBJECT} characters`);
  return long.length > 0 ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
