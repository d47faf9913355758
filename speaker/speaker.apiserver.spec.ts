/**
 * The speaker against the local API server (hack/kube-apiserver) through the real
 * REST port (rest-speaker-port.ts), with a fake L2 data plane: the pipeline sees the Service,
 * its EndpointSlice and the config; when the data plane reports announcing, the ServiceL2Status
 * and the Event are read back over HTTPS (the Service itself is left to the controller); when it
 * reports a peer dead, that node's status objects go and its BGP session entry is marked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { BGPPeerKind, ConfigurationStateKind, IPAddressPoolKind, L2AdvertisementKind, ServiceBGPStatusKind, ServiceL2StatusKind } from "../kube/kinds";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import { recordingLogger } from "../test/observability/recording-logger";
import { RestSpeakerPort } from "./rest-speaker-port";
import { startSpeaker, type RunningSpeaker } from "./speaker";

const NS = "metallb-system";
let dir: string;
let api: RunningApiServer;
let speaker: RunningSpeaker | undefined;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-speaker-"));
  api = await startApiServer({ dir });
  process.env.KUBECONFIG = api.kubeconfig;
  await bootstrapCluster(NS);
  await K8s(kind.Namespace).Apply({ metadata: { name: "shop" } }, { force: true });
});

afterAll(async () => {
  speaker?.stop();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

describe("speaker on its REST port against the local API server", () => {
  it("announces a Service and writes ServiceL2Status, the Event and ConfigurationState, and nothing on the Service", async () => {
    await K8s(IPAddressPoolKind).Apply({ metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } } as never, { force: true });
    await K8s(L2AdvertisementKind).Apply({ metadata: { name: "l2", namespace: NS }, spec: { interfaces: ["eth0"] } } as never, { force: true });
    await K8s(kind.Node).Apply({ metadata: { name: "node-a" } }, { force: true });
    await K8s(kind.Service).Apply(
      { metadata: { name: "web", namespace: "shop", annotations: { "metallb.io/ip-allocated-from-pool": "p1" } }, spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: "web" } } },
      { force: true },
    );
    await K8s(kind.Service).PatchStatus({
      metadata: { name: "web", namespace: "shop" },
      status: {
        loadBalancer: { ingress: [{ ip: "192.0.2.10" }] },
        conditions: [{ type: "lodestone.dev/IPAllocated", status: "True", reason: "Allocated", message: "allocated 192.0.2.10 from pool p1", lastTransitionTime: "2026-11-22T00:00:00Z" }],
      },
    } as never);
    await K8s(kind.EndpointSlice as GenericClass).Apply(
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "web-abcde", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-a" }],
        ports: [{ port: 8080, protocol: "TCP" }],
      } as never,
      { force: true },
    );

    const dp = new FakeL2DataPlane();
    const watchLog = recordingLogger("info");
    speaker = await startSpeaker({ node: "node-a", namespace: NS, port: new RestSpeakerPort({ log: watchLog.log }), dataPlane: dp, debounceMs: 20 });
    await firstValueFrom(speaker.states.pipe(filter(s => s.desired.l2.length === 1)));
    expect(dp.services.map(s => [s.name, s.ips, s.interfaces])).toEqual([["shop/web", ["192.0.2.10"], ["eth0"]]]);
    // The Secret watch started once the other kinds have listed joins a current view: no warning.
    expect(watchLog.messages.filter(m => m.includes("not current"))).toEqual([]);

    dp.emit({ type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0"] });
    await speaker.settled();

    const statuses = await K8s(ServiceL2StatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-a").Get();
    expect(statuses.items).toHaveLength(1);
    const l2s = statuses.items[0];
    expect(l2s?.metadata?.name).toMatch(/^l2-[a-z0-9]{5}$/);
    expect(l2s?.metadata?.labels).toEqual({ "metallb.io/node": "node-a", "metallb.io/service-name": "web", "metallb.io/service-namespace": "shop" });
    expect(l2s?.status).toEqual({ node: "node-a", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });

    const svc = await K8s(kind.Service).InNamespace("shop").Get("web");
    // The Service is the controller's alone (it derives Announced from the ServiceL2Status above).
    expect((svc.status?.conditions ?? []).map(c => [c.type, c.status, c.reason, c.message])).toEqual([
      ["lodestone.dev/IPAllocated", "True", "Allocated", "allocated 192.0.2.10 from pool p1"],
    ]);
    expect(svc.status?.loadBalancer?.ingress).toEqual([{ ip: "192.0.2.10" }]);

    const events = await K8s(kind.CoreEvent).InNamespace("shop").Get();
    expect(events.items.filter(e => e.involvedObject?.name === "web").map(e => [e.type, e.reason, e.message, e.source?.component])).toEqual([
      ["Normal", "nodeAssigned", "announcing from node node-a with protocol layer2", "lodestone-speaker"],
    ]);

    const cs = await K8s(ConfigurationStateKind).InNamespace(NS).Get("speaker-node-a");
    expect(cs.metadata?.labels).toEqual({ "metallb.io/component-type": "speaker", "metallb.io/node-name": "node-a" });
    expect((cs.status as { result?: string }).result).toBe("Valid");

    // Another node takes over: the ServiceL2Status goes.
    dp.emit({ type: "released", service: "shop/web" });
    await speaker.settled();
    expect((await K8s(ServiceL2StatusKind).InNamespace(NS).Get()).items).toEqual([]);
  });

  it("removes a dead node's ServiceL2Status and ServiceBGPStatus and marks its BGPPeer session, through the API", async () => {
    speaker?.stop();
    const port = new RestSpeakerPort();
    await K8s(BGPPeerKind).Apply({ metadata: { name: "r1", namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.51.100.1" } } as never, { force: true });
    const peer = await port.getBgpPeer(NS, "r1");
    const established = (node: string) => ({ node, state: "Established" as const, since: "2026-11-22T00:59:00Z", prefixesAdvertised: 1 });
    await port.replaceBgpPeerStatus(NS, "r1", peer?.metadata?.resourceVersion ?? "", {
      sessions: [established("node-a"), established("node-b")],
      established: "2/2",
      summary: "node-a=Established,node-b=Established",
    });
    await port.createL2Status(NS, { node: "node-b", serviceName: "web", serviceNamespace: "shop", interfaces: [{ name: "eth0" }] });
    await port.createBgpStatus(NS, { node: "node-b", serviceName: "web", serviceNamespace: "shop", peers: ["r1"] });

    const dp = new FakeL2DataPlane();
    const peers = ["node-a", "node-b", "node-c"].map((node, i) => ({ node, address: `192.0.2.${11 + i}`, port: 7946 }));
    speaker = await startSpeaker({ node: "node-a", namespace: NS, port, dataPlane: dp, staticPeers: peers, debounceMs: 20, now: () => Date.UTC(2026, 10, 22, 1, 0, 0) });
    await firstValueFrom(speaker.states.pipe(filter(s => s.peers.length === 2 && s.config?.peers.length === 1)));
    dp.emitMembership({ live: ["node-a", "node-b", "node-c"], canAnnounce: true });
    await speaker.settled();
    expect((await K8s(ServiceL2StatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-b").Get()).items).toHaveLength(1);

    dp.emitMembership({ live: ["node-a", "node-c"], canAnnounce: true });
    await speaker.settled();
    expect((await K8s(ServiceL2StatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-b").Get()).items).toEqual([]);
    expect((await K8s(ServiceBGPStatusKind).InNamespace(NS).WithLabel("metallb.io/node", "node-b").Get()).items).toEqual([]);
    const status = (await K8s(BGPPeerKind).InNamespace(NS).Get("r1")).status as { sessions: { node: string; state: string; lastError?: string }[]; established: string; summary: string };
    expect(status.established).toBe("1/2");
    expect(status.summary).toBe("node-a=Established,node-b=Idle");
    expect(status.sessions.find(e => e.node === "node-b")?.lastError).toBe(
      "speaker on node node-b found silent at 2026-11-22T01:00:00Z (node down, or its speaker stopped or cut off); marked by the surviving speakers",
    );
  });

  it("lists in pages (limit and continue) and gets every object, in the API server's order", async () => {
    for (let i = 0; i < 5; i++) {
      await K8s(kind.Service).Apply({ metadata: { name: `paged-${i}`, namespace: "shop" }, spec: { type: "ClusterIP", ports: [{ port: 80, protocol: "TCP" }] } }, { force: true });
    }
    const whole = (await new RestSpeakerPort({ listPageSize: 0 }).list("Service", NS)).map(o => `${o.metadata?.namespace}/${o.metadata?.name}`);
    const paths: string[] = [];
    const paged = new RestSpeakerPort({ listPageSize: 2 });
    const request = paged.request;
    (paged as unknown as { request: typeof request }).request = ((method: string, path: string, ...rest: never[]) => {
      paths.push(path);
      return request(method as never, path, ...rest);
    }) as typeof request;
    const pages = await paged.list("Service", NS);
    expect(pages.map(o => `${o.metadata?.namespace}/${o.metadata?.name}`)).toEqual(whole);
    expect(whole).toEqual(expect.arrayContaining(["shop/paged-0", "shop/paged-4"]));
    expect(paths.length).toBe(Math.ceil(whole.length / 2));
    expect(paths[0]).toBe("/api/v1/services?limit=2");
    expect(paths[1]).toMatch(/^\/api\/v1\/services\?limit=2&continue=[^&]+$/);
    expect(pages.every(o => o.kind === "Service" && o.apiVersion === "v1")).toBe(true);
  });
});
