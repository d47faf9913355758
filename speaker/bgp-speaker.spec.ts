import { firstValueFrom } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import type { KubeObject } from "../kube/controller-port";
import { FakeBgpDataPlane } from "../test/speaker/bgp-fake-plane";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import { startSpeaker, type RunningSpeaker } from "./speaker";

const NS = "metallb-system";
const NOW = Date.UTC(2026, 10, 22, 1, 0, 0);

const pool: KubeObject = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } };
const bgpAdv: KubeObject = { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "all", namespace: NS }, spec: {} };
const NODE_B_ENTRY = { node: "node-b", state: "Active", since: "2026-11-22T00:59:00Z", prefixesAdvertised: 0 };
const peer = (name: string, address: string, status?: unknown): KubeObject => ({
  apiVersion: "metallb.io/v1beta2",
  kind: "BGPPeer",
  metadata: { name, namespace: NS, resourceVersion: "5" },
  spec: { myASN: 64500, peerASN: 64501, peerAddress: address },
  ...(status ? { status } : {}),
});
const node = (name: string, address: string): KubeObject => ({
  metadata: { name, labels: { zone: "z1" } },
  status: {
    conditions: [{ type: "Ready", status: "True" }],
    addresses: [
      { type: "Hostname", address: name },
      { type: "InternalIP", address },
      { type: "ExternalIP", address: "2001:db8::a" },
    ],
  },
});
const service: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop", uid: "uid-web", resourceVersion: "7", generation: 1, annotations: { "metallb.io/ip-allocated-from-pool": "p1" } },
  spec: { type: "LoadBalancer", clusterIP: "10.0.0.5", ports: [{ port: 80, protocol: "TCP" }] },
  status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } },
};
const slice: KubeObject = {
  metadata: { name: "web-abcde", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
  endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-a" }],
};

function seed(port: FakeSpeakerPort): void {
  port.apply("IPAddressPool", pool);
  port.apply("BGPAdvertisement", bgpAdv);
  port.apply("BGPPeer", peer("r1", "198.51.100.1", { sessions: [NODE_B_ENTRY] }));
  port.apply("BGPPeer", peer("r2", "198.51.100.2"));
  port.apply("Node", node("node-a", "192.0.2.100"));
  port.apply("Node", node("node-b", "192.0.2.101"));
  port.apply("Service", service);
  port.apply("EndpointSlice", slice);
}

let running: RunningSpeaker | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

async function start(port: FakeSpeakerPort, bgp: FakeBgpDataPlane): Promise<RunningSpeaker> {
  running = await startSpeaker({ node: "node-a", namespace: NS, port, dataPlane: new FakeL2DataPlane(), bgp, debounceMs: 1, relistDelayMs: 2, retryMs: 2, bgpStatusDebounceMs: 1, now: () => NOW });
  await firstValueFrom(running.states);
  await running.settled();
  return running;
}

/** Resolves once `done()` holds, checked after every write. */
async function until(port: FakeSpeakerPort, done: () => boolean): Promise<void> {
  while (!done()) await port.nextWrite();
}

describe("speaker with the BGP data plane", () => {
  it("gives the plane this node, the config and the announcements, and writes ServiceBGPStatus, condition and event", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    expect(bgp.node).toEqual({ labels: { zone: "z1" }, addresses: ["192.0.2.100", "2001:db8::a"] });
    expect(bgp.config?.peers.map(p => p.name)).toEqual(["r1", "r2"]);
    expect(bgp.announcements.map(a => [a.service, a.ips, a.routes.map(r => [r.prefix, r.peers])])).toEqual([["shop/web", ["192.0.2.10"], [["192.0.2.10/32", ["r1", "r2"]]]]]);
    expect([...port.bgpStatuses.values()]).toEqual([
      {
        name: "bgp-00000",
        namespace: NS,
        labels: { "metallb.io/node": "node-a", "metallb.io/service-name": "web", "metallb.io/service-namespace": "shop" },
        status: { node: "node-a", serviceName: "web", serviceNamespace: "shop", peers: ["r1", "r2"] },
      },
    ]);
    expect(port.events.map(e => [e.reason, e.message, e.type])).toEqual([["nodeAssigned", "announcing from node node-a with protocol bgp", "Normal"]]);
    expect(await running?.registry.getSingleMetricAsString("metallb_speaker_announced")).toContain(
      'metallb_speaker_announced{service="shop/web",protocol="bgp",node="node-a",ip="192.0.2.10"} 1',
    );
  });

  it("deletes the ServiceBGPStatus when the Service is no longer advertised", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    expect(port.bgpStatuses.size).toBe(1);
    port.remove("BGPAdvertisement", bgpAdv);
    await until(port, () => port.bgpStatuses.size === 0);
    expect(bgp.announcements).toEqual([]);
    expect(await running?.registry.getSingleMetricAsString("metallb_speaker_announced")).not.toContain("192.0.2.10");
    expect(port.writes.filter(w => w.op === "deleteBgpStatus")).toEqual([{ op: "deleteBgpStatus", name: "bgp-00000" }]);
  });

  it("writes the ServiceBGPStatus back, once, when another client deletes it or rewrites its peers", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    const body = { node: "node-a", serviceName: "web", serviceNamespace: "shop", peers: ["r1", "r2"] };
    port.writes.length = 0;
    await port.deleteBgpStatus(NS, "bgp-00000");
    await running?.settled();
    const [name = ""] = [...port.bgpStatuses.keys()];
    await port.updateBgpStatus(NS, name, { ...body, peers: ["r9"] });
    await running?.settled();
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([
      ["deleteBgpStatus", "bgp-00000"],
      ["createBgpStatus", name],
      ["updateBgpStatus", name],
      ["updateBgpStatus", name],
    ]);
    expect([...port.bgpStatuses.values()].map(s => s.status)).toEqual([body]);
  });

  it("withdraws while this node is NetworkUnavailable or labelled exclude-from-external-load-balancers, and advertises again after", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    expect(bgp.announcements.map(a => a.service)).toEqual(["shop/web"]);
    const unavailable = node("node-a", "192.0.2.100");
    (unavailable.status as { conditions: unknown[] }).conditions.push({ type: "NetworkUnavailable", status: "True", reason: "NoRouteCreated" });
    port.apply("Node", unavailable);
    await until(port, () => port.bgpStatuses.size === 0);
    expect(bgp.announcements).toEqual([]);
    expect(running?.current()?.desired.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "networkUnavailable" });
    port.apply("Node", node("node-a", "192.0.2.100"));
    await until(port, () => port.bgpStatuses.size === 1);
    expect(bgp.announcements.map(a => a.service)).toEqual(["shop/web"]);
    const excluded = node("node-a", "192.0.2.100");
    (excluded.metadata as { labels: Record<string, string> }).labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
    port.apply("Node", excluded);
    await until(port, () => port.bgpStatuses.size === 0);
    expect(bgp.announcements).toEqual([]);
    expect(running?.current()?.desired.verdicts[0]?.bgp).toEqual({ advertises: false, reason: "excludedFromLoadBalancers" });
  });

  it("writes only this node's entry of BGPPeer status.sessions, re-reading after a 409", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    port.bgpPeerConflicts = 1;
    bgp.report([
      { peer: "r1", peerAddress: "198.51.100.1", node: "node-a", state: "Established", since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 },
      { peer: "r2", peerAddress: "198.51.100.2", node: "node-a", state: "Active", since: "2026-11-22T01:00:02Z", lastError: "connect ECONNREFUSED", prefixesAdvertised: 0 },
    ]);
    const sessionsOf = async (name: string): Promise<unknown> => ((await port.getBgpPeer(NS, name))?.status as { sessions?: unknown } | undefined)?.sessions;
    await until(port, () => port.writes.filter(w => w.op === "replaceBgpPeerStatus").length === 2);
    expect(await sessionsOf("r1")).toEqual([
      { node: "node-a", state: "Established", since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 },
      NODE_B_ENTRY,
    ]);
    expect(await sessionsOf("r2")).toEqual([{ node: "node-a", state: "Active", since: "2026-11-22T01:00:02Z", lastError: "connect ECONNREFUSED", prefixesAdvertised: 0 }]);
    // The printer columns' summaries are written with the sessions.
    const columnsOf = async (name: string): Promise<unknown> => {
      const status = (await port.getBgpPeer(NS, name))?.status as { established?: string; summary?: string } | undefined;
      return [status?.established, status?.summary];
    };
    expect(await columnsOf("r1")).toEqual(["1/2", "node-a=Established,node-b=Active"]);
    expect(await columnsOf("r2")).toEqual(["0/1", "node-a=Active"]);

    // The session to r2 goes away: only our entry is removed.
    bgp.report([{ peer: "r1", peerAddress: "198.51.100.1", node: "node-a", state: "Established", since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 }]);
    await until(port, () => port.writes.filter(w => w.op === "replaceBgpPeerStatus").length === 3);
    expect(await sessionsOf("r2")).toEqual([]);
    expect(await sessionsOf("r1")).toEqual([{ node: "node-a", state: "Established", since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 }, NODE_B_ENTRY]);
  });

  it("writes its session entry back when someone else changes it (a survivor that took this node for dead), and only then", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    await start(port, bgp);
    const mine = { node: "node-a", state: "Established" as const, since: "2026-11-22T01:00:01Z", prefixesAdvertised: 1 };
    bgp.report([{ peer: "r1", peerAddress: "198.51.100.1", ...mine }]);
    await until(port, () => port.writes.filter(w => w.op === "replaceBgpPeerStatus").length === 1);
    await running?.settled();
    // node-b marks node-a's entry Idle (node-a's heartbeats came late; its own view never changed).
    const idle = { node: "node-a", state: "Idle" as const, since: "2026-11-22T01:00:05Z", lastError: "marked by the surviving speakers", prefixesAdvertised: 0 };
    const peer = await port.getBgpPeer(NS, "r1");
    await port.replaceBgpPeerStatus(NS, "r1", peer?.metadata?.resourceVersion ?? "", { sessions: [idle, NODE_B_ENTRY as never], established: "0/2", summary: "node-a=Idle,node-b=Active" });
    await until(port, () => port.writes.filter(w => w.op === "replaceBgpPeerStatus").length === 3);
    await running?.settled();
    expect(((await port.getBgpPeer(NS, "r1"))?.status as { sessions?: unknown }).sessions).toEqual([mine, NODE_B_ENTRY]);
    // Its own write seen back asks for nothing more.
    await new Promise(r => setTimeout(r, 20));
    await running?.settled();
    expect(port.writes.filter(w => w.op === "replaceBgpPeerStatus")).toHaveLength(3);
  });

  it("stops the BGP data plane on shutdown", async () => {
    const port = new FakeSpeakerPort();
    const bgp = new FakeBgpDataPlane();
    seed(port);
    const speaker = await start(port, bgp);
    expect(bgp.stopped).toBe(false);
    await speaker.shutdown();
    expect(bgp.stopped).toBe(true);
  });
});
