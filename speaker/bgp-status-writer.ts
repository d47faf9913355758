/**
 * Writes what this speaker does by BGP to the API: one ServiceBGPStatus per Service it advertises
 * (peers = the BGPPeers it is configured to go to), the Service's `lodestone.dev/Announced`
 * condition and `nodeAssigned` event, and this node's entry of each BGPPeer's status.sessions[].
 *
 * Like StatusWriter: one sync at a time, each computing what differs from what was written, a
 * failed sync retried on a timer. Session reports are debounced (a session steps through several
 * states in a few milliseconds). BGPPeer statuses are shared by every node, so each write is a
 * read-modify-write guarded by resourceVersion, re-read and merged again on 409.
 */
import type { PeerSessionStatus } from "../capabilities/bgp/dataplane";
import { servicePeers } from "../capabilities/bgp/dataplane/routes";
import { rfc3339 } from "../capabilities/controller/clock";
import { ConflictError, type CoreEvent, type KubeObject } from "../capabilities/k8s/controller-port";
import { L2_STATUS_LABELS, type BgpSessionEntry, type BgpStatusBody, type SpeakerPort } from "../capabilities/k8s/speaker-port";
import { ANNOUNCED_REASON, conditionToWrite, currentCondition, EVENT_NODE_ASSIGNED } from "./announce-status";
import { bgpAnnouncedMessage, bgpNodeAssignedMessage, mergeSessions, sessionEntry } from "./bgp-status";
import type { CacheTimer } from "./cluster-cache";
import type { SpeakerState } from "./speaker-state";
import { EVENT_SOURCE } from "./status-writer";

export interface BgpStatusWriterOptions {
  port: SpeakerPort;
  node: string;
  namespace: string;
  now: () => number;
  timer: CacheTimer;
  retryMs?: number;
  /** Quiet time before session changes are written. */
  debounceMs?: number;
  log?: (message: string) => void;
}

const MAX_CONFLICT_RETRIES = 5;

export class BgpStatusWriter {
  private state: SpeakerState | undefined;
  private sessions = new Map<string, BgpSessionEntry>();
  /** peer -> the entry last written (undefined: our entry was removed). */
  private readonly writtenSessions = new Map<string, string>();
  /** service key -> our ServiceBGPStatus on the server. */
  private readonly objects = new Map<string, { name: string; peers: string }>();
  private readonly written = new Map<string, { text: string; rv: string }>();
  private readonly assigned = new Set<string>();
  private adopted = false;
  private running: Promise<void> | undefined;
  private dirty = false;
  private retry: (() => void) | undefined;
  private debounce: (() => void) | undefined;
  private stopped = false;
  private lastNanos = 0n;

  constructor(private readonly opts: BgpStatusWriterOptions) {}

  update(state: SpeakerState): void {
    this.state = state;
    this.kick();
  }

  /** The data plane's full session status (onStatusChange). */
  onSessions(status: readonly PeerSessionStatus[]): void {
    this.sessions = new Map(status.map(s => [s.peer, sessionEntry(s)]));
    if (this.debounce || this.stopped) return;
    this.debounce = this.opts.timer.setTimer(this.opts.debounceMs ?? 200, () => {
      this.debounce = undefined;
      this.kick();
    });
  }

  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    this.retry?.();
    this.debounce?.();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    const run = async (): Promise<void> => {
      try {
        await this.drain();
      } finally {
        this.running = undefined;
        if (this.dirty && !this.retry) this.kick();
      }
    };
    this.running = run();
  }

  private async drain(): Promise<void> {
    do {
      this.dirty = false;
      if (this.stopped) return;
      try {
        await this.sync();
      } catch (e) {
        this.opts.log?.(`BGP status write failed, retrying: ${String(e)}`);
        if (!this.retry) {
          this.retry = this.opts.timer.setTimer(this.opts.retryMs ?? 1000, () => {
            this.retry = undefined;
            this.kick();
          });
        }
        return;
      }
    } while (this.dirty && !this.stopped);
  }

  private async sync(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const { port, namespace, node } = this.opts;
    if (!this.adopted) await this.adopt();
    const peersOf = servicePeers(state.desired.bgp);

    for (const [service, peers] of peersOf) {
      const s = state.services.get(service);
      const raw = state.serviceObjects.get(service);
      if (!s) continue;
      if (!this.assigned.has(service)) {
        if (raw) await port.createEvent(this.event(raw, bgpNodeAssignedMessage(node)));
        this.assigned.add(service);
      }
      const body: BgpStatusBody = { node, serviceName: s.name, serviceNamespace: s.namespace, peers };
      const text = peers.join(",");
      const existing = this.objects.get(service);
      if (!existing) this.objects.set(service, { name: await port.createBgpStatus(namespace, body), peers: text });
      else if (existing.peers !== text) {
        await port.updateBgpStatus(namespace, existing.name, body);
        existing.peers = text;
      }
      // An L2 announcement of the same Service is StatusWriter's to describe.
      if (state.desired.l2.some(a => a.name === service)) continue;
      const wanted = { status: "True" as const, reason: ANNOUNCED_REASON, message: bgpAnnouncedMessage(node, peers) };
      const rv = raw?.metadata?.resourceVersion ?? "";
      const generation = typeof raw?.metadata?.generation === "number" ? raw.metadata.generation : undefined;
      const condition = conditionToWrite(wanted, currentCondition(raw), generation, this.opts.now());
      const last = this.written.get(service);
      if (!condition || (last && last.text === wanted.message && last.rv === rv)) continue;
      await port.setServiceCondition({ namespace: s.namespace, name: s.name }, condition);
      this.written.set(service, { text: wanted.message, rv });
    }
    for (const service of [...this.assigned]) if (!peersOf.has(service)) this.assigned.delete(service);
    for (const [service, existing] of [...this.objects]) {
      if (peersOf.has(service) && state.services.has(service)) continue;
      await port.deleteBgpStatus(namespace, existing.name);
      this.objects.delete(service);
    }

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
        await port.replaceBgpPeerStatus(namespace, peer, current.metadata?.resourceVersion ?? "", { sessions });
        return;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      }
    }
  }

  /** Takes over the ServiceBGPStatus objects a previous run of this node left (duplicates are deleted). */
  private async adopt(): Promise<void> {
    const { port, namespace, node } = this.opts;
    for (const o of await port.listBgpStatuses(namespace, node)) {
      const labels = o.metadata?.labels ?? {};
      const service = `${labels[L2_STATUS_LABELS.serviceNamespace] ?? ""}/${labels[L2_STATUS_LABELS.serviceName] ?? ""}`;
      const name = o.metadata?.name ?? "";
      if (this.objects.has(service)) await port.deleteBgpStatus(namespace, name);
      else this.objects.set(service, { name, peers: peersText(o) });
    }
    this.adopted = true;
  }

  private event(svc: KubeObject, message: string): CoreEvent {
    const md = svc.metadata ?? {};
    const now = rfc3339(this.opts.now());
    let nanos = BigInt(this.opts.now()) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return {
      metadata: { name: `${md.name ?? ""}.bgp${nanos.toString(16)}`, namespace: md.namespace ?? "default" },
      involvedObject: { kind: "Service", namespace: md.namespace ?? "default", name: md.name ?? "", uid: md.uid ?? "", apiVersion: "v1", resourceVersion: md.resourceVersion ?? "" },
      reason: EVENT_NODE_ASSIGNED,
      message,
      type: "Normal",
      source: { component: EVENT_SOURCE },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
  }
}

function peersText(o: KubeObject): string {
  const list = (o.status as { peers?: unknown } | undefined)?.peers;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === "string").join(",") : "";
}
