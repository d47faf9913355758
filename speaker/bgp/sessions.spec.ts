import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BFDProfile, BGPPeer } from "../../core/config/types";
import { desiredSession, desiredSessions, diffSessions, routerIdFromName, type DesiredSession, type NodeView } from "./sessions";
import { bgpPeer as peer, bgpSessionSpec } from "../../test/bgp/dataplane/peers";


const fast: BFDProfile = { name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false };
const profiles = new Map([["fast", fast]]);
const node: NodeView = { name: "node1", labels: { rack: "r1" }, addresses: ["192.0.2.11", "2001:db8::11"] };
const v4 = (s: string) => s.split(".").reduce((n, o) => n * 256 + Number(o), 0);

describe("desiredSession", () => {
  it("derives every setting of a plain eBGP peer (MetalLB's defaults)", () => {
    expect(desiredSession(peer(), profiles, node)).toEqual({
      key: "tor",
      bgp: bgpSessionSpec(),
      bfd: undefined,
      problem: undefined,
    });
  });

  const cases: [string, Partial<BGPPeer>, (d: DesiredSession) => unknown, unknown][] = [
    ["ebgpMultiHop: TTL 255", { ebgpMultiHop: true }, d => d.bgp.ttl, 255],
    ["iBGP: TTL 255", { peerASN: 64512 }, d => d.bgp.ttl, 255],
    ["ebgpMultiHop: multihop BFD (RFC 5883)", { ebgpMultiHop: true }, d => d.bgp.bfdMultihop, true],
    ["iBGP: single-hop BFD", { peerASN: 64512 }, d => d.bgp.bfdMultihop, false],
    ["password: the MD5 key", { password: "s3cret" }, d => d.bgp.md5Key, "s3cret"],
    ["empty password: no key", { password: "" }, d => d.bgp.md5Key, undefined],
    ["routerID given", { routerID: "203.0.113.9" }, d => d.bgp.routerId, v4("203.0.113.9")],
    ["peerPort", { peerPort: 1179 }, d => d.bgp.peerPort, 1179],
    ["connectTime other than the default: fixed", { connectTimeS: 5 }, d => d.bgp.connectTimeS, 5],
    ["fractional hold time: whole seconds", { holdTimeS: 9.5 }, d => d.bgp.holdTimeS, 9],
    ["graceful restart", { enableGracefulRestart: true }, d => d.bgp.gracefulRestart, true],
    ["bfdProfile", { bfdProfile: "fast" }, d => d.bfd, fast],
    ["missing bfdProfile: a problem, no BFD", { bfdProfile: "slow" }, d => [d.bfd, d.problem], [undefined, "BFDProfile slow does not exist"]],
    ["sourceAddress on the node", { sourceAddress: "192.0.2.12" }, d => [d.bgp.localAddress, d.bgp.routerId, d.problem], ["192.0.2.12", v4("192.0.2.12"), undefined]],
    ["IPv6 peer: the node's IPv6 address, router ID from its IPv4", { peerAddress: "2001:db8::1" }, d => [d.bgp.family, d.bgp.localAddress, d.bgp.routerId], ["IPv6", "2001:db8::11", v4("192.0.2.11")]],
    ["localASN: the AS presented to the peer", { localASN: 4200000001 }, d => [d.bgp.myAsn, d.bgp.peerAsn], [4200000001, 64500]],
    ["localASN equal to the peer's AS: iBGP (TTL 255, single-hop BFD)", { localASN: 64500, ebgpMultiHop: true }, d => [d.bgp.ttl, d.bgp.bfdMultihop], [255, false]],
    ["dynamicASN external: eBGP, TTL 1", { peerASN: 0, dynamicASN: "external" }, d => [d.bgp.peerAsn, d.bgp.dynamicAsn, d.bgp.ttl], [0, "external", 1]],
    ["dynamicASN internal: iBGP, TTL 255", { peerASN: 0, dynamicASN: "internal" }, d => [d.bgp.dynamicAsn, d.bgp.ttl, d.bgp.bfdMultihop], ["internal", 255, false]],
    ["dynamicASN external with ebgpMultiHop: multihop BFD", { peerASN: 0, dynamicASN: "external", ebgpMultiHop: true }, d => [d.bgp.ttl, d.bgp.bfdMultihop], [255, true]],
    ["dualStackAddressFamily on an IPv4 peer: the node's IPv6 address for IPv6 routes", { dualStackAddressFamily: true }, d => [d.bgp.dualStack, d.bgp.otherNextHop, d.problem], [true, "2001:db8::11", undefined]],
    ["dualStackAddressFamily on an IPv6 peer: the node's IPv4 address for IPv4 routes", { dualStackAddressFamily: true, peerAddress: "2001:db8::1" }, d => [d.bgp.localAddress, d.bgp.otherNextHop], ["2001:db8::11", "192.0.2.11"]],
    ["IPv6 peer in long form: canonical text", { peerAddress: "2001:0db8:0000::0001" }, d => d.bgp.peerAddress, "2001:db8::1"],
  ];
  it.each(cases)("%s", (_name, over, pick, want) => {
    const d = desiredSession(peer(over), profiles, { ...node, addresses: [...node.addresses, "192.0.2.12"] });
    expect(pick(d as DesiredSession)).toEqual(want);
  });

  it("ignores a sourceAddress the node does not have, and says so", () => {
    const d = desiredSession(peer({ sourceAddress: "198.51.100.99" }), profiles, node);
    expect(d?.bgp.localAddress).toBe("192.0.2.11");
    expect(d?.problem).toBe("sourceAddress 198.51.100.99 is not an address of this node; using 192.0.2.11");
  });

  it("has no local address for a family the node lacks, and a router ID from the node name", () => {
    const d = desiredSession(peer({ peerAddress: "2001:db8::1" }), profiles, { ...node, addresses: ["2001:db8::11"] });
    expect(d?.bgp.localAddress).toBe("2001:db8::11");
    expect(d?.bgp.routerId).toBe(routerIdFromName("node1"));
    const none = desiredSession(peer({ peerAddress: "2001:db8::1" }), profiles, { ...node, addresses: ["192.0.2.11"] });
    expect(none?.bgp.localAddress).toBeUndefined();
    expect(none?.problem).toBe("this node has no IPv6 address to reach 2001:db8::1 from");
  });

  it("dualStackAddressFamily: a global IPv6 next hop only, and a problem when the node has none", () => {
    const linkLocalOnly = desiredSession(peer({ dualStackAddressFamily: true }), profiles, { ...node, addresses: ["192.0.2.11", "fe80::11"] });
    expect(linkLocalOnly?.bgp.otherNextHop).toBeUndefined();
    expect(linkLocalOnly?.problem).toBe("dualStackAddressFamily: this node has no IPv6 address to use as next hop; IPv6 routes are not sent to 192.0.2.1");
    const later = desiredSession(peer({ dualStackAddressFamily: true }), profiles, { ...node, addresses: ["192.0.2.11", "fe80::11", "2001:db8::11"] });
    expect(later?.bgp.otherNextHop).toBe("2001:db8::11");
  });

  it("follows the peer's nodeSelectors", () => {
    const selectors = [{ matchLabels: { rack: "r2" }, matchExpressions: [] }];
    expect(desiredSession(peer({ nodeSelectors: selectors }), profiles, node)).toBeUndefined();
    expect(desiredSession(peer({ nodeSelectors: selectors }), profiles, { ...node, labels: { rack: "r2" } })?.key).toBe("tor");
  });

  it("hashes node names to a stable non-zero router ID", () => {
    expect(routerIdFromName("node1")).toBe(routerIdFromName("node1"));
    expect(routerIdFromName("node1")).not.toBe(routerIdFromName("node2"));
    fc.assert(fc.property(fc.string(), name => routerIdFromName(name) > 0 && routerIdFromName(name) <= 0xffffffff));
  });
});

