/**
 * The BGP data plane's multihop path against FRR 8.4 across a routed hop: a BGPPeer with
 * ebgpMultiHop and a bfdProfile (sessions.ts: TTL 255, bfdMultihop) runs RFC 5883 BFD on port 4784
 * (peer-session.ts openBfd -> bfd-udp.ts multihop sockets) while FRR, in a namespace behind the bed's
 * router (203.0.113.0/24), runs an eBGP multihop neighbor with a BFD profile, so bgpd asks bfdd for a
 * multihop session. Cutting the node off must take FRR's BGP session down through BFD (100 ms x 3),
 * far sooner than the 9 s hold timer would. Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, type Host, type Namespace, type Spawned } from "../../hack/netns";
import type { BGPRoute } from "../../core/announce/desired";
import type { BFDProfile } from "../../core/config/types";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { kernelNextHops } from "../../test/bgp/interop/routers/kernel";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { PeerSessionStatus } from "./peer-session";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const AGENT = "test/bgp/dataplane/agent.ts";
const FAR = "203.0.113.2";
const FAR_GATEWAY = "203.0.113.1";
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const VIP = "198.51.100.7";

const profile: BFDProfile = {
  name: "mh",
  receiveIntervalMs: 100,
  transmitIntervalMs: 100,
  detectMultiplier: 3,
  echoIntervalMs: 50,
  echoMode: false,
  passiveMode: false,
};
const peer = bgpPeer({ peerAddress: FAR, ebgpMultiHop: true, holdTimeS: 9, keepaliveTimeS: 3, bfdProfile: "mh" });
interface ZebraRoute {
  readonly installed?: boolean;
  readonly nexthops: readonly { readonly ip?: string; readonly recursive?: boolean; readonly resolver?: boolean }[];
}

/** `show bfd peer ... json`, the fields asserted here. */
interface FrrBfdPeerJson {
  readonly multihop?: boolean;
  readonly peer?: string;
  readonly local?: string;
  readonly status?: string;
  readonly diagnostic?: string;
  readonly "remote-id"?: number;
  readonly "receive-interval"?: number;
  readonly "transmit-interval"?: number;
  readonly "remote-receive-interval"?: number;
  readonly "remote-transmit-interval"?: number;
  readonly "detect-multiplier"?: number;
  readonly "remote-detect-multiplier"?: number;
}

const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];

