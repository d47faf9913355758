/**
 * Just enough OpenAPI v3 for kubectl (01-discovery.md 9): the /openapi/v3 index and one document per served
 * group-version whose PATCH operations carry `x-kubernetes-group-version-kind` and the `fieldValidation`
 * query parameter. kubectl checks those before sending `fieldValidation=Strict`; without a strategic-merge
 * request body it computes client-side apply patches from its compiled-in types. No schemas are served,
 * so `kubectl explain` does not work.
 */
import { createHash } from "node:crypto";
import type { ResourceType } from "./resource";
import type { Registry } from "./registry";
import type { Json, JsonObject } from "./status";

const QUERY_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "force"].map((name) => ({ name, in: "query", schema: { type: name === "force" ? "boolean" : "string", uniqueItems: true } }));

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function pathsFor(t: ResourceType, version: string): JsonObject {
  const base = `/${gvPath(t.group, version)}`;
  const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
  const gvk = { group: t.group, version, kind: t.kind };
  const op = (action: string): JsonObject => ({
    operationId: `${action}${t.kind}`,
    parameters: QUERY_PARAMS as unknown as Json,
    responses: { "200": { description: "OK" } },
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
  });
  const out: JsonObject = {
    [collection]: { get: op("list"), post: op("post") },
    [`${collection}/{name}`]: { get: op("get"), put: op("put"), patch: op("patch"), delete: op("delete") },
  };
  if (t.hasStatus) out[`${collection}/{name}/status`] = { get: op("get"), put: op("put"), patch: op("patch") };
  return out;
}

export function openApiDocument(registry: Registry, group: string, version: string): JsonObject {
  const paths: JsonObject = {};
  for (const t of registry.typesAt(group, version)) Object.assign(paths, pathsFor(t, version));
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.26.0" }, paths, components: { schemas: {} } };
}

const hashOf = (doc: JsonObject): string => createHash("sha512").update(JSON.stringify(doc)).digest("hex").toUpperCase();

export function openApiIndex(registry: Registry): JsonObject {
  const paths: JsonObject = {};
  const gvs: [string, string][] = [["", "v1"], ...registry.groups().flatMap((g) => g.versions.map((v): [string, string] => [g.name, v]))];
  for (const [g, v] of gvs) {
    const p = gvPath(g, v);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(openApiDocument(registry, g, v))}` };
  }
  return { paths };
}
