/**
 * The pure side of unnumbered and VRF sessions: what desiredSession derives from the node's links,
 * the routes such a session carries (RFC 8950 next hops), what its OPEN offers, and the choice of
 * the unnumbered peer among the link's neighbours.
 */
import type { Duplex } from "node:stream";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import type { Config } from "../../core/config/types";
import { BgpSession, type ReceivedUpdate } from "../../protocols/bgp/session";
import { duplexPair, EventQueue } from "../../test/bgp/dataplane/routers";
import { startBgpDataPlane } from "./index";
import type { BGPAnnouncement } from "../../core/announce/desired";
import { formatCidr, formatIP, parseIP } from "../../core/net/ip";
import { chooseLinkPeer, encodeRouterAdvertisement, encodeRouterSolicitation } from "../../protocols/bgp/router-discovery";
import { peerSettings } from "./peer-session";
import { routesForSession } from "./routes";
import { desiredSession, type BgpSessionSpec, type NodeLink, type NodeView } from "./sessions";
import { bgpPeer as peer, bgpSessionSpec } from "../../test/bgp/dataplane/peers";

const links: NodeLink[] = [
  { index: 1, name: "lo", master: undefined, addresses: ["127.0.0.1", "::1"] },
  { index: 2, name: "eth0", master: undefined, addresses: ["192.0.2.11", "2001:db8::11", "fe80::11"] },
  { index: 3, name: "eth1", master: undefined, addresses: ["fe80::a"] },
  { index: 4, name: "eth2", master: undefined, addresses: ["2001:db8:2::a", "fe80::2:a"] },
  { index: 5, name: "red", master: undefined, addresses: [] },
  { index: 6, name: "eth3", master: 5, addresses: ["203.0.113.2", "fe80::3:a"] },
  { index: 7, name: "eth4", master: 5, addresses: ["fe80::4:a"] },
];
const node: NodeView = { name: "node1", labels: {}, addresses: ["192.0.2.11", "2001:db8::11"], links };
const profiles = new Map();
const announcements: BGPAnnouncement[] = [
  { service: "default/web", ips: [], routes: [{ prefix: "198.51.100.10/32", localPref: 0, communities: [], peers: ["tor"] }, { prefix: "2001:db8:5::10/128", localPref: 0, communities: [], peers: ["tor"] }] },
];
const v4 = (s: string) => s.split(".").reduce((n, o) => n * 256 + Number(o), 0);

describe("unnumbered sessions", () => {
  it("derive from the interface: our link-local address, IPv6 transport, TTL 1, no peer address yet", () => {
    expect(desiredSession(peer({ peerAddress: "", interface: "eth1" }), profiles, node)).toEqual({
      key: "tor",
      bgp: bgpSessionSpec({ peerAddress: "", family: "IPv6", localAddress: "fe80::a", interface: "eth1" }),
      bfd: undefined,
      problem: undefined,
    });
  });

  it("send a global IPv6 address on the link as next hop before the link-local one", () => {
    expect(desiredSession(peer({ peerAddress: "", interface: "eth2" }), profiles, node)?.bgp).toEqual(
      expect.objectContaining({ localAddress: "fe80::2:a", globalNextHop: "2001:db8:2::a" }),
    );
  });

  it.each([
    ["an interface the node does not have", { interface: "eth9" }, "interface eth9 does not exist on this node"],
    ["an interface without a link-local address", { interface: "red" }, "interface red has no IPv6 link-local address"],
    ["an interface outside the peer's VRF", { interface: "eth1", vrf: "red" }, "interface eth1 is not enslaved to VRF red"],
  ])("report %s, and have no local address", (_name, over, problem) => {
    const d = desiredSession(peer({ peerAddress: "", ...over }), profiles, node);
    expect([d?.problem, d?.bgp.localAddress]).toEqual([problem, undefined]);
  });

  it("present localASN and accept a dynamicASN peer, like numbered sessions", () => {
    const d = desiredSession(peer({ peerAddress: "", interface: "eth1", localASN: 65000, peerASN: 0, dynamicASN: "external" }), profiles, node);
    expect([d?.bgp.myAsn, d?.bgp.peerAsn, d?.bgp.dynamicAsn, d?.bgp.ttl]).toEqual([65000, 0, "external", 1]);
  });

  it("wait for the node's links before they can be derived", () => {
    const d = desiredSession(peer({ peerAddress: "", interface: "eth1" }), profiles, { ...node, links: undefined });
    expect(d?.problem).toBe("the links of this node are not known yet (interface eth1)");
  });

  it("offer IPv4 and IPv6 unicast and the extended next hop capability", () => {
    const d = desiredSession(peer({ peerAddress: "", interface: "eth1" }), profiles, node);
    expect(peerSettings(d!.bgp)).toEqual(expect.objectContaining({ families: ["IPv4", "IPv6"], extendedNextHop: true }));
    expect(peerSettings(desiredSession(peer(), profiles, node)!.bgp).extendedNextHop).toBeUndefined();
  });

  it("carry IPv4 and IPv6 routes with the global and link-local next hops", () => {
    const d = desiredSession(peer({ peerAddress: "", interface: "eth2" }), profiles, node);
    const routes = [...routesForSession(announcements, "tor", d!.bgp).values()];
    expect(routes.map(r => [r.prefix.family, r.nextHop, r.linkLocalNextHop])).toEqual([
      ["IPv4", parseIP("2001:db8:2::a"), parseIP("fe80::2:a")],
      ["IPv6", parseIP("2001:db8:2::a"), parseIP("fe80::2:a")],
    ]);
  });

  it("with only a link-local address, carry it alone as next hop", () => {
    const d = desiredSession(peer({ peerAddress: "", interface: "eth1" }), profiles, node);
    const routes = [...routesForSession(announcements, "tor", d!.bgp).values()];
    expect(routes.map(r => [r.prefix.family, r.nextHop, r.linkLocalNextHop])).toEqual([
      ["IPv4", parseIP("fe80::a"), undefined],
      ["IPv6", parseIP("fe80::a"), undefined],
    ]);
  });
});

