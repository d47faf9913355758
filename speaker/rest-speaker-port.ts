/**
 * The speaker's Kubernetes port on plain REST (kube/rest): no Kubernetes client library,
 * whose modules would cost every node about 70 MiB of memory (docs/benchmarks.md, memory).
 *
 * Watches run under the process's WatchSupervisor (kube/watch-supervisor.ts), which keeps
 * them alive through any network fault, replays what changed meanwhile, and says whether the view is
 * current (the speaker's standby and readiness follow it). Objects are cut down to what the speaker
 * reads as they arrive (slim-object.ts).
 */
import { eventsPath, metallbPath, watchedCollectionPath } from "../kube/api-paths";
import { JSON_CONTENT, MERGE_PATCH, type ApiRequest } from "../kube/api-request";
import { writeConfigurationState } from "../kube/configuration-state";
import { isNotFound, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch } from "../kube/controller-port";
import { ApiConnection } from "../kube/api-connection";
import { listInPages, type ListPage } from "../kube/list-pages";
import type { KubeConnection } from "../kube/rest/kube-connection";
import { RestClient } from "../kube/rest/rest-client";
import { openRestSession } from "../kube/rest-session";
import type { WatchSupervisor } from "../kube/watch-supervisor";
import { L2_STATUS_LABELS, SPEAKER_POD_LABELS, type BgpPeerStatusBody, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerResource, type SpeakerWatchHandler } from "../kube/speaker-port";
import { slimObject } from "./slim-object";
import { StringTable } from "../kube/shared-strings";
import { withoutBookkeeping } from "../kube/without-bookkeeping";
import type { Logger } from "../observability/log";

/** The per-Service status kinds a speaker writes, one object per Service and node. */
type PerServiceStatusKind = "ServiceL2Status" | "ServiceBGPStatus";
const GENERATE_NAME: Record<PerServiceStatusKind, string> = { ServiceL2Status: "l2-", ServiceBGPStatus: "bgp-" };

const seg = encodeURIComponent;

/**
 * The collection a resource is listed and watched at: cluster-wide, or in the Lodestone namespace, or
 * the speaker Pods; with `name`, only that object (fieldSelector metadata.name, which list and watch
 * authorize against a Role's resourceNames).
 */
export function collectionPath(resource: SpeakerResource, namespace: string, name?: string): string {
  const path = allOf(resource, namespace);
  return name === undefined ? path : `${path}${path.includes("?") ? "&" : "?"}fieldSelector=${seg(`metadata.name=${name}`)}`;
}

function allOf(resource: SpeakerResource, namespace: string): string {
  switch (resource) {
    case "Secret":
      return `/api/v1/namespaces/${seg(namespace)}/secrets`;
    case "SpeakerPod": {
      const selector = Object.entries(SPEAKER_POD_LABELS).map(([k, v]) => `${k}=${v}`).join(",");
      return `/api/v1/namespaces/${seg(namespace)}/pods?labelSelector=${seg(selector)}`;
    }
    default:
      // Services, EndpointSlices and Nodes cluster-wide, the configuration in the namespace: where the controller reads them.
      return watchedCollectionPath(resource, namespace);
  }
}

/** The collection of one node's objects of a per-Service status kind (label metallb.io/node), or every node's. */
function statusesPath(kindName: PerServiceStatusKind, namespace: string, node: string | undefined): string {
  const query = node === undefined ? "" : `?labelSelector=${seg(`${L2_STATUS_LABELS.node}=${node}`)}`;
  return `${metallbPath(kindName, namespace)}${query}`;
}

export class RestSpeakerPort implements SpeakerPort {
  private readonly client: RestClient;
  private readonly connection: ApiConnection;
  /** Plain calls with the port's connection (the metrics server's TokenReviews go through it too). */
  readonly request: ApiRequest;
  readonly watches: WatchSupervisor;
  /** Objects per list page (0: one request). */
  private readonly listPageSize: number;
  /** One copy of each short string value the watches keep (kube/shared-strings.ts). */
  private readonly strings = new StringTable();

  constructor(opts: { log?: Logger; connection?: KubeConnection; listPageSize?: number } = {}) {
    this.listPageSize = opts.listPageSize ?? 500;
    const session = openRestSession({ ...opts, userAgent: "lodestone-speaker", listPageSize: this.listPageSize });
    this.client = session.client;
    this.request = this.client.request;
    this.connection = session.connection;
    this.watches = session.watches;
  }

