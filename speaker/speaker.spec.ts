import { firstValueFrom, filter } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import type { KubeObject } from "../kube/controller-port";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import { startSpeaker, type RunningSpeaker } from "./speaker";
import type { SpeakerState } from "./speaker-state";

const NS = "metallb-system";
const NOW = Date.UTC(2026, 10, 22, 1, 0, 0);

const pool: KubeObject = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } };
const l2adv = (spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "l2", namespace: NS }, spec });
const node = (name: string): KubeObject => ({ metadata: { name, labels: {} }, status: { conditions: [{ type: "Ready", status: "True" }] } });
const service: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop", uid: "uid-web", resourceVersion: "7", generation: 1, annotations: { "metallb.io/ip-allocated-from-pool": "p1" } },
  spec: { type: "LoadBalancer", clusterIP: "10.0.0.5", ports: [{ port: 80, protocol: "TCP" }] },
  status: {
    loadBalancer: { ingress: [{ ip: "192.0.2.10" }] },
    conditions: [{ type: "lodestone.dev/IPAllocated", status: "True", reason: "Allocated", message: "allocated 192.0.2.10 from pool p1", lastTransitionTime: "2026-11-22T00:00:00Z" }],
  },
};
const slice = (ready: boolean): KubeObject => ({
  metadata: { name: "web-abcde", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
  endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready, serving: ready, terminating: false }, nodeName: "node-b" }],
});

function seed(port: FakeSpeakerPort, endpointsReady = true): void {
  port.apply("IPAddressPool", pool);
  port.apply("L2Advertisement", l2adv());
  port.apply("Node", node("node-a"));
  port.apply("Node", node("node-b"));
  port.apply("Service", service);
  port.apply("EndpointSlice", slice(endpointsReady));
}

let running: RunningSpeaker | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

async function start(port: FakeSpeakerPort, dataPlane: FakeL2DataPlane): Promise<RunningSpeaker> {
  running = await startSpeaker({ node: "node-a", namespace: NS, port, dataPlane, debounceMs: 1, relistDelayMs: 2, retryMs: 2, now: () => NOW });
  // The first state comes after the debounce, so it cannot have been missed here.
  await firstValueFrom(running.states);
  await running.settled();
  return running;
}

const nextState = (speaker: RunningSpeaker, pred: (s: SpeakerState) => boolean = () => true): Promise<SpeakerState> => firstValueFrom(speaker.states.pipe(filter(pred)));

