/**
 * The controller's Kubernetes port on kubernetes-fluent-client.
 *
 * Lists and watches use `K8s(...).Get/Watch` directly (not Pepr's `When`, which never sees
 * kube-system). Writes that the fluent API cannot express - a merge patch carrying a
 * resourceVersion precondition, a strategic merge patch of an Event, int64 counters above 2^53 -
 * are sent with KFC's own connection settings (kubeconfig or in-cluster service account) and
 * fetch, so that authentication and TLS are the same as for every other call.
 */
import { fetch, K8s, kind, WatchEvent, type GenericClass } from "kubernetes-fluent-client";
import { FetchMethods } from "kubernetes-fluent-client/dist/fluent/shared-types.js";
import { k8sCfg } from "kubernetes-fluent-client/dist/fluent/utils.js";
import {
  ApiError,
  ConflictError,
  isNotFound,
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
} from "./controller-port";
import { configKinds, statusKinds } from "./kinds";

const MERGE = "application/merge-patch+json";
const STRATEGIC = "application/strategic-merge-patch+json";

function modelOf(resource: WatchedResource): { model: GenericClass; namespaced: boolean } {
  if (resource === "Service") return { model: kind.Service as GenericClass, namespaced: false };
  if (resource === "Namespace") return { model: kind.Namespace as GenericClass, namespaced: false };
  const k = configKinds.find(c => c.kind === resource);
  if (!k) throw new Error(`no model for ${resource}`);
  return { model: k.model as GenericClass, namespaced: true };
}

const metallbPath = (kindName: string, ns: string, name?: string): string => {
  const k = [...configKinds, ...statusKinds].find(c => c.kind === kindName);
  if (!k) throw new Error(`unknown metallb.io kind ${kindName}`);
  return `/apis/metallb.io/${k.version}/namespaces/${encodeURIComponent(ns)}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ""}`;
};

const servicePath = (ref: ObjectRef): string => `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/services/${encodeURIComponent(ref.name)}`;

/** JSON with bigints written as exact integer literals (int64 counters). */
export function jsonWithInt64(value: unknown): string {
  const marked = JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `__int64__${v.toString()}__` : v));
  return marked.replace(/"__int64__(-?\d+)__"/g, "$1");
}

function apiError(status: number, data: unknown, fallback: string): ApiError {
  const message =
    typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string"
      ? (data as { message: string }).message
      : fallback;
  if (status === 409) return new ConflictError(message);
  if (status === 404) return new NotFoundError(message);
  return new ApiError(status, message);
}

export class KfcControllerPort implements ControllerPort {
  async list(resource: WatchedResource, namespace: string): Promise<KubeObject[]> {
    const { model, namespaced } = modelOf(resource);
    const list = namespaced ? await K8s(model).InNamespace(namespace).Get() : await K8s(model).Get();
    return list.items as KubeObject[];
  }

  async watch(resource: WatchedResource, namespace: string, handler: WatchHandler): Promise<Watch> {
    const { model, namespaced } = modelOf(resource);
    const target = namespaced ? K8s(model).InNamespace(namespace) : K8s(model);
    const watcher = target.Watch((obj, phase) => {
      if (phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") handler(phase, obj as KubeObject);
    });
    // Ready once the watcher's own initial list is in: KFC lists before it connects and resumes
    // from that list's resourceVersion, so nothing after it is missed. Waiting for the connection
    // itself would hang on servers that send the watch response's headers only with its first event.
    await new Promise<void>((resolve, reject) => {
      watcher.events.once(WatchEvent.LIST, () => resolve());
      watcher.start().then(() => resolve(), reject);
    });
    return { stop: () => watcher.close() };
  }

  async getService(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>("GET", servicePath(ref));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  patchServiceStatus(ref: ObjectRef, resourceVersion: string, patch: ServiceStatusPatch): Promise<KubeObject> {
    const body = { metadata: { resourceVersion }, status: { loadBalancer: { ingress: patch.ingress }, conditions: patch.conditions } };
    return this.request<KubeObject>("PATCH", `${servicePath(ref)}/status`, MERGE, body);
  }

  patchServiceAnnotations(ref: ObjectRef, resourceVersion: string, annotations: Record<string, string | null>): Promise<KubeObject> {
    return this.request<KubeObject>("PATCH", servicePath(ref), MERGE, { metadata: { resourceVersion, annotations } });
  }

  async createEvent(event: CoreEvent): Promise<void> {
    const body = { apiVersion: "v1", kind: "Event", ...event, eventTime: null, reportingComponent: "", reportingInstance: "" };
    await this.request("POST", `/api/v1/namespaces/${encodeURIComponent(event.metadata.namespace)}/events`, "application/json", body);
  }

  async patchEvent(ref: ObjectRef, patch: { count: number; lastTimestamp: string; message: string }): Promise<void> {
    await this.request("PATCH", `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events/${encodeURIComponent(ref.name)}`, STRATEGIC, patch);
  }

  async patchPoolStatus(ref: ObjectRef, status: PoolStatus): Promise<void> {
    await this.request("PATCH", `${metallbPath("IPAddressPool", ref.namespace, ref.name)}/status`, MERGE, { status });
  }

  async writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    const path = metallbPath("ConfigurationState", ref.namespace, ref.name);
    try {
      await this.request("PATCH", `${path}/status`, MERGE, { status });
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const object = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: ref.name, namespace: ref.namespace, labels } };
    try {
      await this.request("POST", metallbPath("ConfigurationState", ref.namespace), "application/json", object);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) throw e; // created meanwhile: fine
    }
    // Status is ignored on create (status subresource): write it now.
    await this.request("PATCH", `${path}/status`, MERGE, { status });
  }

  private connection: { at: number; cfg: Awaited<ReturnType<typeof k8sCfg>> } | undefined;

  /**
   * KFC's connection settings, reused for a minute: k8sCfg builds a new connection pool per call,
   * which would leave one idle keep-alive socket per write; re-reading now and then picks up a
   * rotated service-account token.
   */
  private async settings(): Promise<Awaited<ReturnType<typeof k8sCfg>>> {
    if (!this.connection || Date.now() - this.connection.at > 60_000) {
      this.connection = { at: Date.now(), cfg: await k8sCfg(FetchMethods.GET) };
    }
    return this.connection.cfg;
  }

  /** One request with KFC's credentials and TLS settings; API failures become ApiError. */
  private async request<T = unknown>(method: "GET" | "POST" | "PATCH", path: string, contentType?: string, body?: unknown): Promise<T> {
    const { opts, serverUrl } = await this.settings();
    const headers = { ...(opts.headers as Record<string, string>), ...(contentType ? { "Content-Type": contentType } : {}) };
    const url = new URL(path, serverUrl);
    const resp = await fetch<T>(url, { ...opts, method, headers, ...(body === undefined ? {} : { body: jsonWithInt64(body) }) });
    if (resp.ok) return resp.data;
    if (resp.e !== undefined && resp.statusText) throw new ApiError(0, `${method} ${path}: ${resp.statusText}`);
    throw apiError(resp.status, resp.data, `${method} ${path}: ${resp.status} ${resp.statusText}`);
  }
}
