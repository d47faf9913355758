/**
 * What a Kubernetes Service asks of the allocator.
 *
 * `parseServiceRequest` reads a plain Service object (as the watch delivers it, or anything else:
 * it never throws) and says whether Lodestone handles it and, if so, what it asks for. Problems
 * with the Service's own fields are carried in `problem` so that the allocator can refuse the
 * request with the exact message (and the reconciler can raise `LoadBalancerFailed`).
 */
import { isIP } from "node:net";
import { parseIP, type IPAddress, type IPFamily } from "../net/ip";
import type { FailureReason } from "./failures";

export const ANNOTATIONS = {
  loadBalancerIPs: "metallb.io/loadBalancerIPs",
  addressPool: "metallb.io/address-pool",
  allowSharedIP: "metallb.io/allow-shared-ip",
  allocatedFromPool: "metallb.io/ip-allocated-from-pool",
} as const;

/** The deprecated spelling of each annotation (MetalLB before 0.14.9); the new key wins when both are set. */
export const DEPRECATED_ANNOTATIONS = {
  loadBalancerIPs: "metallb.universe.tf/loadBalancerIPs",
  addressPool: "metallb.universe.tf/address-pool",
  allowSharedIP: "metallb.universe.tf/allow-shared-ip",
  allocatedFromPool: "metallb.universe.tf/ip-allocated-from-pool",
} as const;

const DEPRECATED_KEYS = Object.values(DEPRECATED_ANNOTATIONS).sort();

export type FamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

export interface ServicePort {
  /** Lower case, as in the sharing message: `tcp`, `udp`, `sctp`. */
  protocol: string;
  port: number;
}

export interface ServiceRequest {
  /** `namespace/name`: the allocator's key for the Service. */
  key: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** IPs asked for by `spec.loadBalancerIP` or the loadBalancerIPs annotation (empty: any). */
  requestedIPs: IPAddress[];
  /** Pool asked for by the address-pool annotation. */
  requestedPool?: string;
  /** Sharing key from allow-shared-ip; "" when the Service does not allow sharing. */
  sharingKey: string;
  /** "" for externalTrafficPolicy Cluster; the pod selector (`k=v,k2=v2`, sorted) for Local. */
  backendKey: string;
  /** `protocol/port` pairs, e.g. `tcp/80`. */
  ports: ServicePort[];
  familyPolicy: FamilyPolicy;
  /** The Service's IP families in order (from its ClusterIPs; primary first). */
  families: IPFamily[];
  /** IPs currently in `status.loadBalancer.ingress` (what a restart re-adopts). */
  statusIPs: IPAddress[];
  /** Deprecated `metallb.universe.tf/*` annotation keys present on the Service (for `deprecatedAnnotation`). */
  deprecatedAnnotations: string[];
  /** Set when the Service's own fields make any allocation impossible. */
  problem?: { reason: FailureReason; message: string };
}

export type ParsedService =
  | { handled: false; reason: "NotLoadBalancer" | "OtherClass" | "NotAService"; message: string }
  | { handled: true; request: ServiceRequest };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
// Requests are kept for every Service in the cluster: share the common empty and family values.
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const frozen = (...families: IPFamily[]): IPFamily[] => Object.freeze(families) as IPFamily[];
const FAMILY_LISTS: Record<string, IPFamily[]> = {
  IPv4: frozen("IPv4"),
  IPv6: frozen("IPv6"),
  "IPv4,IPv6": frozen("IPv4", "IPv6"),
  "IPv6,IPv4": frozen("IPv6", "IPv4"),
};
/** Shared empty list for the (common) Services without deprecated annotations; never mutated. */
const NO_IPS: IPAddress[] = Object.freeze([]) as unknown as IPAddress[];
const NONE: string[] = Object.freeze([]) as unknown as string[];
/** One copy of each protocol's name for every Service's ports (toLowerCase makes a new string each time). */
const LOWER_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ["TCP", "tcp"],
  ["UDP", "udp"],
  ["SCTP", "sctp"],
]);
const shared = (families: IPFamily[]): IPFamily[] => FAMILY_LISTS[families.join(",")] ?? families;

