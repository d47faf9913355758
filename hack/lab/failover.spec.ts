import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatFailover, measureFailover, parseProbeLine, type ProbeSample } from "./failover";

const s = (ok: boolean, startMs: number, endMs: number): ProbeSample => ({ ok, startMs, endMs });

describe("parseProbeLine", () => {
  it("reads the client's probe lines", () => {
    expect(parseProbeLine("tcp ok 1000.25 1000.75")).toEqual({ ok: true, startMs: 1000.25, endMs: 1000.75 });
    expect(parseProbeLine("tcp fail 1000 1200")).toEqual({ ok: false, startMs: 1000, endMs: 1200 });
  });

  it("rejects anything else", () => {
    for (const line of ["", "tcp ok 1", "tcp maybe 1 2", "tcp ok 2 1", "get 1 200 hello", "tcp ok 1 2 3", "tcp ok -1 2", "tcp ok 1e3 2e3"]) {
      expect(parseProbeLine(line)).toBeUndefined();
    }
  });

  it("round-trips every well-formed line and never throws (property)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.nat(), (ok, start, length) => {
        expect(parseProbeLine(`tcp ${ok ? "ok" : "fail"} ${start} ${start + length}`)).toEqual({ ok, startMs: start, endMs: start + length });
      }),
    );
    fc.assert(fc.property(fc.string(), (line) => void parseProbeLine(line)));
  });
});

describe("measureFailover", () => {
  const at = (killedAt: number, deadAt = killedAt) => ({ killedAt, deadAt });

  it("measures from the kill to the end of the first successful connect started after the node was dead", () => {
    const samples = [s(true, 980, 981), s(true, 990, 991), s(false, 1000, 1100), s(false, 1010, 1110), s(true, 1020, 1400.5), s(true, 1390, 1391), s(true, 1400, 1401)];
    // The attempt started at 1020 succeeded only at 1400.5 (after a retry); the one started at 1390 ended first.
    expect(measureFailover(samples, at(995))).toEqual({ outageMs: 396, gapMs: 400, failedAttempts: 2, failedBeforeKill: 0 });
  });

  it("counts from the SIGKILL, not from when the link went down, and ignores successes through the dying node", () => {
    // SIGKILL at 995, link down at 1012: the attempt started at 1000 still reached the old node's kernel.
    const samples = [s(true, 980, 981), s(true, 990, 991), s(true, 1000, 1001), s(false, 1010, 1110), s(true, 1200, 1201)];
    expect(measureFailover(samples, at(995, 1012))).toEqual({ outageMs: 206, gapMs: 200, failedAttempts: 1, failedBeforeKill: 0 });
  });

  it("counts every failed probe: those in flight at the kill, and those that failed before it apart", () => {
    // 990-1090 was in flight at the kill (started before it) and failed; 900-960 failed before the kill.
    const samples = [s(false, 900, 960), s(true, 980, 981), s(false, 990, 1090), s(false, 1000, 1100), s(true, 1150, 1151), s(false, 1160, 1260)];
    expect(measureFailover(samples, at(995, 1003))).toEqual({ outageMs: 156, gapMs: 170, failedAttempts: 2, failedBeforeKill: 1 });
  });

  it("says nothing until service is back, or when nothing worked before the kill", () => {
    expect(measureFailover([s(true, 990, 991), s(false, 1000, 1100)], at(995))).toBeUndefined();
    expect(measureFailover([s(false, 990, 1090), s(true, 1000, 1001)], at(995))).toBeUndefined();
    expect(measureFailover([s(true, 990, 996), s(true, 1000, 1001)], at(995))).toBeUndefined();
    expect(measureFailover([s(true, 990, 991), s(true, 1000, 1001)], at(995, 1005))).toBeUndefined();
  });

  it("never reports an outage shorter than the wait for the first success after the node died, and counts every failure (property)", () => {
    const sample = fc.record({ ok: fc.boolean(), startMs: fc.integer({ min: 0, max: 10_000 }), len: fc.integer({ min: 0, max: 500 }) });
    fc.assert(
      fc.property(fc.array(sample), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 50 }), (raw, killedAt, linkDownMs) => {
        const samples = raw.map((r) => s(r.ok, r.startMs, r.startMs + r.len));
        const deadAt = killedAt + linkDownMs;
        const f = measureFailover(samples, { killedAt, deadAt });
        const okAfter = samples.filter((x) => x.ok && x.startMs >= deadAt);
        const okBefore = samples.filter((x) => x.ok && x.endMs <= killedAt);
        if (okAfter.length === 0 || okBefore.length === 0) {
          expect(f).toBeUndefined();
          return;
        }
        const back = Math.min(...okAfter.map((x) => x.endMs));
        expect(f?.outageMs).toBe(back - killedAt);
        expect(f?.outageMs).toBeGreaterThanOrEqual(0);
        expect(f?.gapMs).toBeGreaterThanOrEqual(0);
        // Every failure that ended after the kill and started before service came back is counted.
        expect(f?.failedAttempts).toBe(samples.filter((x) => !x.ok && x.endMs > killedAt && x.startMs < back).length);
      }),
    );
  });
});

describe("formatFailover", () => {
  it("rounds to milliseconds, counting from the SIGKILL", () => {
    expect(formatFailover({ outageMs: 411.6, gapMs: 418.2, failedAttempts: 38, failedBeforeKill: 0 })).toBe(
      "412 ms after the SIGKILL (gap between successful connects 418 ms, 38 failed attempts)",
    );
    expect(formatFailover({ outageMs: 20, gapMs: 30, failedAttempts: 2, failedBeforeKill: 1 })).toBe(
      "20 ms after the SIGKILL (gap between successful connects 30 ms, 2 failed attempts; 1 failed before the kill)",
    );
  });
});
