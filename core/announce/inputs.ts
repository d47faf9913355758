/**
 * The speaker's view of the Kubernetes objects it decides from, read from plain JSON (as a list or
 * a watch delivers it). The readers never throw and never trust a shape: a field that is missing or
 * of the wrong type reads as absent, so one odd object cannot stop every other Service's announcement.
 */
import { ANNOTATIONS, DEPRECATED_ANNOTATIONS, parseServiceRequest } from "../allocation/service-request";
import type { ElectionNode } from "../election/election";
import { formatIP, parseIP } from "../net/ip";

/** A LoadBalancer Service this speaker handles, with what announcing it depends on. */
export interface SpeakerService {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  /** status.loadBalancer.ingress IPs, canonical text, in order (the first is the election key). */
  readonly ips: readonly string[];
  readonly externalTrafficPolicy: "Cluster" | "Local";
  /** allow-shared-ip; "" when the Service does not share. */
  readonly sharingKey: string;
  /** The pool the controller wrote in `metallb.io/ip-allocated-from-pool` (or its deprecated spelling). */
  readonly allocatedPool?: string;
  /** spec.publishNotReadyAddresses: every endpoint counts, ready or not. */
  readonly publishNotReadyAddresses?: boolean;
}

/** One EndpointSlice, reduced to what announcing needs. */
export interface EndpointSliceView {
  /** `namespace/name` of the Service the slice belongs to (label kubernetes.io/service-name). */
  readonly serviceKey: string;
  readonly endpoints: readonly EndpointView[];
}

/** One endpoint's conditions, as discovery.k8s.io/v1 defines them. */
export interface EndpointView {
  /** `ready` is true or absent (absent means unknown, which consumers read as ready). */
  readonly ready: boolean;
  /** `serving` is true, or absent and the endpoint is ready: ready or not, it passes its readiness probe (a terminating pod that still serves). */
  readonly serving: boolean;
  readonly nodeName?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === "string") out[k] = val;
  return out;
}

/** The ingress IPs of a Service status, canonical; entries that are not one IP are skipped. */
export function ingressIPs(service: unknown): string[] {
  const out: string[] = [];
  for (const entry of arr(obj(obj(obj(service).status).loadBalancer).ingress)) {
    const text = str(obj(entry).ip);
    const ip = text === undefined ? undefined : parseIP(text);
    if (ip && !out.includes(formatIP(ip))) out.push(formatIP(ip));
  }
  return out;
}

/**
 * The Service as the speaker sees it, or undefined when this speaker does not handle it (not
 * LoadBalancer, another class) or it has no ingress IP yet (nothing to announce).
 */
export function readService(service: unknown, lbClass?: string): SpeakerService | undefined {
  const parsed = parseServiceRequest(service, lbClass);
  if (!parsed.handled) return undefined;
  const ips = ingressIPs(service);
  if (ips.length === 0) return undefined;
  const { request } = parsed;
  const metadata = obj(obj(service).metadata);
  const annotations = stringMap(metadata.annotations);
  const pool = annotations[ANNOTATIONS.allocatedFromPool] ?? annotations[DEPRECATED_ANNOTATIONS.allocatedFromPool];
  return {
    key: request.key,
    namespace: request.namespace,
    name: request.name,
    uid: str(metadata.uid) ?? "",
    labels: request.labels,
    ips,
    externalTrafficPolicy: obj(obj(service).spec).externalTrafficPolicy === "Local" ? "Local" : "Cluster",
    sharingKey: request.sharingKey,
    ...(pool ? { allocatedPool: pool } : {}),
    ...(obj(obj(service).spec).publishNotReadyAddresses === true ? { publishNotReadyAddresses: true } : {}),
  };
}

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * The conditions of one endpoint (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/):
 * `ready` nil means unknown and reads as ready; `serving` nil defers to `ready`. The EndpointSlice
 * controller sets ready = serving && !terminating (or true under publishNotReadyAddresses), so a
 * terminating pod still passing its readiness probe is serving but not ready.
 */
export function endpointConditions(conditions: unknown): { ready: boolean; serving: boolean } {
  const c = obj(conditions);
  const ready = c.ready === undefined || c.ready === null || c.ready === true;
  const serving = c.serving === true || ((c.serving === undefined || c.serving === null) && ready);
  return { ready, serving };
}

export function readEndpointSlice(slice: unknown): EndpointSliceView | undefined {
  const metadata = obj(obj(slice).metadata);
  const service = stringMap(metadata.labels)[SERVICE_NAME_LABEL];
  if (!service) return undefined;
  const namespace = str(metadata.namespace) || "default";
  const endpoints = arr(obj(slice).endpoints).map(e => {
    const nodeName = str(obj(e).nodeName);
    return { ...endpointConditions(obj(e).conditions), ...(nodeName ? { nodeName } : {}) };
  });
  return { serviceKey: `${namespace}/${service}`, endpoints };
}

/** A Node as the election sees it: name, labels, and whether NetworkUnavailable is True. */
export function readNode(node: unknown): ElectionNode | undefined {
  const metadata = obj(obj(node).metadata);
  const name = str(metadata.name);
  if (!name) return undefined;
  const networkUnavailable = arr(obj(obj(node).status).conditions).some(c => obj(c).type === "NetworkUnavailable" && obj(c).status === "True");
  return { name, labels: stringMap(metadata.labels), networkUnavailable };
}
