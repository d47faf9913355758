/** A recording L2 data plane for the speaker's tests (and the BFD soak benchmark). */
import type { AnnouncedService } from "../../core/election/announcements";
import type { L2DataPlane, L2DataPlaneEvent } from "../../speaker/data-plane";
import type { HeartbeatPeer } from "../../speaker/l2/heartbeat-udp";
import type { MembershipView } from "../../speaker/stale-status";

/**
 * A data plane for tests: records what it is told and lets the test say what it announces. With
 * `autoElect`, it acts like a single-node cluster where this node wins every Service it is given.
 */
export class FakeL2DataPlane implements L2DataPlane {
  readonly servicesCalls: (readonly AnnouncedService[])[] = [];
  peers: readonly HeartbeatPeer[] = [];
  secret: { data?: Record<string, string> } | undefined;
  handoverCalls = 0;
  /** Every setViewCurrent call, in order. */
  readonly viewCalls: boolean[] = [];
  stopped = false;
  private readonly listeners = new Set<(event: L2DataPlaneEvent) => void>();
  private readonly membershipListeners = new Set<(view: MembershipView) => void>();

  get services(): readonly AnnouncedService[] {
    return this.servicesCalls[this.servicesCalls.length - 1] ?? [];
  }

  setServices(services: readonly AnnouncedService[]): void {
    this.servicesCalls.push(services);
  }
  setPeers(peers: readonly HeartbeatPeer[]): void {
    this.peers = peers;
  }
  setViewCurrent(current: boolean): void {
    this.viewCalls.push(current);
  }
  setHeartbeatSecret(secret: { data?: Record<string, string> } | undefined): void {
    this.secret = secret;
  }
  async beginHandover(): Promise<void> {
    this.handoverCalls++;
  }
  stop(): void {
    this.stopped = true;
  }
  onEvent(listener: (event: L2DataPlaneEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onMembership(listener: (view: MembershipView) => void): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /** Reports a membership change as the real data plane would. */
  emitMembership(view: MembershipView): void {
    for (const l of [...this.membershipListeners]) l(view);
  }

  /** Emits an event as the real data plane would. */
  emit(event: L2DataPlaneEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
}
