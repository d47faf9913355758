/**
 * The in-memory object store: one global resourceVersion counter (as etcd's revision), objects by
 * storage key and namespace/name, and a bounded per-resource event history so watches can resume from
 * a recent resourceVersion and older ones get `410 Expired` (recordings/05-watch.md 5).
 */
import { getPath } from "./json";
import type { JsonObject } from "./status";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  rv: number;
  key: string;
  object: JsonObject;
  /** The object before this change (undefined for ADDED); lets selector watches turn moves into ADDED/DELETED. */
  previous: JsonObject | undefined;
}

interface History {
  events: StoreEvent[];
  /** Events with rv > windowStart are all in `events`; older resourceVersions are expired. */
  windowStart: number;
  lastRV: number;
}

export class Store {
  private revision: number;
  private readonly buckets = new Map<string, Map<string, JsonObject>>();
  /** Each bucket's ids in order, until an object is added to or removed from it (a list per page of a paged list). */
  private readonly sortedIds = new Map<string, string[]>();
  private readonly histories = new Map<string, History>();
  private readonly listeners = new Set<(ev: StoreEvent) => void>();
  readonly initialRevision: number;

  constructor(
    startRevision = 1,
    private readonly historyLimit = 5000,
  ) {
    this.revision = startRevision;
    this.initialRevision = startRevision;
  }

  get currentRevision(): number {
    return this.revision;
  }

  nextRevision(): number {
    this.revision += 1;
    return this.revision;
  }

  static id(namespace: string | undefined, name: string): string {
    return `${namespace ?? ""}/${name}`;
  }

  get(key: string, namespace: string | undefined, name: string): JsonObject | undefined {
    return this.buckets.get(key)?.get(Store.id(namespace, name));
  }

  /** Objects of one resource, optionally one namespace, in storage-key order (namespace/name). */
  list(key: string, namespace?: string): JsonObject[] {
    const bucket = this.buckets.get(key);
    if (!bucket) return [];
    let ids = this.sortedIds.get(key);
    if (!ids) {
      ids = [...bucket.keys()].sort();
      this.sortedIds.set(key, ids);
    }
    const out: JsonObject[] = [];
    for (const id of ids) {
      if (namespace !== undefined && !id.startsWith(`${namespace}/`)) continue;
      const o = bucket.get(id);
      if (o) out.push(o);
    }
    return out;
  }

  keys(): string[] {
    return [...this.buckets.keys()];
  }

  /** Stores `object` (whose metadata.resourceVersion the caller already set to `rv`). */
  put(key: string, object: JsonObject, rv: number): StoreEvent {
    const ns = getPath(object, ["metadata", "namespace"]);
    const name = String(getPath(object, ["metadata", "name"]) ?? "");
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    const id = Store.id(typeof ns === "string" ? ns : undefined, name);
    const previous = bucket.get(id);
    if (!previous) this.sortedIds.delete(key);
    bucket.set(id, object);
    return this.emit({ type: previous ? "MODIFIED" : "ADDED", rv, key, object, previous });
  }

  /** Removes an object; `finalState` is what the DELETED event carries (with the deletion's rv). */
  remove(key: string, namespace: string | undefined, name: string, finalState: JsonObject, rv: number): StoreEvent | undefined {
    const bucket = this.buckets.get(key);
    const id = Store.id(namespace, name);
    const previous = bucket?.get(id);
    if (!bucket || !previous) return undefined;
    bucket.delete(id);
    this.sortedIds.delete(key);
    return this.emit({ type: "DELETED", rv, key, object: finalState, previous });
  }

  dropResource(key: string): void {
    this.buckets.delete(key);
    this.sortedIds.delete(key);
  }

  private emit(ev: StoreEvent): StoreEvent {
    let h = this.histories.get(ev.key);
    if (!h) {
      h = { events: [], windowStart: this.initialRevision, lastRV: this.initialRevision };
      this.histories.set(ev.key, h);
    }
    h.events.push(ev);
    h.lastRV = ev.rv;
    if (h.events.length > this.historyLimit) {
      const dropped = h.events.splice(0, h.events.length - this.historyLimit);
      const last = dropped[dropped.length - 1];
      if (last) h.windowStart = last.rv;
    }
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** The oldest resourceVersion a watch on `key` can resume from. */
  windowStart(key: string): number {
    return this.histories.get(key)?.windowStart ?? this.initialRevision;
  }

  /** The last resourceVersion of an event for `key` (what bookmarks carry). */
  lastEventRV(key: string): number {
    return this.histories.get(key)?.lastRV ?? this.initialRevision;
  }

  eventsSince(key: string, rv: number): StoreEvent[] {
    const h = this.histories.get(key);
    if (!h) return [];
    return h.events.filter((e) => e.rv > rv);
  }

  subscribe(listener: (ev: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