describe("speaker pipeline", () => {
  it("gives the data plane the service to elect, with this node's interfaces and every node", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    await start(port, dp);
    expect(dp.services.map(s => [s.name, s.ips, s.interfaces])).toEqual([["shop/web", ["192.0.2.10"], []]]);
    expect(dp.services[0]?.election.nodes.map(n => n.name)).toEqual(["node-a", "node-b"]);
    expect([...(dp.services[0]?.election.endpointNodes ?? [])]).toEqual(["node-b"]);
    expect(port.configurationStates.get("speaker-node-a")).toEqual({
      labels: { "metallb.io/component-type": "speaker", "metallb.io/node-name": "node-a" },
      status: {
        result: "Valid",
        errorSummary: "",
        conditions: [
          { type: "configReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: "2026-11-22T01:00:00Z" },
          { type: "poolReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: "2026-11-22T01:00:00Z" },
        ],
      },
    });
    // Nothing announced yet: no status object (another node may have won).
    expect(port.l2Statuses.size).toBe(0);
  });

  it("writes ServiceL2Status, nodeAssigned and the metric when this node announces, and never the Service", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();

    expect([...port.l2Statuses.values()]).toEqual([
      {
        name: "l2-00000",
        namespace: NS,
        labels: { "metallb.io/node": "node-a", "metallb.io/service-name": "web", "metallb.io/service-namespace": "shop" },
        status: { node: "node-a", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] },
      },
    ]);
    expect(port.events.map(e => [e.type, e.reason, e.message, e.involvedObject.name, e.involvedObject.uid, e.source.component])).toEqual([
      ["Normal", "nodeAssigned", "announcing from node node-a with protocol layer2", "web", "uid-web", "lodestone-speaker"],
    ]);
    const metrics = await speaker.registry.getSingleMetricAsString("metallb_speaker_announced");
    expect(metrics).toContain('metallb_speaker_announced{service="shop/web",protocol="layer2",node="node-a",ip="192.0.2.10"} 1');

    // The Service is the controller's: the speaker wrote only its own objects and the event.
    expect(port.writes.map(w => w.op)).toEqual(["writeConfigurationState", "createEvent", "createL2Status"]);
  });

  it("updates the interfaces in place and deletes the ServiceL2Status when another node takes over", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0", "eth1"] });
    await speaker.settled();
    expect(port.l2Statuses.get("l2-00000")?.status.interfaces).toEqual([{ name: "eth0" }, { name: "eth1" }]);
    dp.emit({ type: "released", service: "shop/web" });
    await speaker.settled();
    expect(port.l2Statuses.size).toBe(0);
    expect(port.writes.filter(w => w.op !== "createEvent" && w.op !== "writeConfigurationState").map(w => w.op)).toEqual([
      "createL2Status",
      "updateL2Status",
      "deleteL2Status",
    ]);
    expect(await speaker.registry.getSingleMetricAsString("metallb_speaker_announced")).not.toContain("192.0.2.10");
    expect(port.events.filter(e => e.reason === "nodeAssigned")).toHaveLength(1);
  });

  it("raises announceFailed and writes no ServiceL2Status when the elected node lacks the interfaces", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    dp.emit({ type: "interfaceMissing", service: "shop/web", interfaces: ["eth5"] });
    await speaker.settled();
    expect(port.events.map(e => [e.type, e.reason, e.message])).toEqual([["Warning", "announceFailed", "node node-a was elected but has none of the interfaces eth5 (layer2)"]]);
    expect(port.l2Statuses.size).toBe(0);
  });

  it("gives a service without a ready endpoint to no data plane, and says why in its state", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port, false);
    const speaker = await start(port, dp);
    await speaker.settled();
    expect(dp.services).toEqual([]);
    expect(speaker.current()?.desired.verdicts[0]?.notAnnounced).toEqual({ reason: "NoReadyEndpoint", message: "the service has no ready endpoint" });
    // The endpoint turns ready: the data plane gets the service.
    const next = nextState(speaker, s => s.desired.l2.length === 1);
    port.apply("EndpointSlice", slice(true));
    await next;
    expect(dp.services.map(s => s.name)).toEqual(["shop/web"]);
  });

  it("gives the data plane the L2Advertisement's gratuitous interval, and follows changes of the annotation", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const annotated = (interval: string): KubeObject => ({ ...l2adv(), metadata: { name: "l2", namespace: NS, annotations: { "lodestone.dev/gratuitous-interval": interval } } });
    port.apply("L2Advertisement", annotated("60s"));
    const speaker = await start(port, dp);
    expect(dp.services.map(s => [s.name, s.gratuitousIntervalMs])).toEqual([["shop/web", 60_000]]);
    const next = nextState(speaker, s => s.desired.l2[0]?.gratuitousIntervalMs === 5000);
    port.apply("L2Advertisement", annotated("5s"));
    await next;
    await speaker.settled();
    expect(dp.services.map(s => s.gratuitousIntervalMs)).toEqual([5000]);
  });

  it("announces a Service with allocateLoadBalancerNodePorts false and no nodePorts like any other", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const spec = service.spec as Record<string, unknown>;
    port.apply("Service", { ...service, spec: { ...spec, allocateLoadBalancerNodePorts: false, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] } });
    const speaker = await start(port, dp);
    expect(dp.services.map(s => [s.name, s.ips])).toEqual([["shop/web", ["192.0.2.10"]]]);
    expect(speaker.current()?.desired.verdicts[0]?.l2).toEqual({ candidates: expect.arrayContaining(["node-a", "node-b"]) });
  });

  it("leaves NetworkUnavailable and exclude-from-external-load-balancers nodes out of the election, and lets them back in", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    const candidates = (): unknown => speaker.current()?.desired.verdicts[0]?.l2;
    expect(candidates()).toEqual({ candidates: expect.arrayContaining(["node-a", "node-b"]) });
    const labelled = node("node-a");
    (labelled.metadata as { labels: Record<string, string> }).labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "true";
    let next = nextState(speaker, s => JSON.stringify(s.desired.verdicts[0]?.l2) === JSON.stringify({ candidates: ["node-b"] }));
    port.apply("Node", labelled);
    await next;
    // The data plane's election sees the label too, so no node elects node-a.
    expect(dp.services[0]?.election.nodes.find(n => n.name === "node-a")?.labels).toEqual({ "node.kubernetes.io/exclude-from-external-load-balancers": "true" });
    const unavailable = node("node-b");
    (unavailable.status as { conditions: unknown[] }).conditions.push({ type: "NetworkUnavailable", status: "True" });
    next = nextState(speaker, s => s.desired.verdicts[0]?.notAnnounced?.reason === "NoEligibleNode");
    port.apply("Node", unavailable);
    const state = await next;
    expect(state.desired.verdicts[0]?.notAnnounced?.message).toBe(
      "no node may announce the service: node-a (labelled node.kubernetes.io/exclude-from-external-load-balancers), node-b (NetworkUnavailable)",
    );
    expect(dp.services).toEqual([]);
    next = nextState(speaker, s => s.desired.l2.length === 1);
    port.apply("Node", node("node-b"));
    await next;
    expect(speaker.current()?.desired.verdicts[0]?.l2).toEqual({ candidates: ["node-b"] });
  });

  it("keeps the last known state while the API is unreachable and resyncs when it returns", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    const callsBefore = dp.servicesCalls.length;
    port.disconnect();
    // Changes made while the speaker cannot see them.
    port.remove("EndpointSlice", slice(true));
    expect(dp.services.map(s => s.name)).toEqual(["shop/web"]);
    expect(speaker.current()?.desired.l2).toHaveLength(1);

    const resynced = nextState(speaker, s => s.desired.l2.length === 0);
    port.reconnect();
    const state = await resynced;
    expect(state.desired.verdicts[0]?.notAnnounced?.reason).toBe("NoReadyEndpoint");
    expect(dp.services).toEqual([]);
    expect(dp.servicesCalls.length).toBe(callsBefore + 1);
    expect(speaker.cache.resyncs).toBeGreaterThan(0);
  });

  it("goes blind while its view of the cluster is not current: the data plane is told and readiness fails, until it sees again", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    expect(speaker.readiness()).toEqual({ ready: true, reason: "watching the cluster" });
    expect(dp.viewCalls).toEqual([]);
    port.setViewCurrent(false);
    expect(dp.viewCalls).toEqual([false]);
    expect(speaker.readiness()).toEqual({ ready: false, reason: "view of the cluster not current (watches of the API server down): announcing nothing" });
    port.setViewCurrent(true);
    expect(dp.viewCalls).toEqual([false, true]);
    expect(speaker.readiness().ready).toBe(true);
  });

  it("starts blind when the view is not current once the cache is listed", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    port.setViewCurrent(false);
    const speaker = await start(port, dp);
    expect(dp.viewCalls).toEqual([false]);
    expect(speaker.readiness().ready).toBe(false);
  });

  it("reports an invalid configuration in ConfigurationState and keeps announcing with the last valid one", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    const next = nextState(speaker, s => s.problems.length > 0);
    port.apply("IPAddressPool", { ...pool, metadata: { name: "bad", namespace: NS }, spec: { addresses: ["192.0.2.0/25"] } });
    const state = await next;
    expect(state.stale).toBe(true);
    expect(dp.services.map(s => s.name)).toEqual(["shop/web"]);
    await speaker.settled();
    const cs = port.configurationStates.get("speaker-node-a")?.status;
    expect(cs?.result).toBe("Invalid");
    expect(cs?.errorSummary).toContain("IPAddressPool/bad");
    expect(await speaker.registry.getSingleMetricAsString("metallb_k8s_client_config_stale_bool")).toContain("metallb_k8s_client_config_stale_bool 1");
  });

  it("retries status writes that failed while the API was down", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    port.disconnect();
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();
    expect(port.l2Statuses.size).toBe(0);
    const written = port.nextWrite();
    port.reconnect();
    await written;
    await speaker.settled();
    expect([...port.l2Statuses.values()].map(s => s.status.interfaces)).toEqual([[{ name: "eth0" }]]);
    expect(port.events.map(e => e.reason)).toEqual(["nodeAssigned"]);
    expect(await speaker.registry.getSingleMetricAsString("metallb_k8s_client_update_errors_total")).toContain("metallb_k8s_client_update_errors_total 1");
  });

  it("deletes its ServiceL2Status when the Service goes away", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();
    expect(port.l2Statuses.size).toBe(1);
    const gone = nextState(speaker, s => s.services.size === 0);
    port.remove("Service", service);
    await gone;
    await speaker.settled();
    expect(port.l2Statuses.size).toBe(0);
    expect(dp.services).toEqual([]);
  });

  it("deletes ServiceL2Status objects a previous run of this node left behind", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    await port.createL2Status(NS, { node: "node-a", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    await port.createL2Status(NS, { node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [] });
    await start(port, dp);
    expect([...port.l2Statuses.values()].map(s => s.labels["metallb.io/node"])).toEqual(["node-b"]);
  });

  it("hands over on shutdown, then stops the data plane", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    const speaker = await start(port, dp);
    await speaker.shutdown();
    expect(dp.handoverCalls).toBe(1);
    expect(dp.stopped).toBe(true);
    expect(port.watcherCount("Service")).toBe(0);
  });

  it("passes speaker Pods as heartbeat peers and the memberlist Secret", async () => {
    const port = new FakeSpeakerPort();
    const dp = new FakeL2DataPlane();
    seed(port);
    port.apply("SpeakerPod", { metadata: { name: "speaker-1", namespace: NS }, spec: { nodeName: "node-b" }, status: { podIP: "192.0.2.2" } });
    port.apply("SpeakerPod", { metadata: { name: "speaker-0", namespace: NS }, spec: { nodeName: "node-a" }, status: { podIP: "192.0.2.1" } });
    port.apply("Secret", { metadata: { name: "memberlist", namespace: NS }, data: { secretkey: "c2VjcmV0" } });
    await start(port, dp);
    expect(dp.peers).toEqual([{ node: "node-b", address: "192.0.2.2", port: 7946 }]);
    expect(dp.secret).toEqual({ data: { secretkey: "c2VjcmV0" } });
  });
});
