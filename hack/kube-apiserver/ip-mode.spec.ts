/**
 * The two servers the local API server can play for status.loadBalancer.ingress[].ipMode: the
 * recorded v1.26 (no such field: dropped as unknown, 02-crud.md 6d's warning) and a 1.30+ server
 * (LoadBalancerIPMode beta, on: in the schema, defaulted to VIP, validated).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testkit";

const SVC = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }], selector: { app: "web" } } };
const MERGE = { "Content-Type": "application/merge-patch+json" };
const ingressPatch = (ingress: unknown[]) => ({ status: { loadBalancer: { ingress } } });
const ingressOf = (r: { json: Record<string, unknown> }) => (r.json.status as { loadBalancer: { ingress?: unknown } }).loadBalancer.ingress;
const coreSchema = async (srv: TestServer) => {
  const index = await srv.call("GET", "/openapi/v3");
  const url = ((index.json.paths as Record<string, { serverRelativeURL: string }>)["api/v1"] as { serverRelativeURL: string }).serverRelativeURL;
  const doc = await srv.call("GET", url);
  return (doc.json.components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas["io.k8s.api.core.v1.LoadBalancerIngress"];
};

describe("a v1.26 server (the recording): no ipMode", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
    await srv.call("POST", "/api/v1/namespaces/default/services", SVC);
  });
  afterAll(async () => srv?.close());

  it("has no ipMode in its LoadBalancerIngress schema and says v1.26.0", async () => {
    expect(Object.keys((await coreSchema(srv))?.properties ?? {})).toEqual(["hostname", "ip", "ports"]);
    expect((await srv.call("GET", "/version")).json.gitVersion).toBe("v1.26.0");
  });

  it("drops a written ipMode as an unknown field, with a warning; Strict refuses it", async () => {
    const r = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status", ingressPatch([{ ip: "192.0.2.1", ipMode: "VIP" }]), MERGE);
    expect(r.status).toBe(200);
    expect(ingressOf(r)).toEqual([{ ip: "192.0.2.1" }]);
    expect(r.headers.warning).toBe('299 - "unknown field \\"status.loadBalancer.ingress[0].ipMode\\""');
    const strict = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status?fieldValidation=Strict", ingressPatch([{ ip: "192.0.2.1", ipMode: "VIP" }]), MERGE);
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "status.loadBalancer.ingress[0].ipMode"');
  });
});

describe("a 1.30 server: ipMode served", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ loadBalancerIPMode: true });
    await srv.call("POST", "/api/v1/namespaces/default/services", SVC);
  });
  afterAll(async () => srv?.close());

  it("has ipMode in its LoadBalancerIngress schema and says v1.30.0", async () => {
    expect(Object.keys((await coreSchema(srv))?.properties ?? {})).toEqual(["hostname", "ip", "ipMode", "ports"]);
    expect((await srv.call("GET", "/version")).json.gitVersion).toBe("v1.30.0");
  });

  it("keeps ipMode, defaults it to VIP where an ip is set, and validates it", async () => {
    const kept = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status", ingressPatch([{ ip: "192.0.2.1", ipMode: "Proxy" }]), MERGE);
    expect(ingressOf(kept)).toEqual([{ ip: "192.0.2.1", ipMode: "Proxy" }]);
    expect(kept.headers.warning).toBeUndefined();
    const defaulted = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status", ingressPatch([{ ip: "192.0.2.2" }]), MERGE);
    expect(ingressOf(defaulted)).toEqual([{ ip: "192.0.2.2", ipMode: "VIP" }]);
    const bad = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status", ingressPatch([{ ip: "192.0.2.3", ipMode: "Direct" }]), MERGE);
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('Service "web" is invalid: status.loadBalancer.ingress[0].ipMode: Unsupported value: "Direct": supported values: "Proxy", "VIP"');
    const noIP = await srv.call("PATCH", "/api/v1/namespaces/default/services/web/status", ingressPatch([{ hostname: "lb.example", ipMode: "VIP" }]), MERGE);
    expect(noIP.status).toBe(422);
    expect(noIP.json.message).toBe('Service "web" is invalid: status.loadBalancer.ingress[0].ipMode: Forbidden: may not be specified when `ip` is not set');
  });
});
