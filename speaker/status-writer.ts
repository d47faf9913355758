/**
 * Writes what this speaker does to the API: one ServiceL2Status per Service it announces (created
 * when it starts, its interfaces kept current, deleted when it stops), the Service's
 * `lodestone.dev/Announced` condition, and the events `nodeAssigned` / `announceFailed`.
 *
 * Inputs are the latest SpeakerState and the data plane's reports. Writes run one sync at a time;
 * a sync computes what differs from what exists, so a failed write (API down) is simply retried by
 * the next sync, which a timer schedules.
 */
import type { CoreEvent, KubeObject } from "../capabilities/k8s/controller-port";
import { L2_STATUS_LABELS, type L2StatusBody, type SpeakerPort } from "../capabilities/k8s/speaker-port";
import { rfc3339 } from "../capabilities/controller/clock";
import {
  conditionToWrite,
  currentCondition,
  EVENT_ANNOUNCE_FAILED,
  EVENT_NODE_ASSIGNED,
  interfaceMissingMessage,
  nodeAssignedMessage,
  wantedCondition,
  type L2Part,
} from "./announce-status";
import type { CacheTimer } from "./cluster-cache";
import type { L2DataPlaneEvent } from "./data-plane";
import type { SpeakerMetrics } from "./metrics";
import type { SpeakerState } from "./speaker-state";

export const EVENT_SOURCE = "lodestone-speaker";

export interface StatusWriterOptions {
  port: SpeakerPort;
  node: string;
  namespace: string;
  now: () => number;
  timer: CacheTimer;
  metrics: SpeakerMetrics;
  retryMs?: number;
  log?: (message: string) => void;
}

interface PendingEvent {
  service: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const NONE: L2Part = { state: "none" };

export class StatusWriter {
  private state: SpeakerState | undefined;
  private readonly parts = new Map<string, L2Part>();
  private readonly ips = new Map<string, readonly string[]>();
  /** service key -> our ServiceL2Status on the server. */
  private readonly l2Objects = new Map<string, { name: string; interfaces: string }>();
  /** service key -> the condition text last written and the Service's resourceVersion then. */
  private readonly written = new Map<string, { text: string; rv: string }>();
  private readonly events: PendingEvent[] = [];
  private adopted = false;
  private running: Promise<void> | undefined;
  private dirty = false;
  private retry: (() => void) | undefined;
  private stopped = false;
  private lastNanos = 0n;

  constructor(private readonly opts: StatusWriterOptions) {}

  update(state: SpeakerState): void {
    this.state = state;
    this.kick();
  }

  onDataPlaneEvent(event: L2DataPlaneEvent): void {
    const before = this.parts.get(event.service) ?? NONE;
    const { node } = this.opts;
    if (event.type === "announcing") {
      this.parts.set(event.service, { state: "announcing", interfaces: [...event.interfaces] });
      this.opts.metrics.setAnnounced(event.service, "layer2", node, event.ips, this.ips.get(event.service) ?? []);
      this.ips.set(event.service, event.ips);
      if (before.state !== "announcing") this.events.push({ service: event.service, type: "Normal", reason: EVENT_NODE_ASSIGNED, message: nodeAssignedMessage(node) });
    } else {
      this.opts.metrics.setAnnounced(event.service, "layer2", node, [], this.ips.get(event.service) ?? []);
      this.ips.delete(event.service);
      if (event.type === "released") this.parts.delete(event.service);
      else {
        this.parts.set(event.service, { state: "interfaceMissing", interfaces: [...event.interfaces] });
        if (before.state !== "interfaceMissing") {
          this.events.push({ service: event.service, type: "Warning", reason: EVENT_ANNOUNCE_FAILED, message: interfaceMissingMessage(node, event.interfaces) });
        }
      }
    }
    this.kick();
  }

