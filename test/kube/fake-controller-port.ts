/**
 * An in-memory ControllerPort for tests: a tiny object store with resourceVersions, watches that
 * deliver synchronously, the API server's preconditions (409 on a stale resourceVersion) and a
 * record of every write the controller attempted (failed ones included), so tests can assert
 * exactly what was written and how often.
 *
 * Tests play the user's part with `put` / `remove` (like kubectl apply / delete), and inject API
 * failures or concurrent edits with `beforeWrite`.
 */
import {
  ApiError,
  ConflictError,
  isListedClusterWide,
  NotFoundError,
  type ConfigurationStateStatus,
  type ControllerPort,
  type CoreEvent,
  type KubeObject,
  type ObjectRef,
  type PoolStatus,
  type ServiceStatusPatch,
  type Watch,
  type WatchedResource,
  type WatchHandler,
  type WatchPhase,
  watchRemembers,
} from "../../kube/controller-port";
import { tombstoneOf } from "../../kube/watch-supervisor";
import { mergePatch } from "./merge-patch";

export type FakeResource = WatchedResource | "Event" | "ConfigurationState";

export type WriteVerb =
  | "patchServiceStatus"
  | "patchServiceAnnotations"
  | "createEvent"
  | "patchEvent"
  | "patchPoolStatus"
  | "writeConfigurationState";

export interface RecordedWrite {
  verb: WriteVerb;
  namespace: string;
  name: string;
  /** What was sent (the patch, the event, the status). */
  body: unknown;
  /** The resourceVersion precondition, when the write had one. */
  resourceVersion?: string;
  /** Set when the write failed. */
  error?: ApiError;
}

const CLUSTER_SCOPED: ReadonlySet<FakeResource> = new Set(["Namespace", "Node"]);

export class FakeControllerPort implements ControllerPort {
  private readonly store = new Map<FakeResource, Map<string, KubeObject>>();
  private readonly watchers: { resource: WatchedResource; namespace: string; handler: WatchHandler }[] = [];
  private revision = 100;
  private uids = 0;
  private clusterIPs = 10;
  readonly writes: RecordedWrite[] = [];
  /** Called before every write is applied: return (or throw) an ApiError to fail it; may change the store (a concurrent writer). */
  beforeWrite?: (write: RecordedWrite) => ApiError | undefined;
  /** Number of getService calls (re-reads after conflicts). */
  reads = 0;

  // ---- the user's side ----------------------------------------------------------------------------

  /**
   * Creates or replaces an object as a PUT would (metadata and spec as given): an existing object
   * keeps its status unless `withStatus` (test setup, e.g. Services that already hold IPs before a restart).
   */
  put(resource: FakeResource, object: KubeObject, opts: { withStatus?: boolean } = {}): KubeObject {
    const copy = structuredClone(object);
    const md = (copy.metadata ??= {});
    if (!CLUSTER_SCOPED.has(resource)) md.namespace ??= "default";
    const key = refKey(md.namespace ?? "", md.name ?? "");
    const old = this.bucket(resource).get(key);
    md.uid = old?.metadata?.uid ?? `uid-${++this.uids}`;
    if (resource === "Service") this.assignClusterIP(copy, old);
    if (old && !opts.withStatus) {
      if (old.status === undefined) delete copy.status;
      else copy.status = structuredClone(old.status);
    }
    md.resourceVersion = String(++this.revision);
    this.bucket(resource).set(key, copy);
    this.emit(resource, old ? "MODIFIED" : "ADDED", copy);
    return structuredClone(copy);
  }

  remove(resource: FakeResource, namespace: string, name: string): void {
    const key = refKey(CLUSTER_SCOPED.has(resource) ? "" : namespace, name);
    const old = this.bucket(resource).get(key);
    if (!old) throw new Error(`no ${resource} ${key}`);
    this.bucket(resource).delete(key);
    (old.metadata ??= {}).resourceVersion = String(++this.revision);
    // At worst (a deletion a relist found) the real port's handler gets the tombstone its watch kept.
    this.emit(resource, "DELETED", resource !== "Event" && resource !== "ConfigurationState" && watchRemembers(resource) === "identity" ? tombstoneOf(old) : old);
  }

