import { describe, expect, it } from "vitest";
import { ApiError } from "./controller-port";
import { coreV1DocumentPath, schemaHasIngressIPMode, servesIngressIPMode } from "./ingress-ip-mode";

const INGRESS_1_26 = { type: "object", properties: { hostname: { type: "string" }, ip: { type: "string" }, ports: { type: "array" } } };
const INGRESS_1_30 = { ...INGRESS_1_26, properties: { ...INGRESS_1_26.properties, ipMode: { type: "string" } } };
const v3 = (ingress: unknown) => ({ openapi: "3.0.0", components: { schemas: { "io.k8s.api.core.v1.LoadBalancerIngress": ingress } } });
const v2 = (ingress: unknown) => ({ swagger: "2.0", definitions: { "io.k8s.api.core.v1.LoadBalancerIngress": ingress } });
const INDEX = { paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=41C8" }, "apis/apps/v1": { serverRelativeURL: "/openapi/v3/apis/apps/v1?hash=FDB8" } } };

describe("schemaHasIngressIPMode", () => {
  it("reads LoadBalancerIngress from an OpenAPI v3 or v2 document", () => {
    expect(schemaHasIngressIPMode(v3(INGRESS_1_30))).toBe(true);
    expect(schemaHasIngressIPMode(v3(INGRESS_1_26))).toBe(false);
    expect(schemaHasIngressIPMode(v2(INGRESS_1_30))).toBe(true);
    expect(schemaHasIngressIPMode(v2(INGRESS_1_26))).toBe(false);
  });

  it("answers false for documents without the schema or of another shape", () => {
    for (const doc of [{}, null, "text", [], { components: { schemas: {} } }, { definitions: { "io.k8s.api.core.v1.LoadBalancerIngress": { properties: [] } } }]) {
      expect(schemaHasIngressIPMode(doc)).toBe(false);
    }
  });
});

describe("servesIngressIPMode", () => {
  const server = (docs: Record<string, unknown>) => {
    const asked: string[] = [];
    const get = async (path: string): Promise<unknown> => {
      asked.push(path);
      if (!(path in docs)) throw new ApiError(404, "404 page not found");
      return docs[path];
    };
    return { asked, get };
  };

  it("follows the v3 index to the core/v1 document", async () => {
    const s = server({ "/openapi/v3": INDEX, "/openapi/v3/api/v1?hash=41C8": v3(INGRESS_1_30) });
    expect(await servesIngressIPMode(s.get)).toBe(true);
    expect(s.asked).toEqual(["/openapi/v3", "/openapi/v3/api/v1?hash=41C8"]);
  });

  it("says no for a server whose core/v1 schema lacks it (1.24 .. 1.28)", async () => {
    expect(await servesIngressIPMode(server({ "/openapi/v3": INDEX, "/openapi/v3/api/v1?hash=41C8": v3(INGRESS_1_26) }).get)).toBe(false);
  });

  it("falls back to /openapi/v2 without a v3 index or without api/v1 in it", async () => {
    const s = server({ "/openapi/v2": v2(INGRESS_1_30) });
    expect(await servesIngressIPMode(s.get)).toBe(true);
    expect(s.asked).toEqual(["/openapi/v3", "/openapi/v2"]);
    expect(await servesIngressIPMode(server({ "/openapi/v3": { paths: {} }, "/openapi/v2": v2(INGRESS_1_26) }).get)).toBe(false);
  });

  it("lets other errors through (the caller then writes no ipMode)", async () => {
    await expect(servesIngressIPMode(async () => Promise.reject(new ApiError(403, "forbidden")))).rejects.toThrow("forbidden");
  });

  it("reads the index's path only when it is server-relative", () => {
    expect(coreV1DocumentPath({ paths: { "api/v1": { serverRelativeURL: "https://elsewhere/x" } } })).toBeUndefined();
    expect(coreV1DocumentPath(INDEX)).toBe("/openapi/v3/api/v1?hash=41C8");
  });
});
