import { describe, expect, it } from "vitest";
import type { Clock, TimerHandle } from "../core/clock";
import { SerialSync } from "./serial-sync";

/** A timer the test fires by hand. */
class ManualTimer implements Clock {
  readonly pending: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  now = (): number => 0;
  wallNow = (): number => 0;
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { ms, fn, cancelled: false };
    this.pending.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }
  fire(): void {
    const due = this.pending.splice(0).filter(t => !t.cancelled);
    for (const t of due) t.fn();
  }
  get waiting(): number[] {
    return this.pending.filter(t => !t.cancelled).map(t => t.ms);
  }
}

/** A sync whose runs the test lets finish one by one (or fail). */
function gatedSync() {
  const runs: { finish: () => void; fail: (e: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const sync = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({ finish: () => (active--, resolve()), fail: e => (active--, reject(e)) });
    });
  return { sync, runs, maxActive: () => maxActive };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("SerialSync", () => {
  it("runs one sync at a time and folds every kick during a run into exactly one more", async () => {
    const g = gatedSync();
    const s = new SerialSync({ sync: g.sync, clock: new ManualTimer(), retryMs: 1000, onError: () => {} });
    s.kick();
    s.kick();
    s.kick();
    await flush();
    expect(g.runs).toHaveLength(1);
    g.runs[0]?.finish();
    await flush();
    expect(g.runs).toHaveLength(2);
    g.runs[1]?.finish();
    await s.settled();
    expect([g.runs.length, g.maxActive()]).toEqual([2, 1]);
  });

  it("reports a failed sync and retries it after retryMs on the timer", async () => {
    const g = gatedSync();
    const timer = new ManualTimer();
    const errors: string[] = [];
    const s = new SerialSync({ sync: g.sync, clock: timer, retryMs: 250, onError: e => errors.push(String(e)) });
    s.kick();
    await flush();
    g.runs[0]?.fail(new Error("connect ECONNREFUSED"));
    await s.settled();
    expect(errors).toEqual(["Error: connect ECONNREFUSED"]);
    expect(timer.waiting).toEqual([250]);
    expect(g.runs).toHaveLength(1);
    timer.fire();
    await flush();
    expect(g.runs).toHaveLength(2);
    g.runs[1]?.finish();
    await s.settled();
    expect([errors.length, timer.waiting]).toEqual([1, []]);
  });

  it("starts nothing after stop and cancels a waiting retry", async () => {
    const g = gatedSync();
    const timer = new ManualTimer();
    const s = new SerialSync({ sync: g.sync, clock: timer, retryMs: 250, onError: () => {} });
    s.kick();
    await flush();
    g.runs[0]?.fail(new Error("down"));
    await s.settled();
    expect(timer.waiting).toEqual([250]);
    s.stop();
    expect([s.stopped, timer.waiting]).toEqual([true, []]);
    s.kick();
    await flush();
    expect(g.runs).toHaveLength(1);
  });
});