  /** Lists in pages of `listPageSize` (kube/list-pages.ts). */
  async list(resource: SpeakerResource, namespace: string, name?: string): Promise<KubeObject[]> {
    const path = collectionPath(resource, namespace, name);
    const list = await listInPages(path, name === undefined ? this.listPageSize : 0, page => this.request<ListPage>("GET", page));
    // List items carry no apiVersion and kind (the list does): put them back, parseConfig reads them.
    const apiVersion = list.apiVersion;
    const kind = list.kind?.replace(/List$/, "");
    return list.items.map(item => slimObject(resource, { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}), ...item }));
  }

  async watch(resource: SpeakerResource, namespace: string, handler: SpeakerWatchHandler, name?: string): Promise<Watch> {
    const source = this.connection.source(resource, collectionPath(resource, namespace, name));
    // Secrets' values are not shared: the table would keep a password after its Secret is gone.
    const share = resource !== "Secret";
    const keep = (obj: KubeObject): KubeObject => (share ? this.strings.share(slimObject(resource, obj)) : slimObject(resource, obj));
    const watch = this.watches.watch(source, (phase, obj) => handler.event(phase, obj), { keep });
    // Ready once the watch's own first list is in: the stream resumes from that list's resourceVersion.
    await watch.ready;
    return { stop: () => watch.stop() };
  }

  isViewCurrent(): boolean {
    return this.watches.isCurrent();
  }

  onViewChange(listener: (current: boolean) => void): () => void {
    return this.watches.onCurrentChange(listener);
  }

  listL2Statuses(namespace: string, node?: string): Promise<KubeObject[]> {
    return this.listStatuses("ServiceL2Status", namespace, node);
  }

  createL2Status(namespace: string, status: L2StatusBody): Promise<string> {
    return this.createStatus("ServiceL2Status", namespace, status);
  }

  updateL2Status(namespace: string, name: string, status: L2StatusBody): Promise<void> {
    return this.updateStatus("ServiceL2Status", namespace, name, status);
  }

  deleteL2Status(namespace: string, name: string): Promise<void> {
    return this.deleteStatus("ServiceL2Status", namespace, name);
  }

  watchL2Statuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch> {
    return this.watchStatuses("ServiceL2Status", namespace, node, handler);
  }

  watchBgpStatuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch> {
    return this.watchStatuses("ServiceBGPStatus", namespace, node, handler);
  }

  listBgpStatuses(namespace: string, node?: string): Promise<KubeObject[]> {
    return this.listStatuses("ServiceBGPStatus", namespace, node);
  }

  createBgpStatus(namespace: string, status: BgpStatusBody): Promise<string> {
    return this.createStatus("ServiceBGPStatus", namespace, status);
  }

  updateBgpStatus(namespace: string, name: string, status: BgpStatusBody): Promise<void> {
    return this.updateStatus("ServiceBGPStatus", namespace, name, status);
  }

  deleteBgpStatus(namespace: string, name: string): Promise<void> {
    return this.deleteStatus("ServiceBGPStatus", namespace, name);
  }

  /** By a LIST of the namespace's BGPPeers, which the speaker may read anyway: no separate `get` grant. */
  async getBgpPeer(namespace: string, name: string): Promise<KubeObject | undefined> {
    const list = await this.request<{ items?: KubeObject[] }>("GET", metallbPath("BGPPeer", namespace));
    return (list.items ?? []).find(p => p.metadata?.name === name);
  }

  async replaceBgpPeerStatus(namespace: string, name: string, resourceVersion: string, status: BgpPeerStatusBody): Promise<void> {
    // A merge patch carrying metadata.resourceVersion is refused with 409 when the object moved on.
    await this.request("PATCH", `${metallbPath("BGPPeer", namespace, name)}/status`, MERGE_PATCH, { metadata: { resourceVersion }, status });
  }

  async createEvent(event: CoreEvent): Promise<void> {
    const body = { apiVersion: "v1", kind: "Event", ...event, eventTime: null, reportingComponent: "", reportingInstance: "" };
    await this.request("POST", eventsPath(event.metadata.namespace), JSON_CONTENT, body);
  }

  writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    return writeConfigurationState(this.request, ref, labels, status);
  }

  /** One node's objects of the kind (label metallb.io/node), or every node's. */
  private async listStatuses(kindName: PerServiceStatusKind, namespace: string, node: string | undefined): Promise<KubeObject[]> {
    const list = await this.request<{ items?: KubeObject[] }>("GET", statusesPath(kindName, namespace, node));
    return list.items ?? [];
  }

  /**
   * Under the supervisor like every other watch: it survives any network fault and replays, as
   * DELETED, what was removed meanwhile. The objects keep everything but Kubernetes' bookkeeping
   * (the writer reads their labels and status).
   */
  private async watchStatuses(kindName: PerServiceStatusKind, namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch> {
    const source = this.connection.source(`${kindName} of ${node}`, statusesPath(kindName, namespace, node));
    // Not part of the view of the cluster: the speaker decides nothing from these (a failing one must not make it stand by).
    const watch = this.watches.watch(source, (phase, obj) => handler.event(phase, obj), { partOfView: false, keep: withoutBookkeeping });
    await watch.ready;
    return { stop: () => watch.stop() };
  }

  private async createStatus(kindName: PerServiceStatusKind, namespace: string, status: L2StatusBody | BgpStatusBody): Promise<string> {
    const labels = { [L2_STATUS_LABELS.node]: status.node, [L2_STATUS_LABELS.serviceName]: status.serviceName, [L2_STATUS_LABELS.serviceNamespace]: status.serviceNamespace };
    const body = { apiVersion: "metallb.io/v1beta1", kind: kindName, metadata: { generateName: GENERATE_NAME[kindName], namespace, labels } };
    const created = await this.request<KubeObject>("POST", metallbPath(kindName, namespace), JSON_CONTENT, body);
    const name = created.metadata?.name ?? "";
    // status is a subresource: ignored on create, written now.
    await this.updateStatus(kindName, namespace, name, status);
    return name;
  }

  private async updateStatus(kindName: PerServiceStatusKind, namespace: string, name: string, status: L2StatusBody | BgpStatusBody): Promise<void> {
    await this.request("PATCH", `${metallbPath(kindName, namespace, name)}/status`, MERGE_PATCH, { status });
  }

  /** A missing object is not an error. */
  private async deleteStatus(kindName: PerServiceStatusKind, namespace: string, name: string): Promise<void> {
    try {
      await this.request("DELETE", metallbPath(kindName, namespace, name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
