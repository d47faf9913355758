import { describe, expect, it } from "vitest";
import { FakeClock, LatenessClock } from "./clock";

describe("LatenessClock", () => {
  it("notes the latest a timer fired, and starts over when read", () => {
    const fake = new FakeClock(1000);
    const clock = new LatenessClock(fake);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 75);
    clock.setTimeout(() => fired.push(clock.now()), 250);
    fake.advance(75);
    expect(clock.takeMaxLateMs()).toBe(0);
    // The event loop held 400 ms: the 250 ms timer fires 225 ms late.
    fake.stall(400);
    fake.advance(0);
    expect(fired).toEqual([1075, 1475]);
    expect(clock.takeMaxLateMs()).toBe(225);
    expect(clock.takeMaxLateMs()).toBe(0);
  });

  it("a cancelled timer neither fires nor counts; now and wallNow are the inner clock's", () => {
    const fake = new FakeClock(0, 5000);
    const clock = new LatenessClock(fake);
    let ran = false;
    clock.setTimeout(() => (ran = true), 10).cancel();
    fake.stall(100);
    fake.advance(0);
    expect(ran).toBe(false);
    expect(clock.takeMaxLateMs()).toBe(0);
    expect([clock.now(), clock.wallNow()]).toEqual([100, 5100]);
  });
});
