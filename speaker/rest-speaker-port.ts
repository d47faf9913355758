/**
 * The speaker's Kubernetes port on plain REST (capabilities/k8s/rest): no Kubernetes client library,
 * whose modules would cost every node about 70 MiB of memory (docs/benchmarks.md, memory).
 *
 * A watch starts from the resourceVersion of the list the cluster cache made just before it (so
 * nothing between the two is missed), follows the stream, and opens it again from the last version
 * seen when the server ends it (every WATCH_TIMEOUT_S). When the stream breaks or the version has
 * expired (410), the handler hears of it (the cache keeps its snapshot and relists) and the watch
 * comes back by itself, from a fresh list's version, retrying with backoff until the API answers.
 * Objects are cut down to what the speaker reads as they arrive (slim-object.ts).
 */
import { eventsPath, metallbPath } from "../capabilities/k8s/api-paths";
import { JSON_CONTENT, MERGE_PATCH, type ApiRequest } from "../capabilities/k8s/api-request";
import { writeConfigurationState } from "../capabilities/k8s/configuration-state";
import { isNotFound, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch } from "../capabilities/k8s/controller-port";
import { kubeConnection } from "../capabilities/k8s/rest/kube-connection";
import { RestClient, type WatchStream } from "../capabilities/k8s/rest/rest-client";
import { L2_STATUS_LABELS, SPEAKER_POD_LABELS, type BgpPeerStatusBody, type BgpStatusBody, type L2StatusBody, type SpeakerPort, type SpeakerResource, type SpeakerWatchHandler } from "../capabilities/k8s/speaker-port";
import { slimObject } from "./slim-object";

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
    case "Service":
      return "/api/v1/services";
    case "EndpointSlice":
      return "/apis/discovery.k8s.io/v1/endpointslices";
    case "Node":
      return "/api/v1/nodes";
    case "Secret":
      return `/api/v1/namespaces/${seg(namespace)}/secrets`;
    case "SpeakerPod": {
      const selector = Object.entries(SPEAKER_POD_LABELS).map(([k, v]) => `${k}=${v}`).join(",");
      return `/api/v1/namespaces/${seg(namespace)}/pods?labelSelector=${seg(selector)}`;
    }
    default:
      return metallbPath(resource, namespace);
  }
}

interface ListBody {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string };
  items?: KubeObject[];
}

/** Backoff of a watch that cannot be opened again. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class RestSpeakerPort implements SpeakerPort {
  private readonly client: RestClient;
  /** Plain calls with the port's connection (the metrics server's TokenReviews go through it too). */
  readonly request: ApiRequest;
  /** The resourceVersion of each collection's last list (by path): where its next watch starts. */
  private readonly listedAt = new Map<string, string>();

  constructor(client: RestClient = new RestClient(kubeConnection())) {
    this.client = client;
    this.request = client.request;
  }

  async list(resource: SpeakerResource, namespace: string, name?: string): Promise<KubeObject[]> {
    const path = collectionPath(resource, namespace, name);
    const body = await this.request<ListBody>("GET", path);
    if (body.metadata?.resourceVersion) this.listedAt.set(path, body.metadata.resourceVersion);
    // List items carry no apiVersion and kind (the list does): put them back, parseConfig reads them.
    const apiVersion = body.apiVersion;
    const kind = body.kind?.replace(/List$/, "");
    return (body.items ?? []).map(item => slimObject(resource, { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}), ...item }));
  }

  async watch(resource: SpeakerResource, namespace: string, handler: SpeakerWatchHandler, name?: string): Promise<Watch> {
    const path = collectionPath(resource, namespace, name);
    let version = this.listedAt.get(path) ?? (await this.freshVersion(path));
    let stream: WatchStream | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const open = async (): Promise<WatchStream> =>
      this.client.watch(path, version, (type, object) => {
        const rv = (object["metadata"] as { resourceVersion?: unknown } | undefined)?.resourceVersion;
        if (typeof rv === "string" && rv !== "") version = rv;
        if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") handler.event(type, slimObject(resource, object as KubeObject));
      });
    const follow = (current: WatchStream): void => {
      stream = current;
      current.ended.then(
        end => {
          if (stopped) return;
          if (end === "expired") handler.error(new Error(`watch ${resource}: resourceVersion ${version} expired (410 Gone)`));
          reopen(end === "expired", 0);
        },
        (error: unknown) => {
          if (stopped) return;
          handler.error(error instanceof Error ? error : new Error(String(error)));
          reopen(false, RETRY_FIRST_MS);
        },
      );
    };
    const reopen = (relist: boolean, delay: number): void => {
      retry = setTimeout(() => {
        (async () => {
          if (relist) version = await this.freshVersion(path);
          return open();
        })().then(
          s => (stopped ? s.stop() : follow(s)),
          (error: unknown) => {
            if (stopped) return;
            handler.error(error instanceof Error ? error : new Error(String(error)));
            reopen(true, Math.min(Math.max(delay * 2, RETRY_FIRST_MS), RETRY_MAX_MS));
          },
        );
      }, delay);
    };
    follow(await open());
    return {
      stop: () => {
        stopped = true;
        clearTimeout(retry);
        stream?.stop();
      },
    };
  }

  /** The collection's current resourceVersion, from a list of one item. */
  private async freshVersion(path: string): Promise<string> {
    const body = await this.request<ListBody>("GET", `${path}${path.includes("?") ? "&" : "?"}limit=1`);
    return body.metadata?.resourceVersion ?? "";
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
