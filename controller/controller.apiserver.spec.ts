/**
 * The controller against the local API server (hack/kube-apiserver) through the real
 * kubernetes-fluent-client port: CRDs installed, the articles' pool and Service applied with
 * KFC, then the Service's status, annotation, condition and Event, the pool counters and the
 * ConfigurationState read back over HTTPS; then a speaker's ServiceL2Status turns into the
 * Service's Announced condition.
 */
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { describe, expect, it } from "vitest";
import { RestControllerPort } from "../kube/rest-controller-port";
import { RestSpeakerPort } from "../speaker/rest-speaker-port";
import { ConfigurationStateKind, IPAddressPoolKind } from "../kube/kinds";
import { exampleObjects, NS } from "../test/controller/testing";
import { eventually, localApiServerBed } from "../test/controller/local-apiserver-bed";

const bed = localApiServerBed({ tmpPrefix: "lodestone-controller-" });

describe("controller on kubernetes-fluent-client against the local API server", () => {
  it("allocates nginxlb's requested IP and writes status, annotation, condition, Event, pool counters and ConfigurationState", async () => {
    const [poolObj] = exampleObjects("lb-ippool.yaml");
    await K8s(IPAddressPoolKind).Apply(poolObj as never, { force: true });
    // The recorded 1.26 server has no ingress ipMode: the controller must not write it there.
    expect(await new RestControllerPort().servesIngressIPMode()).toBe(false);
    await bed.startController();

    const [svc] = exampleObjects("lb-service.yaml");
    await K8s(kind.Service).Apply({ ...(svc as object), metadata: { name: "nginxlb", namespace: "default" } } as never, { force: true });

    const done = await eventually(
      () => K8s(kind.Service).InNamespace("default").Get("nginxlb"),
      s => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0 && s.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"] !== undefined,
    );
    expect(done.status?.loadBalancer?.ingress).toEqual([{ ip: "192.168.172.161" }]);
    expect(done.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe("lb-ip-pool");
    const condition = (done.status?.conditions ?? []).find(c => c.type === "lodestone.dev/IPAllocated");
    expect(condition).toMatchObject({ status: "True", reason: "Allocated", message: "allocated 192.168.172.161 from pool lb-ip-pool" });

    const events = await eventually(
      () => K8s(kind.CoreEvent).InNamespace("default").Get(),
      l => l.items.some(e => e.involvedObject?.name === "nginxlb"),
    );
    const event = events.items.find(e => e.involvedObject?.name === "nginxlb");
    expect(event).toMatchObject({ type: "Normal", reason: "IPAllocated", message: 'Assigned IP ["192.168.172.161"]', count: 1, source: { component: "lodestone-controller" } });

    const pool = await eventually(
      () => K8s(IPAddressPoolKind).InNamespace(NS).Get("lb-ip-pool"),
      p => (p.status as { assignedIPv4?: number } | undefined)?.assignedIPv4 === 1,
    );
    expect(pool.status).toEqual({ assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 9, availableIPv6: 0 });

    const state = await K8s(ConfigurationStateKind as GenericClass).InNamespace(NS).Get("controller");
    expect(state.metadata?.labels).toEqual({ "metallb.io/component-type": "controller" });
    expect(state).toMatchObject({ status: { result: "Valid", errorSummary: "" } });

    // A speaker reports announcing it (its ServiceL2Status): the controller writes the Announced condition.
    await new RestSpeakerPort().createL2Status(NS, { node: "node-a", serviceName: "nginxlb", serviceNamespace: "default", interfaces: [{ name: "eth0" }] });
    const announced = await eventually(
      () => K8s(kind.Service).InNamespace("default").Get("nginxlb"),
      s => (s.status?.conditions ?? []).some(c => c.type === "lodestone.dev/Announced" && c.status === "True"),
    );
    expect((announced.status?.conditions ?? []).find(c => c.type === "lodestone.dev/Announced")).toMatchObject({
      reason: "Announced",
      message: "announced by node node-a on eth0 (layer2)",
    });
  }, 60_000);
});
