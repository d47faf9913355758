/**
 * What a speaker refuses to announce, made visible: a Service whose status holds an IP that no
 * pool and applicable advertisement grants (desired.ts REFUSALS) is logged, counted in
 * `lodestone_speaker_refused_total{reason}` and reported by a Warning Event on the Service, once
 * per Service, reason and IPs (again only after the refusal has gone and come back).
 *
 * A refusal is what protects the network from whoever can write a Service's status: the cluster
 * never answers for an address the configuration does not grant (the CVE-2020-8554 family).
 */
import { REFUSALS, type ServiceVerdict } from "../core/announce/desired";
import { firstOccurrence, involvedObjectOf, UniqueNanos } from "../controller/event-recorder";
import type { KubeObject } from "../kube/controller-port";
import type { SpeakerPort } from "../kube/speaker-port";
import type { SpeakerMetrics } from "./metrics";
import type { Logger } from "../observability/log";

export const EVENT_ANNOUNCEMENT_REFUSED = "AnnouncementRefused";
const EVENT_SOURCE = "lodestone-speaker";

export interface RefusalOptions {
  port: SpeakerPort;
  metrics: SpeakerMetrics;
  node: string;
  now: () => number;
  log: Logger;
}

export class RefusalReporter {
  private readonly nanos: UniqueNanos;
  /** service key -> the refusal last reported (reason and IPs). */
  private readonly reported = new Map<string, string>();
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly opts: RefusalOptions) {
    this.nanos = new UniqueNanos(opts.now);
  }

  /** Reports every new refusal among the verdicts; forgets Services no longer refused. */
  update(verdicts: readonly ServiceVerdict[], serviceObjects: ReadonlyMap<string, KubeObject>): void {
    const now = new Map<string, string>();
    for (const v of verdicts) {
      const refusal = v.notAnnounced;
      if (!refusal || !REFUSALS.has(refusal.reason)) continue;
      const text = JSON.stringify([refusal.reason, v.ips]);
      now.set(v.service, text);
      if (this.reported.get(v.service) === text) continue;
      this.opts.metrics.refused(refusal.reason);
      this.opts.log.warn(`refusing to announce ${v.service} (${v.ips.join(", ")}) on node ${this.opts.node}: ${refusal.reason}: ${refusal.message}`);
      const raw = serviceObjects.get(v.service);
      if (raw) this.emit(raw, `not announced from node ${this.opts.node}: ${refusal.message}`);
    }
    this.reported.clear();
    for (const [k, t] of now) this.reported.set(k, t);
  }

  /** Resolves when the events written so far are done (or failed: an event is best effort). */
  settled(): Promise<void> {
    return this.pending;
  }

  private emit(raw: KubeObject, message: string): void {
    const involved = involvedObjectOf(raw);
    const event = firstOccurrence(involved, `${involved.name}.${this.nanos.next().toString(16)}`, { type: "Warning", reason: EVENT_ANNOUNCEMENT_REFUSED, message, component: EVENT_SOURCE }, this.opts.now());
    this.pending = this.pending.then(() =>
      this.opts.port.createEvent(event).catch((e: unknown) => this.opts.log.warn(`writing the ${EVENT_ANNOUNCEMENT_REFUSED} event failed: ${String(e)}`)),
    );
  }
}