describe("diffSessions", () => {
  const config = (peers: BGPPeer[], bfd = profiles) => desiredSessions({ peers, bfdProfiles: bfd }, node);
  const a = peer({ name: "a", peerAddress: "192.0.2.1" });
  const b = peer({ name: "b", peerAddress: "192.0.2.2" });
  const c = peer({ name: "c", peerAddress: "192.0.2.3", bfdProfile: "fast" });
  const keys = (d: ReturnType<typeof diffSessions>) => ({
    add: d.add.map(s => s.key),
    remove: d.remove,
    restart: d.restart.map(s => s.key),
    retuneBfd: d.retuneBfd.map(s => s.key),
    update: d.update.map(s => s.key),
  });
  type Keys = Record<"add" | "remove" | "restart" | "retuneBfd" | "update", string[]>;
  const none: Keys = { add: [], remove: [], restart: [], retuneBfd: [], update: [] };

  const rows: [string, BGPPeer[], BGPPeer[], Partial<Keys>, Map<string, BFDProfile>?][] = [
    ["nothing changed", [a, b, c], [a, b, c], {}],
    ["a peer added", [a], [a, b], { add: ["b"] }],
    ["a peer deleted", [a, b], [a], { remove: ["b"] }],
    ["hold time of one peer edited: only it restarts", [a, b], [a, { ...b, holdTimeS: 9 }], { restart: ["b"] }],
    ["password edited", [a, b], [{ ...a, password: "k" }, b], { restart: ["a"] }],
    ["ebgpMultiHop edited", [a, b], [{ ...a, ebgpMultiHop: true }, b], { restart: ["a"] }],
    ["nodeSelectors no longer match: removed", [a, b], [a, { ...b, nodeSelectors: [{ matchLabels: { rack: "r9" }, matchExpressions: [] }] }], { remove: ["b"] }],
    ["nodeSelectors still match: untouched", [a, b], [a, { ...b, nodeSelectors: [{ matchLabels: { rack: "r1" }, matchExpressions: [] }] }], {}],
    ["bfdProfile set: BFD only", [a, b], [a, { ...b, bfdProfile: "fast" }], { retuneBfd: ["b"] }],
    ["BFDProfile edited: its users' BFD only", [a, c], [a, c], { retuneBfd: ["c"] }, new Map([["fast", { ...fast, transmitIntervalMs: 300 }]])],
    ["sourceAddress now wrong: same settings, new problem", [a], [{ ...a, sourceAddress: "198.51.100.1" }], { update: ["a"] }],
    ["renamed: one removed, one added", [a], [{ ...a, name: "a2" }], { add: ["a2"], remove: ["a"] }],
  ];
  it.each(rows)("%s", (_name, before, after, want, afterProfiles) => {
    expect(keys(diffSessions(config(before), config(after, afterProfiles ?? profiles)))).toEqual({ ...none, ...want });
  });

  it("partitions every key: each new key is added, restarted, retuned, updated or unchanged; each old one not in next is removed", () => {
    const arbPeer = fc.record({
      name: fc.constantFrom("a", "b", "c", "d"),
      holdTimeS: fc.constantFrom(9, 90),
      password: fc.option(fc.constantFrom("x", "y"), { nil: undefined }),
      bfdProfile: fc.option(fc.constant("fast"), { nil: undefined }),
    });
    const toConfig = (ps: { name: string; holdTimeS: number; password: string | undefined; bfdProfile: string | undefined }[]) =>
      config(ps.map(p => peer({ name: p.name, holdTimeS: p.holdTimeS, ...(p.password ? { password: p.password } : {}), ...(p.bfdProfile ? { bfdProfile: p.bfdProfile } : {}) })));
    fc.assert(
      fc.property(fc.array(arbPeer, { maxLength: 4 }), fc.array(arbPeer, { maxLength: 4 }), (x, y) => {
        const before = toConfig(x);
        const after = toConfig(y);
        const d = diffSessions(before, after);
        const touched = [...d.add, ...d.restart, ...d.retuneBfd, ...d.update].map(s => s.key);
        expect(new Set(touched).size).toBe(touched.length);
        for (const k of d.add.map(s => s.key)) expect(before.has(k)).toBe(false);
        for (const k of d.remove) expect(after.has(k)).toBe(false);
        for (const [k, s] of after) if (!touched.includes(k)) expect(before.get(k)).toEqual(s);
      }),
    );
  });
});
