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
  it("measures from the kill to the end of the first successful connect started after it", () => {
    const samples = [s(true, 980, 981), s(true, 990, 991), s(false, 1000, 1100), s(false, 1010, 1110), s(true, 1020, 1400.5), s(true, 1390, 1391), s(true, 1400, 1401)];
    // The attempt started at 1020 succeeded only at 1400.5 (after a retry); the one started at 1390 ended first.
    expect(measureFailover(samples, 995)).toEqual({ outageMs: 396, gapMs: 400, failedAttempts: 2 });
  });

  it("says nothing until service is back, or when nothing worked before the kill", () => {
    expect(measureFailover([s(true, 990, 991), s(false, 1000, 1100)], 995)).toBeUndefined();
    expect(measureFailover([s(false, 990, 1090), s(true, 1000, 1001)], 995)).toBeUndefined();
    expect(measureFailover([s(true, 990, 996), s(true, 1000, 1001)], 995)).toBeUndefined();
  });

  it("never reports an outage shorter than the wait for the first later success (property)", () => {
    const sample = fc.record({ ok: fc.boolean(), startMs: fc.integer({ min: 0, max: 10_000 }), len: fc.integer({ min: 0, max: 500 }) });
    fc.assert(
      fc.property(fc.array(sample), fc.integer({ min: 0, max: 10_000 }), (raw, killedAt) => {
        const samples = raw.map((r) => s(r.ok, r.startMs, r.startMs + r.len));
        const f = measureFailover(samples, killedAt);
        const okAfter = samples.filter((x) => x.ok && x.startMs >= killedAt);
        const okBefore = samples.filter((x) => x.ok && x.endMs <= killedAt);
        if (okAfter.length === 0 || okBefore.length === 0) {
          expect(f).toBeUndefined();
          return;
        }
        expect(f?.outageMs).toBe(Math.min(...okAfter.map((x) => x.endMs)) - killedAt);
        expect(f?.outageMs).toBeGreaterThanOrEqual(0);
        expect(f?.gapMs).toBeGreaterThanOrEqual(f?.outageMs ?? 0);
      }),
    );
  });
});

describe("formatFailover", () => {
  it("rounds to milliseconds", () => {
    expect(formatFailover({ outageMs: 411.6, gapMs: 418.2, failedAttempts: 38 })).toBe(
      "412 ms after the kill (gap between successful connects 418 ms, 38 failed attempts)",
    );
  });
});
