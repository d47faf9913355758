/**
 * Writes what this speaker does by BGP to the API: one ServiceBGPStatus per Service it advertises
 * (peers = the BGPPeers it is configured to go to; the controller turns these into the Service's
 * `lodestone.dev/Announced` condition), the `nodeAssigned` event, and this node's entry of each
 * BGPPeer's status.sessions[].
 *
 * Built on the same parts as StatusWriter: one sync at a time (SerialSync), each computing what
 * differs from what was written, a failed sync retried on a timer; the per-Service objects kept
 * by ServiceStatusObjects; events written as StatusWriter writes them. Session
 * reports are debounced (a session steps through several states in a few milliseconds).
 * BGPPeer statuses are shared by every node, so each write is a read-modify-write guarded by
 * resourceVersion, re-read and merged again on 409.
 */
import type { PeerSessionStatus } from "./bgp";
import { servicePeers } from "./bgp/routes";
import { ConflictError, type KubeObject } from "../kube/controller-port";
import { SerialSync } from "../kube/serial-sync";
import { bgpStatusKind, ServiceStatusObjects } from "../kube/service-status-objects";
import type { BgpSessionEntry, BgpStatusBody, SpeakerPort } from "../kube/speaker-port";
import { EVENT_NODE_ASSIGNED } from "./announce-status";
import { bgpNodeAssignedMessage, mergeSessions, peerStatus, sessionEntry } from "./bgp-status";
import type { Clock, TimerHandle } from "../core/clock";
import type { SpeakerMetrics } from "./metrics";
import type { SpeakerState } from "./speaker-state";
import { TimeSlice } from "../core/time-slice";
import { OwnStatusWatch } from "./own-status-watch";
import { ServiceEvents } from "./status-writer";
import { logger, type Logger } from "../observability/log";

export interface BgpStatusWriterOptions {
  port: SpeakerPort;
  node: string;
  namespace: string;
  now: () => number;
  clock: Clock;
  retryMs?: number;
  /** Quiet time before session changes are written. */
  debounceMs?: number;
  /** Default: the process logger, component "speaker". */
  log?: Logger;
  /** metallb_speaker_announced{protocol="bgp"}: set from the desired state, as MetalLB does. */
  metrics?: SpeakerMetrics;
}

const MAX_CONFLICT_RETRIES = 5;

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));

export class BgpStatusWriter {
  private state: SpeakerState | undefined;
  private sessions = new Map<string, BgpSessionEntry>();
  /** peer -> the entry last written (undefined: our entry was removed). */
  private readonly writtenSessions = new Map<string, string>();
  private readonly objects: ServiceStatusObjects<BgpStatusBody>;
  private readonly serviceEvents: ServiceEvents;
  private readonly assigned = new Set<string>();
  private readonly syncs: SerialSync;
  private readonly ownWatch: OwnStatusWatch;
  private debounce: TimerHandle | undefined;
  /** service -> the IPs last reported in metallb_speaker_announced. */
  private readonly announcedIps = new Map<string, readonly string[]>();

  constructor(private readonly opts: BgpStatusWriterOptions) {
    this.objects = new ServiceStatusObjects(bgpStatusKind(opts.port), opts.namespace, opts.node);
    // "bgp" in the name keeps it apart from the layer 2 writer's events in the same millisecond.
    this.serviceEvents = new ServiceEvents(opts.now, "bgp");
    this.syncs = new SerialSync({
      sync: () => this.sync(),
      clock: opts.clock,
      retryMs: opts.retryMs ?? 1000,
      onError: e => (opts.log ?? logger("speaker")).warn(`BGP status write failed, retrying: ${String(e)}`),
    });
    this.ownWatch = new OwnStatusWatch(this.objects, "ServiceBGPStatus", () => this.syncs.kick(), opts.clock, opts.retryMs ?? 1000, opts.log ?? logger("speaker"));
  }

  /** Watches this node's ServiceBGPStatus objects, so that what someone else deletes or rewrites is written back. */
  start(): Promise<void> {
    return this.ownWatch.start();
  }

  update(state: SpeakerState): void {
    this.state = state;
    this.syncs.kick();
  }

