/**
 * Nodes keep the status given on create, as on the real server (the kubelet registers a Node with its
 * addresses in one POST; nodeStrategy does not reset status, unlike Services or Pods). Follows
 * recordings/10-leases-and-endpointslices.md section 2 for the Node shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv.close());

describe("Node create", () => {
  it("keeps status.addresses given on create, while a Service's status is reset", async () => {
    const node = await srv.call("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-a" },
      spec: {},
      status: { addresses: [{ type: "InternalIP", address: "192.0.2.11" }] },
    });
    expect(node.status).toBe(201);
    expect((node.json as { status?: { addresses?: unknown } }).status?.addresses).toEqual([{ type: "InternalIP", address: "192.0.2.11" }]);

    const svc = await srv.call("POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.99" }] } },
    });
    expect(svc.status).toBe(201);
    expect((svc.json as { status?: unknown }).status).toEqual({ loadBalancer: {} });
  });
});
