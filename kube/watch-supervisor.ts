/**
 * Keeps every list+watch of one process alive through any network fault, and says whether the
 * process's view of the cluster is current. The one home of watch recovery for the controller and
 * the speaker; the HTTP side is kube/api-connection.ts, the clock is injected.
 *
 * Why not kubernetes-fluent-client's Watcher (node_modules/kubernetes-fluent-client/dist/fluent/watch.js):
 * its list and watch requests have no timeout, so over a path that drops packets silently a request
 * hangs until the kernel gives up; it never asks for bookmarks, so a quiet stream and a dead one look
 * the same until `lastSeenLimitSeconds`; its stream errors and its resync timer both reconnect, so
 * one outage can leave two watches; and `resyncFailureMax` ends it with GIVE_UP. Here:
 *
 * - Each watch lists once, then streams from the list's resourceVersion with `allowWatchBookmarks`
 *   and `timeoutSeconds` (api-connection.ts), so a healthy stream carries bytes at least every
 *   `timeoutSeconds`: one silent for `idleMs` is hung and is restarted from the last resourceVersion.
 * - A stream ending normally (the server's timeout) is reopened at once from the last resourceVersion;
 *   a failure is retried with backoff doubling from `backoff.initialMs` up to `backoff.maxMs` (1 s), for
 *   ever. `410 Gone` (history compacted) relists; a relist is diffed against what was seen, so objects
 *   created, changed or deleted meanwhile reach the handler as ADDED, MODIFIED or DELETED.
 * - A dead path is noticed without waiting for TCP: the API server is probed (`GET /version`, with a
 *   timeout) whenever nothing has been heard from it for `probeIntervalMs`, and every `probeRetryMs`
 *   while probes fail. When it answers again after
 *   `restartAfterSilenceMs` or more of silence, every stream is restarted at once, since a stream that
 *   lived through the outage may be half dead (its retransmissions backed off for tens of seconds).
 * - The view is current while the API server was heard within `staleAfterMs` and every watch has listed
 *   and is streaming (or stopped streaming less than `staleAfterMs` ago: a normal reconnect). A watch
 *   added while the view is current (the speaker's Secret watches follow its BGPPeers) has as long to
 *   list: until then the view it joins is no less current than it was.
 */
import type { Clock, TimerHandle } from "../core/clock";
import { TimeSlice } from "../core/time-slice";
import { logger, type Logger } from "../observability/log";
import { keyOf, type KubeObject, type WatchPhase } from "./controller-port";
import { pickFields } from "./pick-fields";

/** One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (a Status object). */
export interface WatchLine {
  readonly type: string;
  readonly object: KubeObject;
}

export interface ListResult {
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
}

export interface WatchStreamHandlers {
  /** The server accepted the watch (its response headers arrived). */
  onOpen(): void;
  onLine(line: WatchLine): void;
}

/** How one resource is listed and watched (api-connection.ts over HTTPS; fakes in tests). */
export interface WatchSource {
  /** For logs: the kind, e.g. `Service`. */
  readonly name: string;
  list(signal: AbortSignal): Promise<ListResult>;
  /** Streams from `resourceVersion`; resolves when the server ends the stream, rejects on a failure or an abort. */
  watch(resourceVersion: string, signal: AbortSignal, handlers: WatchStreamHandlers): Promise<void>;
}

export interface WatchOptions {
  /** Counts in isCurrent() (default true). */
  partOfView?: boolean;
  /** Cuts each object as it arrives (default: kept as it came). */
  keep?: (object: KubeObject) => KubeObject;
  /** What the watch holds of each object between events: the kept object (default) or its tombstone. */
  remember?: "object" | "identity";
}

/**
 * What a watch that keeps no objects remembers of one: enough to diff a relist (namespace, name,
 * resourceVersion) and to tell a handler which object a relist found deleted (its labels say what
 * it belonged to: an EndpointSlice's Service, a status object's Service).
 */
export function tombstoneOf(object: KubeObject): KubeObject {
  const metadata = pickFields(object.metadata, ["namespace", "name", "resourceVersion", "labels"]) ?? {};
  return { ...pickFields(object, ["apiVersion", "kind"]), metadata } as KubeObject;
}

/** A cheap request that succeeds when the API server is reachable. */
export type ApiProbe = (signal: AbortSignal) => Promise<void>;

export type WatchEventHandler = (phase: WatchPhase, object: KubeObject) => void;

