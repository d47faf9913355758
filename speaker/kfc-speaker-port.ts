/**
 * The speaker's Kubernetes port on kubernetes-fluent-client.
 *
 * Lists use `K8s(...).Get` (not Pepr's `When`). Watches run under the process's WatchSupervisor
 * (capabilities/k8s/watch-supervisor.ts), which keeps them alive through any network fault, replays
 * what changed meanwhile, and says whether the view is current (the speaker's standby and readiness
 * follow it). Writes the fluent API cannot express (a strategic merge
 * patch of one Service condition, generateName creates, status subresources) go out with KFC's
 * own connection settings and fetch, so credentials and TLS are those of every other call.
 */
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { ApiConnection, collectionPath } from "../capabilities/k8s/api-connection";
import { realClock } from "../capabilities/l2/clock";
import { WatchSupervisor } from "../capabilities/k8s/watch-supervisor";
import { eventsPath, metallbPath } from "../capabilities/k8s/api-paths";
import { writeConfigurationState } from "../capabilities/k8s/configuration-state";
import { isNotFound, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch } from "../capabilities/k8s/controller-port";
import { JSON_CONTENT, KfcApi, MERGE_PATCH } from "../capabilities/k8s/kfc-api";
import { configKinds } from "../capabilities/k8s/kinds";
import { L2_STATUS_LABELS, SPEAKER_POD_LABELS, type BgpPeerStatusBody, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerResource, type SpeakerWatchHandler } from "../capabilities/k8s/speaker-port";

/** The per-Service status kinds a speaker writes, one object per Service and node. */
type PerServiceStatusKind = "ServiceL2Status" | "ServiceBGPStatus";
const GENERATE_NAME: Record<PerServiceStatusKind, string> = { ServiceL2Status: "l2-", ServiceBGPStatus: "bgp-" };

/** The fluent query for a resource: cluster-wide, or in the Lodestone namespace, or the speaker Pods. */
function query(resource: SpeakerResource, namespace: string, name?: string) {
  // fieldSelector metadata.name: authorized against a Role's resourceNames (list and watch).
  if (name !== undefined) return queryAll(resource, namespace).WithField("metadata.name", name);
  return queryAll(resource, namespace);
}

function queryAll(resource: SpeakerResource, namespace: string) {
  switch (resource) {
    case "Service":
      return K8s(kind.Service as GenericClass);
    case "EndpointSlice":
      return K8s(kind.EndpointSlice as GenericClass);
    case "Node":
      return K8s(kind.Node as GenericClass);
    case "Secret":
      return K8s(kind.Secret as GenericClass).InNamespace(namespace);
    case "SpeakerPod": {
      let q = K8s(kind.Pod as GenericClass).InNamespace(namespace);
      for (const [k, v] of Object.entries(SPEAKER_POD_LABELS)) q = q.WithLabel(k, v);
      return q;
    }
    default: {
      const k = configKinds.find(c => c.kind === resource);
      if (!k) throw new Error(`no model for ${resource}`);
      return K8s(k.model as GenericClass).InNamespace(namespace);
    }
  }
}

/** The collection path of a resource, with the same scope, labels and name as query(). */
function pathOf(resource: SpeakerResource, namespace: string, name?: string): string {
  const path = pathOfAll(resource, namespace);
  // fieldSelector metadata.name: authorized against a Role's resourceNames (list and watch).
  return name === undefined ? path : `${path}${path.includes("?") ? "&" : "?"}fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
}

function pathOfAll(resource: SpeakerResource, namespace: string): string {
  switch (resource) {
    case "Service":
      return collectionPath(kind.Service as GenericClass);
    case "EndpointSlice":
      return collectionPath(kind.EndpointSlice as GenericClass);
    case "Node":
      return collectionPath(kind.Node as GenericClass);
    case "Secret":
      return collectionPath(kind.Secret as GenericClass, namespace);
    case "SpeakerPod":
      return collectionPath(kind.Pod as GenericClass, namespace, { ...SPEAKER_POD_LABELS });
    default: {
      const k = configKinds.find(c => c.kind === resource);
      if (!k) throw new Error(`no model for ${resource}`);
      return collectionPath(k.model as GenericClass, namespace);
    }
  }
}

export class KfcSpeakerPort implements SpeakerPort {
  private readonly api = new KfcApi();
  private readonly request = this.api.request;
  private readonly connection = new ApiConnection();
  readonly watches: WatchSupervisor;

  constructor(opts: { log?: (message: string) => void } = {}) {
    this.watches = new WatchSupervisor({ clock: realClock, probe: this.connection.probe, ...(opts.log ? { log: opts.log } : {}) });
    this.watches.onPathReturn(() => {
      this.connection.resetConnections();
      this.api.resetConnections("the API server came back after a silence: sent again on a fresh connection");
    });
  }

  async list(resource: SpeakerResource, namespace: string, name?: string): Promise<KubeObject[]> {
    const list = await query(resource, namespace, name).Get();
    return list.items as KubeObject[];
  }

  async watch(resource: SpeakerResource, namespace: string, handler: SpeakerWatchHandler, name?: string): Promise<Watch> {
    const watch = this.watches.watch(this.connection.source(resource, pathOf(resource, namespace, name)), (phase, obj) => handler.event(phase, obj));
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
    const query = node === undefined ? "" : `?labelSelector=${encodeURIComponent(`${L2_STATUS_LABELS.node}=${node}`)}`;
    const list = await this.request<{ items?: KubeObject[] }>("GET", `${metallbPath(kindName, namespace)}${query}`);
    return list.items ?? [];
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
