/**
 * The controller's Kubernetes port on plain REST (kube/rest): no Kubernetes client library in the
 * process (docs/adr/0015: the controller's module process runs our code only, as the speaker does).
 *
 * Lists go in pages (kube/list-pages.ts); watches run under the process's WatchSupervisor
 * (watch-supervisor.ts), which keeps them alive through any network fault and replays what changed
 * meanwhile. Writes carry what the controller needs and a generic client hides: a merge patch with a
 * resourceVersion precondition, a strategic merge patch of an Event, int64 counters above 2^53.
 */
import { ApiConnection } from "./api-connection";
import { eventsPath, metallbPath, servicePath, watchedCollectionPath } from "./api-paths";
import { JSON_CONTENT, MERGE_PATCH, STRATEGIC_MERGE_PATCH, type ApiRequest } from "./api-request";
import { writeConfigurationState } from "./configuration-state";
import {
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
import { servesIngressIPMode } from "./ingress-ip-mode";
import { listInPages, type ListPage } from "./list-pages";
import type { KubeConnection } from "./rest/kube-connection";
import { RestClient } from "./rest/rest-client";
import { SERVICE_CIDR_PATH } from "./service-range";
import { openRestSession } from "./rest-session";
import type { WatchSupervisor } from "./watch-supervisor";
import type { Logger } from "../observability/log";
import { withoutBookkeeping } from "./without-bookkeeping";
import { StringTable } from "./shared-strings";

/** Objects per list page: no 10,000-Service body is parsed in one piece. */
const LIST_PAGE_SIZE = 500;

export class RestControllerPort implements ControllerPort {
  private readonly client: RestClient;
  /** Plain calls with the port's connection (the metrics server's TokenReviews go through it too). */
  readonly request: ApiRequest;
  private readonly connection: ApiConnection;
  /** One copy of each short string value the watches keep (shared-strings.ts). */
  private readonly strings = new StringTable();
  readonly watches: WatchSupervisor;

  /** `connection`: where the API server is (default: KUBECONFIG's first file, else the Pod's service account). */
  constructor(opts: { log?: Logger; connection?: KubeConnection } = {}) {
    const session = openRestSession({
      ...opts,
      userAgent: "lodestone-controller",
      listPageSize: LIST_PAGE_SIZE,
      cutCallsOnReturn: "the API server came back after a silence: sent again on a fresh connection",
    });
    this.client = session.client;
    this.request = this.client.request;
    this.connection = session.connection;
    this.watches = session.watches;
  }

  async list(resource: WatchedResource, namespace: string): Promise<KubeObject[]> {
    const list = await listInPages(watchedCollectionPath(resource, namespace), LIST_PAGE_SIZE, page => this.request<ListPage>("GET", page));
    return list.items.map(withoutBookkeeping);
  }

  async watch(resource: WatchedResource, namespace: string, handler: WatchHandler): Promise<Watch> {
    const source = this.connection.source(resource, watchedCollectionPath(resource, namespace));
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
