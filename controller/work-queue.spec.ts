import { describe, expect, it } from "vitest";
import { FakeClock } from "../core/clock";
import { WorkQueue } from "./work-queue";

function setup(concurrency = 4) {
  const clock = new FakeClock();
  const errors: string[] = [];
  const queue = new WorkQueue({ clock, concurrency, baseDelayMs: 10, maxDelayMs: 50, onError: (key, _e, n, delay) => errors.push(`${key}#${n}+${delay}`) });
  return { clock, queue, errors };
}

describe("WorkQueue", () => {
  it("runs the latest task queued for a key and skips the ones it replaced", async () => {
    const { queue } = setup();
    const ran: string[] = [];
    let release!: () => void;
    queue.add("k", () => new Promise<void>(r => { ran.push("first"); release = r; }));
    await Promise.resolve();
    queue.add("k", async () => void ran.push("second"));
    queue.add("k", async () => void ran.push("third"));
    await new Promise(r => setImmediate(r));
    expect(ran).toEqual(["first"]);
    release();
    await queue.settled();
    expect(ran).toEqual(["first", "third"]);
  });

  it("never runs two tasks of one key at once, but runs different keys concurrently up to the limit", async () => {
    const { queue } = setup(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise(r => setImmediate(r));
      running--;
    };
    for (const k of ["a", "b", "c", "a"]) queue.add(k, task);
    await queue.settled();
    expect(peak).toBe(2);
  });

  it("retries with exponential backoff capped at the maximum, and resets after a success", async () => {
    const { clock, queue, errors } = setup();
    let failuresLeft = 4;
    let successes = 0;
    const task = async () => {
      if (failuresLeft-- > 0) throw new Error("boom");
      successes++;
    };
    queue.add("k", task);
    await queue.settled();
    expect(clock.pending()).toEqual([10]);
    expect(queue.backingOff()).toEqual(["k"]);
    for (const delay of [10, 20, 40]) {
      clock.advance(delay);
      await queue.settled();
    }
    expect(errors).toEqual(["k#1+10", "k#2+20", "k#3+40", "k#4+50"]);
    clock.advance(49);
    await queue.settled();
    expect(successes).toBe(0);
    clock.advance(1);
    await queue.settled();
    expect(successes).toBe(1);
    expect(queue.backingOff()).toEqual([]);
    failuresLeft = 1;
    queue.add("k", task);
    await queue.settled();
    expect(errors.at(-1)).toBe("k#1+10");
  });

  it("retries the newest task queued while a key was failing", async () => {
    const { clock, queue } = setup();
    const ran: string[] = [];
    queue.add("k", async () => {
      ran.push("old");
      throw new Error("boom");
    });
    await queue.settled();
    queue.add("k", async () => void ran.push("new"));
    await queue.settled();
    expect(ran).toEqual(["old"]);
    clock.advance(10);
    await queue.settled();
    expect(ran).toEqual(["old", "new"]);
  });

  it("drops queued work and timers on stop", async () => {
    const { clock, queue } = setup();
    queue.add("k", async () => {
      throw new Error("boom");
    });
    await queue.settled();
    await queue.stop();
    expect(clock.pending()).toEqual([]);
    let ran = false;
    queue.add("other", async () => void (ran = true));
    await queue.settled();
    expect(ran).toBe(false);
  });
});
