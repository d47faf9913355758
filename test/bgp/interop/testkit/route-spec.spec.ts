import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommunity, parseLargeCommunity, routeFromSpec } from "./route-spec";

describe("route specs for interop speakers", () => {
  it("parses communities into their 32-bit value", () => {
    expect(parseCommunity("64512:100")).toBe(64512 * 65536 + 100);
    expect(parseCommunity("65535:65535")).toBe(0xffffffff);
    expect(parseCommunity("0:0")).toBe(0);
  });

  it("refuses malformed communities with the text in the message", () => {
    expect(() => parseCommunity("65536:1")).toThrow('bad community "65536:1"');
    expect(() => parseCommunity("1:2:3")).toThrow('bad community "1:2:3"');
    expect(() => parseCommunity("01:2")).toThrow('bad community "01:2"');
    expect(() => parseCommunity("a:2")).toThrow('bad community "a:2"');
    expect(() => parseLargeCommunity("4294967296:1:1")).toThrow('bad large community "4294967296:1:1"');
    expect(() => parseLargeCommunity("1:1")).toThrow('bad large community "1:1"');
  });

  it("round-trips every community and large community", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (a, n) => {
        expect(parseCommunity(`${a}:${n}`)).toBe(a * 65536 + n);
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (g, l1, l2) => {
        expect(parseLargeCommunity(`${g}:${l1}:${l2}`)).toEqual({ globalAdmin: g, localData1: l1, localData2: l2 });
      }),
    );
  });

  it("never accepts arbitrary text it cannot read back", () => {
    fc.assert(
      fc.property(fc.string(), s => {
        let value: number | undefined;
        try {
          value = parseCommunity(s);
        } catch (error) {
          expect((error as Error).message).toBe(`bad community "${s}"`);
          return;
        }
        expect(`${Math.floor(value / 65536)}:${value % 65536}`).toBe(s);
      }),
    );
  });

  it("builds eBGP routes with our AS and no LOCAL_PREF, iBGP routes with LOCAL_PREF and an empty path", () => {
    const spec = { prefix: "198.51.100.7/32", nextHop: "192.0.2.11", communities: ["64512:7"], largeCommunities: ["64512:1:2"], localPref: 200 };
    expect(routeFromSpec(spec, 64512, true).attributes).toEqual({
      origin: 0,
      asPath: [{ type: 2, asns: [64512] }],
      communities: [64512 * 65536 + 7],
      largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }],
    });
    expect(routeFromSpec(spec, 64500, false).attributes).toEqual({
      origin: 0,
      asPath: [],
      communities: [64512 * 65536 + 7],
      largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }],
      localPref: 200,
    });
    expect(() => routeFromSpec({ prefix: "198.51.100.7/33", nextHop: "192.0.2.11" }, 1, true)).toThrow('bad prefix "198.51.100.7/33"');
  });
});
