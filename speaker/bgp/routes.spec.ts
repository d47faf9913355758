import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BGPAnnouncement, BGPRoute } from "../../core/announce/desired";
import { formatCidr, formatIP } from "../../core/net/ip";
import { prefixId, type Route } from "../../protocols/bgp/update-packer";
import { diffRoutes, routesForSession, servicePeers } from "./routes";
import { bgpSessionSpec } from "../../test/bgp/dataplane/peers";

const spec = bgpSessionSpec;
const route = (prefix: string, over: Partial<BGPRoute> = {}): BGPRoute => ({ prefix, localPref: 0, communities: [], peers: ["tor"], ...over });
const ann = (service: string, routes: BGPRoute[]): BGPAnnouncement => ({ service, ips: [], routes });

/** Routes as text, for exact comparison. */
const show = (routes: Iterable<Route>) =>
  [...routes].map(r => ({ prefix: formatCidr(r.prefix), nextHop: formatIP(r.nextHop), attributes: r.attributes }));

const ebgp = { origin: 0, asPath: [{ type: 2, asns: [64512] }] };

describe("routesForSession", () => {
  it("announces the session's family only, with the node's address of that family as next hop", () => {
    const anns = [ann("default/web", [route("198.51.100.7/32"), route("2001:db8:5::7/128")])];
    expect(show(routesForSession(anns, "tor", spec()).values())).toEqual([{ prefix: "198.51.100.7/32", nextHop: "192.0.2.11", attributes: ebgp }]);
    const v6 = spec({ family: "IPv6", peerAddress: "2001:db8::1", localAddress: "2001:db8::11" });
    expect(show(routesForSession(anns, "tor", v6).values())).toEqual([{ prefix: "2001:db8:5::7/128", nextHop: "2001:db8::11", attributes: ebgp }]);
  });

  it("sends a route only to the peers it names", () => {
    const anns = [ann("default/web", [route("198.51.100.7/32", { peers: ["other"] }), route("198.51.100.8/32", { peers: ["other", "tor"] })])];
    expect(show(routesForSession(anns, "tor", spec()).values()).map(r => r.prefix)).toEqual(["198.51.100.8/32"]);
    expect(routesForSession(anns, "nobody", spec()).size).toBe(0);
  });

  it("sets LOCAL_PREF towards iBGP peers only, with communities standard and large", () => {
    const communities = [
      { kind: "standard" as const, value: (64512 << 16) | 100 },
      { kind: "large" as const, globalAdmin: 64512, localData1: 1, localData2: 2 },
    ];
    const anns = [ann("default/web", [route("198.51.100.7/32", { localPref: 150, communities })])];
    const ibgp = show(routesForSession(anns, "tor", spec({ peerAsn: 64512 })).values());
    expect(ibgp).toEqual([
      {
        prefix: "198.51.100.7/32",
        nextHop: "192.0.2.11",
        attributes: { origin: 0, asPath: [], localPref: 150, communities: [((64512 << 16) | 100) >>> 0], largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }] },
      },
    ]);
    const external = show(routesForSession(anns, "tor", spec()).values());
    expect(external[0]?.attributes).toEqual({ ...ebgp, communities: [((64512 << 16) | 100) >>> 0], largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }] });
  });

  it("merges one prefix from several Services: union of communities, highest local preference", () => {
    const c1 = { kind: "standard" as const, value: 1 };
    const c2 = { kind: "standard" as const, value: 2 };
    const anns = [ann("a/one", [route("198.51.100.0/24", { localPref: 100, communities: [c2] })]), ann("a/two", [route("198.51.100.0/24", { localPref: 200, communities: [c1, c2] })])];
    expect(show(routesForSession(anns, "tor", spec({ peerAsn: 64512 })).values())).toEqual([
      { prefix: "198.51.100.0/24", nextHop: "192.0.2.11", attributes: { origin: 0, asPath: [], localPref: 200, communities: [1, 2] } },
    ]);
  });

  describe("dualStackAddressFamily", () => {
    const anns = [ann("default/web", [route("198.51.100.7/32"), route("2001:db8:5::7/128")])];
    it("an IPv4 session carries IPv6 routes too, with the node's IPv6 address as next hop", () => {
      const dual = spec({ dualStack: true, otherNextHop: "2001:db8::11" });
      expect(show(routesForSession(anns, "tor", dual).values())).toEqual([
        { prefix: "198.51.100.7/32", nextHop: "192.0.2.11", attributes: ebgp },
        { prefix: "2001:db8:5::7/128", nextHop: "2001:db8::11", attributes: ebgp },
      ]);
    });
    it("an IPv6 session carries IPv4 routes too, with the node's IPv4 address as next hop", () => {
      const dual = spec({ family: "IPv6", peerAddress: "2001:db8::1", localAddress: "2001:db8::11", dualStack: true, otherNextHop: "192.0.2.11" });
      expect(show(routesForSession(anns, "tor", dual).values())).toEqual([
        { prefix: "198.51.100.7/32", nextHop: "192.0.2.11", attributes: ebgp },
        { prefix: "2001:db8:5::7/128", nextHop: "2001:db8::11", attributes: ebgp },
      ]);
    });
    it("property: every route has a next hop of its own family, and no family without one is sent", () => {
      const prefix = fc.oneof(fc.integer({ min: 0, max: 255 }).map(i => `198.51.100.${i}/32`), fc.integer({ min: 0, max: 255 }).map(i => `2001:db8:5::${i.toString(16)}/128`));
      const session = fc.record({
        v6: fc.boolean(),
        dualStack: fc.boolean(),
        other: fc.boolean(),
      }).map(({ v6, dualStack, other }) =>
        v6
          ? spec({ family: "IPv6", peerAddress: "2001:db8::1", localAddress: "2001:db8::11", dualStack, otherNextHop: dualStack && other ? "192.0.2.11" : undefined })
          : spec({ dualStack, otherNextHop: dualStack && other ? "2001:db8::11" : undefined }),
      );
      fc.assert(
        fc.property(fc.array(prefix, { maxLength: 20 }), session, (prefixes, s) => {
          const routes = [...routesForSession([ann("a/b", prefixes.map(p => route(p)))], "tor", s).values()];
          const families = new Set(routes.map(r => r.prefix.family));
          for (const r of routes) expect(r.nextHop.family).toBe(r.prefix.family);
          if (!s.dualStack || s.otherNextHop === undefined) expect([...families].every(f => f === s.family)).toBe(true);
          const wanted = new Set(prefixes.filter(p => (p.includes(":") ? "IPv6" : "IPv4") === s.family || s.otherNextHop !== undefined));
          expect(routes.length).toBe(wanted.size);
        }),
      );
    });

    it("without an address of the other family, only the session's own family", () => {
      expect(show(routesForSession(anns, "tor", spec({ dualStack: true })).values()).map(r => r.prefix)).toEqual(["198.51.100.7/32"]);
    });
  });

  it("towards a dynamicASN peer: iBGP or eBGP attributes by the configured kind", () => {
    const anns = [ann("default/web", [route("198.51.100.7/32", { localPref: 150 })])];
    const internal = show(routesForSession(anns, "tor", spec({ peerAsn: 0, dynamicAsn: "internal" })).values());
    expect(internal[0]?.attributes).toEqual({ origin: 0, asPath: [], localPref: 150 });
    const external = show(routesForSession(anns, "tor", spec({ peerAsn: 0, dynamicAsn: "external" })).values());
    expect(external[0]?.attributes).toEqual(ebgp);
  });

  it("with localASN (the presented AS in spec.myAsn) the AS_PATH holds it alone", () => {
    const anns = [ann("default/web", [route("198.51.100.7/32")])];
    expect(show(routesForSession(anns, "tor", spec({ myAsn: 4200000001 })).values())[0]?.attributes).toEqual({ origin: 0, asPath: [{ type: 2, asns: [4200000001] }] });
  });

  it("has no routes when the session has no local address (nothing to put as next hop)", () => {
    expect(routesForSession([ann("a/b", [route("198.51.100.7/32")])], "tor", spec({ localAddress: undefined })).size).toBe(0);
  });

  it("shares one attributes object among routes with equal attributes (one encoding, packed together)", () => {
    const routes = [...routesForSession([ann("a/b", [route("198.51.100.7/32"), route("198.51.100.8/32")])], "tor", spec()).values()];
    expect(routes[0]?.attributes).toBe(routes[1]?.attributes);
  });
});

