/**
 * The speaker's Kubernetes port on kubernetes-fluent-client.
 *
 * Lists and watches use `K8s(...).Get/Watch` (not Pepr's `When`). KFC's watcher reconnects and
 * relists by itself; its errors are passed on so the speaker can relist too (the cluster cache
 * keeps the last snapshot meanwhile). Writes the fluent API cannot express (a strategic merge
 * patch of one Service condition, generateName creates, status subresources) go out with KFC's
 * own connection settings and fetch, so credentials and TLS are those of every other call.
 */
import { fetch, K8s, kind, WatchEvent, type GenericClass } from "kubernetes-fluent-client";
import { FetchMethods } from "kubernetes-fluent-client/dist/fluent/shared-types.js";
import { k8sCfg } from "kubernetes-fluent-client/dist/fluent/utils.js";
import { ApiError, ConflictError, NotFoundError, isNotFound, type Condition, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch } from "../capabilities/k8s/controller-port";
import { configKinds } from "../capabilities/k8s/kinds";
import { L2_STATUS_LABELS, SPEAKER_POD_LABELS, type BgpSessionEntry, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerResource, type SpeakerWatchHandler } from "../capabilities/k8s/speaker-port";

const MERGE = "application/merge-patch+json";
const STRATEGIC = "application/strategic-merge-patch+json";
const JSON_TYPE = "application/json";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

const metallbPath = (plural: string, ns: string, name?: string): string =>
  `/apis/metallb.io/v1beta1/namespaces/${encodeURIComponent(ns)}/${plural}${name ? `/${encodeURIComponent(name)}` : ""}`;

const bgpPeerPath = (ns: string, name: string): string => `/apis/metallb.io/v1beta2/namespaces/${encodeURIComponent(ns)}/bgppeers/${encodeURIComponent(name)}`;

