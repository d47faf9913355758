/**
 * A Service's status is not trusted (issue 15, item 4): someone with services/status write access
 * puts an IP into status.loadBalancer.ingress that no pool grants, or a special-purpose address
 * inside a pool, through the local API server (hack/kube-apiserver). The speaker, on the real
 * kubernetes-fluent-client port, announces neither, counts each refusal and reports it in an Event,
 * while a Service with a granted IP beside them is announced.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { IPAddressPoolKind, L2AdvertisementKind } from "../kube/kinds";
import { FakeL2DataPlane } from "../test/speaker/fake-l2-data-plane";
import { RestSpeakerPort } from "./rest-speaker-port";
import { startSpeaker, type RunningSpeaker } from "./speaker";

const NS = "metallb-system";
let dir: string;
let api: RunningApiServer;
let speaker: RunningSpeaker | undefined;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-refusal-"));
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

async function serviceWithStatus(name: string, ip: string, annotations: Record<string, string> = {}): Promise<void> {
  await K8s(kind.Service).Apply(
    { metadata: { name, namespace: "shop", annotations }, spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: name } } },
    { force: true },
  );
  // What a compromised node or a careless user with services/status access can write.
  await K8s(kind.Service).PatchStatus({ metadata: { name, namespace: "shop" }, status: { loadBalancer: { ingress: [{ ip }] } } } as never);
  await K8s(kind.EndpointSlice as GenericClass).Apply(
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-abcde`, namespace: "shop", labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-a" }],
      ports: [{ port: 8080, protocol: "TCP" }],
    } as never,
    { force: true },
  );
}

describe("speaker refuses IPs that no pool and advertisement grant", () => {
  it("announces nothing for a foreign IP written into a Service's status, counts and reports it", async () => {
    await K8s(IPAddressPoolKind).Apply({ metadata: { name: "p1", namespace: NS }, spec: { addresses: ["192.0.2.0/24"] } } as never, { force: true });
    await K8s(IPAddressPoolKind).Apply({ metadata: { name: "wide", namespace: NS }, spec: { addresses: ["223.255.255.0-224.0.0.255"] } } as never, { force: true });
    await K8s(L2AdvertisementKind).Apply({ metadata: { name: "l2", namespace: NS }, spec: {} } as never, { force: true });
    await K8s(kind.Node).Apply({ metadata: { name: "node-a" } }, { force: true });
    await serviceWithStatus("granted", "192.0.2.10");
    // The pool annotation names a real pool, but the IP is not in it: the annotation proves nothing.
    await serviceWithStatus("foreign", "203.0.113.9", { "metallb.io/ip-allocated-from-pool": "p1" });
    await serviceWithStatus("multicast", "224.0.0.5");

    const dp = new FakeL2DataPlane();
    speaker = await startSpeaker({ node: "node-a", namespace: NS, port: new RestSpeakerPort(), dataPlane: dp, debounceMs: 20 });
    const state = await firstValueFrom(speaker.states.pipe(filter(s => s.desired.verdicts.length === 3)));
    await speaker.settled();

    expect(dp.services.map(s => [s.name, s.ips])).toEqual([["shop/granted", ["192.0.2.10"]]]);
    expect(state.desired.bgp).toEqual([]);
    expect(state.desired.verdicts.filter(v => v.notAnnounced).map(v => [v.service, v.notAnnounced?.reason])).toEqual([
      ["shop/foreign", "NoPool"],
      ["shop/multicast", "ReservedIP"],
    ]);

    const metrics = await speaker.registry.getSingleMetricAsString("lodestone_speaker_refused_total");
    expect(metrics).toContain('lodestone_speaker_refused_total{reason="NoPool"} 1');
    expect(metrics).toContain('lodestone_speaker_refused_total{reason="ReservedIP"} 1');

    const events = await K8s(kind.CoreEvent).InNamespace("shop").Get();
    expect(events.items.filter(e => e.reason === "AnnouncementRefused").map(e => [e.involvedObject?.name, e.type, e.message, e.source?.component]).sort()).toEqual([
      ["foreign", "Warning", "not announced from node node-a: ingress IP 203.0.113.9 is not in any IPAddressPool", "lodestone-speaker"],
      ["multicast", "Warning", "not announced from node node-a: ingress IP 224.0.0.5 lies in 224.0.0.0/4 (multicast), which is never announced", "lodestone-speaker"],
    ]);

    // The same refusal is not reported again on the next recomputation.
    await K8s(kind.Node).Apply({ metadata: { name: "node-a", labels: { touched: "yes" } } }, { force: true });
    await firstValueFrom(speaker.states.pipe(filter(s => s.desired.l2.length === 1)));
    await speaker.settled();
    expect(await speaker.registry.getSingleMetricAsString("lodestone_speaker_refused_total")).toContain('lodestone_speaker_refused_total{reason="NoPool"} 1');
  });
});
