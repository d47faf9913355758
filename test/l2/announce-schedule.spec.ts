import { describe, expect, it } from "vitest";
import { matchSchedule, refreshesAfterAnnouncing, roundTimes } from "./announce-schedule";

const SLACK = 300;

describe("roundTimes", () => {
  it("is the burst, then the periodic rounds that fall after it", () => {
    expect(roundTimes(1000, 9)).toEqual([0, 1100, 2200, 3300, 4400, 5000, 6000, 7000, 8000]);
    expect(roundTimes(2000, 7)).toEqual([0, 1100, 2200, 3300, 4400, 6000, 8000]);
    expect(roundTimes(undefined, 9)).toEqual([0, 1100, 2200, 3300, 4400]);
  });
});

describe("matchSchedule", () => {
  const onTime = [100, 1200, 2300, 3400, 4500, 5100, 6100, 7100, 8100, 9100, 10_100, 11_100];

  it("takes frames on schedule with no refresh", () => {
    expect(matchSchedule(onTime, 1000, 0, SLACK)).toEqual({ starts: [100] });
  });

  it("needs a refresh for the CI run's capture (a fresh burst 20 ms after the 9 s round), and has one when a peer returned", () => {
    // The capture of the failed CI run: request 10 at 9020 ms, 20 ms after request 9.
    const ci = [0, 1100, 2200, 3300, 4400, 5000, 6000, 7000, 8000, 9000, 9020, 10_120, 11_220];
    expect(matchSchedule(ci, 1000, 0, SLACK)).toEqual({ problem: "frame 10 at 9020 ms, scheduled 10000 ms (10000 ms after the start at 0 ms); 0 refresh(es) left" });
    expect(matchSchedule(ci, 1000, 1, SLACK)).toEqual({ starts: [0, 9020] });
  });

  it("finds a refresh that replaced a round (the old round never sent)", () => {
    // Refresh at 8990 instead of the 9 s round: its burst drifts away from the old schedule 3 rounds later.
    const replaced = [0, 1100, 2200, 3300, 4400, 5000, 6000, 7000, 8000, 8990, 10_090, 11_190, 12_290, 13_390];
    // (Off-schedule frames at the end of a capture are ambiguous: a restart there explains them too.)
    expect(matchSchedule(replaced, 1000, 1, SLACK)).toHaveProperty("starts.length", 2);
    expect(matchSchedule(replaced, 1000, 0, SLACK)).toHaveProperty("problem");
  });

  it("refuses a missing round, a frame too late and rounds that never stop", () => {
    expect(matchSchedule(onTime.filter(t => t !== 7100), 1000, 0, SLACK)).toHaveProperty("problem", "frame 7 at 8100 ms, scheduled 7100 ms (7000 ms after the start at 100 ms); 0 refresh(es) left");
    expect(matchSchedule([0, 1100, 2200, 3300, 4400, 5350], 1000, 0, SLACK)).toHaveProperty("problem", "frame 5 at 5350 ms, scheduled 5000 ms (5000 ms after the start at 0 ms); 0 refresh(es) left");
    expect(matchSchedule([0, 1100, 2200, 3300, 4400, 5000], undefined, 0, SLACK)).toHaveProperty("problem", "frame 5 at 5000 ms, after the last round; 0 refresh(es) left");
    expect(matchSchedule([], 1000, 3, SLACK)).toEqual({ problem: "no frames" });
  });

  it("a refresh does not excuse a broken period: frames every 500 ms fail with one refresh to spend", () => {
    const halfPeriod = [0, 1100, 2200, 3300, 4400, 4900, 5400, 5900, 6400, 6900];
    expect(matchSchedule(halfPeriod, 1000, 1, SLACK)).toHaveProperty("problem");
  });
});

describe("refreshesAfterAnnouncing", () => {
  const m = (live: string[]): string => `membership ${JSON.stringify({ live, canAnnounce: true })}`;
  const status = 'status [{"service":"default/periodic","ip":"192.0.2.100","interfaces":["eth0"],"problems":[]}]';

  it("counts the returns of lost peers after the first announcement, not the joins before it", () => {
    expect(refreshesAfterAnnouncing([m(["node1", "node3"]), m(["node1", "node2", "node3"]), status, m(["node1", "node2", "node3"])], "192.0.2.100")).toBe(0);
    expect(refreshesAfterAnnouncing([m(["node1", "node2", "node3"]), status, m(["node1", "node3"]), m(["node1", "node2", "node3"]), m(["node1", "node2"]), m(["node1", "node2", "node3"])], "192.0.2.100")).toBe(2);
    expect(refreshesAfterAnnouncing([m(["node1"]), m(["node1", "node2"])], "192.0.2.100")).toBe(0);
  });
});
