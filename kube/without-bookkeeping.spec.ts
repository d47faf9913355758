import { describe, expect, it } from "vitest";
import type { KubeObject } from "./controller-port";
import { LAST_APPLIED, withoutBookkeeping } from "./without-bookkeeping";

const managedFields = [{ manager: "kubectl", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:type": {} } } }];

describe("withoutBookkeeping", () => {
  it("drops managedFields and kubectl's last-applied copy, keeps everything else", () => {
    const service: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop", uid: "u1", resourceVersion: "42", labels: { app: "web" }, annotations: { [LAST_APPLIED]: '{"kind":"Service"}', "metallb.io/loadBalancerIPs": "192.0.2.7" }, managedFields } as KubeObject["metadata"],
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }] } },
    };
    expect(withoutBookkeeping(service)).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop", uid: "u1", resourceVersion: "42", labels: { app: "web" }, annotations: { "metallb.io/loadBalancerIPs": "192.0.2.7" } },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }] } },
    });
    // The object it was given is not changed (the caller may hold it).
    expect((service.metadata as Record<string, unknown>)["managedFields"]).toBe(managedFields);
    expect(service.metadata?.annotations?.[LAST_APPLIED]).toBe('{"kind":"Service"}');
  });

  it("returns an object without either as it is", () => {
    const pool: KubeObject = { kind: "IPAddressPool", metadata: { name: "p", annotations: { a: "b" } }, spec: { addresses: ["192.0.2.0/28"] } };
    expect(withoutBookkeeping(pool)).toBe(pool);
    const bare: KubeObject = { kind: "Namespace" };
    expect(withoutBookkeeping(bare)).toBe(bare);
  });
});
