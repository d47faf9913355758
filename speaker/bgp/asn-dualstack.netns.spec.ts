/**
 * BGPPeer dynamicASN, localASN and dualStackAddressFamily against FRR 8.4 (AS 64500) in network
 * namespaces, through the whole data plane (the agent process in each node namespace):
 *
 *   node1  dynamicASN external, myASN 64512      FRR: neighbor 192.0.2.11 remote-as 64512
 *          then edited to dynamicASN internal: FRR's AS is not ours, Bad Peer AS, the session stays down
 *   node2  dynamicASN internal, myASN 64500      FRR: neighbor 192.0.2.12 remote-as 64500 (iBGP)
 *   node3  myASN 64512, localASN 64999           FRR: neighbor 192.0.2.13 remote-as 64999
 *   node4  IPv6 session, dualStackAddressFamily  FRR: neighbor 2001:db8::14 remote-as 64512, IPv4 and IPv6
 *   node5  IPv4 session, dualStackAddressFamily  FRR: neighbor 192.0.2.15 remote-as 64512, IPv4 and IPv6
 *
 * Each node holds its VIPs on lo; FRR installs the routes in the router namespace's kernel and a client
 * namespace, routed through the router, reaches the VIPs. Needs root; the bed builds and removes the
 * namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, ROUTER_IPV6, type Host, type Spawned } from "../../hack/netns";
import type { BGPRoute } from "../../core/announce/desired";
import type { BGPPeer } from "../../core/config/types";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { kernelNextHops } from "../../test/bgp/interop/routers/kernel";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { PeerSessionStatus } from "./peer-session";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const ROUTER_AS = 64500;
const NODE_AS = 64512;
const LOCAL_AS = 64999;
const AGENT = "test/bgp/dataplane/agent.ts";
const VIP = { ext: "198.51.100.10", int: "198.51.100.11", local: "198.51.100.12", dual6v4: "198.51.100.13", dual6v6: "2001:db8:5::13", dual4v4: "198.51.100.14", dual4v6: "2001:db8:5::14" };

const peer = (over: Partial<BGPPeer>): BGPPeer => bgpPeer({ peerAddress: ROUTER_IPV4, holdTimeS: 9, keepaliveTimeS: 3, ...over });
const route = (prefix: string, peerName: string): BGPRoute => ({ prefix, localPref: 120, communities: [], peers: [peerName] });
const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];

interface FrrNeighborJson {
  bgpState?: string;
  remoteAs?: number;
  localAs?: number;
}

describe("dynamicASN, localASN, dualStackAddressFamily against FRR", () => {
  let bed: Bed;
  let frr: FrrRouter;
  let nodes: Host[];
  let client: Host;
  const agents: Spawned[] = [];
  const node = (i: number) => nodes[i] as Host;
  const agent = (i: number) => agents[i] as Spawned;
  const neighbor = async (address: string): Promise<FrrNeighborJson> => (await frr.vtyshJson<Record<string, FrrNeighborJson>>(`show bgp neighbors ${address} json`))[address] ?? {};
  const hopsOf = (prefix: string, family: 4 | 6, want: string[], what: string) =>
    eventually(async () => {
      const got = await kernelNextHops(bed.router, prefix, family);
      return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
    }, what, { timeoutMs: 20_000, intervalMs: 50 });
  const ping = async (address: string) => (await client.ns.exec(["ping", address.includes(":") ? "-6" : "-4", "-c", "1", "-W", "2", address])).stdout;
  const established = (i: number) => agent(i).waitForLine(/"state":"Established"/, 60_000);

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 5 });
    nodes = bed.nodes;
    client = await bed.addHost("client");
    await client.ns.ip(["route add 198.51.100.0/24 via 192.0.2.1", "route add 2001:db8:5::/64 via 2001:db8::1"]);
    await node(0).ns.ip([`addr add ${VIP.ext}/32 dev lo`]);
    await node(1).ns.ip([`addr add ${VIP.int}/32 dev lo`]);
    await node(2).ns.ip([`addr add ${VIP.local}/32 dev lo`]);
    await node(3).ns.ip([`addr add ${VIP.dual6v4}/32 dev lo`, `addr add ${VIP.dual6v6}/128 dev lo`]);
    await node(4).ns.ip([`addr add ${VIP.dual4v4}/32 dev lo`, `addr add ${VIP.dual4v6}/128 dev lo`]);
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: ROUTER_IPV4,
      neighbors: [
        { address: node(0).ipv4, remoteAs: NODE_AS },
        { address: node(1).ipv4, remoteAs: ROUTER_AS },
        { address: node(2).ipv4, remoteAs: LOCAL_AS },
        { address: node(3).ipv6, remoteAs: NODE_AS, ipv6: true },
        { address: node(4).ipv4, remoteAs: NODE_AS, ipv6: true },
      ],
    });
    const peers: BGPPeer[] = [
      peer({ name: "ext", peerASN: 0, dynamicASN: "external" }),
      peer({ name: "int", myASN: ROUTER_AS, peerASN: 0, dynamicASN: "internal" }),
      peer({ name: "local", peerASN: ROUTER_AS, localASN: LOCAL_AS }),
      peer({ name: "dual6", peerAddress: ROUTER_IPV6, peerASN: ROUTER_AS, dualStackAddressFamily: true }),
      peer({ name: "dual4", peerASN: ROUTER_AS, dualStackAddressFamily: true }),
    ];
    peers.forEach((p, i) => {
      const h = node(i);
      const config: AgentConfig = { nodeName: h.ns.name, labels: {}, addresses: [h.ipv4, h.ipv6], peers: [p] };
      agents.push(h.ns.runNode(AGENT, [JSON.stringify(config)]));
    });
    agent(0).send(JSON.stringify({ op: "announce", routes: [route(`${VIP.ext}/32`, "ext")] }));
    agent(1).send(JSON.stringify({ op: "announce", routes: [route(`${VIP.int}/32`, "int")] }));
    agent(2).send(JSON.stringify({ op: "announce", routes: [route(`${VIP.local}/32`, "local")] }));
    agent(3).send(JSON.stringify({ op: "announce", routes: [route(`${VIP.dual6v4}/32`, "dual6"), route(`${VIP.dual6v6}/128`, "dual6")] }));
    agent(4).send(JSON.stringify({ op: "announce", routes: [route(`${VIP.dual4v4}/32`, "dual4"), route(`${VIP.dual4v6}/128`, "dual4")] }));
  }, 90_000);

  afterAll(async () => {
    await frr?.stop();
    await bed?.destroy();
  });

  it("dynamicASN external: up with FRR's remote-as 64512, an eBGP route (AS_PATH 64512) in FRR's kernel, the VIP reachable", async () => {
    await established(0);
    expect(await neighbor(node(0).ipv4)).toMatchObject({ bgpState: "Established", remoteAs: NODE_AS, localAs: ROUTER_AS });
    expect(await hopsOf(`${VIP.ext}/32`, 4, [node(0).ipv4], "the external VIP route")).toEqual([node(0).ipv4]);
    const rib = await frr.vtyshJson<{ paths?: { aspath?: { string?: string }; locPrf?: number }[] }>(`show bgp ipv4 unicast ${VIP.ext}/32 json`);
    expect(rib.paths?.[0]?.aspath?.string).toBe(String(NODE_AS));
    expect(await ping(VIP.ext)).toMatch(/1 packets transmitted, 1 received/);
  });

  it("dynamicASN internal: an iBGP session with FRR (same AS), LOCAL_PREF and an empty AS_PATH, the VIP reachable", async () => {
    await established(1);
    expect(await neighbor(node(1).ipv4)).toMatchObject({ bgpState: "Established", remoteAs: ROUTER_AS, localAs: ROUTER_AS });
    expect(await hopsOf(`${VIP.int}/32`, 4, [node(1).ipv4], "the internal VIP route")).toEqual([node(1).ipv4]);
    const rib = await frr.vtyshJson<{ paths?: { aspath?: { string?: string }; locPrf?: number }[] }>(`show bgp ipv4 unicast ${VIP.int}/32 json`);
    expect([rib.paths?.[0]?.aspath?.string, rib.paths?.[0]?.locPrf]).toEqual(["Local", 120]);
    expect(await ping(VIP.int)).toMatch(/1 packets transmitted, 1 received/);
  });

  it("localASN: FRR sees AS 64999 as the remote AS, and the AS_PATH in its table is 64999 alone", async () => {
    await established(2);
    expect(await neighbor(node(2).ipv4)).toMatchObject({ bgpState: "Established", remoteAs: LOCAL_AS });
    expect(await hopsOf(`${VIP.local}/32`, 4, [node(2).ipv4], "the localASN VIP route")).toEqual([node(2).ipv4]);
    const rib = await frr.vtyshJson<{ paths?: { aspath?: { string?: string } }[] }>(`show bgp ipv4 unicast ${VIP.local}/32 json`);
    expect(rib.paths?.[0]?.aspath?.string).toBe(String(LOCAL_AS));
    expect(await ping(VIP.local)).toMatch(/1 packets transmitted, 1 received/);
  });

  it("dualStackAddressFamily over an IPv6 session: FRR installs the IPv4 route via the node's IPv4 and the IPv6 route via its IPv6, both VIPs reachable", async () => {
    await established(3);
    expect(await hopsOf(`${VIP.dual6v4}/32`, 4, [node(3).ipv4], "the IPv4 route over IPv6")).toEqual([node(3).ipv4]);
    expect(await hopsOf(`${VIP.dual6v6}/128`, 6, [node(3).ipv6], "the IPv6 route over IPv6")).toEqual([node(3).ipv6]);
    expect(await ping(VIP.dual6v4)).toMatch(/1 packets transmitted, 1 received/);
    expect(await ping(VIP.dual6v6)).toMatch(/1 packets transmitted, 1 received/);
    agent(3).send(JSON.stringify({ op: "status" }));
    expect(statusOf(await agent(3).waitForNewLine(/^status /))[0]).toMatchObject({ peer: "dual6", state: "Established", prefixesAdvertised: 2 });
  });

  it("dualStackAddressFamily over an IPv4 session: FRR installs the IPv6 route via the node's IPv6 (MP_REACH) and the IPv4 one, both VIPs reachable", async () => {
    await established(4);
    expect(await hopsOf(`${VIP.dual4v4}/32`, 4, [node(4).ipv4], "the IPv4 route over IPv4")).toEqual([node(4).ipv4]);
    expect(await hopsOf(`${VIP.dual4v6}/128`, 6, [node(4).ipv6], "the IPv6 route over IPv4")).toEqual([node(4).ipv6]);
    expect(await ping(VIP.dual4v4)).toMatch(/1 packets transmitted, 1 received/);
    expect(await ping(VIP.dual4v6)).toMatch(/1 packets transmitted, 1 received/);
  });

  it("dynamicASN internal towards FRR's other AS: Bad Peer AS, the session stays down with the reason, the route leaves FRR's kernel", async () => {
    await established(0);
    agent(0).send(JSON.stringify({ op: "config", peers: [peer({ name: "ext", peerASN: 0, dynamicASN: "internal" })] }));
    const why = "sent NOTIFICATION 2/2 (bad peer AS) to 192.0.2.1: peer AS 64500, expected internal (64512)";
    const line = await agent(0).waitForNewLine(/bad peer AS/, 30_000);
    expect(statusOf(line)[0]).toMatchObject({ peer: "ext", lastError: why });
    expect(await hopsOf(`${VIP.ext}/32`, 4, [], "the route to leave")).toEqual([]);
    // The backoff redials (after 2 s, then 4 s): each attempt gets FRR's OPEN and refuses it the same way.
    const after = () => agent(0).stdoutLines.slice(agent(0).stdoutLines.indexOf(line) + 1).filter(l => l.startsWith("status ")).map(l => statusOf(l)[0]);
    const attempts = await eventually(async () => {
      const states = after().map(st => st?.state);
      const refused = states.filter((st, i) => st === "OpenSent" && states[i + 1] === "Idle").length;
      return refused >= 2 ? after() : undefined;
    }, "two more refused attempts", { timeoutMs: 20_000 });
    expect(attempts.filter(st => st?.state === "Idle").map(st => st?.lastError)).toEqual(Array(attempts.filter(st => st?.state === "Idle").length).fill(why));
    expect(attempts.some(st => st?.state === "Established")).toBe(false);
    expect((await neighbor(node(0).ipv4)).bgpState).not.toBe("Established");
  });
});
