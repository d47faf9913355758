import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import { encodeUpdate } from "./codec/update";
import { packDistinctUpdates, type Route, type RouteAttributes } from "./update-packer";
import { encodeUpdates, writeRouteRun, writeWithdrawalRun } from "./update-writer";

const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const ctx = { fourOctetAs: true, external: true };
const ebgp: RouteAttributes = { origin: 0, asPath: [{ type: 2, asns: [64512] }] };
const MARKER = "ffffffffffffffffffffffffffffffff";
const hex = (s: string) => s.replace(/\s+/g, "");
const v4Host = (i: number): Cidr => ({ family: "IPv4", base: 0xc6120000n + BigInt(i), prefix: 32 }); // 198.18.0.0/15

/** What the general path (packer, then codec) sends for the same batch. */
const general = (routes: readonly Route[], withdrawals: readonly Cidr[]) => {
  const updates = packDistinctUpdates(routes, withdrawals, ctx);
  return { bytes: Buffer.concat(updates.map(u => encodeUpdate(u, ctx))), messages: updates.length };
};

describe("encodeUpdates", () => {
  it("writes a run of routes sharing attributes as classic NLRI (exact bytes)", () => {
    const nextHop = ip("192.0.2.10");
    const routes: Route[] = ["198.51.100.0/24", "198.51.100.7/32", "203.0.113.0/25"].map(p => ({ prefix: cidr(p), nextHop, attributes: ebgp }));
    const written = writeRouteRun(routes, ctx);
    expect(written?.messages).toBe(1);
    expect(written?.bytes.toString("hex")).toBe(
      hex(`${MARKER} 0039 02 0000 0014 40010100 4002060201 0000fc00 400304c000020a 18c63364 20c6336407 19cb007100`),
    );
  });

  it("writes a run of withdrawals as withdraw-only UPDATEs (exact bytes)", () => {
    const written = writeWithdrawalRun([cidr("198.51.100.7/32"), cidr("203.0.113.0/24")]);
    expect(written?.messages).toBe(1);
    expect(written?.bytes.toString("hex")).toBe(hex(`${MARKER} 0020 02 0009 20c6336407 18cb0071 0000`));
  });

  it("takes the one-pass path for a table of 10,000 service routes and for their withdrawal, with the packer's cuts", () => {
    const nextHop = ip("192.0.2.10");
    const routes = Array.from({ length: 10_000 }, (_, i): Route => ({ prefix: v4Host(i), nextHop, attributes: ebgp }));
    const table = writeRouteRun(routes, ctx);
    // 810 /32s per message (4096 - 23 - 20 octets of room), 13 messages; the same bytes as the general path.
    expect(table?.messages).toBe(13);
    expect(table?.bytes.length).toBe(12 * 4093 + (23 + 20 + 280 * 5));
    expect(table).toEqual(general(routes, []));
    const withdrawals = routes.map(r => r.prefix);
    const withdrawn = writeWithdrawalRun(withdrawals);
    expect(withdrawn?.messages).toBe(13); // 814 per message
    expect(withdrawn).toEqual(general([], withdrawals));
  });

  it("writes routes in any order, with equal attributes or next hops held in distinct objects, as the packer does", () => {
    const nextHop = ip("192.0.2.10");
    const route = (p: string, attributes = ebgp, hop = nextHop): Route => ({ prefix: cidr(p), nextHop: hop, attributes });
    // A speaker's table comes in the order of its Services, and from several diffs (each with its own objects).
    const routes = [route("203.0.113.9/32"), route("198.51.100.7/32", { ...ebgp }), route("198.51.100.6/32", ebgp, ip("192.0.2.10")), route("198.51.100.8/32", { ...ebgp })];
    const written = writeRouteRun(routes, ctx);
    expect(written?.bytes.toString("hex")).toBe(
      hex(`${MARKER} 003f 02 0000 0014 40010100 4002060201 0000fc00 400304c000020a 20c6336406 20c6336407 20c6336408 20cb007109`),
    );
    expect(written).toEqual(general(routes, []));
    const withdrawals = [cidr("203.0.113.9/32"), cidr("198.51.100.7/32"), cidr("0.0.0.1/32"), cidr("255.255.255.255/32")];
    expect(writeWithdrawalRun(withdrawals)).toEqual(general([], withdrawals));
    expect(writeWithdrawalRun(withdrawals)?.bytes.toString("hex")).toBe(hex(`${MARKER} 002b 02 0014 2000000001 20c6336407 20cb007109 20ffffffff 0000`));
    // In order, prefixes of any length; out of order, the general path sorts mixed lengths.
    const mixed = [cidr("198.51.100.0/24"), cidr("198.51.100.7/32")];
    expect(writeWithdrawalRun(mixed)?.bytes.toString("hex")).toBe(hex(`${MARKER} 0020 02 0009 18c63364 20c6336407 0000`));
    expect(writeWithdrawalRun([...mixed].reverse())).toBeUndefined();
  });

  it("leaves to the general path what is not one IPv4 run of one set of attributes and one next hop", () => {
    const nextHop = ip("192.0.2.10");
    const route = (p: string, attributes = ebgp, hop = nextHop): Route => ({ prefix: cidr(p), nextHop: hop, attributes });
    const cases: Route[][] = [
      [route("198.51.100.7/32"), route("198.51.100.7/32")], // a prefix twice
      [route("198.51.100.7/32"), route("198.51.100.8/32", { ...ebgp, communities: [0xfc000064] })],
      [route("198.51.100.7/32"), route("198.51.100.8/32", ebgp, ip("192.0.2.11"))],
      [route("198.51.100.7/32"), route("2001:db8::7/128")],
      [route("198.51.100.7/32", ebgp, ip("2001:db8::10"))], // IPv4 through an IPv6 next hop: MP_REACH_NLRI
    ];
    for (const routes of cases) {
      expect(writeRouteRun(routes, ctx)).toBeUndefined();
      expect(encodeUpdates(routes, [], ctx)).toEqual(general(routes, []));
    }
    expect(writeWithdrawalRun([cidr("198.51.100.7/32"), cidr("198.51.100.7/32")])).toBeUndefined();
    expect(writeWithdrawalRun([cidr("198.51.100.7/32"), cidr("2001:db8::7/128")])).toBeUndefined();
    expect(writeWithdrawalRun([])).toBeUndefined();
    expect(encodeUpdates([], [], ctx)).toEqual({ bytes: Buffer.alloc(0), messages: 0 });
  });

  it("leaves attributes too large for a prefix to the general path", () => {
    const huge: RouteAttributes = { ...ebgp, largeCommunities: Array.from({ length: 338 }, () => ({ globalAdmin: 1, localData1: 2, localData2: 3 })) };
    const routes: Route[] = [{ prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.10"), attributes: huge }];
    expect(writeRouteRun(routes, ctx)).toBeUndefined();
  });

  it("gives the general path's bytes and message count for any batch (property)", () => {
    const attrs: RouteAttributes[] = [ebgp, { ...ebgp, communities: Array.from({ length: 200 }, (_, i) => 0xfc000000 + i) }];
    const hops = [ip("192.0.2.10"), ip("192.0.2.11"), ip("2001:db8::10")];
    // IPv4 prefixes of every length, ordered or not.
    const arbV4 = fc.record({ v: fc.integer({ min: 0, max: 2 ** 32 - 1 }), len: fc.integer({ min: 0, max: 32 }) }).map(
      ({ v, len }): Cidr => ({ family: "IPv4", base: BigInt(v) & ~((1n << BigInt(32 - len)) - 1n), prefix: len }),
    );
    const arbPrefixes = fc.tuple(fc.uniqueArray(arbV4, { maxLength: 2500, selector: p => `${p.base}/${p.prefix}` }), fc.boolean()).map(([ps, ordered]) =>
      ordered ? [...ps].sort((a, b) => (a.base !== b.base ? (a.base < b.base ? -1 : 1) : a.prefix - b.prefix)) : ps,
    );
    // Some routes get a copy of the batch's attributes or next hop (the one-pass path), or other attributes (the general one).
    const arbBatch = fc
      .record({ prefixes: arbPrefixes, attributes: fc.constantFrom(...attrs), hop: fc.constantFrom(...hops), withdraw: fc.boolean(), other: fc.constantFrom("none", "copies", "mixed") })
      .map(b => {
        if (b.withdraw) return { routes: [] as Route[], withdrawals: b.prefixes };
        const routes = b.prefixes.map((prefix, i): Route => {
          if (i % 7 !== 3 || b.other === "none") return { prefix, nextHop: b.hop, attributes: b.attributes };
          if (b.other === "copies") return { prefix, nextHop: { ...b.hop }, attributes: { ...b.attributes } };
          return { prefix, nextHop: b.hop, attributes: attrs[0] as RouteAttributes };
        });
        return { routes, withdrawals: [] as Cidr[] };
      });
    fc.assert(
      fc.property(arbBatch, ({ routes, withdrawals }) => {
        expect(encodeUpdates(routes, withdrawals, ctx)).toEqual(general(routes, withdrawals));
      }),
      { numRuns: 300 },
    );
  });
});