  get(resource: FakeResource, namespace: string, name: string): KubeObject | undefined {
    const obj = this.bucket(resource).get(refKey(CLUSTER_SCOPED.has(resource) ? "" : namespace, name));
    return obj && structuredClone(obj);
  }

  objects(resource: FakeResource): KubeObject[] {
    return [...this.bucket(resource).values()].map(o => structuredClone(o));
  }

  /** Successful writes of one verb. */
  done(verb: WriteVerb): RecordedWrite[] {
    return this.writes.filter(w => w.verb === verb && !w.error);
  }

  // ---- ControllerPort -----------------------------------------------------------------------------

  async list(resource: WatchedResource, namespace: string): Promise<KubeObject[]> {
    return this.objects(resource).filter(o => this.inScope(resource, namespace, o));
  }

  async watch(resource: WatchedResource, namespace: string, handler: WatchHandler): Promise<Watch> {
    const entry = { resource, namespace, handler };
    this.watchers.push(entry);
    return {
      stop: () => {
        const i = this.watchers.indexOf(entry);
        if (i >= 0) this.watchers.splice(i, 1);
      },
    };
  }

  /** What listServiceCIDRs answers (tests set it). */
  serviceCIDRs: KubeObject[] = [];

  async listServiceCIDRs(): Promise<KubeObject[]> {
    return structuredClone(this.serviceCIDRs);
  }

  /** What servesIngressIPMode answers (tests set it); with `dropsIngressIPMode` the status writes lose ipMode, as a server with the feature gate off. */
  ingressIPMode = false;
  dropsIngressIPMode = false;

  async servesIngressIPMode(): Promise<boolean> {
    return this.ingressIPMode;
  }

  async getService(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.reads++;
    return this.get("Service", ref.namespace, ref.name);
  }

  async patchServiceStatus(ref: ObjectRef, resourceVersion: string, patch: ServiceStatusPatch): Promise<KubeObject> {
    const body = { loadBalancer: { ingress: patch.ingress }, conditions: patch.conditions };
    return this.patch("Service", { verb: "patchServiceStatus", ...ref, body, resourceVersion }, obj => {
      const stored = this.dropsIngressIPMode ? { ...body, loadBalancer: { ingress: patch.ingress?.map(({ ip }) => ({ ip })) ?? null } } : body;
      obj.status = mergePatch(obj.status, stored);
    });
  }

  async patchServiceAnnotations(ref: ObjectRef, resourceVersion: string, annotations: Record<string, string | null>): Promise<KubeObject> {
    return this.patch("Service", { verb: "patchServiceAnnotations", ...ref, body: annotations, resourceVersion }, obj => {
      const md = (obj.metadata ??= {});
      const merged = mergePatch(md.annotations ?? {}, annotations) as Record<string, string>;
      md.annotations = merged;
    });
  }

  async createEvent(event: CoreEvent): Promise<void> {
    const write: RecordedWrite = { verb: "createEvent", namespace: event.metadata.namespace, name: event.metadata.name, body: structuredClone(event) };
    this.attempt(write);
    const key = refKey(event.metadata.namespace, event.metadata.name);
    if (this.bucket("Event").has(key)) throw this.failed(write, new ApiError(409, `events "${event.metadata.name}" already exists`));
    this.bucket("Event").set(key, { ...structuredClone(event), metadata: { ...event.metadata, resourceVersion: String(++this.revision) } } as KubeObject);
  }

  async patchEvent(ref: ObjectRef, patch: { count: number; lastTimestamp: string; message: string }): Promise<void> {
    await this.patch("Event", { verb: "patchEvent", ...ref, body: { ...patch } }, obj => Object.assign(obj, patch));
  }

