import { firstValueFrom } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/controller-port";
import type { Logger } from "../observability/log";
import { recordingLogger } from "../test/observability/recording-logger";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import { startSpeaker, type RunningSpeaker } from "./speaker";
import { nodesToClean } from "./stale-status";

const NS = "metallb-system";
const NOW = Date.UTC(2026, 10, 22, 1, 0, 0);
const ALL = ["node-a", "node-b", "node-c"];

const pool: KubeObject = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } };
const l2adv: KubeObject = { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "l2", namespace: NS }, spec: {} };
const entry = (node: string) => ({ node, state: "Established", since: "2026-11-22T00:59:00Z", prefixesAdvertised: 1 });
const bgpPeer: KubeObject = {
  apiVersion: "metallb.io/v1beta2",
  kind: "BGPPeer",
  metadata: { name: "r1", namespace: NS, resourceVersion: "5" },
  spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.51.100.1" },
  status: { sessions: ALL.map(entry), established: "3/3", summary: "node-a=Established,node-b=Established,node-c=Established" },
};
const service: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop", uid: "uid-web", resourceVersion: "7", generation: 1, annotations: { "metallb.io/ip-allocated-from-pool": "p1" } },
  spec: { type: "LoadBalancer", clusterIP: "10.0.0.5", ports: [{ port: 80, protocol: "TCP" }] },
  status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } },
};
const slice: KubeObject = {
  metadata: { name: "web-abcde", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
  endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true }, nodeName: "node-b" }],
};

let running: RunningSpeaker[] = [];
afterEach(() => {
  for (const r of running) r.stop();
  running = [];
});

async function start(node: string, port: FakeSpeakerPort, dp: FakeL2DataPlane, log?: Logger): Promise<RunningSpeaker> {
  const peers = ALL.map((n, i) => ({ node: n, address: `192.0.2.${11 + i}`, port: 7946 }));
  const s = await startSpeaker({ node, namespace: NS, port, dataPlane: dp, staticPeers: peers, debounceMs: 1, relistDelayMs: 2, retryMs: 2, now: () => NOW, ...(log ? { log } : {}) });
  running.push(s);
  await firstValueFrom(s.states);
  await s.settled();
  return s;
}

function seed(port: FakeSpeakerPort): void {
  port.apply("IPAddressPool", pool);
  port.apply("L2Advertisement", l2adv);
  port.apply("BGPPeer", bgpPeer);
  for (const n of ALL) port.apply("Node", { metadata: { name: n, labels: {} } });
  port.apply("Service", service);
  port.apply("EndpointSlice", slice);
}

const sessions = async (port: FakeSpeakerPort) => (await port.getBgpPeer(NS, "r1"))?.status as { sessions: Record<string, unknown>[]; established: string; summary: string };

describe("nodesToClean: one survivor cleans up after each dead speaker", () => {
  it.each([
    { self: "node-a", live: ["node-a", "node-c"], canAnnounce: true, want: ["node-b"], why: "the first live node by name acts" },
    { self: "node-c", live: ["node-a", "node-c"], canAnnounce: true, want: [], why: "the others leave it to that one" },
    { self: "node-b", live: ["node-b", "node-c"], canAnnounce: true, want: ["node-a"], why: "the first one being dead, the next acts" },
    { self: "node-a", live: ["node-a"], canAnnounce: false, want: [], why: "not during its start-up grace (silent peers may be starting)" },
    { self: "node-a", live: ["node-a", "node-b", "node-c"], canAnnounce: true, want: [], why: "nobody dead, nothing to do" },
    { self: "node-a", live: ["node-a"], canAnnounce: true, want: [], why: "hearing fewer than half of the speakers, it is more likely the one cut off" },
  ])("$why", ({ self, live, canAnnounce, want }) => {
    expect(nodesToClean(self, ALL, { live, canAnnounce })).toEqual(want);
  });
});

