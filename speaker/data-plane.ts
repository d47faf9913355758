/**
 * What the speaker needs from the L2 data plane (speaker/l2: interfaces, packet sockets, responder,
 * heartbeats, election loop), declared by its consumer: the speaker is tested against a fake of it
 * (test/speaker/fake-l2-data-plane.ts), and speaker/l2-adapter.ts adapts the running data plane
 * (`startL2DataPlane`) to it.
 */
import type { HeartbeatPeer } from "./l2/heartbeat-udp";
import type { AnnouncedService } from "../core/election/announcements";
import type { MembershipView } from "./stale-status";

/** What the data plane tells the speaker about one Service, for status, events and metrics. */
export type L2DataPlaneEvent =
  /** This node now answers for the Service's IPs on these interfaces (sent again when they change). */
  | { readonly type: "announcing"; readonly service: string; readonly ips: readonly string[]; readonly interfaces: readonly string[] }
  /** This node stopped answering for the Service (another node won, or it is no longer announced). */
  | { readonly type: "released"; readonly service: string }
  /** This node won the election but none of the selected interfaces exists here. */
  | { readonly type: "interfaceMissing"; readonly service: string; readonly interfaces: readonly string[] };

export interface L2DataPlane {
  setServices(services: readonly AnnouncedService[]): void;
  /** The other speakers to exchange heartbeats with (from the speaker Pods). */
  setPeers(peers: readonly HeartbeatPeer[]): void;
  /** Whether the speaker's watches give a current view; while they do not, the node is blind and wins no election. */
  setViewCurrent(current: boolean): void;
  /** The heartbeat keys' Secret (`memberlist`), or undefined when it does not exist. */
  setHeartbeatSecret(secret: { data?: Record<string, string> } | undefined): void;
  /** SIGTERM: hand every owned IP to its next owner; resolves when done (or timed out). */
  beginHandover(): Promise<void>;
  stop(): void;
  onEvent(listener: (event: L2DataPlaneEvent) => void): () => void;
  /** Told whenever the heartbeat membership changes: who is alive, and whether this node's grace is over. */
  onMembership(listener: (view: MembershipView) => void): () => void;
}
