/**
 * A BGPPeer with `vrf` against FRR 8.4 (with BFD): the node namespace has a VRF device `red` with the
 * peering link enslaved to it (203.0.113.0/24, reachable nowhere else) and the bed's eth0 in the
 * default VRF. The session and its BFD session (in the BFD child process) run through the VRF, with
 * the VRF link's address as source and next hop; FRR installs the VIP via that address and a ping
 * from the router reaches the VIP, which lives in the VRF. The same peer without `vrf` cannot connect
 * (the default VRF has no route to it). Needs root and a kernel with VRF devices (CONFIG_NET_VRF);
 * on a kernel without them the suite is skipped and says so (the socket binding itself is checked
 * without VRF support by native/bind-device.netns.spec.ts). The bed builds and removes the namespaces.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, type Host, type Spawned } from "../../../hack/netns";
import type { BGPRoute } from "../../../core/announce/desired";
import type { BFDProfile, BGPPeer } from "../../../core/config/types";
import type { PeerSessionStatus } from "../../../speaker/bgp/peer-session";
import type { AgentConfig } from "../dataplane/agent";
import { FrrRouter } from "./routers/frr";
import { eventually } from "./routers/poll";

const ROUTER_AS = 64500;
const NODE_AS = 64512;
const VRF = "red";
const VRF_TABLE = 10;
const ROUTER_LINK = "vr0";
const NODE_LINK = "eth1";
const ROUTER_VRF_IP = "203.0.113.1";
const NODE_VRF_IP = "203.0.113.2";
const VIP = "198.51.100.20";
const AGENT = "test/bgp/dataplane/agent.ts";

const profile: BFDProfile = { name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false };
const peer = (name: string, over: Partial<BGPPeer> = {}): BGPPeer => ({
  name,
  myASN: NODE_AS,
  peerASN: ROUTER_AS,
  peerAddress: ROUTER_VRF_IP,
  peerPort: 179,
  holdTimeS: 9,
  keepaliveTimeS: 3,
  connectTimeS: 1,
  nodeSelectors: [],
  ebgpMultiHop: false,
  enableGracefulRestart: false,
  ...over,
});
const route = (prefix: string, peers: string[]): BGPRoute => ({ prefix, localPref: 0, communities: [], peers });
const statusOf = (line: string): PeerSessionStatus[] => JSON.parse(line.slice("status ".length)) as PeerSessionStatus[];

/** Whether this kernel can make VRF devices: tried in a namespace of our own, removed at once. */
function kernelHasVrf(): boolean {
  const ns = `ls-vrfprobe-${randomBytes(3).toString("hex")}`;
  try {
    execFileSync("ip", ["netns", "add", ns], { stdio: "ignore" });
    execFileSync("ip", ["-n", ns, "link", "add", "probe", "type", "vrf", "table", "1"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // never created
    }
  }
}
const VRF_SUPPORTED = kernelHasVrf();
if (!VRF_SUPPORTED) console.warn("vrf.netns.spec.ts: this kernel has no VRF devices (CONFIG_NET_VRF): the VRF interop suite is skipped");

describe.skipIf(!VRF_SUPPORTED)("BGP and BFD in a VRF against FRR", () => {
  let bed: Bed;
  let node: Host;
  let frr: FrrRouter;
  let agent: Spawned;

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 1 });
    node = bed.nodes[0] as Host;
    await bed.router.ip([`link add ${ROUTER_LINK} type veth peer name ${NODE_LINK} netns ${node.ns.name}`, `addr add ${ROUTER_VRF_IP}/24 dev ${ROUTER_LINK}`, `link set ${ROUTER_LINK} up`]);
    await node.ns.ip([
      `link add ${VRF} type vrf table ${VRF_TABLE}`,
      `link set ${VRF} up`,
      `link set ${NODE_LINK} master ${VRF}`,
      `addr add ${NODE_VRF_IP}/24 dev ${NODE_LINK}`,
      `link set ${NODE_LINK} up`,
      // The VIP lives in the VRF: an address on the VRF device is local to the VRF's table.
      `addr add ${VIP}/32 dev ${VRF}`,
    ]);
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: "192.0.2.1",
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [{ address: NODE_VRF_IP, remoteAs: NODE_AS, bfdProfile: "fast" }],
    });
    const config: AgentConfig = {
      nodeName: node.ns.name,
      labels: {},
      addresses: [node.ipv4, node.ipv6],
      // "outside": the same router address from the default VRF (another peer identity, so allowed).
      peers: [peer("inside", { vrf: VRF, bfdProfile: "fast" }), peer("outside")],
      bfdProfiles: [profile],
    };
    agent = node.ns.runNode(AGENT, [JSON.stringify(config)]);
  }, 60_000);

  afterAll(async () => {
    await frr?.stop();
    await bed?.destroy();
  });

  const status = async (): Promise<PeerSessionStatus[]> => {
    agent.send(JSON.stringify({ op: "status" }));
    return statusOf(await agent.waitForNewLine(/^status /));
  };

  it("establishes through the VRF, from the VRF link's address, with BFD up in the VRF", async () => {
    await agent.waitForLine(/"peer":"inside"[^}]*"state":"Established"/, 60_000);
    const neighbor = await frr.vtyshJson<Record<string, { bgpState?: string; hostForeign?: string }>>(`show bgp neighbors ${NODE_VRF_IP} json`);
    expect(neighbor[NODE_VRF_IP]?.bgpState).toBe("Established");
    expect(neighbor[NODE_VRF_IP]?.hostForeign).toBe(NODE_VRF_IP);
    await eventually(async () => ((await frr.bfdPeers()).get(NODE_VRF_IP) === "up" ? true : undefined), "FRR's BFD session with the node to be up", { timeoutMs: 15_000 });
    const inside = (await status()).find(s => s.peer === "inside");
    expect(inside).toEqual(expect.objectContaining({ peerAddress: ROUTER_VRF_IP, state: "Established", bfd: "Up" }));
  });

  it("never connects the same peer from the default VRF, which has no route to it", async () => {
    const outside = (await status()).find(s => s.peer === "outside");
    expect(outside?.state).not.toBe("Established");
    expect(outside?.lastError).toBe(`connect to ${ROUTER_VRF_IP}:179: connect ENETUNREACH ${ROUTER_VRF_IP}:179 - Local (${node.ipv4}:0)`);
  });

  it("gets the VIP installed via the VRF link's address, and a ping from the router reaches it in the VRF", async () => {
    agent.send(JSON.stringify({ op: "announce", routes: [route(`${VIP}/32`, ["inside"])] }));
    const installed = await eventually(async () => {
      const { stdout } = await bed.router.exec(["ip", "-4", "route", "show", VIP]);
      return stdout.includes("via") ? stdout.trim() : undefined;
    }, "the VIP route in FRR's kernel", { timeoutMs: 15_000 });
    expect(installed).toMatch(new RegExp(`^${VIP.replace(/\./g, "\\.")} (nhid \\d+ )?via ${NODE_VRF_IP.replace(/\./g, "\\.")} dev ${ROUTER_LINK} proto bgp`));
    const ping = await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP]);
    expect(ping.stdout).toMatch(/1 packets transmitted, 1 received/);
  });

  it("BFD in the VRF sees the link fail: the session goes down when the VRF link drops packets", async () => {
    await node.ns.exec(["iptables", "-A", "INPUT", "-i", NODE_LINK, "-j", "DROP"]);
    await agent.waitForNewLine(/"peer":"inside"[^}]*"bfd":"Down"/, 10_000);
    await node.ns.exec(["iptables", "-D", "INPUT", "-i", NODE_LINK, "-j", "DROP"]);
    await agent.waitForNewLine(/"peer":"inside"[^}]*"state":"Established"[^}]*"bfd":"Up"/, 30_000);
  });
});
