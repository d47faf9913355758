/**
 * Whether the API server serves `status.loadBalancer.ingress[].ipMode` (KEP-1860,
 * https://github.com/kubernetes/enhancements/tree/master/keps/sig-network/1860-kube-proxy-IP-node-binding):
 * alpha in Kubernetes 1.29 (off), beta and on from 1.30, GA in 1.32. A server that does not serve it
 * drops the field as unknown (with a `Warning: unknown field` header), so a controller writing it
 * there would see its status differ forever and write again and again.
 *
 * Asked of the server's own OpenAPI rather than guessed from its version: distributions backport and
 * feature gates move. The schema says what the server's types have; a gate turned off (1.29's
 * default) still drops the field, which the controller notices on its first write
 * (controller/reconciler.ts) and then stops writing it.
 */
import { isNotFound } from "./controller-port";

/** The schema name of core/v1 LoadBalancerIngress in the OpenAPI v3 and v2 documents. */
export const LOAD_BALANCER_INGRESS_SCHEMA = "io.k8s.api.core.v1.LoadBalancerIngress";
export const OPENAPI_V3_INDEX = "/openapi/v3";
export const OPENAPI_V2 = "/openapi/v2";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** Whether an OpenAPI v3 (`components.schemas`) or v2 (`definitions`) document gives LoadBalancerIngress an ipMode. */
export function schemaHasIngressIPMode(document: unknown): boolean {
  const doc = obj(document);
  const schema = obj(obj(obj(doc.components).schemas)[LOAD_BALANCER_INGRESS_SCHEMA] ?? obj(doc.definitions)[LOAD_BALANCER_INGRESS_SCHEMA]);
  return Object.hasOwn(obj(schema.properties), "ipMode");
}

/** The path of the core/v1 document in an OpenAPI v3 index (`{paths: {"api/v1": {serverRelativeURL}}}`). */
export function coreV1DocumentPath(index: unknown): string | undefined {
  const url = obj(obj(obj(index).paths)["api/v1"]).serverRelativeURL;
  return typeof url === "string" && url.startsWith("/") ? url : undefined;
}

/**
 * Asks the server through `get` (a GET returning parsed JSON): the OpenAPI v3 core/v1 document,
 * else (a server without /openapi/v3) the v2 document.
 */
export async function servesIngressIPMode(get: (path: string) => Promise<unknown>): Promise<boolean> {
  let index: unknown;
  try {
    index = await get(OPENAPI_V3_INDEX);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    return schemaHasIngressIPMode(await get(OPENAPI_V2));
  }
  const path = coreV1DocumentPath(index);
  if (path === undefined) return schemaHasIngressIPMode(await get(OPENAPI_V2));
  return schemaHasIngressIPMode(await get(path));
}