describe("diffRoutes", () => {
  const table = (anns: BGPAnnouncement[]) => routesForSession(anns, "tor", spec());
  it("announces new and changed routes, withdraws the ones gone, and leaves the rest", () => {
    const before = table([ann("a/b", [route("198.51.100.1/32"), route("198.51.100.2/32"), route("198.51.100.3/32")])]);
    const after = table([ann("a/b", [route("198.51.100.1/32"), route("198.51.100.2/32", { communities: [{ kind: "standard", value: 7 }] }), route("198.51.100.4/32")])]);
    const d = diffRoutes(before, after);
    expect(show(d.advertise).map(r => r.prefix)).toEqual(["198.51.100.2/32", "198.51.100.4/32"]);
    expect(d.withdraw.map(formatCidr)).toEqual(["198.51.100.3/32"]);
    expect(diffRoutes(after, after)).toEqual({ advertise: [], withdraw: [] });
  });

  it("applied to the old table gives the new one (any two tables)", () => {
    const arbRoute = fc.record({
      prefix: fc.integer({ min: 0, max: 15 }).map(i => `198.51.100.${i}/32`),
      localPref: fc.constantFrom(0, 100),
      communities: fc.constantFrom([], [{ kind: "standard" as const, value: 5 }]),
      peers: fc.constantFrom(["tor"], ["tor", "x"], ["x"]),
    });
    const arbTable = fc.array(arbRoute, { maxLength: 10 }).map(rs => routesForSession([ann("a/b", rs)], "tor", spec({ peerAsn: 64512 })));
    fc.assert(
      fc.property(arbTable, arbTable, (before, after) => {
        const d = diffRoutes(before, after);
        const applied = new Map(before);
        for (const p of d.withdraw) applied.delete(prefixId(p));
        for (const r of d.advertise) applied.set(prefixId(r.prefix), r);
        expect(show(applied.values()).sort((x, y) => x.prefix.localeCompare(y.prefix))).toEqual(show(after.values()).sort((x, y) => x.prefix.localeCompare(y.prefix)));
        // Minimal: nothing unchanged is sent again.
        for (const r of d.advertise) expect(JSON.stringify(show([r]))).not.toBe(JSON.stringify(show([before.get(prefixId(r.prefix))].filter((x): x is Route => !!x))));
      }),
    );
  });
});

describe("servicePeers", () => {
  it("lists, per Service, the peers any of its routes goes to", () => {
    const anns = [ann("a/web", [route("198.51.100.7/32", { peers: ["b", "a"] }), route("2001:db8:5::7/128", { peers: ["c"] })]), ann("a/none", [])];
    expect(servicePeers(anns)).toEqual(new Map([["a/web", ["a", "b", "c"]], ["a/none", []]]));
  });
});
