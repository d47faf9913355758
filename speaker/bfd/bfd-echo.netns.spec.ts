/**
 * BFD echo mode (BFDProfile echoMode, RFC 5880 6.4, RFC 5881 4) against FRR 8.4's bfdd with echo-mode
 * on, in the bed's router namespace: the data plane (agent, BFD in its own process) and FRR both run
 * the echo function over one single-hop IPv4 session. Our echoes go out as frames to FRR's MAC,
 * addressed to the node itself, and FRR's kernel forwards them back; FRR's echoes come back through
 * the node's kernel forwarding (the node namespace has net.ipv4.ip_forward=1, as a Kubernetes node).
 * Then the router drops our echoes silently (iptables DROP of UDP 3785 in its FORWARD chain, so
 * control packets still pass): the session must go down on echo detection (FRR's Detect Mult 3 x
 * 50 ms), far before the control detection time (3 x 1 s once echo is active), with diag 2, and the
 * route must leave the router's kernel and stay out while the drop lasts, though the BFD session
 * flaps on the wire. With the rule gone, the route returns and the VIP (on the node's lo) answers a
 * ping from the router. Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, type Host, type Spawned } from "../../hack/netns";
import type { BGPRoute } from "../../core/announce/desired";
import type { BFDProfile } from "../../core/config/types";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { kernelNextHops } from "../../test/bgp/interop/routers/kernel";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { PeerSessionStatus } from "../bgp/peer-session";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const AGENT = "test/bgp/dataplane/agent.ts";
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const VIP = "198.51.100.7";
const ECHO_MS = 50;

const profile: BFDProfile = { name: "echo", receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, echoIntervalMs: ECHO_MS, echoMode: true, passiveMode: false };
const peer = bgpPeer({ holdTimeS: 9, keepaliveTimeS: 3, bfdProfile: "echo" });

/** `show bfd peer ... json` and `... counters json`, the fields asserted here. */
interface FrrBfdPeerJson {
  readonly status?: string;
  readonly diagnostic?: string;
  readonly "remote-diagnostic"?: string;
  readonly "echo-receive-interval"?: number;
  readonly "echo-transmit-interval"?: number;
  readonly "remote-echo-receive-interval"?: number;
  readonly "remote-receive-interval"?: number;
}
interface FrrBfdCountersJson {
  readonly "echo-packet-input"?: number;
  readonly "echo-packet-output"?: number;
  readonly "session-down"?: number;
}

const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];