  /** metallb_speaker_announced from the desired state, at the start of each sync (in slices). */
  private async setAnnouncedMetric(state: SpeakerState, slice: TimeSlice): Promise<void> {
    const metrics = this.opts.metrics;
    if (!metrics) return;
    const now = new Map<string, readonly string[]>();
    for (const a of state.desired.bgp) now.set(a.service, a.ips);
    for (const [service, previous] of [...this.announcedIps]) {
      await slice.yield();
      if (now.has(service)) continue;
      metrics.setAnnounced(service, "bgp", this.opts.node, [], previous);
      this.announcedIps.delete(service);
    }
    for (const [service, ips] of now) {
      await slice.yield();
      const previous = this.announcedIps.get(service);
      if (previous !== undefined && sameStrings(previous, ips)) continue;
      metrics.setAnnounced(service, "bgp", this.opts.node, ips, previous ?? []);
      this.announcedIps.set(service, ips);
    }
  }

  /** The data plane's full session status (onStatusChange). */
  onSessions(status: readonly PeerSessionStatus[]): void {
    this.sessions = new Map(status.map(s => [s.peer, sessionEntry(s)]));
    if (this.debounce || this.syncs.stopped) return;
    this.debounce = this.opts.clock.setTimeout(() => {
      this.debounce = undefined;
      this.syncs.kick();
    }, this.opts.debounceMs ?? 200);
  }

  /**
   * The BGPPeers as the cluster has them: where this node's entry is not what it last wrote (a
   * survivor marked it Idle after taking this node for dead, someone edited it), it is written again.
   * Its own write, seen back, matches and asks for nothing.
   */
  onPeerObjects(peers: readonly KubeObject[]): void {
    let due = false;
    for (const p of peers) {
      const name = p.metadata?.name ?? "";
      const text = this.writtenSessions.get(name);
      if (text === undefined || p.metadata?.namespace !== this.opts.namespace) continue;
      if (mergeSessions(p, this.opts.node, JSON.parse(text) as BgpSessionEntry) === undefined) continue;
      this.writtenSessions.delete(name);
      due = true;
    }
    if (due) this.syncs.kick();
  }

  /** Re-reads this node's ServiceBGPStatus objects and rewrites its session entries (it may have been marked dead meanwhile). */
  resync(): void {
    this.objects.forget();
    this.writtenSessions.clear();
    this.syncs.kick();
  }

  settled(): Promise<void> {
    return this.syncs.settled();
  }

  stop(): void {
    this.ownWatch.stop();
    this.syncs.stop();
    this.debounce?.cancel();
  }

  private async sync(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const { port, node } = this.opts;
    const slice = new TimeSlice();
    await this.setAnnouncedMetric(state, slice);
    await this.objects.adopt();
    const peersOf = servicePeers(state.desired.bgp);

    for (const [service, peers] of peersOf) {
      await slice.yield();
      const s = state.services.get(service);
      const raw = state.serviceObjects.get(service);
      if (!s) continue;
      if (!this.assigned.has(service)) {
        if (raw) await port.createEvent(this.serviceEvents.make(raw, "Normal", EVENT_NODE_ASSIGNED, bgpNodeAssignedMessage(node)));
        this.assigned.add(service);
      }
      await this.objects.ensure(service, { node, serviceName: s.name, serviceNamespace: s.namespace, peers });
    }
    for (const service of [...this.assigned]) if (!peersOf.has(service)) this.assigned.delete(service);
    await this.objects.removeAllBut(service => peersOf.has(service) && state.services.has(service), () => slice.yield());

    for (const peer of new Set([...this.sessions.keys(), ...this.writtenSessions.keys()])) {
      const entry = this.sessions.get(peer);
      const text = JSON.stringify(entry ?? null);
      if (this.writtenSessions.get(peer) === text) continue;
      await this.writeSession(peer, entry);
      if (entry) this.writtenSessions.set(peer, text);
      else this.writtenSessions.delete(peer);
    }
  }

  /** Read, merge only this node's entry, write guarded by resourceVersion; again on 409. */
  private async writeSession(peer: string, entry: BgpSessionEntry | undefined): Promise<void> {
    const { port, namespace, node } = this.opts;
    for (let attempt = 0; ; attempt++) {
      const current = await port.getBgpPeer(namespace, peer);
      if (!current) return; // The BGPPeer is gone; nothing to show.
      const sessions = mergeSessions(current, node, entry);
      if (!sessions) return;
      try {
        await port.replaceBgpPeerStatus(namespace, peer, current.metadata?.resourceVersion ?? "", peerStatus(sessions));
        return;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      }
    }
  }
}