describe("VRF sessions", () => {
  it("take their local address from the links enslaved to the VRF, and carry the VRF", () => {
    const d = desiredSession(peer({ peerAddress: "203.0.113.1", vrf: "red" }), profiles, node);
    expect([d?.bgp.localAddress, d?.bgp.vrf, d?.bgp.routerId, d?.problem]).toEqual(["203.0.113.2", "red", v4("203.0.113.2"), undefined]);
  });

  it("take a dual-stack session's other next hop from the VRF's links too", () => {
    const d = desiredSession(peer({ peerAddress: "203.0.113.1", vrf: "red", dualStackAddressFamily: true }), profiles, node);
    expect([d?.bgp.otherNextHop, d?.problem]).toEqual([undefined, "dualStackAddressFamily: this node has no IPv6 address to use as next hop; IPv6 routes are not sent to 203.0.113.1"]);
  });

  it("report a VRF the node does not have", () => {
    const d = desiredSession(peer({ vrf: "blue" }), profiles, node);
    expect([d?.problem, d?.bgp.localAddress]).toEqual(["VRF blue does not exist on this node", undefined]);
  });

  it("report a VRF without an address of the peer's family (link-local ones do not count)", () => {
    const d = desiredSession(peer({ peerAddress: "2001:db8:3::1", vrf: "red" }), profiles, node);
    expect([d?.problem, d?.bgp.localAddress]).toEqual(["this node has no IPv6 address to reach 2001:db8:3::1 from in VRF red", undefined]);
  });

  it("do not use the default VRF's addresses, nor its sourceAddress", () => {
    const d = desiredSession(peer({ peerAddress: "203.0.113.1", vrf: "red", sourceAddress: "192.0.2.11" }), profiles, node);
    expect([d?.bgp.localAddress, d?.problem]).toEqual(["203.0.113.2", "sourceAddress 192.0.2.11 is not an address of this node; using 203.0.113.2 in VRF red"]);
  });
});

describe("the unnumbered peer among the link's neighbours", () => {
  it("is a usable link-local router; the lowest address when there are several", () => {
    expect(
      chooseLinkPeer([
        { address: "fe80::9", router: true, state: "stale" },
        { address: "fe80::5", router: false, state: "reachable" },
        { address: "2001:db8::1", router: true, state: "reachable" },
        { address: "fe80::3", router: true, state: "failed" },
        { address: "fe80::7", router: true, state: "reachable" },
      ]),
    ).toBe("fe80::7");
    expect(chooseLinkPeer([{ address: "fe80::3", router: true, state: "incomplete" }])).toBeUndefined();
  });
});

describe("Router Solicitation and Advertisement frames (RFC 4861 4.1, 4.2)", () => {
  /** The ICMPv6 checksum checked independently: the one's-complement sum over pseudo-header and message is 0xffff. */
  const checksumOk = (frame: Buffer): boolean => {
    const ip = frame.subarray(14);
    const length = ip.readUInt16BE(4);
    const pseudo = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, length >> 8, length & 255, 0, 0, 0, 58]), ip.subarray(40, 40 + length)]);
    let sum = 0;
    for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i]! << 8) | (pseudo[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum === 0xffff;
  };

  it("solicits all routers from our link-local address with our MAC, hop limit 255", () => {
    const frame = encodeRouterSolicitation("02:00:00:00:00:0a", "fe80::a");
    expect(frame.subarray(0, 14).toString("hex")).toBe("333300000002" + "02000000000a" + "86dd");
    expect(frame.subarray(14, 54).toString("hex")).toBe("60000000" + "0010" + "3a" + "ff" + "fe80000000000000000000000000000a" + "ff020000000000000000000000000002");
    const icmp = frame.subarray(54, 70);
    expect([icmp[0], icmp[1], icmp.subarray(4).toString("hex")]).toEqual([133, 0, "00000000" + "0101" + "02000000000a"]);
    expect(checksumOk(frame)).toBe(true);
  });

  it("advertises to all nodes with router lifetime 0 and our MAC", () => {
    const frame = encodeRouterAdvertisement("02:00:00:00:00:0a", "fe80::a");
    expect(frame.subarray(0, 14).toString("hex")).toBe("333300000001" + "02000000000a" + "86dd");
    expect(frame.subarray(14, 54).toString("hex")).toBe("60000000" + "0018" + "3a" + "ff" + "fe80000000000000000000000000000a" + "ff020000000000000000000000000001");
    const icmp = frame.subarray(54, 78);
    expect([icmp[0], icmp[1], icmp.subarray(4).toString("hex")]).toEqual([134, 0, "00" + "00" + "0000" + "00000000" + "00000000" + "0101" + "02000000000a"]);
    expect(checksumOk(frame)).toBe(true);
  });
});

