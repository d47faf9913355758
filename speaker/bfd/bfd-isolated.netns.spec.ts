/**
 * BFD keeps time while the speaker's main thread is busy (issue 12, finding 7): two data planes run
 * BFD (100 ms x 3, detection 300 ms) and BGP against FRR 8.4 in the bed's router namespace; both main
 * threads are then blocked for 1 s at once, as a relist of thousands of Services, a GC or a status
 * burst would. The node whose BFD runs in a process of its own (the default, bfd-isolated.ts) loses
 * nothing: FRR counts no BFD down event and its BGP session stays. The control node runs BFD on its
 * main thread, as before: the same block costs it a BFD flap and its BGP session, which shows the
 * block is long enough to fail the first node were its BFD on the main thread too. Then a BGPPeer
 * edit (holdTime) resets the first node's session exactly once.
 * Needs root; the bed builds and removes the namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, ROUTER_IPV4, type Host, type Spawned } from "../../hack/netns";
import type { BFDProfile } from "../../core/config/types";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import { eventually } from "../../test/bgp/interop/routers/poll";
import type { AgentConfig } from "../../test/bgp/dataplane/agent";
import { bgpPeer } from "../../test/bgp/dataplane/peers";

const AGENT = "test/bgp/dataplane/agent.ts";
const ROUTER_AS = 64500;
const NODE_AS = 64512;
const BLOCK_MS = 1000;

const profile: BFDProfile = { name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false };
const peer = bgpPeer({ holdTimeS: 9, keepaliveTimeS: 3, bfdProfile: "fast" });

/** One entry of FRR's `show bfd peers counters json`. */
interface FrrBfdCounters {
  readonly peer?: string;
  readonly "session-up"?: number;
  readonly "session-down"?: number;
}

