/**
 * The two client libraries Lodestone uses, against the test server: kubernetes-fluent-client
 * (K8s(kind).Apply/Get/Watch/PatchStatus, which Pepr is built on) and @kubernetes/client-node
 * (create, watch, patch status).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K8s, kind } from "kubernetes-fluent-client";
import { CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1Service } from "@kubernetes/client-node";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;

describe("client libraries against the test apiserver", () => {
  beforeAll(async () => {
    srv = await startTestServer();
    process.env.KUBECONFIG = srv.kubeconfig;
  });
  afterAll(async () => {
    await srv.close();
  });

  it("kubernetes-fluent-client: Apply creates with manager pepr, Get reads it back, Apply again updates", async () => {
    const applied = await K8s(kind.Service).Apply({
      metadata: { name: "kfc", namespace: "default", labels: { app: "kfc" } },
      spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80 }] },
    });
    expect(applied.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(applied.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([["pepr", "Apply"]]);
    const got = await K8s(kind.Service).InNamespace("default").Get("kfc");
    expect(got.metadata?.uid).toBe(applied.metadata?.uid);
    const again = await K8s(kind.Service).Apply({ metadata: { name: "kfc", namespace: "default", labels: { app: "kfc", tier: "edge" } }, spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80 }] } });
    expect(again.metadata?.labels).toEqual({ app: "kfc", tier: "edge" });
    expect(Number(again.metadata?.resourceVersion)).toBeGreaterThan(Number(applied.metadata?.resourceVersion));
  });

  it("kubernetes-fluent-client: PatchStatus and Watch see the ingress IP", async () => {
    const seen = new Promise<string>((resolve) => {
      const watcher = K8s(kind.Service).InNamespace("default").Watch((svc) => {
        const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
        if (svc.metadata?.name === "kfc" && ip) {
          watcher.close();
          resolve(ip);
        }
      });
      void watcher.start();
    });
    await K8s(kind.Service).PatchStatus({ metadata: { name: "kfc", namespace: "default" }, status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }] } } });
    expect(await seen).toBe("192.0.2.7");
  });

  it("@kubernetes/client-node: create, watch and patch status", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(srv.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedService({
      namespace: "default",
      body: { metadata: { name: "cn" }, spec: { type: "LoadBalancer", ports: [{ port: 443, protocol: "TCP" }] } },
    });
    expect(created.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    const events: string[] = [];
    const modified = new Promise<V1Service>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          "/api/v1/namespaces/default/services",
          { resourceVersion: created.metadata?.resourceVersion, fieldSelector: "metadata.name=cn" },
          (type: string, obj: V1Service) => {
            events.push(type);
            if (type === "MODIFIED") resolve(obj);
          },
          (err: unknown) => {
            if (err) reject(err as Error);
          },
        )
        .then((req) => modified.finally(() => req.abort()));
    });
    await core.patchNamespacedServiceStatus(
      { name: "cn", namespace: "default", body: { status: { loadBalancer: { ingress: [{ ip: "192.0.2.8" }] } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const svc = await modified;
    expect(svc.status?.loadBalancer?.ingress?.[0]?.ip).toBe("192.0.2.8");
    expect(events).toEqual(["MODIFIED"]);
  });
});
