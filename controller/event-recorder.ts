/**
 * core/v1 Events the way client-go's legacy recorder writes them (as recorded in
 * hack/kube-apiserver/recordings/09-events-and-deletion.md, section 1): the first occurrence is
 * POSTed as `<object>.<hex nanoseconds>` with count 1; a repeat of the same event (same object,
 * type, reason and message) PATCHes count and lastTimestamp of that Event.
 * Writes go through the work queue (retried with backoff); repeats that pile up while a write is
 * pending are folded into one write carrying the latest count.
 */
import { ApiError, isNotFound, type ControllerPort, type CoreEvent, type KubeObject } from "../kube/controller-port";
import { rfc3339, type Clock } from "../core/clock";
import type { WorkQueue } from "./work-queue";

export const EVENT_SOURCE = "lodestone-controller";

export type EventType = "Normal" | "Warning";

interface Series {
  event: CoreEvent;
  /** The Event object exists on the server (later occurrences are patches). */
  created: boolean;
}

/** How many distinct series the recorder remembers (client-go's LRU cache holds 4096). */
const MAX_SERIES = 4096;

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly nanos: UniqueNanos;

  constructor(
    private readonly port: ControllerPort,
    private readonly clock: Clock,
    private readonly queue: WorkQueue,
  ) {
    this.nanos = new UniqueNanos(() => clock.wallNow());
  }

  /** Records an event about a namespaced object (a Service). */
  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    const involvedObject = involvedObjectOf(object);
    const key = JSON.stringify([EVENT_SOURCE, involvedObject.kind, involvedObject.namespace, involvedObject.name, involvedObject.uid, involvedObject.apiVersion, type, reason, message]);
    let series = this.series.get(key);
    const known = series;
    if (known) {
      known.event.count += 1;
      known.event.lastTimestamp = rfc3339(this.clock.wallNow());
      // Most recently used last, so eviction drops the oldest series.
      this.series.delete(key);
      this.series.set(key, known);
    } else {
      const event = firstOccurrence(involvedObject, `${involvedObject.name}.${this.nanos.next().toString(16)}`, { type, reason, message, component: EVENT_SOURCE }, this.clock.wallNow());
      series = { event, created: false };
      this.series.set(key, series);
      // Forgetting a series only ends aggregation for it: its queued write holds the series itself.
      if (this.series.size > MAX_SERIES) this.series.delete(this.series.keys().next().value as string);
    }
    const s = series as Series;
    this.queue.add(`event:${s.event.metadata.namespace}/${s.event.metadata.name}`, () => this.write(s));
  }

  private async write(s: Series): Promise<void> {
    const { event } = s;
    const ref = { namespace: event.metadata.namespace, name: event.metadata.name };
    if (!s.created) {
      await this.create(event);
      s.created = true;
      return;
    }
    try {
      await this.port.patchEvent(ref, { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // The Event expired (the server keeps them an hour): start a new series object.
      event.metadata.name = `${event.involvedObject.name}.${this.nanos.next().toString(16)}`;
      event.firstTimestamp = event.lastTimestamp;
      event.count = 1;
      await this.create(event);
    }
  }

  /** POSTs the Event; a name already taken (another recorder, same nanosecond) gets a fresh name. */
  private async create(event: CoreEvent): Promise<void> {
    try {
      await this.port.createEvent(structuredClone(event));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) throw e;
      event.metadata.name = `${event.involvedObject.name}.${this.nanos.next().toString(16)}`;
      throw e; // retried by the queue under the new name
    }
  }

}

/** Nanoseconds since the epoch from a millisecond clock, strictly increasing so that two events in one millisecond get distinct names. */
export class UniqueNanos {
  private last = 0n;

  constructor(private readonly nowMs: () => number) {}

  next(): bigint {
    let n = BigInt(this.nowMs()) * 1_000_000n;
    if (n <= this.last) n = this.last + 1n;
    this.last = n;
    return n;
  }
}

/** The reference to `object` an Event carries (a v1 Service unless the object says otherwise). */
export function involvedObjectOf(object: KubeObject): CoreEvent["involvedObject"] {
  const md = object.metadata ?? {};
  return {
    kind: typeof object.kind === "string" ? object.kind : "Service",
    namespace: md.namespace ?? "default",
    name: md.name ?? "",
    uid: md.uid ?? "",
    apiVersion: typeof object.apiVersion === "string" ? object.apiVersion : "v1",
    resourceVersion: md.resourceVersion ?? "",
  };
}

/** The first occurrence (count 1) of an event, as the Event object `name` in the involved object's namespace. */
export function firstOccurrence(
  involvedObject: CoreEvent["involvedObject"],
  name: string,
  what: { type: EventType; reason: string; message: string; component: string },
  nowMs: number,
): CoreEvent {
  const now = rfc3339(nowMs);
  return {
    metadata: { name, namespace: involvedObject.namespace },
    involvedObject,
    reason: what.reason,
    message: what.message,
    type: what.type,
    source: { component: what.component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