describe("status objects and sessions never name a speaker that no longer announces", () => {
  it("node death: the survivor removes the dead node's ServiceL2Status/ServiceBGPStatus and marks its BGP sessions Idle, once", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    // What node-b's speaker wrote before it died.
    const l2 = await port.createL2Status(NS, { node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    const bgp = await port.createBgpStatus(NS, { node: "node-b", serviceName: "web", serviceNamespace: "shop", peers: ["r1"] });
    const mine = await port.createL2Status(NS, { node: "node-c", serviceName: "other", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    const dp = new FakeL2DataPlane();
    const { log, messages: logged } = recordingLogger("info");
    const speaker = await start("node-a", port, dp, log);
    dp.emitMembership({ live: ALL, canAnnounce: true });
    await speaker.settled();
    expect([...port.l2Statuses.keys()].sort()).toEqual([l2, mine].sort());

    dp.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await speaker.settled();
    expect([...port.l2Statuses.keys()]).toEqual([mine]);
    expect(port.bgpStatuses.has(bgp)).toBe(false);
    expect(await sessions(port)).toEqual({
      sessions: [
        entry("node-a"),
        {
          node: "node-b",
          state: "Idle",
          since: "2026-11-22T01:00:00Z",
          lastError: "speaker on node node-b found silent at 2026-11-22T01:00:00Z (node down, or its speaker stopped or cut off); marked by the surviving speakers",
          prefixesAdvertised: 0,
        },
        entry("node-c"),
      ],
      established: "2/3",
      summary: "node-a=Established,node-b=Idle,node-c=Established",
    });
    // The time is when node-a found node-b silent (its clock: NOW), and the line says so.
    expect(logged.filter(l => l.includes("node-b"))).toEqual([
      "speaker on node node-b found silent at 2026-11-22T01:00:00Z: removed its 1 ServiceL2Status and 1 ServiceBGPStatus, marked 1 BGP session(s) Idle",
    ]);
    // Once per death: further membership changes or states write nothing more.
    const writes = port.writes.length;
    dp.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    port.apply("Service", { ...service, metadata: { ...service.metadata, resourceVersion: "8" } });
    await new Promise(r => setTimeout(r, 20));
    await speaker.settled();
    expect(port.writes.slice(writes).filter(w => w.op.startsWith("delete") || w.op === "replaceBgpPeerStatus")).toEqual([]);
  });

  it("node return: the returning speaker recreates what the survivors removed, and its own session entry is its own again", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    const dp = new FakeL2DataPlane();
    const speaker = await start("node-b", port, dp);
    dp.emitMembership({ live: ALL, canAnnounce: true });
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();
    const [first] = [...port.l2Statuses.keys()];
    expect(first).toBeDefined();
    // node-b's link goes down: it hears nobody, the others take it for dead and remove its object.
    dp.emitMembership({ live: ["node-b"], canAnnounce: true });
    await speaker.settled();
    await port.deleteL2Status(NS, first ?? "");
    // The link comes back: node-b hears its peers again and re-checks its own objects.
    dp.emitMembership({ live: ALL, canAnnounce: true });
    await speaker.settled();
    expect([...port.l2Statuses.values()].map(s => s.status)).toEqual([{ node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] }]);
    // Cut off (hearing 1 of 3), node-b did not mark the others dead meanwhile.
    expect(port.writes.filter(w => w.op === "replaceBgpPeerStatus")).toEqual([]);
  });

  it("false death: node-b heard its peers all along (only its heartbeats came late); what node-a removed comes back, and stays", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    const dpA = new FakeL2DataPlane();
    const a = await start("node-a", port, dpA);
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    const dpB = new FakeL2DataPlane();
    const b = await start("node-b", port, dpB);
    dpB.emitMembership({ live: ALL, canAnnounce: true });
    dpB.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await b.settled();
    const [first] = [...port.l2Statuses.keys()];
    // node-b's main thread is busy: node-a misses its heartbeats and takes it for dead; node-b's own view never changes.
    dpA.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await a.settled();
    await b.settled();
    // node-a heard again a moment later.
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    await a.settled();
    await b.settled();
    expect(port.writes.filter(w => w.op.endsWith("L2Status")).map(w => w.op)).toEqual(["createL2Status", "deleteL2Status", "createL2Status"]);
    expect(port.l2Statuses.has(first ?? "")).toBe(false);
    expect([...port.l2Statuses.values()].map(s => s.status)).toEqual([{ node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] }]);
  });

  it("whoever else deletes or rewrites a node's ServiceL2Status (kubectl delete, an uninstall), the node writes it back once", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    const dp = new FakeL2DataPlane();
    const speaker = await start("node-b", port, dp);
    dp.emitMembership({ live: ALL, canAnnounce: true });
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();
    const [first = ""] = [...port.l2Statuses.keys()];
    const body = { node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] };
    port.writes.length = 0;
    await port.deleteL2Status(NS, first);
    await speaker.settled();
    const [second = ""] = [...port.l2Statuses.keys()];
    await port.updateL2Status(NS, second, { ...body, interfaces: [{ name: "wrong0" }] });
    await speaker.settled();
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([
      ["deleteL2Status", first],
      ["createL2Status", second],
      ["updateL2Status", second],
      ["updateL2Status", second],
    ]);
    expect([...port.l2Statuses.values()].map(s => s.status)).toEqual([body]);
    // Nothing more: no rewrite without a change.
    const writes = port.writes.length;
    port.apply("Service", { ...service, metadata: { ...service.metadata, resourceVersion: "8" } });
    await new Promise(r => setTimeout(r, 20));
    await speaker.settled();
    expect(port.writes.length).toBe(writes);
  });

  it("the survivor stops removing a node's objects as soon as it hears that node again (it does not fight the rewrite)", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    for (const name of ["a", "b", "c"]) await port.createL2Status(NS, { node: "node-b", serviceName: name, serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    const { log, messages: lines } = recordingLogger("info");
    const dp = new FakeL2DataPlane();
    const a = await start("node-a", port, dp, log);
    dp.emitMembership({ live: ALL, canAnnounce: true });
    await a.settled();
    // node-b is heard again right after the survivor's first delete.
    const remove = port.deleteL2Status.bind(port);
    port.deleteL2Status = async (ns, name) => {
      await remove(ns, name);
      dp.emitMembership({ live: ALL, canAnnounce: true });
    };
    dp.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await a.settled();
    expect([...port.l2Statuses.values()].map(s => s.status.serviceName)).toEqual(["b", "c"]);
    expect(port.writes.filter(w => w.op === "replaceBgpPeerStatus")).toEqual([]);
    expect(lines.filter(l => l.includes("node-b"))).toEqual([
      "speaker on node node-b found silent at 2026-11-22T01:00:00Z: removed its 1 ServiceL2Status and 0 ServiceBGPStatus, marked 0 BGP session(s) Idle; stopped, node node-b is heard again",
    ]);
  });

  it("speaker restart: the survivor cleans up while it is gone; the new run starts from nothing and writes its own", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    const dpA = new FakeL2DataPlane();
    const a = await start("node-a", port, dpA);
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    const dpB = new FakeL2DataPlane();
    const b = await start("node-b", port, dpB);
    dpB.emitMembership({ live: ALL, canAnnounce: true });
    dpB.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await b.settled();
    // node-b's speaker is killed: node-a stops hearing it.
    b.stop();
    dpA.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await a.settled();
    expect(port.l2Statuses.size).toBe(0);
    expect((await sessions(port)).summary).toBe("node-a=Established,node-b=Idle,node-c=Established");
    // The new run: heard again, it announces and writes its object; node-a leaves it alone.
    const dpB2 = new FakeL2DataPlane();
    const b2 = await start("node-b", port, dpB2);
    dpB2.emitMembership({ live: ALL, canAnnounce: true });
    dpA.emitMembership({ live: ALL, canAnnounce: true });
    dpB2.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await b2.settled();
    await a.settled();
    expect([...port.l2Statuses.values()].map(s => s.status.node)).toEqual(["node-b"]);
  });

  it("a node removed from the cluster (no speaker Pod any more): its objects and session entry are swept away too", async () => {
    const port = new FakeSpeakerPort();
    seed(port);
    port.apply("BGPPeer", { ...bgpPeer, status: { sessions: [...ALL, "node-gone"].map(entry), established: "4/4", summary: "" } });
    const gone = await port.createL2Status(NS, { node: "node-gone", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    const kept = await port.createL2Status(NS, { node: "node-c", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    const dp = new FakeL2DataPlane();
    const speaker = await start("node-a", port, dp);
    // node-gone is in no peer list (static peers here, speaker Pods in a cluster): nobody will ever hear it.
    dp.emitMembership({ live: ALL, canAnnounce: true });
    await speaker.settled();
    expect([...port.l2Statuses.keys()]).toEqual([kept]);
    expect(port.l2Statuses.has(gone)).toBe(false);
    const after = (await sessions(port)).sessions;
    expect(after.map(e => [e.node, e.state])).toEqual([
      ["node-a", "Established"],
      ["node-b", "Established"],
      ["node-c", "Established"],
      ["node-gone", "Idle"],
    ]);
  });
});