  async patchPoolStatus(ref: ObjectRef, status: PoolStatus): Promise<void> {
    await this.patch("IPAddressPool", { verb: "patchPoolStatus", ...ref, body: { ...status } }, obj => {
      obj.status = mergePatch(obj.status, status);
    });
  }

  async writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    const write: RecordedWrite = { verb: "writeConfigurationState", ...ref, body: structuredClone({ labels, status }) };
    this.attempt(write);
    const bucket = this.bucket("ConfigurationState");
    const key = refKey(ref.namespace, ref.name);
    const old = bucket.get(key);
    const obj: KubeObject = old ?? {
      apiVersion: "metallb.io/v1beta1",
      kind: "ConfigurationState",
      metadata: { name: ref.name, namespace: ref.namespace, uid: `uid-${++this.uids}`, labels: { ...labels } },
    };
    obj.status = structuredClone(status);
    (obj.metadata ??= {}).resourceVersion = String(++this.revision);
    bucket.set(key, obj);
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** As the API server does: a Service without a ClusterIP gets one (IPv4, from 10.96.0.0/16), kept across updates. */
  private assignClusterIP(svc: KubeObject, old: KubeObject | undefined): void {
    const spec = (svc.spec ??= {}) as Record<string, unknown>;
    if (spec.type === "ExternalName" || spec.clusterIP !== undefined) return;
    const oldSpec = (old?.spec ?? {}) as Record<string, unknown>;
    const n = ++this.clusterIPs;
    spec.clusterIP = oldSpec.clusterIP ?? `10.96.${(n >> 8) & 255}.${n & 255}`;
    spec.clusterIPs = oldSpec.clusterIPs ?? [spec.clusterIP];
    spec.ipFamilies = oldSpec.ipFamilies ?? ["IPv4"];
    spec.ipFamilyPolicy ??= "SingleStack";
  }

  private bucket(resource: FakeResource): Map<string, KubeObject> {
    let b = this.store.get(resource);
    if (!b) this.store.set(resource, (b = new Map()));
    return b;
  }

  private inScope(resource: WatchedResource, namespace: string, obj: KubeObject): boolean {
    return isListedClusterWide(resource) || obj.metadata?.namespace === namespace;
  }

  private emit(resource: FakeResource, phase: WatchPhase, obj: KubeObject): void {
    for (const w of [...this.watchers]) {
      if (w.resource === resource && this.inScope(w.resource, w.namespace, obj)) w.handler(phase, structuredClone(obj));
    }
  }

  private attempt(write: RecordedWrite): void {
    this.writes.push(write);
    const injected = this.beforeWrite?.(write);
    if (injected) throw this.failed(write, injected);
  }

  private failed(write: RecordedWrite, error: ApiError): ApiError {
    write.error = error;
    return error;
  }

  private async patch(resource: FakeResource, write: RecordedWrite, apply: (obj: KubeObject) => void): Promise<KubeObject> {
    write.body = structuredClone(write.body);
    this.attempt(write);
    const key = refKey(write.namespace, write.name);
    const current = this.bucket(resource).get(key);
    if (!current) throw this.failed(write, new NotFoundError(`${resource} "${write.name}" not found`));
    if (write.resourceVersion !== undefined && write.resourceVersion !== current.metadata?.resourceVersion) {
      throw this.failed(
        write,
        new ConflictError(
          `Operation cannot be fulfilled on ${resource.toLowerCase()}s "${write.name}": the object has been modified; please apply your changes to the latest version and try again`,
        ),
      );
    }
    const next = structuredClone(current);
    apply(next);
    if (JSON.stringify(next, bigintSafe) === JSON.stringify(current, bigintSafe)) return structuredClone(current);
    (next.metadata ??= {}).resourceVersion = String(++this.revision);
    this.bucket(resource).set(key, next);
    if (resource !== "Event") this.emit(resource, "MODIFIED", next);
    return structuredClone(next);
  }
}

const refKey = (namespace: string, name: string): string => `${namespace}/${name}`;
const bigintSafe = (_: string, v: unknown): unknown => (typeof v === "bigint" ? `${v}n` : v);
