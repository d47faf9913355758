import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIP, parseIP, type IPAddress } from "../net/ip";
import { capInt64, INT64_MAX, isBuggyIP, PoolState } from "./pool-state";
import { SortedValues } from "./sorted-values";
import { makePool } from "../../test/allocation/testing";

const ip = (text: string): IPAddress => parseIP(text) as IPAddress;
const lowest = (s: PoolState, f: "IPv4" | "IPv6" = "IPv4"): string | undefined => {
  const r = s.lowestFree(f);
  return r && formatIP(r.ip);
};

describe("SortedValues", () => {
  it("agrees with a plain sorted array through random adds and deletes across many chunks (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2000 })), { maxLength: 3000 }), ops => {
        const s = new SortedValues();
        const model = new Set<number>();
        for (const [add, n] of ops) {
          const v = BigInt(n);
          expect(add ? s.add(v) : s.delete(v)).toBe(add ? !model.has(n) : model.has(n));
          if (add) model.add(n);
          else model.delete(n);
        }
        const sorted = [...model].sort((a, b) => a - b);
        expect(s.size).toBe(sorted.length);
        for (let i = 0; i < sorted.length; i += 7) expect(s.at(i)).toBe(BigInt(sorted[i] as number));
        expect(s.at(sorted.length)).toBeUndefined();
        for (const probe of [0, 1, 999, 1000, 2000, 2001]) {
          expect(s.lowerBound(BigInt(probe))).toBe(sorted.filter(x => x < probe).length);
          expect(s.has(BigInt(probe))).toBe(model.has(probe));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("keeps values sorted and unique", () => {
    const s = new SortedValues();
    for (const v of [5n, 1n, 3n, 3n, 9n]) s.add(v);
    expect([0, 1, 2, 3].map(i => s.at(i))).toEqual([1n, 3n, 5n, 9n]);
    expect(s.delete(3n)).toBe(true);
    expect(s.delete(3n)).toBe(false);
    expect(s.countIn(1n, 5n)).toBe(2);
    expect(s.has(9n)).toBe(true);
  });
});

describe("PoolState", () => {
  it("hands out the lowest free address, walking blocks in configuration order", () => {
    const s = new PoolState(makePool("p", ["192.0.2.10-192.0.2.11", "192.0.2.0/31"]));
    expect(lowest(s)).toBe("192.0.2.10");
    s.markInUse(ip("192.0.2.10"));
    expect(lowest(s)).toBe("192.0.2.11");
    s.markInUse(ip("192.0.2.11"));
    expect(lowest(s)).toBe("192.0.2.0");
    s.markInUse(ip("192.0.2.0"));
    s.markInUse(ip("192.0.2.1"));
    expect(s.lowestFree("IPv4")).toBeUndefined();
    s.markFree(ip("192.0.2.10"));
    expect(lowest(s)).toBe("192.0.2.10");
  });

  it("skips .0 and .255 with avoidBuggyIPs and counts without them", () => {
    const s = new PoolState(makePool("p", ["198.51.100.255-198.51.101.1"], { avoidBuggyIPs: true }));
    expect(lowest(s)).toBe("198.51.101.1");
    expect(s.total("IPv4")).toBe(1n);
    const big = new PoolState(makePool("b", ["198.18.0.0/16"], { avoidBuggyIPs: true }));
    expect(big.total("IPv4")).toBe(65536n - 512n);
    expect(big.isUsable(ip("198.18.3.255"))).toBe(false);
    expect(isBuggyIP(ip("2001:db8::ff"))).toBe(false);
  });

  it("allocates from an IPv6 /64 without enumerating it, and counts 2^64 exactly", () => {
    const s = new PoolState(makePool("v6", ["2001:db8::/64", "192.0.2.0/24"]));
    for (let i = 0; i < 1000; i++) {
      const next = s.lowestFree("IPv6");
      if (!next) throw new Error("full");
      s.markInUse(next.ip);
    }
    expect(lowest(s, "IPv6")).toBe("2001:db8::3e8");
    expect(s.counters()).toEqual({
      assignedIPv4: 0n,
      assignedIPv6: 1000n,
      availableIPv4: 256n,
      availableIPv6: (1n << 64n) - 1000n,
    });
    expect(capInt64(s.counters().availableIPv6)).toBe(INT64_MAX);
    expect(capInt64(5n)).toBe(5n);
  });

  it("finds the same lowest free address as enumerating the pool (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 600 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 1300 }), { maxLength: 400 }),
        (start, length, avoid, used) => {
          const base = 0xc6120000; // 198.18.0.0
          const first = base + start;
          const last = first + length;
          const text = `${formatIP({ family: "IPv4", value: BigInt(first) })}-${formatIP({ family: "IPv4", value: BigInt(last) })}`;
          const s = new PoolState(makePool("p", [text], { avoidBuggyIPs: avoid }));
          const usable = (v: number): boolean => !avoid || (v % 256 !== 0 && v % 256 !== 255);
          const inUse = new Set<number>();
          for (const u of used) {
            const v = base + u;
            if (v < first || v > last || !usable(v)) continue;
            inUse.add(v);
            s.markInUse({ family: "IPv4", value: BigInt(v) });
          }
          let expected: number | undefined;
          for (let v = first; v <= last; v++) {
            if (usable(v) && !inUse.has(v)) {
              expected = v;
              break;
            }
          }
          expect(s.lowestFree("IPv4")?.ip.value).toBe(expected === undefined ? undefined : BigInt(expected));
          let total = 0;
          for (let v = first; v <= last; v++) if (usable(v)) total++;
          expect(s.total("IPv4")).toBe(BigInt(total));
        },
      ),
      { numRuns: 300 },
    );
  });
});