/** The fluent query for a resource: cluster-wide, or in the Lodestone namespace, or the speaker Pods. */
function query(resource: SpeakerResource, namespace: string) {
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

function apiError(status: number, data: unknown, fallback: string): ApiError {
  const message =
    typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string" ? (data as { message: string }).message : fallback;
  if (status === 409) return new ConflictError(message);
  if (status === 404) return new NotFoundError(message);
  return new ApiError(status, message);
}

export class KfcSpeakerPort implements SpeakerPort {
  async list(resource: SpeakerResource, namespace: string): Promise<KubeObject[]> {
    const list = await query(resource, namespace).Get();
    return list.items as KubeObject[];
  }

  async watch(resource: SpeakerResource, namespace: string, handler: SpeakerWatchHandler): Promise<Watch> {
    const watcher = query(resource, namespace).Watch((obj, phase) => {
      if (phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") handler.event(phase, obj as KubeObject);
    });
    const fail = (e: unknown): void => handler.error(e instanceof Error ? e : new Error(String(e)));
    for (const ev of [WatchEvent.NETWORK_ERROR, WatchEvent.LIST_ERROR, WatchEvent.WATCH_ERROR, WatchEvent.GIVE_UP]) watcher.events.on(ev, fail);
    await watcher.start();
    return { stop: () => watcher.close() };
  }

  async listL2Statuses(namespace: string, node: string): Promise<KubeObject[]> {
    const selector = encodeURIComponent(`${L2_STATUS_LABELS.node}=${node}`);
    const list = await this.request<{ items?: KubeObject[] }>("GET", `${metallbPath("servicel2statuses", namespace)}?labelSelector=${selector}`);
    return list.items ?? [];
  }

  async createL2Status(namespace: string, status: L2StatusBody): Promise<string> {
    const labels = { [L2_STATUS_LABELS.node]: status.node, [L2_STATUS_LABELS.serviceName]: status.serviceName, [L2_STATUS_LABELS.serviceNamespace]: status.serviceNamespace };
    const body = { apiVersion: "metallb.io/v1beta1", kind: "ServiceL2Status", metadata: { generateName: "l2-", namespace, labels } };
    const created = await this.request<KubeObject>("POST", metallbPath("servicel2statuses", namespace), JSON_TYPE, body);
    const name = created.metadata?.name ?? "";
    // status is a subresource: ignored on create, written now.
    await this.updateL2Status(namespace, name, status);
    return name;
  }

  async updateL2Status(namespace: string, name: string, status: L2StatusBody): Promise<void> {
    await this.request("PATCH", `${metallbPath("servicel2statuses", namespace, name)}/status`, MERGE, { status });
  }

  async deleteL2Status(namespace: string, name: string): Promise<void> {
    try {
      await this.request("DELETE", metallbPath("servicel2statuses", namespace, name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async listBgpStatuses(namespace: string, node: string): Promise<KubeObject[]> {
    const selector = encodeURIComponent(`${L2_STATUS_LABELS.node}=${node}`);
    const list = await this.request<{ items?: KubeObject[] }>("GET", `${metallbPath("servicebgpstatuses", namespace)}?labelSelector=${selector}`);
    return list.items ?? [];
  }

  async createBgpStatus(namespace: string, status: BgpStatusBody): Promise<string> {
    const labels = { [L2_STATUS_LABELS.node]: status.node, [L2_STATUS_LABELS.serviceName]: status.serviceName, [L2_STATUS_LABELS.serviceNamespace]: status.serviceNamespace };
    const body = { apiVersion: "metallb.io/v1beta1", kind: "ServiceBGPStatus", metadata: { generateName: "bgp-", namespace, labels } };
    const created = await this.request<KubeObject>("POST", metallbPath("servicebgpstatuses", namespace), JSON_TYPE, body);
    const name = created.metadata?.name ?? "";
    await this.updateBgpStatus(namespace, name, status);
    return name;
  }

  async updateBgpStatus(namespace: string, name: string, status: BgpStatusBody): Promise<void> {
    await this.request("PATCH", `${metallbPath("servicebgpstatuses", namespace, name)}/status`, MERGE, { status });
  }

  async deleteBgpStatus(namespace: string, name: string): Promise<void> {
    try {
      await this.request("DELETE", metallbPath("servicebgpstatuses", namespace, name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** By a LIST of the namespace's BGPPeers, which the speaker may read anyway: no separate `get` grant. */
  async getBgpPeer(namespace: string, name: string): Promise<KubeObject | undefined> {
    const list = await this.request<{ items?: KubeObject[] }>("GET", bgpPeerPath(namespace, "").replace(/\/$/, ""));
    return (list.items ?? []).find(p => p.metadata?.name === name);
  }

  async replaceBgpPeerStatus(namespace: string, name: string, resourceVersion: string, status: { sessions: BgpSessionEntry[] }): Promise<void> {
    // A merge patch carrying metadata.resourceVersion is refused with 409 when the object moved on.
    await this.request("PATCH", `${bgpPeerPath(namespace, name)}/status`, MERGE, { metadata: { resourceVersion }, status });
  }

  async setServiceCondition(ref: ObjectRef, condition: Condition): Promise<void> {
    // Service status conditions are a list keyed by type for strategic merge: only ours changes.
    const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/services/${encodeURIComponent(ref.name)}/status`;
    await this.request("PATCH", path, STRATEGIC, { status: { conditions: [condition] } });
  }

  async createEvent(event: CoreEvent): Promise<void> {
    const body = { apiVersion: "v1", kind: "Event", ...event, eventTime: null, reportingComponent: "", reportingInstance: "" };
    await this.request("POST", `/api/v1/namespaces/${encodeURIComponent(event.metadata.namespace)}/events`, JSON_TYPE, body);
  }

  async writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    const path = metallbPath("configurationstates", ref.namespace, ref.name);
    try {
      await this.request("PATCH", `${path}/status`, MERGE, { status });
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const object = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: ref.name, namespace: ref.namespace, labels } };
    try {
      await this.request("POST", metallbPath("configurationstates", ref.namespace), JSON_TYPE, object);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) throw e;
    }
    await this.request("PATCH", `${path}/status`, MERGE, { status });
  }

  private connection: { at: number; cfg: Awaited<ReturnType<typeof k8sCfg>> } | undefined;

  /** KFC's connection settings, reused for a minute (one pool, and a rotated token is picked up). */
  private async settings(): Promise<Awaited<ReturnType<typeof k8sCfg>>> {
    if (!this.connection || Date.now() - this.connection.at > 60_000) this.connection = { at: Date.now(), cfg: await k8sCfg(FetchMethods.GET) };
    return this.connection.cfg;
  }

  private async request<T = unknown>(method: Method, path: string, contentType?: string, body?: unknown): Promise<T> {
    const { opts, serverUrl } = await this.settings();
    const headers = { ...(opts.headers as Record<string, string>), ...(contentType ? { "Content-Type": contentType } : {}) };
    const resp = await fetch<T>(new URL(path, serverUrl), { ...opts, method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (resp.ok) return resp.data;
    if (resp.e !== undefined && resp.statusText) throw new ApiError(0, `${method} ${path}: ${resp.statusText}`);
    throw apiError(resp.status, resp.data, `${method} ${path}: ${resp.status} ${resp.statusText}`);
  }
}
