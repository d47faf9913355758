/**
 * The narrow Kubernetes port of the speaker: what it lists and watches to decide what to announce,
 * and what it writes to show it (ServiceL2Status, ServiceBGPStatus, ConfigurationState and Events,
 * as MetalLB's speaker does: https://metallb.universe.tf/apis/). Two implementations:
 * plain REST (speaker/rest-speaker-port.ts) and an in-memory recording fake
 * (fake-speaker-port.ts) for tests.
 *
 * Objects cross the port as plain JSON; the speaker reads them through core/announce and
 * parseConfig, never trusting their shape.
 */
import { CONFIG_RESOURCES, type ConfigResource, type ConfigurationStateStatus, type CoreEvent, type KubeObject, type ObjectRef, type Watch, type WatchPhase } from "./controller-port";

export type { Condition, ConfigurationStateStatus, CoreEvent, KubeObject, ObjectRef, Watch, WatchPhase } from "./controller-port";

/**
 * What the speaker watches. Services, EndpointSlices and Nodes cluster-wide; the config kinds,
 * Secrets and the speaker Pods (peer discovery) in the Lodestone namespace. Secrets only by name
 * (the heartbeat key and the BGPPeers' passwordSecrets), so that a Role with resourceNames is all
 * the speaker needs: list and watch with `fieldSelector=metadata.name=<name>` are authorized
 * against resourceNames.
 */
export type SpeakerResource = "Service" | "EndpointSlice" | "Node" | ConfigResource | "Secret" | "SpeakerPod";

export const SPEAKER_RESOURCES = ["Service", "EndpointSlice", "Node", ...CONFIG_RESOURCES, "Secret", "SpeakerPod"] as const satisfies readonly SpeakerResource[];

/** The labels of the speaker Pods (MetalLB's are `app=metallb,component=speaker`). */
export const SPEAKER_POD_LABELS: Readonly<Record<string, string>> = { app: "lodestone", component: "speaker" };

export interface SpeakerWatchHandler {
  event(phase: WatchPhase, object: KubeObject): void;
  /** The watch lost its connection or failed; it may recover by itself, but events may have been missed. */
  error(error: Error): void;
}

/** The status of a ServiceL2Status (reference 1.8). */
export interface L2StatusBody {
  node: string;
  serviceName: string;
  serviceNamespace: string;
  interfaces: { name: string }[];
}

export const L2_STATUS_LABELS = {
  node: "metallb.io/node",
  serviceName: "metallb.io/service-name",
  serviceNamespace: "metallb.io/service-namespace",
} as const;

/** The status of a ServiceBGPStatus (reference 1.8): the BGPPeers the Service goes to from this node. */
export interface BgpStatusBody {
  node: string;
  serviceName: string;
  serviceNamespace: string;
  peers: string[];
}

/** This node's entry in a BGPPeer's status.sessions[] (a Lodestone extension). */
export interface BgpSessionEntry {
  node: string;
  state: "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";
  since?: string;
  lastError?: string;
  prefixesAdvertised?: number;
}

/** What a speaker writes to a BGPPeer's status: the sessions and the two summaries the printer columns show. */
export interface BgpPeerStatusBody {
  sessions: BgpSessionEntry[];
  /** `established/total`, e.g. `2/3`. */
  established: string;
  /** `node=State` joined by commas, sorted by node. */
  summary: string;
}

export interface SpeakerPort {
  /** Every object of the resource (cluster-wide or in `namespace`, see SpeakerResource); with `name`, only the object of that name. */
  list(resource: SpeakerResource, namespace: string, name?: string): Promise<KubeObject[]>;
  /** Watches the resource (with `name`, only the object of that name); the handler sees every change after the call resolves. */
  watch(resource: SpeakerResource, namespace: string, handler: SpeakerWatchHandler, name?: string): Promise<Watch>;
  /**
   * Whether the watches give a current view of the cluster (watch-supervisor.ts: the API server heard
   * within seconds, every watch streaming), now and on every change. A speaker that is not current must
   * not win elections for IPs it cannot know.
   */
  isViewCurrent(): boolean;
  onViewChange(listener: (current: boolean) => void): () => void;
  /** The ServiceL2Status objects of one node (label metallb.io/node) in `namespace`; every node's without `node`. */
  listL2Statuses(namespace: string, node?: string): Promise<KubeObject[]>;
  /** Creates a ServiceL2Status (generateName `l2-`, the three labels) and writes its status; returns its name. */
  createL2Status(namespace: string, status: L2StatusBody): Promise<string>;
  /** Rewrites the status of an existing ServiceL2Status (the interfaces changed). */
  updateL2Status(namespace: string, name: string, status: L2StatusBody): Promise<void>;
  /** Deletes a ServiceL2Status; a missing one is not an error. */
  deleteL2Status(namespace: string, name: string): Promise<void>;
  /**
   * Watches one node's ServiceL2Status objects (label metallb.io/node): whoever else deletes or
   * rewrites them (a survivor after a false death, a user), the node hears it and writes them back.
   */
  watchL2Statuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch>;
  /** The ServiceBGPStatus objects of one node (label metallb.io/node) in `namespace`; every node's without `node`. */
  listBgpStatuses(namespace: string, node?: string): Promise<KubeObject[]>;
  /** Creates a ServiceBGPStatus (generateName `bgp-`, the three labels) and writes its status; returns its name. */
  createBgpStatus(namespace: string, status: BgpStatusBody): Promise<string>;
  updateBgpStatus(namespace: string, name: string, status: BgpStatusBody): Promise<void>;
  /** Deletes a ServiceBGPStatus; a missing one is not an error. */
  deleteBgpStatus(namespace: string, name: string): Promise<void>;
  /** Watches one node's ServiceBGPStatus objects (label metallb.io/node), as watchL2Statuses. */
  watchBgpStatuses(namespace: string, node: string, handler: SpeakerWatchHandler): Promise<Watch>;
  /** One BGPPeer as the API server has it now (with resourceVersion); undefined when missing. */
  getBgpPeer(namespace: string, name: string): Promise<KubeObject | undefined>;
  /**
   * Replaces bgppeers/<name>/status, guarded by resourceVersion: a ConflictError (409) when the
   * object changed since it was read, so the caller re-reads and merges again.
   */
  replaceBgpPeerStatus(namespace: string, name: string, resourceVersion: string, status: BgpPeerStatusBody): Promise<void>;
  createEvent(event: CoreEvent): Promise<void>;
  /** Creates the ConfigurationState object when missing, then writes its status. */
  writeConfigurationState(ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void>;
}
