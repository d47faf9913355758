/**
 * An in-memory SpeakerPort for tests: objects per resource that tests add, change and delete (the
 * watchers hear it), a switch that makes the API unreachable (lists fail, watches report an
 * error), and a record of every write.
 */
import { ApiError, ConflictError, keyOf, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch } from "../../kube/controller-port";
import { L2_STATUS_LABELS, type BgpPeerStatusBody, type BgpSessionEntry, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerResource, type SpeakerWatchHandler } from "../../kube/speaker-port";

/** A ServiceL2Status or ServiceBGPStatus as the fake stores it. */
export interface StoredStatus<Body> {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  status: Body;
}

export type StoredL2Status = StoredStatus<L2StatusBody>;
export type StoredBgpStatus = StoredStatus<BgpStatusBody>;

/** How the fake names and records one per-Service status kind. */
interface StatusKindInfo {
  generateName: string;
  resource: string;
  plural: string;
  /** Who watches the kind: one node's objects each. */
  watchers: Set<{ namespace: string; node: string; handler: SpeakerWatchHandler }>;
}

export type SpeakerWrite =
  | { op: "createBgpStatus"; name: string; status: BgpStatusBody }
  | { op: "updateBgpStatus"; name: string; status: BgpStatusBody }
  | { op: "deleteBgpStatus"; name: string }
  | { op: "replaceBgpPeerStatus"; name: string; sessions: BgpSessionEntry[] }
  | { op: "createL2Status"; name: string; status: L2StatusBody }
  | { op: "updateL2Status"; name: string; status: L2StatusBody }
  | { op: "deleteL2Status"; name: string }
  | { op: "createEvent"; event: CoreEvent }
  | { op: "writeConfigurationState"; name: string; status: ConfigurationStateStatus };

export class FakeSpeakerPort implements SpeakerPort {
  private readonly l2Kind: StatusKindInfo = { generateName: "l2-", resource: "servicel2status", plural: "servicel2statuses", watchers: new Set() };
  private readonly bgpKind: StatusKindInfo = { generateName: "bgp-", resource: "servicebgpstatus", plural: "servicebgpstatuses", watchers: new Set() };
  private readonly objects = new Map<SpeakerResource, Map<string, KubeObject>>();
  private readonly watchers = new Map<SpeakerResource, Set<SpeakerWatchHandler>>();
  readonly l2Statuses = new Map<string, StoredL2Status>();
  readonly bgpStatuses = new Map<string, StoredBgpStatus>();
  /** The next this many BGPPeer status writes fail with 409 (as if another node wrote first). */
  bgpPeerConflicts = 0;
  private resourceVersion = 1000;
  readonly events: CoreEvent[] = [];
  readonly configurationStates = new Map<string, { labels: Record<string, string>; status: ConfigurationStateStatus }>();
  readonly writes: SpeakerWrite[] = [];
  /** While true every call fails as if the API server could not be reached. */
  unreachable = false;
  listCalls = 0;
  private nextName = 0;
  private readonly writeListeners = new Set<() => void>();

  private store(resource: SpeakerResource): Map<string, KubeObject> {
    let m = this.objects.get(resource);
    if (!m) this.objects.set(resource, (m = new Map()));
    return m;
  }

  /** Adds or replaces an object; watchers hear ADDED or MODIFIED. */
  apply(resource: SpeakerResource, object: KubeObject): void {
    const m = this.store(resource);
    const phase = m.has(keyOf(object)) ? "MODIFIED" : "ADDED";
    m.set(keyOf(object), structuredClone(object));
    if (!this.unreachable) for (const w of this.watchers.get(resource) ?? []) w.event(phase, structuredClone(object));
  }

  remove(resource: SpeakerResource, object: KubeObject): void {
    const m = this.store(resource);
    const stored = m.get(keyOf(object));
    if (!stored) return;
    m.delete(keyOf(object));
    if (!this.unreachable) for (const w of this.watchers.get(resource) ?? []) w.event("DELETED", structuredClone(stored));
  }

  /** Cuts the API off: every open watch reports `error`, and calls fail until `reconnect()`. */
  disconnect(): void {
    this.unreachable = true;
    for (const set of this.watchers.values()) for (const w of set) w.error(new Error("connect ECONNREFUSED"));
    for (const kind of [this.l2Kind, this.bgpKind]) for (const w of kind.watchers) w.handler.error(new Error("connect ECONNREFUSED"));
  }

  reconnect(): void {
    this.unreachable = false;
  }

  /** Resolves at the next write (for tests that wait for the speaker to act). */
  nextWrite(): Promise<void> {
    return new Promise(resolve => {
      const once = (): void => {
        this.writeListeners.delete(once);
        resolve();
      };
      this.writeListeners.add(once);
    });
  }

  private check(what: string): void {
    if (this.unreachable) throw new ApiError(0, `${what}: connect ECONNREFUSED`);
  }

