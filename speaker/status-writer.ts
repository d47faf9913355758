/**
 * Writes what this speaker does to the API: one ServiceL2Status per Service it announces (created
 * when it starts, its interfaces kept current, deleted when it stops; the controller turns these
 * into the Service's `lodestone.dev/Announced` condition), and the events `nodeAssigned` /
 * `announceFailed`.
 *
 * Inputs are the latest SpeakerState and the data plane's reports. Writes run one sync at a time
 * (SerialSync); a sync computes what differs from what exists, so a failed write (API down) is
 * simply retried by the next sync, which a timer schedules. The per-Service objects are kept by
 * ServiceStatusObjects, as BgpStatusWriter keeps ServiceBGPStatus; the event names below serve both
 * writers.
 */
import type { CoreEvent, KubeObject } from "../kube/controller-port";
import { SerialSync } from "../kube/serial-sync";
import { l2StatusKind, ServiceStatusObjects } from "../kube/service-status-objects";
import type { L2StatusBody, SpeakerPort } from "../kube/speaker-port";
import { firstOccurrence, involvedObjectOf, UniqueNanos, type EventType } from "../controller/event-recorder";
import { EVENT_ANNOUNCE_FAILED, EVENT_NODE_ASSIGNED, interfaceMissingMessage, nodeAssignedMessage, type L2Part } from "./announce-status";
import type { Clock } from "../core/clock";
import type { L2DataPlaneEvent } from "./data-plane";
import type { SpeakerMetrics } from "./metrics";
import type { SpeakerState } from "./speaker-state";
import { logger, type Logger } from "../observability/log";
import { TimeSlice } from "../core/time-slice";
import { OwnStatusWatch } from "./own-status-watch";

export const EVENT_SOURCE = "lodestone-speaker";

export interface StatusWriterOptions {
  port: SpeakerPort;
  node: string;
  namespace: string;
  now: () => number;
  clock: Clock;
  metrics: SpeakerMetrics;
  retryMs?: number;
  /** Default: the process logger, component "speaker". */
  log?: Logger;
}

interface PendingEvent {
  service: string;
  type: EventType;
  reason: string;
  message: string;
}

/**
 * Events about Services, each a first occurrence named `<service>.<infix><hex nanoseconds>` (as
 * client-go names them); the nanoseconds strictly increase, so two events in one millisecond
 * get distinct names.
 */
export class ServiceEvents {
  private readonly nanos: UniqueNanos;

  constructor(
    private readonly now: () => number,
    private readonly nameInfix = "",
  ) {
    this.nanos = new UniqueNanos(now);
  }

  make(svc: KubeObject, type: EventType, reason: string, message: string): CoreEvent {
    const involved = involvedObjectOf(svc);
    const name = `${involved.name}.${this.nameInfix}${this.nanos.next().toString(16)}`;
    return firstOccurrence(involved, name, { type, reason, message, component: EVENT_SOURCE }, this.now());
  }
}

const NONE: L2Part = { state: "none" };

export class StatusWriter {
  private state: SpeakerState | undefined;
  private readonly parts = new Map<string, L2Part>();
  private readonly ips = new Map<string, readonly string[]>();
  private readonly objects: ServiceStatusObjects<L2StatusBody>;
  private readonly serviceEvents: ServiceEvents;
  private readonly events: PendingEvent[] = [];
  private readonly syncs: SerialSync;
  private readonly ownWatch: OwnStatusWatch;

  constructor(private readonly opts: StatusWriterOptions) {
    this.objects = new ServiceStatusObjects(l2StatusKind(opts.port), opts.namespace, opts.node);
    this.serviceEvents = new ServiceEvents(opts.now);
    this.syncs = new SerialSync({
      sync: () => this.sync(),
      clock: opts.clock,
      retryMs: opts.retryMs ?? 1000,
      onError: e => {
        (opts.log ?? logger("speaker")).warn(`status write failed, retrying: ${String(e)}`);
        opts.metrics.updateError();
      },
    });
    this.ownWatch = new OwnStatusWatch(this.objects, "ServiceL2Status", () => this.syncs.kick(), opts.clock, opts.retryMs ?? 1000, opts.log ?? logger("speaker"));
  }

  /** Watches this node's ServiceL2Status objects, so that what someone else deletes or rewrites is written back. */
  start(): Promise<void> {
    return this.ownWatch.start();
  }

  update(state: SpeakerState): void {
    this.state = state;
    this.syncs.kick();
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
    this.syncs.kick();
  }

  /** Re-reads this node's ServiceL2Status objects and recreates any removed while it was taken for dead. */
  resync(): void {
    this.objects.forget();
    this.syncs.kick();
  }

  /** Resolves once no sync is running or due (a retry may still be waiting on its timer). */
  settled(): Promise<void> {
    return this.syncs.settled();
  }

  stop(): void {
    this.ownWatch.stop();
    this.syncs.stop();
  }

  private async sync(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const { port, node } = this.opts;
    const slice = new TimeSlice();
    await this.objects.adopt();

    // Taken in batches (shift() per event is quadratic at 10,000 Services); an event whose write
    // fails goes back in front of what arrived meanwhile.
    while (this.events.length) {
      const batch = this.events.splice(0);
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i] as PendingEvent;
        const svc = state.serviceObjects.get(e.service);
        try {
          if (svc) await port.createEvent(this.serviceEvents.make(svc, e.type, e.reason, e.message));
        } catch (err) {
          this.events.unshift(...batch.slice(i));
          throw err;
        }
        await slice.yield();
      }
    }

    // ServiceL2Status: exactly one per Service this node announces.
    for (const [service, part] of this.parts) {
      await slice.yield();
      const s = state.services.get(service);
      if (part.state !== "announcing" || !s) continue;
      await this.objects.ensure(service, { node, serviceName: s.name, serviceNamespace: s.namespace, interfaces: part.interfaces.map(name => ({ name })) });
    }
    await this.objects.removeAllBut(service => this.parts.get(service)?.state === "announcing" && state.services.has(service), () => slice.yield());
  }
}