/** A failure with an HTTP status (410 relists). */
export class WatchStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchSupervisorOptions {
  clock: Clock;
  probe: ApiProbe;
  /** Default: the process logger, component "watch". */
  log?: Logger;
  /** How often timeouts, idleness and staleness are checked (default 250 ms). */
  tickMs?: number;
  /** Probe when nothing was heard from the API server for this long (default 1000 ms). */
  probeIntervalMs?: number;
  /** While probes fail, probe this often, so the path's return is seen soon (default 250 ms). */
  probeRetryMs?: number;
  /** A probe not answered within this is a failure (default 2000 ms). */
  probeTimeoutMs?: number;
  /** The view is not current after this long without hearing the API server or with a watch not streaming (default 3000 ms). */
  staleAfterMs?: number;
  /** When the API server is heard again after at least this much silence, every stream is restarted (default 2000 ms). */
  restartAfterSilenceMs?: number;
  /** A stream with no line for this long is hung and restarted (default 75 s: beyond api-connection's 60 s timeoutSeconds). */
  idleMs?: number;
  /** A list not answered within this is a failure (default 30 s). */
  listTimeoutMs?: number;
  /** A watch request whose response has not begun within this is a failure (default 10 s). */
  connectTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

type WatchState = "listing" | "connecting" | "streaming" | "waiting" | "stopped";

/** Why a running request was cut short: each reconnects at once, without backoff. */
type Interrupt = "restart" | "idle" | "gone";

/** One supervised list+watch. */
export interface SupervisedWatch {
  /** Resolves once the first list has been delivered to the handler. */
  readonly ready: Promise<void>;
  stop(): void;
}

export class WatchSupervisor {
  private readonly watches = new Set<ResourceWatch>();
  private readonly listeners = new Set<(current: boolean) => void>();
  private readonly returnListeners = new Set<() => void>();
  private readonly log: Logger;
  private lastContact: number;
  private lastProbeStart = -Infinity;
  private probeFailing = false;
  private current = false;
  private tick: TimerHandle | undefined;
  private stopped = false;
  readonly settings: Required<Omit<WatchSupervisorOptions, "clock" | "probe" | "log" | "backoff">> & { backoffInitialMs: number; backoffMaxMs: number };
  /** Streams restarted because the API server came back after a silence (for tests and metrics). */
  pathRestarts = 0;

