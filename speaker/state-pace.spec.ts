import { describe, expect, it } from "vitest";
import { StatePace } from "./state-pace";

describe("StatePace", () => {
  it("makes the next state wait twice as long as the last took, counted from its end", () => {
    const pace = new StatePace();
    expect(pace.waitMs(0)).toBe(0);
    pace.computed(1000, 1300);
    expect(pace.waitMs(1300)).toBe(600);
    expect(pace.waitMs(1750)).toBe(150);
    expect(pace.waitMs(1900)).toBe(0);
    expect(pace.waitMs(5000)).toBe(0);
  });

  it("does not pace a cheap state, and rests at most maxMs after an expensive one", () => {
    const pace = new StatePace({ factor: 2, minMs: 20, maxMs: 5000 });
    pace.computed(0, 9.9);
    expect(pace.waitMs(9.9)).toBe(0);
    pace.computed(100, 110);
    expect(pace.waitMs(110)).toBe(20);
    pace.computed(200, 4200);
    expect(pace.waitMs(4200)).toBe(5000);
  });

  it("forgets an earlier rest once a cheap state follows", () => {
    const pace = new StatePace();
    pace.computed(0, 400);
    pace.computed(1200, 1201);
    expect(pace.waitMs(1201)).toBe(0);
  });
});
