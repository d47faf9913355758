import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrRange, cidrSize, familyBits, formatCidr, formatIP, parseCidr, parseIP, rangeContains, rangesOverlap, rangeToCidrs, type IPFamily } from "./ip";

describe("parseIP / formatIP", () => {
  it.each([
    ["192.0.2.1", "IPv4", 0xc0000201n, "192.0.2.1"],
    ["0.0.0.0", "IPv4", 0n, "0.0.0.0"],
    ["255.255.255.255", "IPv4", 0xffffffffn, "255.255.255.255"],
    ["2001:db8::1", "IPv6", 0x20010db8000000000000000000000001n, "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "IPv6", 0x20010db8000000000000000000000001n, "2001:db8::1"],
    ["::", "IPv6", 0n, "::"],
    ["::ffff:192.0.2.1", "IPv4", 0xc0000201n, "192.0.2.1"],
  ])("%s", (text, family, value, formatted) => {
    expect(parseIP(text)).toEqual({ family, value });
    expect(formatIP({ family: family as IPFamily, value })).toBe(formatted);
  });

  it.each(["", "192.0.2", "192.0.2.256", "01.2.3.4", "192.0.2.1 ", "1::2::3", "fe80::1%eth0", "2001:db8::/64", "abc"])("rejects %j", text => expect(parseIP(text)).toBeUndefined());

  it("round-trips every IPv4 and IPv6 value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map(value => ({ family: "IPv4" as const, value })), fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(value => ({ family: "IPv6" as const, value }))), ip => {
        // IPv4-mapped IPv6 addresses parse as IPv4, as in Go; every other value round-trips.
        fc.pre(!(ip.family === "IPv6" && ip.value >> 32n === 0xffffn));
        expect(parseIP(formatIP(ip))).toEqual(ip);
      }),
    );
  });

  it("agrees with the generators of fast-check on address text", () => {
    fc.assert(fc.property(fc.ipV4(), text => {
      expect(formatIP(parseIP(text) ?? { family: "IPv4", value: -1n })).toBe(text);
    }));
    fc.assert(fc.property(fc.ipV6(), text => {
      expect(parseIP(text)).toBeDefined();
    }));
  });

  it("never throws on any string", () => {
    fc.assert(fc.property(fc.string(), text => {
      const ip = parseIP(text);
      expect(ip === undefined || ip.value >= 0n).toBe(true);
    }));
  });
});

describe("parseCidr", () => {
  it.each([
    ["192.0.2.0/24", "192.0.2.0/24"],
    ["192.0.2.77/24", "192.0.2.0/24"],
    ["192.0.2.1/32", "192.0.2.1/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::1/64", "2001:db8::/64"],
    ["::/0", "::/0"],
  ])("%s is %s", (text, formatted) => expect(formatCidr(parseCidr(text) ?? { family: "IPv4", base: 1n, prefix: 99 })).toBe(formatted));

  it.each(["192.0.2.0/33", "2001:db8::/129", "192.0.2.0", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/1a", "x/24", "192.0.2.0/0024"])("rejects %j", text => expect(parseCidr(text)).toBeUndefined());

  it("size and range of a block", () => {
    const c = parseCidr("192.0.2.0/30");
    expect(c && cidrSize(c)).toBe(4n);
    expect(c && cidrRange(c)).toEqual({ family: "IPv4", first: 0xc0000200n, last: 0xc0000203n });
  });

  it("never throws on any string", () => {
    fc.assert(fc.property(fc.string(), text => {
      const c = parseCidr(text);
      expect(c === undefined || c.prefix <= familyBits(c.family)).toBe(true);
    }));
  });
});

describe("ranges", () => {
  const v4 = (a: string) => parseIP(a)?.value ?? -1n;
  it.each([
    ["192.0.2.10", "192.0.2.20", ["192.0.2.10/31", "192.0.2.12/30", "192.0.2.16/30", "192.0.2.20/32"]],
    ["192.0.2.0", "192.0.2.255", ["192.0.2.0/24"]],
    ["192.0.2.5", "192.0.2.5", ["192.0.2.5/32"]],
    ["0.0.0.0", "255.255.255.255", ["0.0.0.0/0"]],
  ])("%s-%s summarises to %j", (first, last, cidrs) => {
    expect(rangeToCidrs({ family: "IPv4", first: v4(first), last: v4(last) }).map(formatCidr)).toEqual(cidrs);
  });

  it("the whole IPv6 space is ::/0", () => {
    expect(rangeToCidrs({ family: "IPv6", first: 0n, last: 2n ** 128n - 1n }).map(formatCidr)).toEqual(["::/0"]);
  });

  it("summaries cover exactly the range, in order, without overlap, each block aligned", () => {
    const bounds = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 20n })).map(([first, span]) => ({ first, last: first + span > 2n ** 128n - 1n ? 2n ** 128n - 1n : first + span }));
    fc.assert(
      fc.property(bounds, ({ first, last }) => {
        const cidrs = rangeToCidrs({ family: "IPv6", first, last });
        let next = first;
        for (const c of cidrs) {
          const r = cidrRange(c);
          expect(r.first).toBe(next);
          expect(c.base % cidrSize(c)).toBe(0n);
          next = r.last + 1n;
        }
        expect(next).toBe(last + 1n);
        // Minimal: two neighbours never form one aligned block of twice the size.
        for (let i = 1; i < cidrs.length; i++) {
          const [a, b] = [cidrs[i - 1], cidrs[i]];
          if (a && b && a.prefix === b.prefix) expect(a.base % (cidrSize(a) * 2n) === 0n).toBe(false);
        }
      }),
    );
  });

  it("contains and overlaps", () => {
    const r = { family: "IPv4" as const, first: 10n, last: 20n };
    expect(rangeContains(r, { family: "IPv4", value: 10n })).toBe(true);
    expect(rangeContains(r, { family: "IPv4", value: 21n })).toBe(false);
    expect(rangeContains(r, { family: "IPv6", value: 15n })).toBe(false);
    expect(rangesOverlap(r, { family: "IPv4", first: 20n, last: 30n })).toBe(true);
    expect(rangesOverlap(r, { family: "IPv4", first: 21n, last: 30n })).toBe(false);
    expect(rangesOverlap(r, { family: "IPv6", first: 0n, last: 30n })).toBe(false);
  });
});