  private wrote(w: SpeakerWrite): void {
    this.writes.push(w);
    for (const l of [...this.writeListeners]) l();
  }

  /** Names of Secrets the speaker may not read (as a Role with resourceNames refuses them: 403). */
  readonly forbiddenSecrets = new Set<string>();
  /** `resource` or `resource/name` of every list (what was asked for, for RBAC assertions). */
  readonly listed: string[] = [];

  async list(resource: SpeakerResource, _namespace?: string, name?: string): Promise<KubeObject[]> {
    this.listCalls++;
    this.listed.push(name === undefined ? resource : `${resource}/${name}`);
    this.check(`list ${resource}`);
    if (resource === "Secret" && name !== undefined && this.forbiddenSecrets.has(name)) throw new ApiError(403, `secrets "${name}" is forbidden`);
    return [...this.store(resource).values()].filter(o => name === undefined || o.metadata?.name === name).map(o => structuredClone(o));
  }

  async watch(resource: SpeakerResource, _namespace: string, handler: SpeakerWatchHandler, name?: string): Promise<Watch> {
    this.check(`watch ${resource}`);
    let set = this.watchers.get(resource);
    if (!set) this.watchers.set(resource, (set = new Set()));
    // A watch by name hears only that object.
    const scoped: SpeakerWatchHandler =
      name === undefined ? handler : { event: (phase, object) => (object.metadata?.name === name ? handler.event(phase, object) : undefined), error: e => handler.error(e) };
    set.add(scoped);
    // As the real port: the watch's own first list, delivered as ADDED before it is ready.
    // Synchronous here, as before: tests rely on the watch being ready in the same turn.
    const first = this.deliverFirstList(resource, scoped);
    if (first) await first;
    return { stop: () => set.delete(scoped) };
  }

  /** A watch's first list, as ADDED events (a subclass may cost it as the real port does). */
  protected deliverFirstList(resource: SpeakerResource, handler: SpeakerWatchHandler): Promise<void> | void {
    for (const o of this.store(resource).values()) handler.event("ADDED", structuredClone(o));
  }

  private viewCurrent = true;
  private readonly viewListeners = new Set<(current: boolean) => void>();

  isViewCurrent(): boolean {
    return this.viewCurrent;
  }

  onViewChange(listener: (current: boolean) => void): () => void {
    this.viewListeners.add(listener);
    return () => void this.viewListeners.delete(listener);
  }

  /** Says the watches' view went stale or current again, as the watch supervisor would. */
  setViewCurrent(current: boolean): void {
    if (current === this.viewCurrent) return;
    this.viewCurrent = current;
    for (const l of [...this.viewListeners]) l(current);
  }

  watcherCount(resource: SpeakerResource): number {
    return this.watchers.get(resource)?.size ?? 0;
  }

  async listL2Statuses(namespace: string, node?: string): Promise<KubeObject[]> {
    return this.listStatuses(this.l2Kind, this.l2Statuses, namespace, node);
  }

  async createL2Status(namespace: string, status: L2StatusBody): Promise<string> {
    const name = this.createStatus(this.l2Kind, this.l2Statuses, namespace, status);
    this.wrote({ op: "createL2Status", name, status: structuredClone(status) });
    return name;
  }

  async updateL2Status(_namespace: string, name: string, status: L2StatusBody): Promise<void> {
    this.updateStatus(this.l2Kind, this.l2Statuses, name, status);
    this.wrote({ op: "updateL2Status", name, status: structuredClone(status) });
  }

  async deleteL2Status(_namespace: string, name: string): Promise<void> {
    this.check("delete servicel2status");
    this.deleteStatus(this.l2Kind, this.l2Statuses, name);
    this.wrote({ op: "deleteL2Status", name });
  }

  async listBgpStatuses(namespace: string, node?: string): Promise<KubeObject[]> {
    return this.listStatuses(this.bgpKind, this.bgpStatuses, namespace, node);
  }

  async createBgpStatus(namespace: string, status: BgpStatusBody): Promise<string> {
    const name = this.createStatus(this.bgpKind, this.bgpStatuses, namespace, status);
    this.wrote({ op: "createBgpStatus", name, status: structuredClone(status) });
    return name;
  }

  async updateBgpStatus(_namespace: string, name: string, status: BgpStatusBody): Promise<void> {
    this.updateStatus(this.bgpKind, this.bgpStatuses, name, status);
    this.wrote({ op: "updateBgpStatus", name, status: structuredClone(status) });
  }

  async deleteBgpStatus(_namespace: string, name: string): Promise<void> {
    this.check("delete servicebgpstatus");
    this.deleteStatus(this.bgpKind, this.bgpStatuses, name);
    this.wrote({ op: "deleteBgpStatus", name });
  }

  async watchL2Statuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch> {
    return this.watchStatuses(this.l2Kind, namespace, node, handler);
  }