  constructor(private readonly opts: WatchSupervisorOptions) {
    this.log = opts.log ?? logger("watch");
    this.settings = {
      tickMs: opts.tickMs ?? 250,
      probeIntervalMs: opts.probeIntervalMs ?? 1000,
      probeRetryMs: opts.probeRetryMs ?? 250,
      probeTimeoutMs: opts.probeTimeoutMs ?? 2000,
      staleAfterMs: opts.staleAfterMs ?? 3000,
      restartAfterSilenceMs: opts.restartAfterSilenceMs ?? 2000,
      idleMs: opts.idleMs ?? 75_000,
      listTimeoutMs: opts.listTimeoutMs ?? 30_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      backoffInitialMs: opts.backoff?.initialMs ?? 100,
      backoffMaxMs: opts.backoff?.maxMs ?? 1000,
    };
    this.lastContact = opts.clock.now();
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  /**
   * Lists and watches `source`, delivering every change to `handler`, until stopped. With
   * `partOfView: false` the watch is kept alive the same way but does not count in isCurrent(): what
   * it follows (a speaker's own status objects) is not what the process decides from.
   *
   * `keep` cuts each object as it arrives, before the watch remembers it (to diff a relist and to
   * replay a deletion) and delivers it: the watch and its handler then share one copy of the
   * cut object, not the full object beside the handler's cut copy. It must keep metadata's
   * namespace, name and resourceVersion.
   *
   * `remember: "identity"` keeps only each object's tombstone (tombstoneOf) for the relist diff,
   * for a handler that keeps its own view of the object rather than the object (the controller's
   * EndpointSlices, Nodes and speakers' statuses): the object is then garbage once handled, where
   * the watch would otherwise hold the only whole copy. A deletion found by a relist is delivered
   * as the tombstone. The default, `"object"`, shares the kept object with a handler that holds it.
   */
  watch(source: WatchSource, handler: WatchEventHandler, opts: WatchOptions = {}): SupervisedWatch {
    if (this.stopped) throw new Error("watch supervisor stopped");
    const keep = opts.keep ?? ((o: KubeObject) => o);
    const remember = opts.remember === "identity" ? tombstoneOf : (o: KubeObject) => o;
    const w = new ResourceWatch(this, source, handler, this.log, this.current, opts.partOfView ?? true, keep, remember);
    this.watches.add(w);
    this.tick ??= this.opts.clock.setTimeout(() => this.onTick(), this.settings.tickMs);
    w.start();
    this.evaluate();
    return { ready: w.ready, stop: () => this.remove(w) };
  }

  /** Whether the view is current (see the file comment). False before every watch has listed. */
  isCurrent(): boolean {
    return this.current;
  }

  /** Called with every change of isCurrent(). */
  onCurrentChange(listener: (current: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Called when the API server answers again after a silence, after every stream was told to restart:
   * other requests sent meanwhile (writes) may be waiting on dead connections and should be cut too.
   */
  onPathReturn(listener: () => void): () => void {
    this.returnListeners.add(listener);
    return () => void this.returnListeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.tick?.cancel();
    for (const w of [...this.watches]) this.remove(w);
    this.listeners.clear();
  }

  /** Something came from the API server: it is reachable now. */
  contact(): void {
    const now = this.opts.clock.now();
    const silence = now - this.lastContact;
    this.lastContact = now;
    if (this.probeFailing) {
      this.probeFailing = false;
    }
    if (silence >= this.settings.restartAfterSilenceMs && this.watches.size > 0) {
      this.pathRestarts++;
      this.log.info(`API server answered again after ${Math.round(silence)} ms of silence: restarting ${this.watches.size} watches`);
      // A stream that lived through the silence has been of no use since the last contact before it.
      for (const w of this.watches) w.interrupt("restart", now - silence);
      for (const l of [...this.returnListeners]) l();
    }
    this.evaluate();
  }

  /** A watch's state changed. */
  evaluate(): void {
    const now = this.opts.clock.now();
    const s = this.settings;
    const heard = now - this.lastContact <= s.staleAfterMs;
    const late = (w: ResourceWatch): boolean => w.notStreamingSince !== undefined && now - w.notStreamingSince > s.staleAfterMs;
    const inView = [...this.watches].filter(w => w.partOfView);
    const watchesOk = inView.length > 0 && inView.every(w => (w.listed || w.joinedCurrentView) && !late(w));
    const current = heard && watchesOk;
    if (current === this.current) return;
    this.current = current;
    if (!current) {
      const behind = inView.filter(w => (!w.listed && !w.joinedCurrentView) || late(w)).map(w => w.source.name);
      this.log.warn(`view of the cluster not current: ${heard ? "" : `API server silent for ${Math.round(now - this.lastContact)} ms; `}watches down: ${behind.join(", ") || "none"}`);
    } else {
      this.log.info("view of the cluster current again");
    }
    for (const l of [...this.listeners]) l(current);
  }

  private remove(w: ResourceWatch): void {
    w.stop();
    this.watches.delete(w);
    if (this.watches.size === 0) {
      this.tick?.cancel();
      this.tick = undefined;
    }
  }

  private onTick(): void {
    this.tick = undefined;
    if (this.stopped || this.watches.size === 0) return;
    const now = this.opts.clock.now();
    const s = this.settings;
    const every = this.probeFailing ? s.probeRetryMs : s.probeIntervalMs;
    if (now - this.lastContact >= s.probeIntervalMs && now - this.lastProbeStart >= every) this.startProbe();
    for (const w of this.watches) w.checkIdle(now, s.idleMs);
    this.evaluate();
    this.tick = this.opts.clock.setTimeout(() => this.onTick(), s.tickMs);
  }

  private startProbe(): void {
    const startedAt = this.opts.clock.now();
    this.lastProbeStart = startedAt;
    const ac = new AbortController();
    const timeout = this.opts.clock.setTimeout(() => ac.abort(new Error(`no answer within ${this.settings.probeTimeoutMs} ms`)), this.settings.probeTimeoutMs);
    this.opts.probe(ac.signal).then(
      () => {
        timeout.cancel();
        if (!this.stopped) this.contact();
      },
      (e: unknown) => {
        timeout.cancel();
        // A probe sent into the outage may time out after the API server was heard again: old news.
        if (this.stopped || this.probeFailing || this.lastContact > startedAt) return;
        this.probeFailing = true;
        this.log.warn(`API server not answering: ${errorText(e)}`);
      },
    );
  }
}

/** One resource's list+watch loop (see the file comment). */
class ResourceWatch {
  state: WatchState = "listing";
  listed = false;
  /** When the stream stopped (or since creation); undefined while streaming. */
  notStreamingSince: number | undefined;
  private readonly cache = new Map<string, KubeObject>();
  private resourceVersion = "";
  private needList = true;
  private attempt = 0;
  private lastLineAt = 0;
  private abort: AbortController | undefined;
  /** Why the running request was cut short: an Interrupt reconnects at once, an error backs off and relists. */
  private interrupted: Interrupt | WatchStatusError | undefined;
  private wake: (() => void) | undefined;
  private resolveReady: () => void = () => {};
  readonly ready: Promise<void>;

  constructor(
    private readonly sup: WatchSupervisor,
    readonly source: WatchSource,
    private readonly handler: WatchEventHandler,
    private readonly log: Logger,
    /** Started while the view was current: its first list has `staleAfterMs`, as a reconnect has. */
    readonly joinedCurrentView: boolean,
    /** Counts in isCurrent(). */
    readonly partOfView: boolean,
    /** What is kept of each object (WatchSupervisor.watch). */
    private readonly keep: (object: KubeObject) => KubeObject,
    /** What the watch itself holds of a kept object until the next change or relist. */
    private readonly remember: (kept: KubeObject) => KubeObject,
  ) {
    this.ready = new Promise(resolve => (this.resolveReady = resolve));
    this.notStreamingSince = sup.clock.now();
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.state = "stopped";
    this.abort?.abort(new Error("watch stopped"));
    this.wake?.();
    this.resolveReady();
  }

  /** Cuts the running request short; the loop reconnects at once (relisting after `gone`). `downSince`: when it stopped being of use. */
  interrupt(reason: Interrupt, downSince?: number): void {
    if (this.state === "stopped") return;
    if (downSince !== undefined) this.notStreamingSince = Math.min(this.notStreamingSince ?? downSince, downSince);
    if (reason === "gone") this.needList = true;
    if (this.state === "waiting") {
      this.attempt = 0;
      this.wake?.();
      return;
    }
    this.interrupted = reason;
    this.abort?.abort(new Error(`watch ${reason}`));
  }

  checkIdle(now: number, idleMs: number): void {
    if (this.state === "streaming" && now - this.lastLineAt > idleMs) {
      this.log.warn(`watch ${this.source.name}: nothing for ${Math.round(now - this.lastLineAt)} ms, restarting it`);
      this.interrupt("idle");
    }
  }

  private get stopped(): boolean {
    return this.state === "stopped";
  }

  private async run(): Promise<void> {
    const s = this.sup.settings;
    while (!this.stopped) {
      const ac = new AbortController();
      this.abort = ac;
      this.interrupted = undefined;
      let openedAt: number | undefined;
      try {
        if (this.needList) {
          await this.list(ac);
          if (this.stopped) return;
        }
        this.state = "connecting";
        const connectTimeout = this.sup.clock.setTimeout(() => ac.abort(new Error(`watch not answered within ${s.connectTimeoutMs} ms`)), s.connectTimeoutMs);
        await this.source.watch(this.resourceVersion, ac.signal, {
          onOpen: () => {
            connectTimeout.cancel();
            if (ac.signal.aborted) return;
            openedAt = this.sup.clock.now();
            this.state = "streaming";
            this.lastLineAt = openedAt;
            this.notStreamingSince = undefined;
            this.sup.contact();
          },
          onLine: line => {
            if (!ac.signal.aborted) this.onLine(line);
          },
        }).finally(() => connectTimeout.cancel());
        if (this.stopped) return;
        this.markDown();
        // The server ended a stream that ran a while (its timeoutSeconds): resume at once. One that
        // ended straight away is a failure, or a server ending every watch would be asked in a loop.
        if (openedAt !== undefined && this.sup.clock.now() - openedAt >= s.backoffMaxMs) {
          this.attempt = 0;
          continue;
        }
        throw new Error("the server ended the watch at once");
      } catch (e) {
        if (this.stopped) return;
        this.markDown();
        const why = this.interruption();
        if (typeof why === "string") continue;
        const failure = why ?? e;
        if (failure instanceof WatchStatusError && failure.code === 410) {
          this.needList = true;
          continue;
        }
        if (failure instanceof WatchStatusError) this.needList = true;
        const delay = Math.min(s.backoffInitialMs * 2 ** this.attempt, s.backoffMaxMs);
        this.attempt++;
        if (this.attempt === 1 || this.attempt % 30 === 0) this.log.warn(`watch ${this.source.name} failed (${this.attempt}x), retrying in ${delay} ms (at most ${s.backoffMaxMs} ms apart): ${errorText(failure)}`);
        await this.sleep(delay);
      }
    }
  }

  /**
   * Lists and applies the list. A method of its own so that the list, full objects as they came, is
   * garbage once applied: held in a variable of run(), it stayed alive in that async function's
   * frame for as long as the watch after it ran (seen in a speaker's heap snapshot: every Service
   * and EndpointSlice kept twice, managedFields and all).
   */
  private async list(ac: AbortController): Promise<void> {
    const s = this.sup.settings;
    this.state = "listing";
    const timeout = this.sup.clock.setTimeout(() => ac.abort(new Error(`list not answered within ${s.listTimeoutMs} ms`)), s.listTimeoutMs);
    let result: ListResult;
    try {
      result = await this.source.list(ac.signal);
    } finally {
      timeout.cancel();
    }
    if (this.stopped) return;
    await this.applyList(result);
    this.sup.contact();
  }

  /** Read through a method: TypeScript would keep the narrowing of the assignment before the awaits. */
  private interruption(): Interrupt | WatchStatusError | undefined {
    return this.interrupted;
  }

  private markDown(): void {
    if (this.notStreamingSince === undefined) this.notStreamingSince = this.sup.clock.now();
    this.sup.evaluate();
  }

  private sleep(ms: number): Promise<void> {
    this.state = "waiting";
    return new Promise(resolve => {
      const timer = this.sup.clock.setTimeout(() => done(), ms);
      const done = (): void => {
        timer.cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  private onLine(line: WatchLine): void {
    this.lastLineAt = this.sup.clock.now();
    this.sup.contact();
    const rv = line.object.metadata?.resourceVersion;
    switch (line.type) {
      case "ADDED":
      case "MODIFIED": {
        const kept = this.keep(line.object);
        this.cache.set(keyOf(kept), this.remember(kept));
        if (rv) this.resourceVersion = rv;
        this.deliver(line.type, kept);
        return;
      }
      case "DELETED": {
        const kept = this.keep(line.object);
        this.cache.delete(keyOf(kept));
        if (rv) this.resourceVersion = rv;
        this.deliver("DELETED", kept);
        return;
      }
      case "BOOKMARK":
        if (rv) this.resourceVersion = rv;
        return;
      case "ERROR": {
        const status = line.object as { code?: unknown; message?: unknown };
        const code = typeof status.code === "number" ? status.code : 0;
        if (code === 410) {
          this.interrupt("gone");
          return;
        }
        this.interrupted = new WatchStatusError(code, `server error ${code}: ${String(status.message ?? "")}`);
        this.abort?.abort(this.interrupted);
        return;
      }
      default:
        return;
    }
  }

  /**
   * Replaces what was seen by a fresh list, telling the handler what changed meanwhile. The stream
   * starts after it. A list of 10,000 objects is a hundred milliseconds and more of handling (the
   * speaker's heartbeats and BGP keepalives share the thread): the event loop gets a turn every
   * 10 ms (core/time-slice.ts); deletions come last, once every listed object has been handled.
   */
  private async applyList(result: ListResult): Promise<void> {
    const seen = new Set<string>();
    const slice = new TimeSlice();
    for (const listed of result.items) {
      await slice.yield();
      if (this.stopped) return;
      const item = this.keep(listed);
      const key = keyOf(item);
      seen.add(key);
      const before = this.cache.get(key);
      this.cache.set(key, this.remember(item));
      if (!before) this.deliver("ADDED", item);
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.deliver("MODIFIED", item);
    }
    for (const [key, obj] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.deliver("DELETED", obj);
    }
    this.resourceVersion = result.resourceVersion;
    this.needList = false;
    if (!this.listed) {
      this.listed = true;
      this.resolveReady();
    }
  }

  /** A bug in handling one event must not end the watch. */
  private deliver(phase: WatchPhase, object: KubeObject): void {
    try {
      this.handler(phase, object);
    } catch (e) {
      this.log.error(`watch ${this.source.name}: handling ${phase} ${keyOf(object)} failed: ${errorText(e)}`);
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