describe("BFD in a process of its own against FRR, with the speaker's main thread blocked", () => {
  let bed: Bed;
  let threaded: Host;
  let control: Host;
  let frr: FrrRouter;
  const agents: Spawned[] = [];
  const downEvents = async (): Promise<Map<string, number>> => {
    const list = await frr.vtyshJson<FrrBfdCounters[]>("show bfd peers counters json");
    return new Map(list.flatMap(c => (c.peer ? [[c.peer, c["session-down"] ?? 0] as const] : [])));
  };
  const bgpDropped = async (address: string): Promise<number> =>
    (await frr.vtyshJson<Record<string, { connectionsDropped?: number }>>(`show bgp neighbors ${address} json`))[address]?.connectionsDropped ?? 0;
  const bgpUptimeMs = async (address: string): Promise<number> => {
    const n = await frr.vtyshJson<Record<string, { bgpState?: string; bgpTimerUpMsec?: number }>>(`show bgp neighbors ${address} json`);
    return n[address]?.bgpState === "Established" ? (n[address]?.bgpTimerUpMsec ?? 0) : 0;
  };

  beforeAll(async () => {
    bed = await Bed.create({ nodes: 2 });
    [threaded, control] = bed.nodes as [Host, Host];
    frr = await FrrRouter.start(bed.router, {
      asn: ROUTER_AS,
      routerId: ROUTER_IPV4,
      bfdProfiles: [{ name: "fast", receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 }],
      neighbors: [threaded, control].map(h => ({ address: h.ipv4, remoteAs: NODE_AS, bfdProfile: "fast" })),
    });
    for (const [host, onMain] of [[threaded, false], [control, true]] as const) {
      const config: AgentConfig = { nodeName: host.ns.name, labels: {}, addresses: [host.ipv4], peers: [peer], bfdProfiles: [profile], ...(onMain ? { bfd: "main" as const } : {}) };
      agents.push(host.ns.runNode(AGENT, [JSON.stringify(config)]));
    }
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await a.kill();
    await frr?.stop();
    await bed?.destroy();
  });

  it("loses no BFD packet and no BGP session while the main thread is blocked for 1 s; BFD on the main thread does", async () => {
    // tsx needs a few seconds on a busy machine before the agents dial.
    for (const a of agents) await a.waitForLine(/"state":"Established".*"bfd":"Up"/, 60_000);
    // Both sessions at 100 ms on FRR's side (its Poll sequence done), so its detection time is 300 ms.
    await eventually(async () => {
      const peers = await frr.vtyshJson<{ peer?: string; status?: string; "remote-transmit-interval"?: number }[]>("show bfd peers json");
      const fast = peers.filter(p => p.status === "up" && p["remote-transmit-interval"] === 100);
      return fast.length === 2 ? true : undefined;
    }, "FRR's BFD sessions up at 100 ms", { timeoutMs: 20_000 });
    const before = await downEvents();
    // Start-up went without a flap on either node: no BFD down at FRR, no BGP session dropped.
    expect([before.get(threaded.ipv4), before.get(control.ipv4)]).toEqual([0, 0]);
    expect([await bgpDropped(threaded.ipv4), await bgpDropped(control.ipv4)]).toEqual([0, 0]);
    const uptimeBefore = await bgpUptimeMs(threaded.ipv4);
    expect(uptimeBefore).toBeGreaterThan(0);

    const blocked = agents.map(a => a.waitForNewLine(/^blocked /, 10_000));
    for (const a of agents) a.send(JSON.stringify({ op: "block", ms: BLOCK_MS }));
    const took = (await Promise.all(blocked)).map(l => Number(l.split(" ")[1]));
    expect(took.every(ms => ms >= BLOCK_MS)).toBe(true);

    // The control flaps: FRR counts its BFD session down (detection expired during the block) ...
    await eventually(async () => (((await downEvents()).get(control.ipv4) ?? 0) > (before.get(control.ipv4) ?? 0) ? true : undefined), "the control's BFD flap at FRR", {
      timeoutMs: 10_000,
    });
    // ... and by then FRR has had every chance to see the threaded node's go too: it has not.
    const after = await downEvents();
    expect(after.get(threaded.ipv4)).toBe(before.get(threaded.ipv4));
    // Its BGP session was never reset: FRR's uptime kept counting from before the block.
    expect(await bgpUptimeMs(threaded.ipv4)).toBeGreaterThanOrEqual(uptimeBefore + BLOCK_MS);
    expect(agents[0]?.stderr).not.toContain("BFD down");
  });

  it("resets the session once when the BGPPeer's holdTime is edited: FRR sees one dropped connection and no BFD down", async () => {
    const agent = agents[0] as Spawned;
    await eventually(async () => ((await bgpUptimeMs(threaded.ipv4)) > 0 ? true : undefined), "the threaded node's session Established", { timeoutMs: 20_000 });
    const dropped = await bgpDropped(threaded.ipv4);
    const bfdDown = (await downEvents()).get(threaded.ipv4);
    const configured = agent.waitForNewLine(/^configured$/);
    // Waited for from before the edit: the session can be Established again before `configured` is read.
    const established = agent.waitForNewLine(/"state":"Established"/, 20_000);
    agent.send(JSON.stringify({ op: "config", peers: [{ ...peer, holdTimeS: 30 }], bfdProfiles: [profile] }));
    await configured;
    await established;
    await eventually(async () => ((await bgpUptimeMs(threaded.ipv4)) > 0 ? true : undefined), "FRR to see the session again", { timeoutMs: 20_000 });
    // The second reset of the real cluster came 0.3 s after the first, from BFD; give it 2 s to show.
    await new Promise(r => setTimeout(r, 2_000));
    expect(await bgpDropped(threaded.ipv4)).toBe(dropped + 1);
    expect((await downEvents()).get(threaded.ipv4)).toBe(bfdDown);
    expect(await bgpUptimeMs(threaded.ipv4)).toBeGreaterThanOrEqual(2_000);
    expect(agent.stderr).toContain(`"reason":"sent NOTIFICATION 6/2 (administrative shutdown) to ${ROUTER_IPV4}: BGPPeer changed"`);
  });
});
