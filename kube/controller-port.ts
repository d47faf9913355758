/**
 * The narrow Kubernetes port of the controller: everything the reconciler reads from and writes to
 * the API server, and nothing more. Two implementations: the REST client
 * (rest-controller-port.ts, plain REST) and an in-memory recording fake for tests (fake-controller-port.ts).
 *
 * Objects cross the port as plain JSON (`KubeObject`): the reconciler never trusts their shape, it
 * reads them through parseConfig / parseServiceRequest.
 *
 * Writes that must not lose a concurrent update carry the resourceVersion they were computed from;
 * the API server answers 409 when it moved on, which surfaces as `ConflictError` so the caller can
 * re-read and re-apply.
 */
import type { PoolCounters } from "../core/allocation/pool-state";

export type KubeObject = Record<string, unknown> & {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** What the controller lists and watches. Config kinds and Secrets are read in the Lodestone namespace only. */
export type WatchedResource =
  | "Service"
  | "Namespace"
  | "IPAddressPool"
  | "L2Advertisement"
  | "BGPAdvertisement"
  | "BGPPeer"
  | "BFDProfile"
  | "Community"
  /** The speakers' reports, for the Service's Announced condition (Lodestone namespace). */
  | "ServiceL2Status"
  | "ServiceBGPStatus"
  /** What decides whether a Service may be announced at all (cluster-wide), for the same condition. */
  | "EndpointSlice"
  | "Node";

export const CONFIG_RESOURCES = [
  "IPAddressPool",
  "L2Advertisement",
  "BGPAdvertisement",
  "BGPPeer",
  "BFDProfile",
  "Community",
] as const satisfies readonly WatchedResource[];

/** The six kinds users write to configure Lodestone (the controller and the speaker both watch them). */
export type ConfigResource = (typeof CONFIG_RESOURCES)[number];

/** Services, Namespaces, EndpointSlices and Nodes are listed across the cluster; the metallb.io kinds in the Lodestone namespace only. */
export const isListedClusterWide = (resource: WatchedResource): boolean =>
  resource === "Service" || resource === "Namespace" || resource === "EndpointSlice" || resource === "Node";

/**
 * What a port's watch holds of each object between events. The reconciler keeps Services and the
 * configuration whole, so the watch shares that copy; of the others it keeps a view (an
 * EndpointSlice's endpoints, a Node's conditions, a speaker's report) or a Namespace's labels, so the
 * watch keeps only their tombstones (kube/watch-supervisor.ts tombstoneOf), and a deletion found by
 * a relist reaches the handler as that tombstone: namespace, name, resourceVersion and labels.
 */
export function watchRemembers(resource: WatchedResource): "object" | "identity" {
  return resource === "Service" || (CONFIG_RESOURCES as readonly WatchedResource[]).includes(resource) ? "object" : "identity";
}

export type WatchPhase = "ADDED" | "MODIFIED" | "DELETED";

export type WatchHandler = (phase: WatchPhase, object: KubeObject) => void;

export interface Watch {
  stop(): void;
}

export interface ObjectRef {
  namespace: string;
  name: string;
}

/** `metav1.Condition` as the controller writes it. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  /** RFC 3339, seconds precision. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The status fields of a Service the controller owns (merge patch on /status). */
export interface ServiceStatusPatch {
  /** `null` removes status.loadBalancer.ingress. `ipMode` only where the API server serves it (ingress-ip-mode.ts). */
  ingress: { ip: string; ipMode?: "VIP" }[] | null;
  /** The whole conditions list (merge patches replace lists); `null` removes it. */
  conditions: Condition[] | null;
}

/** A core/v1 Event as client-go's legacy recorder writes it. */
export interface CoreEvent {
  metadata: { name: string; namespace: string };
  involvedObject: {
    kind: string;
    namespace: string;
    name: string;
    uid: string;
    apiVersion: string;
    resourceVersion: string;
  };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** An IPAddressPool's status: the allocator's counters, written as they are (int64, exact). */
export type PoolStatus = PoolCounters;

export interface ConfigurationStateStatus {
  result: "Valid" | "Invalid" | "Unknown";
  errorSummary: string;
  conditions: Condition[];
}

export interface ControllerPort {
  /** Every object of the resource (all namespaces for Services and Namespaces, `namespace` for the others). */
  list(resource: WatchedResource, namespace: string): Promise<KubeObject[]>;
  /** Watches the resource; the handler sees every change after the call resolves (existing objects may be replayed as ADDED). */
  watch(resource: WatchedResource, namespace: string, handler: WatchHandler): Promise<Watch>;
  /** The cluster's ServiceCIDR objects (networking.k8s.io/v1); empty when the API server serves none. */
  listServiceCIDRs(): Promise<KubeObject[]>;
  /** Whether the API server's Service type has status.loadBalancer.ingress[].ipMode (its OpenAPI; ingress-ip-mode.ts). */
  servesIngressIPMode(): Promise<boolean>;
  /** The current Service, or undefined when it does not exist. */
  getService(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Merge patch on services/<name>/status with a resourceVersion precondition. Returns the new object. */
  patchServiceStatus(ref: ObjectRef, resourceVersion: string, patch: ServiceStatusPatch): Promise<KubeObject>;
  /** Merge patch of metadata.annotations (`null` deletes a key) with a resourceVersion precondition. */
  patchServiceAnnotations(ref: ObjectRef, resourceVersion: string, annotations: Record<string, string | null>): Promise<KubeObject>;
  createEvent(event: CoreEvent): Promise<void>;
  /** The recorder's repeat: count, lastTimestamp and message of an existing Event (strategic merge patch). */
  patchEvent(ref: ObjectRef, patch: { count: number; lastTimestamp: string; message: string }): Promise<void>;
  /** Merge patch on ipaddresspools/<name>/status (int64 counters written exactly). */
  patchPoolStatus(ref: ObjectRef, status: PoolStatus): Promise<void>;
  /** Creates the ConfigurationState object when missing, then writes its status. */
  writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void>;
}

/** An API error with its HTTP status (the server's Status message when there was one). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** 409: the object changed since the resourceVersion the write was computed from. */
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, message);
    this.name = "ConflictError";
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, message);
    this.name = "NotFoundError";
  }
}

export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.status === 409;
export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.status === 404;

/** `namespace/name` of an object (namespace "" for cluster-scoped objects). */
export function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}
