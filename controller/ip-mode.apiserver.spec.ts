/**
 * The controller through the real kubernetes-fluent-client port against the local API server playing
 * a Kubernetes 1.30 server (status.loadBalancer.ingress[].ipMode served): it finds the field in the
 * server's OpenAPI and writes ipMode VIP. The Service has allocateLoadBalancerNodePorts false and no
 * nodePorts: nothing in allocation depends on them. (The recorded 1.26 server, where ipMode is not
 * written, is controller.apiserver.spec.ts.)
 */
import { K8s, kind } from "kubernetes-fluent-client";
import { describe, expect, it } from "vitest";
import { RestControllerPort } from "../kube/rest-controller-port";
import { IPAddressPoolKind } from "../kube/kinds";
import { NS } from "../test/controller/testing";
import { eventually, localApiServerBed } from "../test/controller/local-apiserver-bed";

const bed = localApiServerBed({ tmpPrefix: "lodestone-ipmode-", loadBalancerIPMode: true });

describe("controller against a server that serves ingress ipMode", () => {
  it("finds ipMode in the server's OpenAPI", async () => {
    expect(await new RestControllerPort().servesIngressIPMode()).toBe(true);
  });

  it("gives a Service without nodePorts (allocateLoadBalancerNodePorts false) an IP, written with ipMode VIP", async () => {
    await K8s(IPAddressPoolKind).Apply({ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p1", namespace: NS }, spec: { addresses: ["198.51.100.0/29"] } } as never, { force: true });
    await bed.startController();
    await K8s(kind.Service).Apply(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "no-nodeports", namespace: "default" },
        spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, selector: { app: "web" }, ports: [{ name: "http", port: 80, protocol: "TCP" }] },
      } as never,
      { force: true },
    );
    const done = await eventually(
      () => K8s(kind.Service).InNamespace("default").Get("no-nodeports"),
      s => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0,
    );
    expect(done.spec?.ports?.map(p => p.nodePort)).toEqual([undefined]);
    expect(done.status?.loadBalancer?.ingress).toEqual([{ ip: "198.51.100.0", ipMode: "VIP" }]);
    expect((done.status?.conditions ?? []).find(c => c.type === "lodestone.dev/IPAllocated")).toMatchObject({ status: "True", message: "allocated 198.51.100.0 from pool p1" });
  }, 60_000);
});
