/**
 * Just enough OpenAPI v3 for kubectl (recordings/01-discovery.md 9): the /openapi/v3 index and one document per served
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

/**
 * core/v1 LoadBalancerIngress, the one schema served: clients ask it whether the server knows
 * `ipMode` (1.30+, KEP-1860). Descriptions trimmed; no kind's schema, so kubectl still builds its
 * patches from its compiled-in types.
 */
function loadBalancerIngressSchema(ipMode: boolean): JsonObject {
  const properties: JsonObject = {
    hostname: { type: "string" },
    ip: { type: "string" },
    ...(ipMode ? { ipMode: { type: "string" } } : {}),
    // The real item is a $ref to PortStatus, which this document does not carry.
    ports: { type: "array", items: { type: "object" }, "x-kubernetes-list-type": "atomic" },
  };
  return { type: "object", properties };
}

export function openApiDocument(registry: Registry, group: string, version: string, ipMode = false): JsonObject {
  const paths: JsonObject = {};
  for (const t of registry.typesAt(group, version)) Object.assign(paths, pathsFor(t, version));
  const schemas: JsonObject = group === "" && version === "v1" ? { "io.k8s.api.core.v1.LoadBalancerIngress": loadBalancerIngressSchema(ipMode) } : {};
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: ipMode ? "v1.30.0" : "v1.26.0" }, paths, components: { schemas } };
}

const hashOf = (doc: JsonObject): string => createHash("sha512").update(JSON.stringify(doc)).digest("hex").toUpperCase();

export function openApiIndex(registry: Registry, ipMode = false): JsonObject {
  const paths: JsonObject = {};
  const gvs: [string, string][] = [["", "v1"], ...registry.groups().flatMap((g) => g.versions.map((v): [string, string] => [g.name, v]))];
  for (const [g, v] of gvs) {
    const p = gvPath(g, v);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(openApiDocument(registry, g, v, ipMode))}` };
  }
  return { paths };
}

/**
 * /openapi/v2, for kubectl up to 1.26, which fetches it before `apply` and `create` to validate
 * objects client-side and gives up with `Error from server (NotFound)` when it is missing (it then
 * tries the pre-1.10 `/swagger-2.0.0.pb-v1`). Served as the real API server does: protobuf (gnostic's
 * openapi_v2.Document, https://github.com/google/gnostic/blob/main/openapiv2/OpenAPIv2.proto) when the
 * client asks for it, as kubectl does, else JSON. The document has no definitions: kubectl validates
 * only kinds it finds there (kube-openapi's validation skips the rest), so it checks nothing and the
 * server's own validation decides, as with the v3 documents above.
 */
const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/** What the document is sent as: that media type does not parse as one (`@`), so kube-openapi answers with this. */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = "application/octet-stream";
/** The older spelling of the same media type (client-go before 1.14). */
const OPENAPI_V2_PROTOBUF_OLD = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

const OPENAPI_V2_INFO = { title: "Kubernetes", version: "v1.26.0" };

export function openApiV2Document(): JsonObject {
  return { swagger: "2.0", info: { ...OPENAPI_V2_INFO }, paths: {}, definitions: {} };
}

/** Protobuf length-delimited field `no` (wire type 2) holding `body`. */
function lengthDelimited(no: number, body: Buffer): Buffer {
  const len: number[] = [];
  for (let n = body.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(no << 3) | 2, ...len]), body]);
}

/** openApiV2Document() in protobuf: Document{swagger = 1, info = 2 {title = 1, version = 2}}; empty paths and definitions are absent in proto3. */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([lengthDelimited(1, Buffer.from(OPENAPI_V2_INFO.title)), lengthDelimited(2, Buffer.from(OPENAPI_V2_INFO.version))]);
  return Buffer.concat([lengthDelimited(1, Buffer.from("2.0")), lengthDelimited(2, info)]);
}

/** Whether an Accept header asks for the protobuf document. */
export function wantsOpenApiV2Protobuf(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((t) => {
    const type = t.split(";")[0]?.trim();
    return type === OPENAPI_V2_PROTOBUF || type === OPENAPI_V2_PROTOBUF_OLD;
  });
}
