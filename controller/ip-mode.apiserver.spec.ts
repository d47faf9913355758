/**
 * The controller through the real kubernetes-fluent-client port against the local API server playing
 * a Kubernetes 1.30 server (status.loadBalancer.ingress[].ipMode served): it finds the field in the
 * server's OpenAPI and writes ipMode VIP. The Service has allocateLoadBalancerNodePorts false and no
 * nodePorts: nothing in allocation depends on them. (The recorded 1.26 server, where ipMode is not
 * written, is controller.apiserver.spec.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind } from "kubernetes-fluent-client";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { KfcControllerPort } from "../kube/kfc-controller-port";
import { IPAddressPoolKind } from "../kube/kinds";
import { startController, type RunningController } from "./main";
import { NS } from "../test/controller/testing";

let dir: string;
let api: RunningApiServer;
let controller: RunningController | undefined;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-ipmode-"));
  api = await startApiServer({ dir, loadBalancerIPMode: true });
  process.env.KUBECONFIG = api.kubeconfig;
  await bootstrapCluster(NS);
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe("controller against a server that serves ingress ipMode", () => {
  it("finds ipMode in the server's OpenAPI", async () => {
    expect(await new KfcControllerPort().servesIngressIPMode()).toBe(true);
  });

  it("gives a Service without nodePorts (allocateLoadBalancerNodePorts false) an IP, written with ipMode VIP", async () => {
    await K8s(IPAddressPoolKind).Apply({ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p1", namespace: NS }, spec: { addresses: ["198.51.100.0/29"] } } as never, { force: true });
    controller = await startController({ namespace: NS, port: new KfcControllerPort(), registry: new Registry() });
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
