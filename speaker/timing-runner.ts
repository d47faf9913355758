/**
 * The speaker's timing process (the BFD runner, docs/adr/0007; the heartbeats were one until docs/adr/0013):
 * how the speaker forks one, how it learns that one ended, and what a runner says about its own
 * scheduling. Each runner's protocol (its messages and what a restart must resend) stays with it.
 *
 * In the speaker bundle (hack/build.mjs) a runner is a plain-JavaScript bundle beside it, forked with
 * the speaker's own flags and without tsx (the image has none, docs/adr/0010); from the sources it is
 * the TypeScript entry under tsx's CommonJS hooks, since a forked process does not get the parent's
 * loader hooks.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { LatenessClock } from "../core/clock";

export interface RunnerEntry {
  /** The file to fork or to load in a worker. */
  readonly path: string;
  /** True in the speaker bundle: plain JavaScript, no tsx. */
  readonly bundled: boolean;
  /** Resolves a module from the sources (tsx's hooks; unused when bundled). */
  readonly resolve: (id: string) => string;
}

/** The runner `bundledFile` beside the code in `dir` when it is there, else the TypeScript `sourceFile` in `dir`. */
export function runnerEntry(dir: string, bundledFile: string, sourceFile: string): RunnerEntry {
  const bundledPath = join(dir, bundledFile);
  const bundled = existsSync(bundledPath);
  const requireHere = createRequire(join(dir, sourceFile));
  return { path: bundled ? bundledPath : join(dir, sourceFile), bundled, resolve: id => requireHere.resolve(id) };
}

/** Forks a runner with its start-up data as its one argument (JSON) and an IPC channel; its output is the speaker's. */
export function forkRunner(entry: RunnerEntry, data: unknown): ChildProcess {
  return fork(entry.path, [JSON.stringify(data)], {
    execArgv: entry.bundled ? process.execArgv : ["--require", entry.resolve("tsx/cjs")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** Lets a stopping speaker exit with the runner still running (the runner ends when the channel closes). */
export function unrefRunner(child: ChildProcess): void {
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
}

/** Resolves with why the runner ended (`exit code 1`, `killed by SIGKILL`, or the spawn error). */
export function runnerEnded(child: ChildProcess): Promise<string> {
  return new Promise<string>(resolve => {
    child.on("error", error => resolve(String(error)));
    child.on("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
}

/** What a runner says about its own scheduling. */
export type RunnerNotice =
  /** Its event loop ran this late at least once in the last second (past its threshold): the CPU is short. */
  | { readonly op: "late"; readonly ms: number }
  /** Whether it could raise its scheduling priority (once, at start). */
  | { readonly op: "priority"; readonly raised: boolean; readonly how: string };

type Log = (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** Logs a runner's notice; `risk` says what lateness puts at risk ("BFD may flap"). */
export function logRunnerNotice(log: Log, what: string, notice: RunnerNotice, risk: string): void {
  if (notice.op === "late") log("warn", `${what} ran ${notice.ms} ms late: the node's CPUs are oversubscribed, ${risk}`, {});
  else if (notice.raised) log("info", `${what} scheduled with ${notice.how}`, {});
  else log("warn", `${what} runs at the usual priority: a busy node may delay it (CAP_SYS_NICE lets it raise itself)`, { error: notice.how });
}

/**
 * In a runner: once every `everyMs`, posts a `late` notice when one of `clock`'s timers fired more
 * than `lateMs` late since the last time, then calls `then` (a runner's own periodic report).
 * Returns stop.
 */
export function reportLateness(clock: LatenessClock, lateMs: number, everyMs: number, post: (notice: RunnerNotice) => void, then: () => void = () => undefined): () => void {
  const timer = setInterval(() => {
    const ms = Math.round(clock.takeMaxLateMs());
    if (ms > lateMs) post({ op: "late", ms });
    then();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