describe("BGP data plane, eBGP multihop with multihop BFD, against FRR behind a router", () => {
  let bed: Bed;
  let node: Host;
  let far: Namespace;
  let frr: FrrRouter;
  let agent: Spawned;
  const frrBfd = () => frr.vtyshJson<FrrBfdPeerJson>(`show bfd peer ${node.ipv4} multihop local-address ${FAR} json`);
  const frrBgpState = async () => (await frr.neighborStates()).get(node.ipv4);
  const agentStatus = async (): Promise<PeerSessionStatus[]> => {
    agent.send(JSON.stringify({ op: "status" }));
    return statusOf(await agent.waitForNewLine(/^status /));
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    node = bed.nodes[0] as Host;
    far = await bed.addNamespace("far");
    await bed.router.ip([`link add tofar type veth peer name eth0 netns ${far.name}`, `addr add ${FAR_GATEWAY}/24 dev tofar`, "link set tofar up"]);
    // A route to the nodes' subnet of its own (not only the default): FRR resolves BGP next hops
    // through the default route only when told to, and 192.0.2.11 is the next hop of everything here.
    await far.ip([`addr add ${FAR}/24 dev eth0`, "link set eth0 up", `route add default via ${FAR_GATEWAY}`, `route add 192.0.2.0/24 via ${FAR_GATEWAY}`]);
    await node.ns.ip(["route add 203.0.113.0/24 via 192.0.2.1"]);
    frr = await FrrRouter.start(far, {
      asn: ROUTER_AS,
      routerId: FAR,
      bfdProfiles: [{ name: "mh", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [{ address: node.ipv4, remoteAs: NODE_AS, ebgpMultihopTtl: 255, updateSource: FAR, bfdProfile: "mh" }],
    });
    const config: AgentConfig = { nodeName: node.ns.name, labels: {}, addresses: [node.ipv4, node.ipv6], peers: [peer], bfdProfiles: [profile] };
    agent = node.ns.runNode(AGENT, [JSON.stringify(config)]);
  }, 60_000);

  afterAll(async () => {
    await frr?.stop();
    await bed?.destroy();
  });

  it("establishes over the routed hop, with FRR's multihop BFD session for the node up", async () => {
    // tsx needs a few seconds on a busy machine before the agent dials.
    await agent.waitForLine(/"state":"Established".*"bfd":"Up"/, 40_000);
    expect(await agentStatus()).toEqual([
      { peer: "tor", peerAddress: FAR, node: node.ns.name, state: "Established", since: expect.any(String) as string, prefixesAdvertised: 0, bfd: "Up" },
    ]);
    expect(await frrBgpState()).toBe("Established");
    // FRR's Poll sequence done: it has taken our 100 ms and runs its own, so detection is 3 x 100 ms.
    const session = await eventually(async () => {
      const s = await frrBfd();
      return s.status === "up" && s["remote-transmit-interval"] === 100 && s["transmit-interval"] === 100 ? s : undefined;
    }, "FRR's multihop BFD session to be up at 100 ms");
    expect(session).toMatchObject({
      multihop: true,
      peer: node.ipv4,
      local: FAR,
      status: "up",
      "remote-id": 1, // the data plane's first discriminator
      "receive-interval": 100,
      "remote-receive-interval": 100,
      "detect-multiplier": 3,
      "remote-detect-multiplier": 3,
    });
  });

  it("puts a Service's route in FRR's RIB with the node as next hop, resolved through the router", async () => {
    const route: BGPRoute = { prefix: `${VIP}/32`, localPref: 0, communities: [], peers: ["tor"] };
    agent.send(JSON.stringify({ op: "announce", routes: [route] }));
    const rib = await eventually(async () => {
      const r = await frr.vtyshJson<{ paths?: { valid?: boolean; aspath?: { string?: string }; nexthops?: { ip?: string }[] }[] }>(`show bgp ipv4 unicast ${VIP}/32 json`);
      return r.paths?.length ? r : undefined;
    }, "the route in FRR's BGP table");
    expect(rib.paths?.map(p => ({ valid: p.valid, aspath: p.aspath?.string, nexthops: p.nexthops?.map(n => n.ip) }))).toEqual([
      { valid: true, aspath: String(NODE_AS), nexthops: [node.ipv4] },
    ]);
    // zebra resolves the node (two hops away) through the far namespace's route via the bed's router.
    const zebra = await eventually(async () => {
      const r = (await frr.vtyshJson<Record<string, ZebraRoute[]>>(`show ip route ${VIP}/32 json`))[`${VIP}/32`]?.[0];
      return r?.installed ? r : undefined;
    }, "the route installed by zebra");
    expect(zebra.nexthops.map(n => ({ ip: n.ip, recursive: n.recursive === true, resolver: n.resolver === true }))).toEqual([
      { ip: node.ipv4, recursive: true, resolver: false },
      { ip: FAR_GATEWAY, recursive: false, resolver: true },
    ]);
    expect(await kernelNextHops(far, `${VIP}/32`)).toEqual([FAR_GATEWAY]);
    expect((await agentStatus())[0]?.prefixesAdvertised).toBe(1);
  });

  it("cut off, the node is dropped by FRR's BFD and BGP within 1.5 s (not the 9 s hold time), and our status says BFD", async () => {
    const t0 = performance.now();
    await bed.router.linkSet(node.bridgePort, "down");
    // Two pollers side by side, each timing its own answer (taken after the answer: upper bounds).
    const poll = <T>(probe: () => Promise<T | undefined>, what: string) =>
      eventually(async () => {
        const v = await probe();
        return v === undefined ? undefined : { v, ms: performance.now() - t0 };
      }, what, { timeoutMs: 15_000, intervalMs: 5 });
    const [bfd, bgp] = await Promise.all([
      poll(async () => ((await frr.bfdPeers()).get(node.ipv4) === "down" ? true : undefined), "FRR's BFD session with the node to go down"),
      poll(async () => {
        const state = await frrBgpState();
        return state !== "Established" ? state : undefined;
      }, "FRR's BGP session with the node to leave Established"),
    ]);
    const [bfdMs, bgpMs, bgpState] = [bfd.ms, bgp.ms, bgp.v];
    console.log(`link down -> FRR's BFD down ${bfdMs.toFixed(0)} ms, FRR's BGP out of Established (${bgpState}) ${bgpMs.toFixed(0)} ms`);
    expect(bfdMs).toBeLessThan(1_500);
    expect(bgpMs).toBeLessThan(1_500);
    expect((await frrBfd()).diagnostic).toBe("control detection time expired");

    const line = await agent.waitForLine(/"lastError":"sent NOTIFICATION 6\/2/, 10_000);
    expect(statusOf(line)).toEqual([
      {
        peer: "tor",
        peerAddress: FAR,
        node: node.ns.name,
        state: "Idle",
        since: expect.any(String) as string,
        lastError: `sent NOTIFICATION 6/2 (administrative shutdown) to ${FAR}: BFD down, control detection time expired (diag 1)`,
        prefixesAdvertised: 0,
        bfd: "Down",
      },
    ]);
  });

  it("back on the wire, BFD comes Up again, BGP re-establishes and the route returns", async () => {
    await bed.router.linkSet(node.bridgePort, "up");
    await agent.waitForNewLine(/"state":"Established".*"bfd":"Up"/, 30_000);
    await eventually(async () => ((await frrBgpState()) === "Established" ? true : undefined), "FRR's BGP session to be Established again");
    expect((await frrBfd()).status).toBe("up");
    expect(
      await eventually(async () => {
        const hops = await kernelNextHops(far, `${VIP}/32`);
        return hops.length > 0 ? hops : undefined;
      }, "the route back in the far kernel"),
    ).toEqual([FAR_GATEWAY]);
  });
});
