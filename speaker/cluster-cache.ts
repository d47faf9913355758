/**
 * The speaker's copy of the cluster: every watched resource as a map kept current by list + watch,
 * published as one Snapshot stream.
 *
 * When a watch fails (API server restarting, network cut) nothing is forgotten: the last snapshot
 * stays in force, so the node keeps announcing what it announced. The resource is then listed
 * again, retrying with backoff until the API answers, and the fresh list replaces the old copy
 * (this is how deletions missed during the outage are noticed).
 *
 * Secrets are read by name only: the heartbeat key and the passwordSecrets the BGPPeers name, each
 * listed and watched with `fieldSelector=metadata.name=<name>`, so the speaker's Role can name them
 * (resourceNames) instead of granting every Secret of the namespace. The set follows the BGPPeers.
 * A Secret the speaker may not read (403) is logged and retried; it never holds the rest back.
 */
import { BehaviorSubject, type Observable } from "rxjs";
import { realClock, type Clock } from "../core/clock";
import { HEARTBEAT_SECRET_NAME } from "../protocols/l2/heartbeat-keys";
import { keyOf, type KubeObject, type Watch } from "../kube/controller-port";
import { SPEAKER_RESOURCES, type SpeakerPort, type SpeakerResource } from "../kube/speaker-port";
import { logger, type Logger } from "../observability/log";
import { TimeSlice } from "../core/time-slice";

export type Snapshot = Readonly<Record<SpeakerResource, readonly KubeObject[]>>;

export interface ClusterCacheOptions {
  port: SpeakerPort;
  namespace: string;
  /** First relist delay after an error; doubles up to maxRelistDelayMs. */
  relistDelayMs?: number;
  maxRelistDelayMs?: number;
  clock?: Clock;
  /** Default: the process logger, component "speaker". */
  log?: Logger;
  /** Resources to watch (all of SPEAKER_RESOURCES by default). */
  resources?: readonly SpeakerResource[];
}

export class ClusterCache {
  private readonly maps = new Map<SpeakerResource, Map<string, KubeObject>>();
  private readonly watches: Watch[] = [];
  private readonly pendingRelist = new Map<SpeakerResource, () => void>();
  /** Secret name -> its watch (undefined while the first read is retrying) and a canceller of that retry. */
  /** Per Secret name: its watch, a pending retry, and the first read (awaited by every sync that wants the name). */
  private readonly secretWatches = new Map<string, { watch?: Watch; cancel?: () => void; first?: Promise<void> }>();
  private readonly subject = new BehaviorSubject<Snapshot | undefined>(undefined);
  private stopped = false;
  private readonly resources: readonly SpeakerResource[];
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Relists done after an error (for metrics and tests). */
  resyncs = 0;

  constructor(private readonly opts: ClusterCacheOptions) {
    this.resources = opts.resources ?? SPEAKER_RESOURCES;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? logger("speaker");
  }

  /** Runs fn after ms on the clock; returns its canceller. */
  private after(ms: number, fn: () => void): () => void {
    const timer = this.clock.setTimeout(fn, ms);
    return () => timer.cancel();
  }

  /** Snapshots, the first once every resource has been listed. */
  get snapshots(): Observable<Snapshot | undefined> {
    return this.subject;
  }

  current(): Snapshot | undefined {
    return this.subject.value;
  }

  /** Lists and watches every resource; retries each initial list until it succeeds. */
  async start(): Promise<void> {
    // Before the other lists: a BGPPeer watch event may already start reading a Secret into it.
    if (this.resources.includes("Secret")) this.maps.set("Secret", new Map());
    await Promise.all(this.resources.filter(r => r !== "Secret").map(r => this.startOne(r)));
    if (this.resources.includes("Secret")) await this.syncSecretNames();
    this.publish();
  }

