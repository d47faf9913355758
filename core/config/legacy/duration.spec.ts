import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatNs, parseGoDuration, wholeSeconds } from "./duration";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0n],
    ["90s", 90_000_000_000n],
    ["1m30s", 90_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    ["-3s", -3_000_000_000n],
    ["+2ms", 2_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["300us", 300_000n],
    ["300\u00b5s", 300_000n],
    ["7ns", 7n],
    ["2h45m10.5s", 9_910_500_000_000n],
  ])("reads %s", (text, ns) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, ns });
  });

  it.each([
    ["", "not a duration (want e.g. 90s, 1m30s)"],
    ["90", "missing unit (ns, us, ms, s, m or h)"],
    ["1d", 'unknown unit "d" (want ns, us, ms, s, m or h)'],
    [".s", "not a duration (want e.g. 90s, 1m30s)"],
    ["s", "not a duration (want e.g. 90s, 1m30s)"],
    ["1s2", "missing unit (ns, us, ms, s, m or h)"],
    ["9999999999999h", "out of range"],
  ])("refuses %j", (text, reason) => {
    expect(parseGoDuration(text)).toEqual({ ok: false, reason });
  });

  it("rounds hold times toward zero and formats exactly", () => {
    expect(wholeSeconds(3_999_999_999n)).toBe(3n);
    expect(wholeSeconds(-2_500_000_000n)).toBe(-2n);
    expect([formatNs(90_000_000_000n), formatNs(2_000_000n), formatNs(1_500_000n)]).toEqual(["90s", "2ms", "1500000ns"]);
  });

  it("reads back what it formats, and never throws on any text", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), ns => {
        expect(parseGoDuration(formatNs(ns))).toEqual({ ok: true, ns });
      }),
    );
    fc.assert(
      fc.property(fc.string(), text => {
        const r = parseGoDuration(text);
        expect(r.ok || r.reason.length > 0).toBe(true);
      }),
    );
  });
});