describe("BFD echo mode against FRR's bfdd with echo-mode", () => {
  let bed: Bed;
  let node: Host;
  let frr: FrrRouter;
  let agent: Spawned;
  const which = () => `peer ${node.ipv4} local-address 192.0.2.1`;
  const frrPeer = () => frr.vtyshJson<FrrBfdPeerJson>(`show bfd ${which()} json`);
  const frrCounters = () => frr.vtyshJson<FrrBfdCountersJson>(`show bfd ${which()} counters json`);
  /** Our echo counters from the agent's metrics (metallb_bfd_echo_packet_input/_output). */
  const ourEchoes = async (): Promise<{ input: number; output: number }> => {
    agent.send(JSON.stringify({ op: "metrics" }));
    const text = JSON.parse((await agent.waitForNewLine(/^metrics /)).slice("metrics ".length)) as string;
    const value = (name: string) => Number(new RegExp(`^${name}\\{peer="192.0.2.1",vrf="default"\\} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
    return { input: value("metallb_bfd_echo_packet_input"), output: value("metallb_bfd_echo_packet_output") };
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    node = bed.nodes[0] as Host;
    // FRR's echoes cross the node's forwarding plane, as on a Kubernetes node.
    await node.ns.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    // The Service's address on the node, as kube-proxy's IPVS or a VIP on lo would answer it.
    await node.ns.ip([`addr add ${VIP}/32 dev lo`]);
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: "192.0.2.1",
      bfdProfiles: [{ name: "echo", receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, echoIntervalMs: ECHO_MS }],
      neighbors: [{ address: node.ipv4, remoteAs: NODE_AS, bfdProfile: "echo" }],
    });
    const config: AgentConfig = { nodeName: node.ns.name, labels: {}, addresses: [node.ipv4], peers: [peer], bfdProfiles: [profile] };
    agent = node.ns.runNode(AGENT, [JSON.stringify(config)]);
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    await frr?.stop();
    await bed?.destroy();
  });

  it("comes up with echo running both ways: FRR's echoes looped by the node's kernel, ours by FRR's", async () => {
    await agent.waitForLine(/"state":"Established".*"bfd":"Up"/, 60_000);
    // Past the start (our counters reach the agent once a second from the BFD process).
    await new Promise(r => setTimeout(r, 1_500));
    const before = await frrCounters();
    const oursBefore = await ourEchoes();
    // Three seconds of echoes at 50 ms (less up to 25 % jitter): about 60 to 80 each way.
    await new Promise(r => setTimeout(r, 3_000));
    const after = await frrCounters();
    const ours = await ourEchoes();
    console.log(`echo packets in 3 s: FRR out ${(after["echo-packet-output"] ?? 0) - (before["echo-packet-output"] ?? 0)} in ${(after["echo-packet-input"] ?? 0) - (before["echo-packet-input"] ?? 0)}; ours out ${ours.output - oursBefore.output} in ${ours.input - oursBefore.input}`);
    expect((after["echo-packet-output"] ?? 0) - (before["echo-packet-output"] ?? 0)).toBeGreaterThanOrEqual(40);
    expect((after["echo-packet-input"] ?? 0) - (before["echo-packet-input"] ?? 0)).toBeGreaterThanOrEqual(40);
    expect(ours.output - oursBefore.output).toBeGreaterThanOrEqual(40);
    // Every echo we sent came back, but for those still on their way.
    expect(ours.input - oursBefore.input).toBeGreaterThanOrEqual(ours.output - oursBefore.output - 2);
    const p = await frrPeer();
    expect(p).toMatchObject({ status: "up", "remote-echo-receive-interval": ECHO_MS, "echo-transmit-interval": ECHO_MS });
    // 6.8.3: while our echoes flow we ask for control packets once a second (Poll sequence done).
    expect(p["remote-receive-interval"]).toBe(1000);
    expect((await frrCounters())["session-down"] ?? 0).toBe(0);
    // The AF_PACKET socket opened and the node forwards: nothing to warn about.
    expect(agent.stderr).not.toContain("BFD echo:");
  });

  it("goes down on echo failure (diag 2) within the echo detection time when the router drops our echoes, and the route leaves the router (and stays out)", async () => {
    const route: BGPRoute = { prefix: `${VIP}/32`, localPref: 0, communities: [], peers: ["tor"] };
    agent.send(JSON.stringify({ op: "announce", routes: [route] }));
    expect(await eventually(async () => {
      const hops = await kernelNextHops(bed.router, `${VIP}/32`);
      return hops.length > 0 ? hops : undefined;
    }, "the route in the router's kernel")).toEqual([node.ipv4]);
    expect((await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP])).stdout).toMatch(/1 packets transmitted, 1 received/);

    const down = agent.waitForNewLine(/"bfd":"Down"/, 10_000);
    const t0 = performance.now();
    await bed.router.exec(["iptables", "-I", "FORWARD", "-p", "udp", "--dport", "3785", "-s", node.ipv4, "-d", node.ipv4, "-j", "DROP"]);
    const line = await down;
    const ms = performance.now() - t0;
    console.log(`DROP of our echoes -> our BFD down in ${ms.toFixed(0)} ms (echo detection 3 x ${ECHO_MS} ms; control detection 3 x 1000 ms)`);
    expect(statusOf(line)[0]).toMatchObject({ state: "Idle", bfd: "Down", lastError: "sent NOTIFICATION 6/2 (administrative shutdown) to 192.0.2.1: BFD down, echo function failed (diag 2)" });
    // Upper bound (taken after the status line arrived, the iptables call included): echo's 150 ms plus
    // scheduling on a loaded machine, and well under the 3 s the control packets would have taken.
    expect(ms).toBeLessThan(1_000);
    expect(await eventually(async () => ((await kernelNextHops(bed.router, `${VIP}/32`)).length === 0 ? true : undefined), "the route withdrawn from the router's kernel", { timeoutMs: 5_000 })).toBe(true);
    expect((await frrCounters())["session-down"] ?? 0).toBeGreaterThanOrEqual(1);
    // While the drop lasts, the session flaps on the wire (FRR answers each Down at once and the next
    // echoes are lost again), but BGP is told of no Up until an echo comes back: the route stays out.
    const downsBefore = (await frrCounters())["session-down"] ?? 0;
    const end = performance.now() + 3_000;
    const seen = new Set<string>();
    while (performance.now() < end) {
      seen.add(`${(await kernelNextHops(bed.router, `${VIP}/32`)).join(",") || "none"} ${(await frr.neighborStates()).get(node.ipv4) === "Established" ? "Established" : "not Established"}`);
      await new Promise(r => setTimeout(r, 50));
    }
    const flaps = ((await frrCounters())["session-down"] ?? 0) - downsBefore;
    console.log(`while dropped, 3 s: ${flaps} BFD downs at FRR; route/BGP seen: ${[...seen].join("; ")}`);
    expect(flaps).toBeGreaterThan(3);
    expect([...seen]).toEqual(["none not Established"]);
  });

  it("with our echoes back, the session stays up, the route returns and the VIP answers", async () => {
    await bed.router.exec(["iptables", "-D", "FORWARD", "-p", "udp", "--dport", "3785", "-s", node.ipv4, "-d", node.ipv4, "-j", "DROP"]);
    await eventually(async () => ((await kernelNextHops(bed.router, `${VIP}/32`)).length > 0 ? true : undefined), "the route back in the router's kernel", { timeoutMs: 30_000 });
    expect((await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP])).stdout).toMatch(/1 packets transmitted, 1 received/);
    const downs = (await frrCounters())["session-down"] ?? 0;
    await new Promise(r => setTimeout(r, 1_000));
    expect((await frrCounters())["session-down"] ?? 0).toBe(downs);
    expect((await frrPeer()).status).toBe("up");
  });
});
