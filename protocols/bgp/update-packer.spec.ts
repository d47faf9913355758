import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import { decodeBgpMessage } from "./codec/message";
import { encodeUpdate } from "./codec/update";
import { packDistinctUpdates, packUpdates, prefixId, type Route, type RouteAttributes } from "./update-packer";

const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const ctx = { fourOctetAs: true };
const ebgp: RouteAttributes = { origin: 0, asPath: [{ type: 2, asns: [64512] }] };
const MARKER = "ffffffffffffffffffffffffffffffff";

const v4Host = (i: number): Cidr => ({ family: "IPv4", base: 0xc6120000n + BigInt(i), prefix: 32 }); // 198.18.0.0/15
const v6Host = (i: number): Cidr => ({ family: "IPv6", base: 0x20010db8000000000000000000000000n + BigInt(i), prefix: 128 });

describe("packUpdates", () => {
  it("groups by attributes, puts IPv6 in MP_REACH_NLRI and withdrawals where they fit (exact bytes)", () => {
    const routes: Route[] = [
      { prefix: cidr("198.51.100.9/32"), nextHop: ip("192.0.2.10"), attributes: ebgp },
      { prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.10"), attributes: ebgp },
      { prefix: cidr("198.51.100.8/32"), nextHop: ip("192.0.2.10"), attributes: { ...ebgp, communities: [0xfc000064] } },
      { prefix: cidr("2001:db8:1::5/128"), nextHop: ip("2001:db8::10"), attributes: ebgp },
    ];
    const msgs = packUpdates(routes, [cidr("203.0.113.1/32"), cidr("2001:db8:2::/64"), cidr("198.51.100.7/32")], ctx).map(m => encodeUpdate(m, ctx).toString("hex"));
    const attrs = "40010100 4002060201 0000fc00 400304c000020a";
    const hex = (s: string) => s.replace(/\s+/g, "");
    expect(msgs).toEqual([
      hex(`${MARKER} 003a 02 0005 20cb007101 0014 ${attrs} 20c6336407 20c6336409`),
      hex(`${MARKER} 0037 02 0000 001b ${attrs} c00804fc000064 20c6336408`),
      hex(`${MARKER} 004d 02 0000 0036 40010100 4002060201 0000fc00 800e2600020110 20010db8000000000000000000000010 00 80 20010db8000100000000000000000005`),
      hex(`${MARKER} 0026 02 0000 000f 800f0c 000201 40 20010db800020000`),
    ]);
  });

  it("packs 10,000 IPv4 /32s with one set of attributes into the minimum number of messages", () => {
    const routes = Array.from({ length: 10_000 }, (_, i): Route => ({ prefix: v4Host(i), nextHop: ip("192.0.2.10"), attributes: ebgp }));
    const msgs = packUpdates(routes, [], ctx).map(m => encodeUpdate(m, ctx));
    // 23 octets of header and lengths + 20 of attributes leave 4053 for NLRI: 810 /32s of 5 octets each.
    expect(Math.floor((4096 - 23 - 20) / 5)).toBe(810);
    expect(msgs.length).toBe(Math.ceil(10_000 / 810));
    expect(msgs.slice(0, -1).every(m => m.length === 23 + 20 + 810 * 5)).toBe(true);
    const seen = new Set<bigint>();
    for (const m of msgs) {
      const d = decodeBgpMessage(m, ctx);
      if (!d.ok || d.value.type !== "update") throw new Error("not an UPDATE");
      for (const p of d.value.update.nlri) seen.add(p.base);
    }
    expect(seen.size).toBe(10_000);
  });

  it("splits 10,000 withdrawals across the minimum number of messages", () => {
    const msgs = packUpdates([], Array.from({ length: 10_000 }, (_, i) => v4Host(i)), ctx).map(m => encodeUpdate(m, ctx));
    expect(msgs.length).toBe(Math.ceil(10_000 / Math.floor((4096 - 23) / 5)));
    expect(msgs[0]?.length).toBe(4093);
  });

  it("packs IPv6 routes and withdrawals in MP attributes up to the limit, with the extended length flag", () => {
    const routes = Array.from({ length: 1000 }, (_, i): Route => ({ prefix: v6Host(i), nextHop: ip("2001:db8::10"), attributes: ebgp }));
    const msgs = packUpdates(routes, Array.from({ length: 1000 }, (_, i) => v6Host(5000 + i)), ctx).map(m => encodeUpdate(m, ctx));
    // Announce: 4096 - 23 - 13 (ORIGIN, AS_PATH) - 4 (extended header) - 21 (AFI..reserved) = 4035 = 237 x 17 + 6.
    // Withdraw: 4096 - 23 - 4 - 3 = 4066 = 239 x 17 + 3.
    expect(msgs.length).toBe(Math.ceil(1000 / 237) + Math.ceil(1000 / 239));
    expect(msgs.every(m => m.length <= 4096)).toBe(true);
    expect(msgs[0]?.length).toBe(4096 - 6);
    expect(msgs[5]?.length).toBe(4096 - 3);
  });

  it("lets the last announcement of a prefix win and never withdraws what it announces", () => {
    const msgs = packUpdates(
      [
        { prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.10"), attributes: ebgp },
        { prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.11"), attributes: ebgp },
      ],
      [cidr("198.51.100.7/32")],
      ctx,
    );
    expect(msgs).toEqual([{ withdrawn: [], attributes: { ...ebgp, nextHop: ip("192.0.2.11") }, nlri: [cidr("198.51.100.7/32")] }]);
  });

  it("sends an IPv6 route through an IPv4 next hop as an IPv4-mapped next hop", () => {
    const [m] = packUpdates([{ prefix: cidr("2001:db8:1::/64"), nextHop: ip("192.0.2.10"), attributes: ebgp }], [], ctx);
    expect(m?.attributes.mpReach?.nextHops).toEqual([{ family: "IPv6", value: 0xffffc000020an }]);
  });

  it("groups equal attributes held in distinct objects", () => {
    const msgs = packUpdates(
      [
        { prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.10"), attributes: { origin: 0, asPath: [{ type: 2, asns: [64512] }] } },
        { prefix: cidr("198.51.100.8/32"), nextHop: ip("192.0.2.10"), attributes: { origin: 0, asPath: [{ type: 2, asns: [64512] }] } },
      ],
      [],
      ctx,
    );
    expect(msgs.map(m => m.nlri.length)).toEqual([2]);
  });

  it("returns nothing for nothing", () => {
    expect(packUpdates([], [], ctx)).toEqual([]);
  });

  it("cuts N routes and N withdrawals at exact boundaries, in address order whatever the input order", () => {
    // 810 + 810 + 1 announced. The third message (23 + 20 + 5 = 48 octets) has room for 809 withdrawals
    // of 5 octets; the other 812 take a message of their own (23 + 812 x 5 = 4083 octets).
    const n = 1621;
    const routes = Array.from({ length: n }, (_, i): Route => ({ prefix: v4Host(n - 1 - i), nextHop: ip("192.0.2.10"), attributes: ebgp }));
    const withdrawn = Array.from({ length: n }, (_, i) => v4Host(10_000 + i));
    const msgs = packUpdates(routes, withdrawn, ctx);
    expect(msgs.map(m => [m.nlri.length, m.withdrawn.length])).toEqual([[810, 0], [810, 0], [1, 809], [0, 812]]);
    expect(msgs.flatMap(m => m.nlri)).toEqual(Array.from({ length: n }, (_, i) => v4Host(i)));
    expect(msgs.flatMap(m => m.withdrawn)).toEqual(withdrawn);
    expect(msgs.map(m => encodeUpdate(m, ctx).length)).toEqual([4093, 4093, 4093, 4083]);
  });

  it("gives the same messages through packDistinctUpdates for distinct input; every message fits and carries each prefix once (property)", () => {
    const attrs = [ebgp, { ...ebgp, communities: [0xfc000064] }];
    const hops = [ip("192.0.2.10"), ip("192.0.2.11"), ip("2001:db8::10")];
    const arbPrefix = fc.oneof(
      fc.record({ i: fc.integer({ min: 0, max: 3000 }), len: fc.constantFrom(32, 31, 24) }).map(({ i, len }) => {
        const c = v4Host(i * 4);
        return { ...c, base: c.base & ~((1n << BigInt(32 - len)) - 1n), prefix: len };
      }),
      fc.integer({ min: 0, max: 3000 }).map(v6Host),
    );
    const arbRoute = fc.record({ prefix: arbPrefix, nextHop: fc.constantFrom(...hops), attributes: fc.constantFrom(...attrs) });
    fc.assert(
      fc.property(fc.array(arbRoute, { maxLength: 1500 }), fc.array(arbPrefix, { maxLength: 1500 }), (announce, withdraw) => {
        const msgs = packUpdates(announce, withdraw, ctx);
        const lastRoute = new Map(announce.map(r => [prefixId(r.prefix), r]));
        const withdrawals = new Map(withdraw.filter(p => !lastRoute.has(prefixId(p))).map(p => [prefixId(p), p]));
        expect(packDistinctUpdates([...lastRoute.values()], [...withdrawals.values()], ctx)).toEqual(msgs);
        const sentNlri = msgs.flatMap(m => [...m.nlri, ...(m.attributes.mpReach?.nlri ?? [])]).map(prefixId);
        const sentWithdrawn = msgs.flatMap(m => [...m.withdrawn, ...(m.attributes.mpUnreach?.withdrawn ?? [])]).map(prefixId);
        expect(new Set(sentNlri).size).toBe(sentNlri.length);
        expect(new Set(sentNlri)).toEqual(new Set(lastRoute.keys()));
        expect(new Set(sentWithdrawn).size).toBe(sentWithdrawn.length);
        expect(new Set(sentWithdrawn)).toEqual(new Set(withdrawals.keys()));
        for (const m of msgs) expect(encodeUpdate(m, ctx).length).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 60 },
    );
  });

  it("keys prefixes so that two keys are equal exactly when the prefixes are (property)", () => {
    const arbCidr = fc.oneof(
      fc.record({ v: fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }), len: fc.integer({ min: 0, max: 32 }) }).map(
        ({ v, len }): Cidr => ({ family: "IPv4", base: v & ~((1n << BigInt(32 - len)) - 1n), prefix: len }),
      ),
      fc.record({ v: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), len: fc.integer({ min: 0, max: 128 }) }).map(
        ({ v, len }): Cidr => ({ family: "IPv6", base: v & ~((1n << BigInt(128 - len)) - 1n), prefix: len }),
      ),
    );
    fc.assert(
      fc.property(arbCidr, arbCidr, (a, b) => {
        const same = a.family === b.family && a.base === b.base && a.prefix === b.prefix;
        expect(prefixId(a) === prefixId(b)).toBe(same);
        expect(prefixId(a)).toBe(prefixId({ ...a }));
      }),
      { numRuns: 2000 },
    );
    // Host routes at both ends of the space, and a /31 that shares its address with a /32.
    expect([prefixId(cidr("0.0.0.0/32")), prefixId(cidr("255.255.255.255/32")), prefixId(cidr("198.51.100.6/31")), prefixId(cidr("198.51.100.6/32"))]).toEqual([
      0,
      -1,
      0xc6336406 * 64 + 31 + 2 ** 40,
      0xc6336406 | 0,
    ]);
  });
});
