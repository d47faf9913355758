/**
 * dynamicASN, localASN and dualStackAddressFamily together, against BIRD 2 (AS 64500) with an IPv4 and
 * an IPv6 channel in each session:
 *
 *   node1  IPv4 session: myASN 64512, localASN 64999, dynamicASN external, dual stack   BIRD: neighbor 192.0.2.11 as 64999
 *   node2  IPv6 session: myASN 64500, dynamicASN internal, dual stack (iBGP)            BIRD: neighbor 2001:db8::12 as 64500
 *
 * BIRD puts an IPv4 and an IPv6 route of each node in the router namespace's kernel, and a client
 * namespace routed through the router reaches all four VIPs. Needs root; the bed builds and removes
 * the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, ROUTER_IPV6, type Host, type Spawned } from "../../hack/netns";
import type { BGPRoute } from "../../core/announce/desired";
import type { BGPPeer } from "../../core/config/types";
import { BirdRouter } from "../../test/bgp/interop/routers/bird";
import { kernelNextHops } from "../../test/bgp/interop/routers/kernel";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const ROUTER_AS = 64500;
const LOCAL_AS = 64999;
const AGENT = "test/bgp/dataplane/agent.ts";
const VIPS = [
  { v4: "198.51.100.20", v6: "2001:db8:5::20" },
  { v4: "198.51.100.21", v6: "2001:db8:5::21" },
] as const;

const route = (prefix: string, peerName: string): BGPRoute => ({ prefix, localPref: 130, communities: [], peers: [peerName] });

describe("dynamicASN, localASN, dualStackAddressFamily against BIRD", () => {
  let bed: Bed;
  let bird: BirdRouter;
  let nodes: Host[];
  let client: Host;
  const agents: Spawned[] = [];
  const node = (i: number) => nodes[i] as Host;
  const hopsOf = (prefix: string, family: 4 | 6, want: string[], what: string) =>
    eventually(async () => {
      const got = await kernelNextHops(bed.router, prefix, family);
      return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
    }, what, { timeoutMs: 30_000, intervalMs: 50 });
  const ping = async (address: string) => (await client.ns.exec(["ping", address.includes(":") ? "-6" : "-4", "-c", "1", "-W", "2", address])).stdout;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 2 });
    nodes = bed.nodes;
    client = await bed.addHost("client");
    await client.ns.ip(["route add 198.51.100.0/24 via 192.0.2.1", "route add 2001:db8:5::/64 via 2001:db8::1"]);
    for (let i = 0; i < 2; i++) await node(i).ns.ip([`addr add ${VIPS[i]?.v4}/32 dev lo`, `addr add ${VIPS[i]?.v6}/128 dev lo`]);
    bird = await BirdRouter.start(bed.router, {
      routerId: ROUTER_IPV4,
      neighbors: [
        { name: "n1", address: node(0).ipv4, localAs: ROUTER_AS, remoteAs: LOCAL_AS, ipv6: true },
        { name: "n2", address: node(1).ipv6, localAs: ROUTER_AS, remoteAs: ROUTER_AS, ipv6: true },
      ],
    });
    const peers: BGPPeer[] = [
      bgpPeer({ name: "n1", peerAddress: ROUTER_IPV4, peerASN: 0, dynamicASN: "external", localASN: LOCAL_AS, dualStackAddressFamily: true, holdTimeS: 9, keepaliveTimeS: 3 }),
      bgpPeer({ name: "n2", peerAddress: ROUTER_IPV6, myASN: ROUTER_AS, peerASN: 0, dynamicASN: "internal", dualStackAddressFamily: true, holdTimeS: 9, keepaliveTimeS: 3 }),
    ];
    peers.forEach((p, i) => {
      const h = node(i);
      const config: AgentConfig = { nodeName: h.ns.name, labels: {}, addresses: [h.ipv4, h.ipv6], peers: [p] };
      const a = h.ns.runNode(AGENT, [JSON.stringify(config)]);
      a.send(JSON.stringify({ op: "announce", routes: [route(`${VIPS[i]?.v4}/32`, p.name), route(`${VIPS[i]?.v6}/128`, p.name)] }));
      agents.push(a);
    });
  }, 60_000);

  afterAll(async () => {
    await bird?.stop();
    await bed?.destroy();
  });

  it("an IPv4 session presenting localASN 64999 (BIRD expects it) carries the IPv4 and the IPv6 route, AS_PATH 64999 alone", async () => {
    await (agents[0] as Spawned).waitForLine(/"state":"Established"/, 60_000);
    expect(await bird.established("n1")).toBe(true);
    expect(await hopsOf(`${VIPS[0].v4}/32`, 4, [node(0).ipv4], "node1's IPv4 route")).toEqual([node(0).ipv4]);
    expect(await hopsOf(`${VIPS[0].v6}/128`, 6, [node(0).ipv6], "node1's IPv6 route over IPv4")).toEqual([node(0).ipv6]);
    const v6 = await bird.birdc("show", "route", `${VIPS[0].v6}/128`, "all");
    expect(v6).toContain(`BGP.as_path: ${LOCAL_AS}\n`);
    expect(v6).toContain(`BGP.next_hop: ${node(0).ipv6}`);
    expect(await ping(VIPS[0].v4)).toMatch(/1 packets transmitted, 1 received/);
    expect(await ping(VIPS[0].v6)).toMatch(/1 packets transmitted, 1 received/);
  });

  it("an iBGP IPv6 session with dynamicASN internal carries the IPv4 route (IPv4 next hop) and the IPv6 one, with LOCAL_PREF", async () => {
    await (agents[1] as Spawned).waitForLine(/"state":"Established"/, 60_000);
    expect(await bird.established("n2")).toBe(true);
    expect(await hopsOf(`${VIPS[1].v4}/32`, 4, [node(1).ipv4], "node2's IPv4 route over IPv6")).toEqual([node(1).ipv4]);
    expect(await hopsOf(`${VIPS[1].v6}/128`, 6, [node(1).ipv6], "node2's IPv6 route")).toEqual([node(1).ipv6]);
    const v4 = await bird.birdc("show", "route", `${VIPS[1].v4}/32`, "all");
    expect(v4).toContain("BGP.local_pref: 130");
    expect(v4).toContain("BGP.as_path: \n");
    expect(await ping(VIPS[1].v4)).toMatch(/1 packets transmitted, 1 received/);
    expect(await ping(VIPS[1].v6)).toMatch(/1 packets transmitted, 1 received/);
  });
});
