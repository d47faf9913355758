/** Presenting stored objects: version views, the field order of Go structs, list bodies. */
import type { ResourceType } from "./resource";
import { apiVersionOf } from "./resource";
import { isObject, sortKeys } from "./json";
import type { Json, JsonObject } from "./status";

const META_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];
const SERVICE_SPEC_ORDER = [
  "ports",
  "selector",
  "clusterIP",
  "clusterIPs",
  "type",
  "externalIPs",
  "sessionAffinity",
  "loadBalancerIP",
  "loadBalancerSourceRanges",
  "externalName",
  "externalTrafficPolicy",
  "healthCheckNodePort",
  "publishNotReadyAddresses",
  "sessionAffinityConfig",
  "ipFamilies",
  "ipFamilyPolicy",
  "allocateLoadBalancerNodePorts",
  "loadBalancerClass",
  "internalTrafficPolicy",
];
const PORT_ORDER = ["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"];

function ordered(o: JsonObject, order: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k] as Json;
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** The object as served at `version`: apiVersion rewritten (conversion None), and key order as the real server prints. */
export function present(t: ResourceType, stored: JsonObject, version: string): JsonObject {
  let o = t.toExternal ? t.toExternal(stored, version) : { ...stored, apiVersion: apiVersionOf(t.group, version) };
  if (t.sortedKeys) return sortKeys(o) as JsonObject;
  o = ordered(o, ["kind", "apiVersion", "metadata", "spec", "status"]);
  if (isObject(o.metadata)) o.metadata = ordered(o.metadata, META_ORDER);
  if (t.kind === "Service" && isObject(o.spec)) {
    const spec = ordered(o.spec, SERVICE_SPEC_ORDER);
    if (Array.isArray(spec.ports)) spec.ports = spec.ports.map((p) => (isObject(p) ? ordered(p, PORT_ORDER) : p));
    o.spec = spec;
  }
  return o;
}

/** List items of built-in kinds carry no kind/apiVersion; custom resources keep them. */
export function listItem(t: ResourceType, o: JsonObject): JsonObject {
  if (t.crd) return o;
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}
