/**
 * What a speaker refuses to announce, made visible: a Service whose status holds an IP that no
 * pool and applicable advertisement grants (desired.ts REFUSALS) is logged, counted in
 * `lodestone_speaker_refused_total{reason}` and reported by a Warning Event on the Service, once
 * per Service, reason and IPs (again only after the refusal has gone and come back).
 *
 * A refusal is what protects the network from whoever can write a Service's status: the cluster
 * never answers for an address the configuration does not grant (the CVE-2020-8554 family).
 *
 * One change of configuration can refuse every Service at once on every node (an L2Advertisement
 * deleted before the BGPAdvertisement that replaces it is created): a line and an Event for each would
 * be one per Service per node (30,000 Events from three speakers at 10,000 Services, enough to hold
 * the bench's API server for seconds). So more than LINES_AT_ONCE new refusals are logged as one
 * line per reason, and Events are written from a budget (EVENT_BURST, then one a second, as
 * client-go's per-object spam filter but for the whole speaker); the counter counts every refusal.
 */
import { REFUSALS, type NotAnnounced, type ServiceVerdict } from "../core/announce/desired";
import { firstOccurrence, involvedObjectOf, UniqueNanos } from "../controller/event-recorder";
import type { KubeObject } from "../kube/controller-port";
import type { SpeakerPort } from "../kube/speaker-port";
import type { SpeakerMetrics } from "./metrics";
import type { Logger } from "../observability/log";

export const EVENT_ANNOUNCEMENT_REFUSED = "AnnouncementRefused";
const EVENT_SOURCE = "lodestone-speaker";
/** New refusals of one update logged a line each; more are summed up per reason. */
export const LINES_AT_ONCE = 10;
/** Events written at once, then one per EVENT_REFILL_MS. */
export const EVENT_BURST = 100;
const EVENT_REFILL_MS = 1000;

/** A refusal not reported yet: the Service, its IPs, and why. */
interface NewRefusal {
  service: string;
  ips: readonly string[];
  refusal: NotAnnounced;
}

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
  private tokens = EVENT_BURST;
  private refilledAt: number | undefined;

  constructor(private readonly opts: RefusalOptions) {
    this.nanos = new UniqueNanos(opts.now);
  }

  /** Reports every new refusal among the verdicts; forgets Services no longer refused. */
  update(verdicts: readonly ServiceVerdict[], serviceObjects: ReadonlyMap<string, KubeObject>): void {
    const now = new Map<string, string>();
    const fresh: NewRefusal[] = [];
    for (const v of verdicts) {
      const refusal = v.notAnnounced;
      if (!refusal || !REFUSALS.has(refusal.reason)) continue;
      const text = JSON.stringify([refusal.reason, v.ips]);
      now.set(v.service, text);
      if (this.reported.get(v.service) === text) continue;
      this.opts.metrics.refused(refusal.reason);
      fresh.push({ service: v.service, ips: v.ips, refusal });
    }
    this.reported.clear();
    for (const [k, t] of now) this.reported.set(k, t);
    this.log(fresh);
    let unwritten = 0;
    for (const f of fresh) {
      const raw = serviceObjects.get(f.service);
      if (!raw) continue;
      if (this.takeEventToken()) this.emit(raw, `not announced from node ${this.opts.node}: ${f.refusal.message}`);
      else unwritten++;
    }
    if (unwritten > 0) {
      this.opts.log.warn(
        `${unwritten} ${EVENT_ANNOUNCEMENT_REFUSED} Events not written: this speaker writes at most ${EVENT_BURST} at once and one a second after (lodestone_speaker_refused_total counts every refusal)`,
      );
    }
  }

  private log(fresh: readonly NewRefusal[]): void {
    const line = (f: NewRefusal): string => `${f.service} (${f.ips.join(", ")}) on node ${this.opts.node}: ${f.refusal.reason}: ${f.refusal.message}`;
    if (fresh.length <= LINES_AT_ONCE) {
      for (const f of fresh) this.opts.log.warn(`refusing to announce ${line(f)}`);
      return;
    }
    const byReason = new Map<string, NewRefusal[]>();
    for (const f of fresh) {
      const list = byReason.get(f.refusal.reason);
      if (list) list.push(f);
      else byReason.set(f.refusal.reason, [f]);
    }
    for (const [reason, list] of byReason) {
      const first = list[0];
      if (!first) continue;
      this.opts.log.warn(`refusing to announce ${list.length} Services on node ${this.opts.node} (${reason}), the first ${line(first)}`);
    }
  }

  /** One Event from the budget (a token bucket of EVENT_BURST, refilled one per EVENT_REFILL_MS). */
  private takeEventToken(): boolean {
    const t = this.opts.now();
    if (this.refilledAt !== undefined) this.tokens = Math.min(EVENT_BURST, this.tokens + Math.max(0, t - this.refilledAt) / EVENT_REFILL_MS);
    this.refilledAt = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
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