const stringMap = (v: unknown): Record<string, string> => {
  let out: Record<string, string> | undefined;
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === "string") (out ??= {})[k] = val;
  return out ?? NO_LABELS;
};

/**
 * @param loadBalancerClass the controller's configured class (`--lb-class`): when set, only Services
 *   of exactly that class are handled; when unset, only Services without a class.
 */
export function parseServiceRequest(service: unknown, loadBalancerClass?: string): ParsedService {
  const metadata = obj(obj(service).metadata);
  const spec = obj(obj(service).spec);
  const name = str(metadata.name);
  if (!isObj(service) || !name) {
    return { handled: false, reason: "NotAService", message: "not a Service object with a name" };
  }
  if (spec.type !== "LoadBalancer") {
    return { handled: false, reason: "NotLoadBalancer", message: "spec.type is not LoadBalancer" };
  }
  const svcClass = str(spec.loadBalancerClass) ?? "";
  if (svcClass !== (loadBalancerClass ?? "")) {
    return {
      handled: false,
      reason: "OtherClass",
      message: loadBalancerClass
        ? `spec.loadBalancerClass is ${JSON.stringify(svcClass)}, not ${JSON.stringify(loadBalancerClass)}`
        : `spec.loadBalancerClass is ${JSON.stringify(svcClass)} and this controller handles services without a class`,
    };
  }
  const namespace = str(metadata.namespace) || "default";
  const annotations = stringMap(metadata.annotations);
  const deprecated = DEPRECATED_KEYS.filter(k => k in annotations);
  const deprecatedAnnotations = deprecated.length === 0 ? NONE : deprecated;

  const families = shared(serviceFamilies(spec));
  const familyPolicy = parsePolicy(spec.ipFamilyPolicy);
  const request: ServiceRequest = {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: stringMap(metadata.labels),
    requestedIPs: NO_IPS,
    sharingKey: annotation(annotations, "allowSharedIP")?.[1] ?? "",
    backendKey: spec.externalTrafficPolicy === "Local" ? selectorString(spec.selector) : "",
    ports: parsePorts(spec.ports),
    familyPolicy,
    families,
    statusIPs: statusIPs(obj(service).status),
    deprecatedAnnotations,
  };
  const pool = annotation(annotations, "addressPool")?.[1];
  if (pool) request.requestedPool = pool;

  const requested = parseRequestedIPs(str(spec.loadBalancerIP) ?? "", annotation(annotations, "loadBalancerIPs"));
  if ("problem" in requested) request.problem = { reason: "InvalidRequest", message: requested.problem };
  else request.requestedIPs = requested.ips;

  if (!request.problem && families.length === 0) {
    request.problem = {
      reason: "NoClusterIP",
      message: "the service has no ClusterIP, so its IP family is unknown",
    };
  }
  if (!request.problem && familyPolicy === "RequireDualStack" && families.length < 2) {
    request.problem = {
      reason: "NotEnoughClusterIPs",
      message: `not enough clusterips: RequireDualStack needs an IPv4 and an IPv6 ClusterIP, the service has ${families.length}`,
    };
  }
  return { handled: true, request };
}

/** The annotation's key and value, the new key winning over the deprecated one. */
function annotation(
  annotations: Record<string, string>,
  which: keyof typeof ANNOTATIONS,
): [key: string, value: string] | undefined {
  const key = ANNOTATIONS[which];
  if (key in annotations) return [key, annotations[key] ?? ""];
  const old = DEPRECATED_ANNOTATIONS[which];
  if (old in annotations) return [old, annotations[old] ?? ""];
  return undefined;
}

function parsePolicy(v: unknown): FamilyPolicy {
  return v === "PreferDualStack" || v === "RequireDualStack" ? v : "SingleStack";
}

