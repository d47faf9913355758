import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeClock, LatenessClock } from "../core/clock";
import { forkRunner, logRunnerNotice, reportLateness, runnerEnded, runnerEntry, type RunnerNotice } from "./timing-runner";

describe("runnerEntry", () => {
  it("takes the bundle beside the code when it is there, else the TypeScript source", () => {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-runner-"));
    expect(runnerEntry(dir, "x-runner.cjs", "x-main.ts")).toMatchObject({ path: join(dir, "x-main.ts"), bundled: false });
    writeFileSync(join(dir, "x-runner.cjs"), "");
    expect(runnerEntry(dir, "x-runner.cjs", "x-main.ts")).toMatchObject({ path: join(dir, "x-runner.cjs"), bundled: true });
  });
});

describe("forkRunner and runnerEnded", () => {
  it("forks the bundle with its data as the one argument and says how it ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-runner-"));
    writeFileSync(join(dir, "x-runner.cjs"), "process.send(JSON.parse(process.argv[2])); process.exitCode = 3; process.disconnect();");
    const child = forkRunner(runnerEntry(dir, "x-runner.cjs", "x-main.ts"), { hello: "runner" });
    const said = new Promise(resolve => child.once("message", resolve));
    const ended = runnerEnded(child);
    expect(await said).toEqual({ hello: "runner" });
    expect(await ended).toBe("exit code 3");
  });

  it("a runner killed by a signal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-runner-"));
    writeFileSync(join(dir, "x-runner.cjs"), "process.send('up'); setInterval(() => {}, 1000);");
    const child = forkRunner(runnerEntry(dir, "x-runner.cjs", "x-main.ts"), {});
    await new Promise(resolve => child.once("message", resolve));
    const ended = runnerEnded(child);
    child.kill("SIGKILL");
    expect(await ended).toBe("killed by SIGKILL");
  });
});

describe("logRunnerNotice", () => {
  it("says what lateness risks and how the runner is scheduled", () => {
    const lines: unknown[][] = [];
    const log = (...args: unknown[]): void => void lines.push(args);
    logRunnerNotice(log, "BFD process", { op: "late", ms: 140 }, "BFD may flap");
    logRunnerNotice(log, "heartbeat thread", { op: "priority", raised: true, how: "SCHED_RR priority 10" }, "");
    logRunnerNotice(log, "heartbeat thread", { op: "priority", raised: false, how: "no CAP_SYS_NICE" }, "");
    expect(lines).toEqual([
      ["warn", "BFD process ran 140 ms late: the node's CPUs are oversubscribed, BFD may flap", {}],
      ["info", "heartbeat thread scheduled with SCHED_RR priority 10", {}],
      ["warn", "heartbeat thread runs at the usual priority: a busy node may delay it (CAP_SYS_NICE lets it raise itself)", { error: "no CAP_SYS_NICE" }],
    ]);
  });
});

describe("reportLateness", () => {
  it("posts how late the runner's timers fired, past the threshold, once per period, then the runner's own report", async () => {
    const fake = new FakeClock();
    const clock = new LatenessClock(fake);
    const notices: RunnerNotice[] = [];
    const reports: number[] = [];
    let stop = (): void => undefined;
    await new Promise<void>(resolve => {
      stop = reportLateness(clock, 50, 20, n => notices.push(n), () => {
        reports.push(notices.length);
        // Period 1: a timer 30 ms late (under the threshold); period 2: one 140 ms late; then done.
        if (reports.length === 1) {
          clock.setTimeout(() => undefined, 10);
          fake.stall(40);
          fake.advance(0);
        } else if (reports.length === 2) {
          clock.setTimeout(() => undefined, 10);
          fake.stall(150);
          fake.advance(0);
        } else if (reports.length === 4) resolve();
      });
    });
    stop();
    expect(notices).toEqual([{ op: "late", ms: 140 }]);
    expect(reports).toEqual([0, 0, 1, 1]);
  });
});