  /** Resolves once no sync is running or due (a retry may still be waiting on its timer). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    this.retry?.();
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
        // A kick that came after drain's last check but before this point would otherwise be lost.
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
        this.opts.log?.(`status write failed, retrying: ${String(e)}`);
        this.opts.metrics.updateError();
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

    while (this.events.length) {
      const e = this.events[0];
      if (!e) break;
      const svc = state.serviceObjects.get(e.service);
      if (svc) await port.createEvent(this.event(svc, e));
      this.events.shift();
    }

    // ServiceL2Status: exactly one per Service this node announces.
    for (const [service, part] of this.parts) {
      const s = state.services.get(service);
      if (part.state !== "announcing" || !s) continue;
      const body: L2StatusBody = { node, serviceName: s.name, serviceNamespace: s.namespace, interfaces: part.interfaces.map(name => ({ name })) };
      const interfaces = part.interfaces.join(",");
      const existing = this.l2Objects.get(service);
      if (!existing) {
        const name = await port.createL2Status(namespace, body);
        this.l2Objects.set(service, { name, interfaces });
      } else if (existing.interfaces !== interfaces) {
        await port.updateL2Status(namespace, existing.name, body);
        existing.interfaces = interfaces;
      }
    }
    for (const [service, existing] of [...this.l2Objects]) {
      if (this.parts.get(service)?.state === "announcing" && state.services.has(service)) continue;
      await port.deleteL2Status(namespace, existing.name);
      this.l2Objects.delete(service);
    }

    // The Announced condition.
    for (const [key, s] of state.services) {
      const raw = state.serviceObjects.get(key);
      const verdict = state.desired.verdicts.find(v => v.service === key);
      const wanted = wantedCondition(node, verdict, this.parts.get(key) ?? NONE);
      const rv = raw?.metadata?.resourceVersion ?? "";
      const generation = typeof raw?.metadata?.generation === "number" ? raw.metadata.generation : undefined;
      const condition = conditionToWrite(wanted, currentCondition(raw), generation, this.opts.now());
      if (!condition || !wanted) continue;
      const text = JSON.stringify(wanted);
      const last = this.written.get(key);
      // Already written; the watch has not shown it back yet.
      if (last && last.text === text && last.rv === rv) continue;
      await port.setServiceCondition({ namespace: s.namespace, name: s.name }, condition);
      this.written.set(key, { text, rv });
    }
  }

  /** Takes over the ServiceL2Status objects a previous run of this node left (extras are deleted). */
  private async adopt(): Promise<void> {
    const { port, namespace, node } = this.opts;
    for (const o of await port.listL2Statuses(namespace, node)) {
      const labels = o.metadata?.labels ?? {};
      const service = `${labels[L2_STATUS_LABELS.serviceNamespace] ?? ""}/${labels[L2_STATUS_LABELS.serviceName] ?? ""}`;
      const name = o.metadata?.name ?? "";
      if (this.l2Objects.has(service)) await port.deleteL2Status(namespace, name);
      else this.l2Objects.set(service, { name, interfaces: interfacesOf(o) });
    }
    this.adopted = true;
  }

  private event(svc: KubeObject, e: PendingEvent): CoreEvent {
    const md = svc.metadata ?? {};
    const now = rfc3339(this.opts.now());
    let nanos = BigInt(this.opts.now()) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return {
      metadata: { name: `${md.name ?? ""}.${nanos.toString(16)}`, namespace: md.namespace ?? "default" },
      involvedObject: { kind: "Service", namespace: md.namespace ?? "default", name: md.name ?? "", uid: md.uid ?? "", apiVersion: "v1", resourceVersion: md.resourceVersion ?? "" },
      reason: e.reason,
      message: e.message,
      type: e.type,
      source: { component: EVENT_SOURCE },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
  }
}

function interfacesOf(o: KubeObject): string {
  const list = (o.status as { interfaces?: unknown } | undefined)?.interfaces;
  if (!Array.isArray(list)) return "";
  return list.map(i => (typeof i === "object" && i !== null && typeof (i as { name?: unknown }).name === "string" ? (i as { name: string }).name : "")).join(",");
}