/** Families from spec.clusterIPs (or clusterIP), falling back to spec.ipFamilies; primary first. */
function serviceFamilies(spec: Obj): IPFamily[] {
  const texts = arr(spec.clusterIPs).length ? arr(spec.clusterIPs) : [spec.clusterIP];
  const fromIPs: IPFamily[] = [];
  for (const t of texts) {
    // Only the family matters here; ClusterIPs come from the API server, never IPv4-mapped.
    const version = typeof t === "string" ? isIP(t) : 0;
    const family: IPFamily | undefined = version === 4 ? "IPv4" : version === 6 ? "IPv6" : undefined;
    if (family && !fromIPs.includes(family)) fromIPs.push(family);
  }
  if (fromIPs.length) return fromIPs;
  const fromSpec: IPFamily[] = [];
  for (const f of arr(spec.ipFamilies)) {
    if ((f === "IPv4" || f === "IPv6") && !fromSpec.includes(f)) fromSpec.push(f);
  }
  return fromSpec;
}

function parsePorts(v: unknown): ServicePort[] {
  const out: ServicePort[] = [];
  for (const p of arr(v)) {
    const port = obj(p).port;
    if (typeof port !== "number" || !Number.isInteger(port)) continue;
    const protocol = str(obj(p).protocol) ?? "TCP";
    out.push({ protocol: LOWER_PROTOCOLS.get(protocol) ?? protocol.toLowerCase(), port });
  }
  return out;
}

/** The pod selector as a sorted `k=v,k2=v2` string: equal selectors give equal keys. */
function selectorString(v: unknown): string {
  return Object.entries(stringMap(v))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, val]) => `${k}=${val}`)
    .join(",");
}

function statusIPs(status: unknown): IPAddress[] {
  const ingress = arr(obj(obj(status).loadBalancer).ingress);
  if (ingress.length === 0) return NO_IPS;
  const out: IPAddress[] = [];
  for (const entry of ingress) {
    const text = str(obj(entry).ip);
    const ip = text === undefined ? undefined : parseIP(text);
    if (ip) out.push(ip);
  }
  return out;
}

/** A user's entry, quoted and cut short so that a huge annotation cannot flood a condition message. */
const quoteEntry = (t: string): string => JSON.stringify(t.length > 64 ? `${t.slice(0, 64)}...` : t);

function parseRequestedIPs(
  field: string,
  annotation: [key: string, value: string] | undefined,
): { ips: IPAddress[] } | { problem: string } {
  if (field && annotation) {
    return { problem: `spec.loadBalancerIP and the ${annotation[0]} annotation cannot both be set` };
  }
  if (field) {
    const ip = parseIP(field.trim());
    return ip ? { ips: [ip] } : { problem: `invalid IP ${JSON.stringify(field)} in spec.loadBalancerIP` };
  }
  if (!annotation) return { ips: NO_IPS };
  const [key, value] = annotation;
  const texts = value.split(",").map(t => t.trim());
  const ips: IPAddress[] = [];
  // Every bad entry is named (an empty one by its position), not only the first or the count.
  const invalid: string[] = [];
  texts.forEach((t, i) => {
    const ip = parseIP(t);
    if (ip) ips.push(ip);
    else invalid.push(t === "" ? `"" (entry ${i + 1})` : quoteEntry(t));
  });
  const tooMany = texts.length > 2 ? `at most 2 (one IPv4 and one IPv6) are allowed` : "";
  if (invalid.length > 0) {
    const what = `invalid IP${invalid.length > 1 ? "s" : ""} ${invalid.join(", ")} in annotation ${key}`;
    return { problem: tooMany ? `${what}; it holds ${texts.length} entries, ${tooMany}` : what };
  }
  if (tooMany) return { problem: `annotation ${key} holds ${texts.length} IPs; ${tooMany}` };
  if (ips.length === 2 && ips[0]?.family === ips[1]?.family) {
    return { problem: `annotation ${key} holds two ${ips[0]?.family} addresses; two IPs must be one IPv4 and one IPv6` };
  }
  return { ips };
}