  async watchBgpStatuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch> {
    return this.watchStatuses(this.bgpKind, namespace, node, handler);
  }

  /** Watchers of the kind (one node's objects each), for tests. */
  statusWatcherCount(kind: "l2" | "bgp"): number {
    return (kind === "l2" ? this.l2Kind : this.bgpKind).watchers.size;
  }

  private watchStatuses(kind: StatusKindInfo, namespace: string, node: string, handler: SpeakerWatchHandler): Watch {
    this.check(`watch ${kind.plural}`);
    const w = { namespace, node, handler };
    kind.watchers.add(w);
    return { stop: () => kind.watchers.delete(w) };
  }

  private notify<Body>(kind: StatusKindInfo, phase: "ADDED" | "MODIFIED" | "DELETED", s: StoredStatus<Body>): void {
    for (const w of [...kind.watchers]) if (w.namespace === s.namespace && w.node === s.labels[L2_STATUS_LABELS.node]) w.handler.event(phase, statusObject(s));
  }

  private deleteStatus<Body>(kind: StatusKindInfo, store: Map<string, StoredStatus<Body>>, name: string): void {
    const s = store.get(name);
    if (!s) return;
    store.delete(name);
    this.notify(kind, "DELETED", s);
  }

  private listStatuses<Body>(kind: StatusKindInfo, store: Map<string, StoredStatus<Body>>, namespace: string, node: string | undefined): KubeObject[] {
    this.check(`list ${kind.plural}`);
    return [...store.values()].filter(s => s.namespace === namespace && (node === undefined || s.labels[L2_STATUS_LABELS.node] === node)).map(statusObject);
  }

  /** Stores a new object under a generated name (one counter for both kinds) and returns the name. */
  private createStatus<Body extends L2StatusBody | BgpStatusBody>(kind: StatusKindInfo, store: Map<string, StoredStatus<Body>>, namespace: string, status: Body): string {
    this.check(`create ${kind.resource}`);
    const name = `${kind.generateName}${(this.nextName++).toString(36).padStart(5, "0")}`;
    const labels = { [L2_STATUS_LABELS.node]: status.node, [L2_STATUS_LABELS.serviceName]: status.serviceName, [L2_STATUS_LABELS.serviceNamespace]: status.serviceNamespace };
    const stored = { name, namespace, labels, status: structuredClone(status) };
    store.set(name, stored);
    this.notify(kind, "ADDED", stored);
    return name;
  }

  private updateStatus<Body>(kind: StatusKindInfo, store: Map<string, StoredStatus<Body>>, name: string, status: Body): void {
    this.check(`update ${kind.resource}`);
    const s = store.get(name);
    if (!s) throw new ApiError(404, `${kind.plural}.metallb.io "${name}" not found`);
    s.status = structuredClone(status);
    this.notify(kind, "MODIFIED", s);
  }

  async getBgpPeer(namespace: string, name: string): Promise<KubeObject | undefined> {
    this.check("get bgppeer");
    const o = this.store("BGPPeer").get(`${namespace}/${name}`);
    return o ? structuredClone(o) : undefined;
  }

  async replaceBgpPeerStatus(namespace: string, name: string, resourceVersion: string, status: BgpPeerStatusBody): Promise<void> {
    this.check("patch bgppeer status");
    const o = this.store("BGPPeer").get(`${namespace}/${name}`);
    if (!o) throw new ApiError(404, `bgppeers.metallb.io "${name}" not found`);
    if (this.bgpPeerConflicts > 0) {
      this.bgpPeerConflicts--;
      // Another node wrote meanwhile: the object moves on.
      this.apply("BGPPeer", { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.resourceVersion) } });
      throw new ConflictError(`bgppeers.metallb.io "${name}": the object has been modified`);
    }
    if ((o.metadata?.resourceVersion ?? "") !== resourceVersion) throw new ConflictError(`bgppeers.metallb.io "${name}": the object has been modified`);
    this.apply("BGPPeer", { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.resourceVersion) }, status: structuredClone(status) });
    this.wrote({ op: "replaceBgpPeerStatus", name, sessions: structuredClone(status.sessions) });
  }


  async createEvent(event: CoreEvent): Promise<void> {
    this.check("create event");
    this.events.push(structuredClone(event));
    this.wrote({ op: "createEvent", event: structuredClone(event) });
  }

  async writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    this.check("write configurationstate");
    this.configurationStates.set(ref.name, { labels: { ...labels }, status: structuredClone(status) });
    this.wrote({ op: "writeConfigurationState", name: ref.name, status: structuredClone(status) });
  }
}

/** A stored status object as the API server returns it. */
function statusObject<Body>(s: StoredStatus<Body>): KubeObject {
  return { metadata: { name: s.name, namespace: s.namespace, labels: { ...s.labels } }, status: structuredClone(s.status) as KubeObject["status"] };
}
