import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCommunity, parseCommunity } from "./community";
import { parseGoDuration } from "./duration";

describe("parseCommunity", () => {
  it.each([
    ["65535:65281", { ok: true, value: { kind: "standard", value: 0xffffff01 } }],
    ["0:0", { ok: true, value: { kind: "standard", value: 0 } }],
    ["large:4294967295:0:7", { ok: true, value: { kind: "large", globalAdmin: 4294967295, localData1: 0, localData2: 7 } }],
    ["65536:0", { ok: false, error: "value", reason: "each part of AA:NN must be a 16-bit unsigned number" }],
    ["-1:0", { ok: false, error: "value", reason: "each part of AA:NN must be a 16-bit unsigned number" }],
    ["a:b", { ok: false, error: "value", reason: "each part of AA:NN must be a 16-bit unsigned number" }],
    ["large:1:2:x", { ok: false, error: "value", reason: "each part of large:AA:NN:NN must be a 32-bit unsigned number" }],
    ["large:1:2", { ok: false, error: "format", reason: "expected AA:NN or large:AA:NN:NN" }],
    ["no-export", { ok: false, error: "format", reason: "expected AA:NN or large:AA:NN:NN" }],
    ["1:2:3", { ok: false, error: "format", reason: "expected AA:NN or large:AA:NN:NN" }],
  ])("%j", (text, expected) => expect(parseCommunity(text)).toEqual(expected));

  it("round-trips every standard and large value", () => {
    const u16 = fc.integer({ min: 0, max: 65535 });
    const u32 = fc.integer({ min: 0, max: 4294967295 });
    fc.assert(
      fc.property(fc.oneof(fc.tuple(u16, u16).map(([a, n]) => `${a}:${n}`), fc.tuple(u32, u32, u32).map(([a, b, c]) => `large:${a}:${b}:${c}`)), text => {
        const parsed = parseCommunity(text);
        expect(parsed.ok && formatCommunity(parsed.value)).toBe(text);
      }),
    );
  });

  it("never throws on any string", () => {
    fc.assert(fc.property(fc.string(), text => {
      expect(typeof parseCommunity(text).ok).toBe("boolean");
    }));
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["90s", 90],
    ["1m30s", 90],
    ["1h", 3600],
    ["1.5s", 1.5],
    ["500ms", 0.5],
    ["0", 0],
    ["-2s", -2],
    ["+3s", 3],
    ["", undefined],
    ["90", undefined],
    ["s", undefined],
    ["1d", undefined],
    ["1s ", undefined],
  ])("%j is %s seconds", (text, seconds) => expect(parseGoDuration(text)).toBe(seconds));

  it("reads back what it is given as hours, minutes and seconds", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(59), fc.nat(59), (h, m, s) => {
        expect(parseGoDuration(`${h}h${m}m${s}s`)).toBe(h * 3600 + m * 60 + s);
      }),
    );
  });

  it("never throws on any string", () => {
    fc.assert(fc.property(fc.string(), text => {
      const v = parseGoDuration(text);
      expect(v === undefined || Number.isFinite(v)).toBe(true);
    }));
  });
});