  /** The Secrets the speaker reads: the heartbeat key and every BGPPeer passwordSecret in the namespace. */
  secretNames(): string[] {
    const names = new Set([HEARTBEAT_SECRET_NAME]);
    for (const peer of this.maps.get("BGPPeer")?.values() ?? []) {
      const ref = (peer.spec as { passwordSecret?: { name?: unknown; namespace?: unknown } } | undefined)?.passwordSecret;
      if (typeof ref?.name === "string" && ref.name !== "" && (ref.namespace === undefined || ref.namespace === this.opts.namespace)) names.add(ref.name);
    }
    return [...names].sort();
  }

  /** Starts reading new names, stops reading names no BGPPeer uses any more. Resolves after one attempt per new name. */
  private async syncSecretNames(): Promise<void> {
    const wanted = new Set(this.secretNames());
    let dropped = false;
    for (const [name, entry] of this.secretWatches) {
      if (wanted.has(name)) continue;
      entry.watch?.stop();
      entry.cancel?.();
      this.secretWatches.delete(name);
      dropped = this.maps.get("Secret")?.delete(`${this.opts.namespace}/${name}`) || dropped;
    }
    if (dropped) this.publish();
    const fresh = [...wanted].filter(n => !this.secretWatches.has(n));
    for (const name of fresh) {
      const entry: { first?: Promise<void> } = {};
      this.secretWatches.set(name, entry);
      entry.first = this.readSecret(name, this.opts.relistDelayMs ?? 1000);
    }
    // A read a concurrent sync started (a BGPPeer event during start()) is waited for too.
    await Promise.all([...wanted].map(name => this.secretWatches.get(name)?.first));
  }

  /** Lists then watches one Secret by name; on failure logs and tries again later (not blocking anything). */
  private async readSecret(name: string, delay: number): Promise<void> {
    const entry = this.secretWatches.get(name);
    if (!entry || this.stopped) return;
    const key = `${this.opts.namespace}/${name}`;
    try {
      const [item] = await this.opts.port.list("Secret", this.opts.namespace, name);
      const map = this.maps.get("Secret");
      if (item) map?.set(key, item);
      else map?.delete(key);
      const watch = await this.opts.port.watch("Secret", this.opts.namespace, {
        event: (phase, object) => this.onEvent("Secret", phase, object),
        error: error => {
          this.log.warn(`watch Secret ${key} failed, keeping the last known state: ${error.message}`);
          if (this.secretWatches.get(name) === entry) {
            entry.watch?.stop();
            entry.watch = undefined;
            entry.cancel = this.after(this.opts.relistDelayMs ?? 1000, () => void this.readSecret(name, this.opts.relistDelayMs ?? 1000));
          }
        },
      }, name);
      if (this.stopped || this.secretWatches.get(name) !== entry) watch.stop();
      else entry.watch = watch;
      this.publish();
    } catch (e) {
      this.log.warn(`reading Secret ${key} failed, retrying in ${delay} ms: ${String(e)}`);
      if (this.secretWatches.get(name) === entry && !this.stopped) {
        entry.cancel = this.after(delay, () => void this.readSecret(name, Math.min(delay * 2, this.opts.maxRelistDelayMs ?? 30_000)));
      }
    }
  }

  private async startOne(resource: SpeakerResource): Promise<void> {
    let delay = this.opts.relistDelayMs ?? 1000;
    for (;;) {
      if (this.stopped) return;
      try {
        // The watch lists first and delivers that list as ADDED before it is ready: one list, and one
        // copy of each object, shared with the watch (a list of our own before it was a second copy
        // of every Service). Taken in whole once ready, not object by object (each would publish).
        const initial = new Map<string, KubeObject>();
        let filling = true;
        const watch = await this.opts.port.watch(resource, this.opts.namespace, {
          event: (phase, object) => {
            if (!filling) this.onEvent(resource, phase, object);
            else if (phase === "DELETED") initial.delete(keyOf(object));
            else initial.set(keyOf(object), object);
          },
          error: error => this.onError(resource, error),
        });
        filling = false;
        this.maps.set(resource, byKey([...initial.values()], this.maps.get(resource)));
        if (this.stopped) watch.stop();
        else this.watches.push(watch);
        return;
      } catch (e) {
        this.log.warn(`list/watch ${resource} failed, retrying in ${delay} ms: ${String(e)}`);
        await new Promise<void>(resolve => this.after(delay, resolve));
        delay = Math.min(delay * 2, this.opts.maxRelistDelayMs ?? 30_000);
      }
    }
  }