describe("the data plane with unnumbered and VRF peers", () => {
  const config = (peers: Config["peers"]): Config => ({
    namespace: "metallb-system",
    pools: new Map(),
    l2Advertisements: [],
    bgpAdvertisements: [],
    peers,
    bfdProfiles: new Map(),
    communityAliases: new Map(),
  });

  /** A router that offers RFC 8950, one per connection; every dial's spec is kept. */
  function routers(clock: FakeClock) {
    const dials: BgpSessionSpec[] = [];
    const updates = new EventQueue<ReceivedUpdate>();
    let established: Promise<void> = new Promise(() => undefined);
    const connect = async (spec: BgpSessionSpec): Promise<Duplex> => {
      dials.push(spec);
      const [ours, theirs] = duplexPair();
      const router = new BgpSession({
        settings: { myAsn: spec.peerAsn, peerAsn: spec.myAsn, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4", "IPv6"], extendedNextHop: true },
        clock,
        connect: () => Promise.resolve(theirs),
      });
      router.on("update", u => updates.push(u));
      established = new Promise(resolve => router.once("established", () => resolve()));
      router.start();
      return ours;
    };
    return { dials, updates, connect, established: () => established };
  }

  it("watches the links, advertises on the unnumbered interface while the session lasts, and sends RFC 8950 routes", async () => {
    const clock = new FakeClock();
    const r = routers(clock);
    const advertising: string[] = [];
    const dp = startBgpDataPlane({
      nodeName: "node1",
      clock,
      connect: r.connect,
      watchLinks: onLinks => {
        onLinks(links);
        return { close: () => undefined };
      },
      advertiseOnLink: (ifname, linkLocal) => {
        advertising.push(`start ${ifname} ${linkLocal}`);
        return { solicit: () => undefined, stop: () => advertising.push(`stop ${ifname}`) };
      },
    });
    dp.setNode({}, ["192.0.2.11", "2001:db8::11"]);
    dp.setConfig(config([peer({ peerAddress: "", interface: "eth2" })]));
    dp.setAnnouncements(announcements);
    await r.established();
    expect(r.dials.map(d => [d.interface, d.localAddress, d.globalNextHop])).toEqual([["eth2", "fe80::2:a", "2001:db8:2::a"]]);
    expect(advertising).toEqual(["start eth2 fe80::2:a"]);
    const first = await r.updates.next();
    const second = await r.updates.next();
    expect([first, second].map(u => [u.update.attributes.mpReach?.afi, u.update.attributes.mpReach?.nextHops.map(formatIP), u.update.attributes.mpReach?.nlri.map(formatCidr)])).toEqual([
      [1, ["2001:db8:2::a", "fe80::2:a"], ["198.51.100.10/32"]],
      [2, ["2001:db8:2::a", "fe80::2:a"], ["2001:db8:5::10/128"]],
    ]);
    expect(dp.status()[0]).toMatchObject({ peer: "tor", peerAddress: "eth2", state: "Established", prefixesAdvertised: 2 });
    dp.setConfig(config([]));
    expect(advertising).toEqual(["start eth2 fe80::2:a", "stop eth2"]);
    dp.stop();
  });

  it("labels the metrics of a VRF peer with its VRF, and of an unnumbered one with its interface", async () => {
    const clock = new FakeClock();
    const r = routers(clock);
    const registry = new Registry();
    const dp = startBgpDataPlane({
      nodeName: "node1",
      clock,
      registry,
      connect: r.connect,
      watchLinks: onLinks => {
        onLinks(links);
        return { close: () => undefined };
      },
      advertiseOnLink: () => ({ solicit: () => undefined, stop: () => undefined }),
    });
    dp.setNode({}, ["192.0.2.11"]);
    dp.setConfig(config([peer({ name: "inside", peerAddress: "203.0.113.1", vrf: "red" }), peer({ name: "unnumbered", peerAddress: "", interface: "eth1" })]));
    const text = await registry.metrics();
    expect(text).toContain('metallb_bgp_opens_sent{peer="203.0.113.1",vrf="red"}');
    expect(text).toContain('metallb_bgp_opens_sent{peer="eth1",vrf="default"}');
    expect(r.dials.map(d => [d.peerAddress, d.vrf, d.localAddress])).toEqual([
      ["203.0.113.1", "red", "203.0.113.2"],
      ["", undefined, "fe80::a"],
    ]);
    dp.stop();
  });
});
