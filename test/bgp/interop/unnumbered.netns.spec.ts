/**
 * BGP unnumbered (BGPPeer `interface`) against FRR 8.4's `neighbor IFNAME interface`: a veth between
 * the node and the router with nothing but IPv6 link-local addresses on it. The data plane finds FRR
 * by its Router Advertisements, FRR learns us from ours, the session runs link-local to link-local,
 * the IPv4 VIP goes with an IPv6 next hop (RFC 8950) and FRR installs it in its kernel as
 * `via inet6 fe80::...`; a ping from the router reaches the VIP on the node over that link. The IPv6
 * VIP of the same session is installed with our link-local next hop. BFD (100 ms x 3) runs between
 * the two link-local addresses, and takes the session down when the link drops packets. Needs root;
 * the bed builds and removes the namespaces and the extra veth.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bed, Host, Spawned } from "../../../hack/netns";
import type { BGPRoute } from "../../../core/announce/desired";
import type { BFDProfile } from "../../../core/config/types";
import type { PeerSessionStatus } from "../../../speaker/bgp/peer-session";
import type { AgentConfig } from "../dataplane/agent";
import { FrrRouter } from "./routers/frr";
import { eventually } from "./routers/poll";
import { createUnnumberedLinkBed, NODE_AS, NODE_LINK, ROUTER_AS, ROUTER_LINK, unnumberedPeer } from "./testkit/unnumbered-link";

const VIP4 = "198.51.100.10";
const VIP6 = "2001:db8:5::10";
const AGENT = "test/bgp/dataplane/agent.ts";

const peer = unnumberedPeer({ bfdProfile: "fast" });
const profile: BFDProfile = { name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false };
const route = (prefix: string): BGPRoute => ({ prefix, localPref: 0, communities: [], peers: ["tor"] });
const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];

describe("BGP unnumbered against FRR (RFC 8950)", () => {
  let bed: Bed;
  let node: Host;
  let frr: FrrRouter;
  let agent: Spawned;
  let nodeLinkLocal: string;

  beforeAll(async () => {
    ({ bed, node, nodeLinkLocal } = await createUnnumberedLinkBed([VIP4, VIP6]));
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: "192.0.2.1",
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [{ address: ROUTER_LINK, interface: true, remoteAs: NODE_AS, ipv6: true, bfdProfile: "fast" }],
    });
    const config: AgentConfig = { nodeName: node.ns.name, labels: {}, addresses: [node.ipv4, node.ipv6], peers: [peer], bfdProfiles: [profile] };
    agent = node.ns.runNode(AGENT, [JSON.stringify(config)]);
  }, 60_000);

  afterAll(async () => {
    await frr?.stop();
    await bed?.destroy();
  });

  it("finds FRR on the link and establishes between link-local addresses, offering and agreeing RFC 8950", async () => {
    const line = await agent.waitForLine(/"state":"Established"/, 60_000);
    expect(statusOf(line)).toEqual([expect.objectContaining({ peer: "tor", peerAddress: NODE_LINK, state: "Established" })]);
    const neighbor = await frr.vtyshJson<Record<string, { bgpState?: string; hostname?: string; neighborCapabilities?: { extendedNexthop?: string } }>>(`show bgp neighbors ${ROUTER_LINK} json`);
    const n = neighbor[ROUTER_LINK];
    expect(n?.bgpState).toBe("Established");
    expect(n?.neighborCapabilities?.extendedNexthop).toBe("advertisedAndReceived");
    // The TCP connection's remote end, as FRR sees it: our link-local address on that link.
    const addrs = await frr.vtyshJson<Record<string, { hostForeign?: string }>>(`show bgp neighbors ${ROUTER_LINK} json`);
    expect(addrs[ROUTER_LINK]?.hostForeign).toBe(nodeLinkLocal);
  });

  it("gets the IPv4 VIP installed with our link-local address as IPv6 next hop, and the VIP answers over the link", async () => {
    agent.send(JSON.stringify({ op: "announce", routes: [route(`${VIP4}/32`), route(`${VIP6}/128`)] }));
    const installed = await eventually(async () => {
      const { stdout } = await bed.router.exec(["ip", "-4", "route", "show", VIP4]);
      return stdout.includes("via inet6") ? stdout.trim() : undefined;
    }, "the IPv4 VIP route in FRR's kernel", { timeoutMs: 15_000 });
    expect(installed).toMatch(new RegExp(`^${VIP4.replace(/\./g, "\\.")} (nhid \\d+ )?via inet6 ${nodeLinkLocal} dev ${ROUTER_LINK} proto bgp`));
    const rib = await frr.vtyshJson<{ paths?: { nexthops?: { ip?: string; afi?: string; scope?: string }[] }[] }>(`show bgp ipv4 unicast ${VIP4}/32 json`);
    expect(rib.paths?.[0]?.nexthops?.map(h => h.ip)).toContain(nodeLinkLocal);
    // From the router's br0 address, over `unn` (the only route to the VIP), answered by the node.
    const ping = await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP4]);
    expect(ping.stdout).toMatch(/1 packets transmitted, 1 received/);
    const counters = await bed.router.exec(["ip", "-json", "-s", "link", "show", ROUTER_LINK]);
    expect((JSON.parse(counters.stdout) as { stats64: { tx: { packets: number } } }[])[0]?.stats64.tx.packets).toBeGreaterThan(0);
  });

  it("gets the IPv6 VIP installed through our link-local address on the link", async () => {
    const installed = await eventually(async () => {
      const { stdout } = await bed.router.exec(["ip", "-6", "route", "show", VIP6]);
      return stdout.includes("via") ? stdout.trim() : undefined;
    }, "the IPv6 VIP route in FRR's kernel", { timeoutMs: 15_000 });
    expect(installed).toMatch(new RegExp(`^${VIP6} (nhid \\d+ )?via ${nodeLinkLocal} dev ${ROUTER_LINK} proto bgp`));
    const ping = await bed.router.exec(["ping", "-6", "-c", "1", "-W", "2", VIP6]);
    expect(ping.stdout).toMatch(/1 packets transmitted, 1 received/);
  });

  it("withdraws the IPv4 VIP (MP_UNREACH for AFI 1 is not needed: classic withdrawal) and FRR removes it", async () => {
    agent.send(JSON.stringify({ op: "announce", routes: [route(`${VIP6}/128`)] }));
    await eventually(async () => ((await bed.router.exec(["ip", "-4", "route", "show", VIP4])).stdout.trim() === "" ? true : undefined), "the IPv4 VIP route to go");
    expect((await bed.router.exec(["ip", "-6", "route", "show", VIP6])).stdout).toContain(nodeLinkLocal);
  });

  it("runs BFD between the link-local addresses, and BFD takes the session down when the link drops packets", async () => {
    await agent.waitForLine(/"state":"Established"[^}]*"bfd":"Up"/, 20_000);
    const peers = await frr.vtyshJson<{ peer?: string; interface?: string; status?: string }[]>("show bfd peers json");
    expect(peers.find(p => p.peer === nodeLinkLocal)).toEqual(expect.objectContaining({ interface: ROUTER_LINK, status: "up" }));
    await node.ns.exec(["ip6tables", "-A", "INPUT", "-i", NODE_LINK, "-j", "DROP"]);
    const down = await agent.waitForNewLine(/"bfd":"Down"/, 10_000);
    expect(statusOf(down)[0]?.lastError).toBe(`sent NOTIFICATION 6/2 (administrative shutdown) to ${NODE_LINK}: BFD down, control detection time expired (diag 1)`);
    await node.ns.exec(["ip6tables", "-D", "INPUT", "-i", NODE_LINK, "-j", "DROP"]);
    await agent.waitForNewLine(/"state":"Established"[^}]*"bfd":"Up"/, 30_000);
  });
});
