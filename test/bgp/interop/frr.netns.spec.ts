/**
 * Our BGP (and BFD) sessions against FRR 8.4: three nodes advertise one VIP with themselves as next
 * hop, FRR installs a 3-way ECMP route in its namespace's kernel and reaches the VIP. Node 1 and 2 use
 * TCP MD5, node 3 does not, node 4 has the wrong key. Node 1 announces graceful restart, nodes 2 and 3
 * run BFD (100 ms x 3) against FRR's bfdd. Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, signal, type Host } from "../../../hack/netns";
import { FrrRouter } from "./routers/frr";
import { kernelNextHops } from "./routers/kernel";
import { eventually } from "./routers/poll";
import { NodeSpeaker } from "./testkit/speakers";
import type { SpeakerConfig } from "./testkit/node-speaker";

const VIP = "198.51.100.10";
const KEY = "lodestone-md5";
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const BFD = { txMs: 100, rxMs: 100, multiplier: 3 };

describe("BGP interop with FRR", () => {
  let bed: Bed;
  let frr: FrrRouter;
  let hosts: Host[];
  const speakers: NodeSpeaker[] = [];
  const speakerConfig = (h: Host, extra: Partial<SpeakerConfig> = {}): SpeakerConfig => ({
    peer: ROUTER_IPV4, local: h.ipv4, myAsn: NODE_AS, peerAsn: ROUTER_AS, holdTimeS: 9,
    routes: [{ prefix: `${VIP}/32`, nextHop: h.ipv4 }], ...extra,
  });
  const node = (i: number): Host => hosts[i] as Host;
  const speaker = (i: number): NodeSpeaker => speakers[i] as NodeSpeaker;
  const vipHops = () => kernelNextHops(bed.router, `${VIP}/32`);
  const hopsBecome = (want: string[], what: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const got = await vipHops();
      return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
    }, what, { timeoutMs, intervalMs: 20 });

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 4 });
    hosts = bed.nodes;
    for (const h of hosts.slice(0, 3)) await h.ns.ip([`addr add ${VIP}/32 dev lo`]);
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: ROUTER_IPV4,
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [
        { address: node(0).ipv4, remoteAs: NODE_AS, password: KEY },
        { address: node(1).ipv4, remoteAs: NODE_AS, password: KEY, bfdProfile: "fast" },
        { address: node(2).ipv4, remoteAs: NODE_AS, bfdProfile: "fast" },
        { address: node(3).ipv4, remoteAs: NODE_AS, password: KEY },
      ],
    });
    speakers.push(
      NodeSpeaker.start(node(0), speakerConfig(node(0), { md5Key: KEY, gracefulRestartS: 120 })),
      NodeSpeaker.start(node(1), speakerConfig(node(1), { md5Key: KEY, bfd: BFD })),
      NodeSpeaker.start(node(2), speakerConfig(node(2), { bfd: BFD })),
      NodeSpeaker.start(node(3), speakerConfig(node(3), { md5Key: "not-the-key" })),
    );
  }, 60_000);

  afterAll(async () => {
    await frr?.stop();
    await bed?.destroy();
  });

  it("installs an ECMP route with the three nodes as next hops, and the VIP answers a ping from the router", async () => {
    await Promise.all([0, 1, 2].map(i => speaker(i).established()));
    expect(await hopsBecome([node(0).ipv4, node(1).ipv4, node(2).ipv4].sort(), "a 3-way ECMP route")).toEqual(["192.0.2.11", "192.0.2.12", "192.0.2.13"]);
    // Eventually, not at once: the test speakers run BFD (100 ms x 3) on the main thread of a tsx
    // process (testkit/node-speaker.ts; the product's BFD has a process of its own, ADR 0007), and on a
    // loaded 2-core CI machine FRR showed node 1's session (BFD and MD5) Idle right after the route was
    // installed, most likely a missed detection (CI 2026-12-06 19:28, once in 19 runs; no log says).
    // FRR brings a dropped session back within seconds.
    const states = await eventually(
      async () => {
        const s = await frr.neighborStates();
        const all = [0, 1, 2].map(i => s.get(node(i).ipv4));
        return all.every(x => x === "Established") ? all : undefined;
      },
      "the three sessions Established in FRR",
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(states).toEqual(["Established", "Established", "Established"]);
    expect(await hopsBecome([node(0).ipv4, node(1).ipv4, node(2).ipv4].sort(), "the 3-way ECMP route again")).toEqual(["192.0.2.11", "192.0.2.12", "192.0.2.13"]);
    const ping = await bed.router.exec(["ping", "-c", "1", "-W", "2", VIP]);
    expect(ping.stdout).toMatch(/1 packets transmitted, 1 received/);
  });

  it("establishes with TCP MD5 (nodes 1 and 2) and never with a wrong key (node 4)", async () => {
    const neighbor = await frr.vtyshJson<Record<string, { bgpState?: string }>>(`show bgp neighbors ${node(0).ipv4} json`);
    expect(neighbor[node(0).ipv4]?.bgpState).toBe("Established");
    // Node 4 started with the others, which are all up by now; a wrong key drops every SYN, so
    // the session cannot get past Connect/Active. Give it a few connect attempts to be sure.
    await new Promise(r => setTimeout(r, 3_000));
    expect((await frr.neighborStates()).get(node(3).ipv4)).not.toBe("Established");
    expect(speaker(3).process.stdoutLines.filter(l => l.startsWith("state "))).not.toContain("state OpenSent");
    expect(speaker(3).process.running).toBe(true);
  });

  it("removes a next hop when its node withdraws, and adds it back when it announces again", async () => {
    await speaker(1).withdraw([`${VIP}/32`]);
    expect(await hopsBecome([node(0).ipv4, node(2).ipv4], "node 2's next hop to go")).toEqual(["192.0.2.11", "192.0.2.13"]);
    await speaker(1).announce([{ prefix: `${VIP}/32`, nextHop: node(1).ipv4 }]);
    expect(await hopsBecome([node(0).ipv4, node(1).ipv4, node(2).ipv4], "node 2's next hop to return")).toHaveLength(3);
  });

  it("keeps node 1's route (stale) while its graceful-restart speaker restarts, then refreshes it", async () => {
    const old = speaker(0);
    signal(old.process.pid, "SIGKILL");
    await old.process.exited;
    const stale = await eventually(async () => {
      const rib = await frr.vtyshJson<{ paths?: { stale?: boolean; peer?: { peerId?: string } }[] }>(`show bgp ipv4 unicast ${VIP}/32 json`);
      return rib.paths?.some(p => p.peer?.peerId === node(0).ipv4 && p.stale === true) ? rib : undefined;
    }, "FRR to mark node 1's path stale");
    expect(stale.paths?.length).toBe(3);
    expect(await vipHops()).toEqual(["192.0.2.11", "192.0.2.12", "192.0.2.13"]);

    const restarted = NodeSpeaker.start(node(0), speakerConfig(node(0), { md5Key: KEY, gracefulRestartS: 120 }));
    speakers[0] = restarted;
    await restarted.established();
    await eventually(async () => {
      const rib = await frr.vtyshJson<{ paths?: { stale?: boolean; peer?: { peerId?: string } }[] }>(`show bgp ipv4 unicast ${VIP}/32 json`);
      const mine = rib.paths?.find(p => p.peer?.peerId === node(0).ipv4);
      return mine && mine.stale !== true ? mine : undefined;
    }, "node 1's path to be fresh again");
    expect(await vipHops()).toEqual(["192.0.2.11", "192.0.2.12", "192.0.2.13"]);
  });

  it("runs BFD (100 ms x 3) with FRR's bfdd, and FRR drops node 3's next hop soon after its link goes down", async () => {
    await Promise.all([1, 2].map(i => speaker(i).process.waitForLine("bfd Up diag 0", 15_000)));
    await eventually(async () => {
      const peers = await frr.bfdPeers();
      return peers.get(node(1).ipv4) === "up" && peers.get(node(2).ipv4) === "up" ? peers : undefined;
    }, "FRR's BFD sessions to be up");

    const downAt = performance.now();
    await node(2).ns.linkSet("eth0", "down");
    await eventually(async () => ((await frr.bfdPeers()).get(node(2).ipv4) === "down" ? true : undefined), "FRR's BFD to see node 3 go", { intervalMs: 10 });
    const detectedMs = performance.now() - downAt;
    await hopsBecome([node(0).ipv4, node(1).ipv4], "node 3's next hop to go", 5_000);
    const withdrawnMs = performance.now() - downAt;
    console.log(`BFD detection ${detectedMs.toFixed(0)} ms, next hop gone ${withdrawnMs.toFixed(0)} ms after link down`);
    // 3 x 100 ms plus polling; the BGP hold time (9 s) alone would take far longer.
    expect(detectedMs).toBeLessThan(1_000);
    expect(withdrawnMs).toBeLessThan(2_000);
  });
});
