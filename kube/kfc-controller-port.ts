/**
 * The controller's Kubernetes port on kubernetes-fluent-client.
 *
 * Lists use `K8s(...).Get` directly (not Pepr's `When`, which never sees kube-system); watches run
 * under the process's WatchSupervisor (watch-supervisor.ts), which keeps them alive through any
 * network fault and replays what changed meanwhile. Writes that the fluent API cannot express - a merge patch carrying a
 * resourceVersion precondition, a strategic merge patch of an Event, int64 counters above 2^53 -
 * are sent with KFC's own connection settings (kubeconfig or in-cluster service account) and
 * fetch, so that authentication and TLS are the same as for every other call.
 */
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { realClock } from "../core/clock";
import { ApiConnection } from "./api-connection";
import { collectionPath, kubeConfigSettings } from "./kubeconfig-settings";
import { eventsPath, metallbPath, servicePath } from "./api-paths";
import { writeConfigurationState } from "./configuration-state";
import {
  isListedClusterWide,
  isNotFound,
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
  watchRemembers,
} from "./controller-port";
import { KfcApi, JSON_CONTENT, MERGE_PATCH, STRATEGIC_MERGE_PATCH } from "./kfc-api";
import { configKinds, statusKinds } from "./kinds";
import { servesIngressIPMode } from "./ingress-ip-mode";
import { SERVICE_CIDR_PATH } from "./service-range";
import { WatchSupervisor } from "./watch-supervisor";
import type { Logger } from "../observability/log";
import { withoutBookkeeping } from "./without-bookkeeping";
import { StringTable } from "./shared-strings";

function modelOf(resource: WatchedResource): { model: GenericClass; namespaced: boolean } {
  const namespaced = !isListedClusterWide(resource);
  if (resource === "Service") return { model: kind.Service as GenericClass, namespaced };
  if (resource === "Namespace") return { model: kind.Namespace as GenericClass, namespaced };
  if (resource === "EndpointSlice") return { model: kind.EndpointSlice as GenericClass, namespaced };
  if (resource === "Node") return { model: kind.Node as GenericClass, namespaced };
  const k = [...configKinds, ...statusKinds].find(c => c.kind === resource);
  if (!k) throw new Error(`no model for ${resource}`);
  return { model: k.model as GenericClass, namespaced };
}

export class KfcControllerPort implements ControllerPort {
  private readonly api = new KfcApi();
  private readonly request = this.api.request;
  private readonly connection = new ApiConnection(kubeConfigSettings());
  /** One copy of each short string value the watches keep (shared-strings.ts). */
  private readonly strings = new StringTable();
  readonly watches: WatchSupervisor;

  constructor(opts: { log?: Logger } = {}) {
    this.watches = new WatchSupervisor({ clock: realClock, probe: this.connection.probe, ...(opts.log ? { log: opts.log } : {}) });
    this.watches.onPathReturn(() => {
      this.connection.resetConnections();
      this.api.resetConnections("the API server came back after a silence: sent again on a fresh connection");
    });
  }

  async list(resource: WatchedResource, namespace: string): Promise<KubeObject[]> {
    const { model, namespaced } = modelOf(resource);
    const list = namespaced ? await K8s(model).InNamespace(namespace).Get() : await K8s(model).Get();
    return (list.items as KubeObject[]).map(withoutBookkeeping);
  }

  async watch(resource: WatchedResource, namespace: string, handler: WatchHandler): Promise<Watch> {
    const { model, namespaced } = modelOf(resource);
    const source = this.connection.source(resource, collectionPath(model, namespaced ? namespace : undefined));
    // Ready once the watch's own first list is in: the stream resumes from that list's
    // resourceVersion, so nothing after it is missed.
    const watch = this.watches.watch(source, (phase, object) => handler(phase, object), { keep: o => this.strings.share(withoutBookkeeping(o)), remember: watchRemembers(resource) });
    await watch.ready;
    return { stop: () => watch.stop() };
  }

  async listServiceCIDRs(): Promise<KubeObject[]> {
    try {
      return (await this.request<{ items?: KubeObject[] }>("GET", SERVICE_CIDR_PATH)).items ?? [];
    } catch (e) {
      // Before Kubernetes 1.33 (v1) the resource is not served: the kubernetes Service is the fallback.
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  servesIngressIPMode(): Promise<boolean> {
    // The OpenAPI documents come as text/plain from some servers (01-discovery.md 10).
    return servesIngressIPMode(async path => {
      const data = await this.request<unknown>("GET", path);
      return typeof data === "string" ? (JSON.parse(data) as unknown) : data;
    });
  }

  async getService(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return withoutBookkeeping(await this.request<KubeObject>("GET", servicePath(ref)));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  patchServiceStatus(ref: ObjectRef, resourceVersion: string, patch: ServiceStatusPatch): Promise<KubeObject> {
    const body = { metadata: { resourceVersion }, status: { loadBalancer: { ingress: patch.ingress }, conditions: patch.conditions } };
    return this.request<KubeObject>("PATCH", `${servicePath(ref)}/status`, MERGE_PATCH, body).then(withoutBookkeeping);
  }

  patchServiceAnnotations(ref: ObjectRef, resourceVersion: string, annotations: Record<string, string | null>): Promise<KubeObject> {
    return this.request<KubeObject>("PATCH", servicePath(ref), MERGE_PATCH, { metadata: { resourceVersion, annotations } }).then(withoutBookkeeping);
  }

  async createEvent(event: CoreEvent): Promise<void> {
    const body = { apiVersion: "v1", kind: "Event", ...event, eventTime: null, reportingComponent: "", reportingInstance: "" };
    await this.request("POST", eventsPath(event.metadata.namespace), JSON_CONTENT, body);
  }

  async patchEvent(ref: ObjectRef, patch: { count: number; lastTimestamp: string; message: string }): Promise<void> {
    await this.request("PATCH", eventsPath(ref.namespace, ref.name), STRATEGIC_MERGE_PATCH, patch);
  }

  async patchPoolStatus(ref: ObjectRef, status: PoolStatus): Promise<void> {
    await this.request("PATCH", `${metallbPath("IPAddressPool", ref.namespace, ref.name)}/status`, MERGE_PATCH, { status });
  }

  writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
    return writeConfigurationState(this.request, ref, labels, status);
  }
}