  private onEvent(resource: SpeakerResource, phase: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject): void {
    const map = this.maps.get(resource);
    if (!map) return;
    if (phase === "DELETED") map.delete(keyOf(object));
    else map.set(keyOf(object), object);
    this.publish();
    if (resource === "BGPPeer" && this.resources.includes("Secret")) void this.syncSecretNames();
  }

  private onError(resource: SpeakerResource, error: Error): void {
    if (this.stopped || this.pendingRelist.has(resource)) return;
    this.log.warn(`watch ${resource} failed, keeping the last known state: ${error.message}`);
    this.scheduleRelist(resource, this.opts.relistDelayMs ?? 1000);
  }

  private scheduleRelist(resource: SpeakerResource, delay: number): void {
    if (resource === "Secret") return;
    const cancel = this.after(delay, () => {
      this.opts.port.list(resource, this.opts.namespace).then(
        async items => {
          // The list's JSON was parsed in this turn (tens of ms at 10,000 objects): give the event loop one before the rest.
          await new Promise<void>(resolve => setImmediate(resolve));
          this.pendingRelist.delete(resource);
          if (this.stopped) return;
          this.maps.set(resource, await byKeySliced(items, this.maps.get(resource)));
          this.resyncs++;
          this.log.info(`relisted ${resource} (${items.length} objects)`);
          this.publish();
          if (resource === "BGPPeer" && this.resources.includes("Secret")) void this.syncSecretNames();
        },
        () => {
          if (!this.stopped) this.scheduleRelist(resource, Math.min(delay * 2, this.opts.maxRelistDelayMs ?? 30_000));
        },
      );
    });
    this.pendingRelist.set(resource, cancel);
  }

  private publish(): void {
    if (this.stopped || this.resources.some(r => !this.maps.has(r))) return;
    const snap = {} as Record<SpeakerResource, KubeObject[]>;
    for (const r of SPEAKER_RESOURCES) snap[r] = [...(this.maps.get(r)?.values() ?? [])];
    this.subject.next(snap);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    for (const { watch, cancel } of this.secretWatches.values()) {
      watch?.stop();
      cancel?.();
    }
    this.secretWatches.clear();
    for (const cancel of this.pendingRelist.values()) cancel();
    this.pendingRelist.clear();
    this.subject.complete();
  }
}

/**
 * The listed objects by key. An object whose resourceVersion is the one already held (the API server
 * changes it on every write) keeps the object held, so that what the speaker derived from it is
 * reused (speaker/speaker-state.ts, SpeakerStateMemo): a relist of 10,000 unchanged Services then
 * costs their parse, not their recomputation.
 */
function byKey(items: readonly KubeObject[], previous?: ReadonlyMap<string, KubeObject>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const o of items) keep(out, o, previous);
  return out;
}

function keep(out: Map<string, KubeObject>, o: KubeObject, previous?: ReadonlyMap<string, KubeObject>): void {
  const key = keyOf(o);
  const held = previous?.get(key);
  const version = o.metadata?.resourceVersion;
  out.set(key, held && version && held.metadata?.resourceVersion === version && held.metadata?.uid === o.metadata?.uid ? held : o);
}

/** byKey for a relist on the running speaker: gives the event loop a turn every 10 ms. */
async function byKeySliced(items: readonly KubeObject[], previous?: ReadonlyMap<string, KubeObject>): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const slice = new TimeSlice();
  for (const o of items) {
    keep(out, o, previous);
    await slice.yield();
  }
  return out;
}
