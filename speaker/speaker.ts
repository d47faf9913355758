/**
 * The speaker: watched cluster -> one desired state per node -> L2 data plane and status writes.
 *
 *   ClusterCache ─snapshots─> debounce ─> speakerState() ─┬─ L2 services, peers, heartbeat Secret ─> dataPlane  (capabilities/l2-announcer)
 *                                                         ├─ Node, config, BGP announcements ─> bgp; sessions ─> BGPPeer status  (capabilities/bgp)
 *                                                         ├─ config problems (distinct) ─> ConfigurationState speaker-<node>
 *                                                         ├─ every state ─> StatusWriter <─ data plane reports
 *                                                         └─ peers ─> StaleStatusJanitor <─ heartbeat membership
 *
 * While the API server is unreachable the cache keeps its last snapshot, so nothing here changes;
 * when it returns the watches resume and replay what changed (kube/watch-supervisor.ts).
 * A speaker whose view is not current (a watch down for seconds) is blind: it cannot know the IPs
 * handed out meanwhile, so the L2 data plane announces nothing and tells its peers, who answer
 * instead (core/election/liveness.ts), and readiness() says not ready until it sees again.
 */
import { Registry } from "prom-client";
import { debounceTime, distinctUntilChanged, filter, Subject, type Observable, type Subscription } from "rxjs";
import { bindBgp } from "../capabilities/bgp";
import { bindL2Announcer } from "../capabilities/l2-announcer";
import { configurationStatus } from "../controller/config-state";
import type { BgpDataPlane } from "./bgp";
import type { Config } from "../core/config/types";
import type { ConfigurationStateStatus } from "../kube/controller-port";
import type { SpeakerPort } from "../kube/speaker-port";
import { realClock, type Clock } from "../core/clock";
import { BgpStatusWriter } from "./bgp-status-writer";
import { ClusterCache, type Snapshot } from "./cluster-cache";
import type { L2DataPlane } from "./data-plane";
import { SpeakerMetrics } from "./metrics";
import { RefusalReporter } from "./refusals";
import { speakerStateSliced, SpeakerStateMemo, type SpeakerSettings, type SpeakerState } from "./speaker-state";
import { StaleStatusJanitor } from "./stale-status";
import { sameEntries, signature } from "./state-streams";
import { StatusWriter } from "./status-writer";
import { logger, type Logger } from "../observability/log";
import { StatePace } from "./state-pace";
import { TimeSlice } from "../core/time-slice";

export interface SpeakerOptions extends SpeakerSettings {
  port: SpeakerPort;
  dataPlane: L2DataPlane;
  registry?: Registry;
  /** The BGP data plane, when this speaker does BGP: node, config and announcements go to it, its sessions to BGPPeer status. */
  bgp?: BgpDataPlane;
  /** Quiet time before BGP session changes are written to the BGPPeers (default 200 ms). */
  bgpStatusDebounceMs?: number;
  /** How long the snapshot must be quiet before the state is recomputed (bursts of watch events). */
  debounceMs?: number;
  /** First delay before relisting after a watch error (doubles up to 30 s). */
  relistDelayMs?: number;
  /** Delay before retrying failed status writes. */
  retryMs?: number;
  now?: () => number;
  /** Relists, retries and debounces run on it; wall time comes from it unless `now` is given. */
  clock?: Clock;
  /** Default: the process logger, component "speaker". */
  log?: Logger;
}

export interface RunningSpeaker {
  /** Every recomputed state (after debounce). */
  readonly states: Observable<SpeakerState>;
  current(): SpeakerState | undefined;
  /** Resolves once no status write is running. */
  settled(): Promise<void>;
  /** SIGTERM: hand the IPs over (data plane), then stop everything. */
  shutdown(): Promise<void>;
  stop(): void;
  /** For the readiness probe: ready once the cache is listed and while the view of the cluster is current. */
  readiness(): { ready: boolean; reason: string };
  readonly registry: Registry;
  readonly cache: ClusterCache;
}

/** After hearing peers again, this node re-checks its own status objects now and once more this much later. */
const RESYNC_AGAIN_MS = 3000;

const CONFIG_STATE_LABELS = (node: string): Record<string, string> => ({ "metallb.io/component-type": "speaker", "metallb.io/node-name": node });

export { signature };


export async function startSpeaker(opts: SpeakerOptions): Promise<RunningSpeaker> {
  const registry = opts.registry ?? new Registry();
  const metrics = new SpeakerMetrics(registry);
  const clock = opts.clock ?? realClock;
  const now = opts.now ?? (() => clock.wallNow());
  const log = opts.log ?? logger("speaker");
  const cache = new ClusterCache({ port: opts.port, namespace: opts.namespace, relistDelayMs: opts.relistDelayMs ?? 1000, clock, log });
  const writer = new StatusWriter({ port: opts.port, node: opts.node, namespace: opts.namespace, now, clock, metrics, log, ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}) });
  const unsubscribeDataPlane = opts.dataPlane.onEvent(e => writer.onDataPlaneEvent(e));
  const bgp = opts.bgp;
  const bgpWriter = bgp
    ? new BgpStatusWriter({
        port: opts.port,
        node: opts.node,
        namespace: opts.namespace,
        now,
        clock,
        log,
        metrics,
        ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
        ...(opts.bgpStatusDebounceMs !== undefined ? { debounceMs: opts.bgpStatusDebounceMs } : {}),
      })
    : undefined;
  // Who is alive, from the heartbeats: survivors clean up after the dead (stale-status.ts), and a node
  // that hears peers again re-checks its own objects (it may have been taken for dead meanwhile).
  const janitor = new StaleStatusJanitor({ port: opts.port, node: opts.node, namespace: opts.namespace, now, clock, log, ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}) });
  let heard = new Set<string>();
  let cancelLateResync: (() => void) | undefined;
  const resyncOwn = (): void => {
    writer.resync();
    bgpWriter?.resync();
  };
  const unsubscribeMembership = opts.dataPlane.onMembership(view => {
    const live = new Set(view.live);
    const back = [...live].some(n => n !== opts.node && !heard.has(n));
    heard = live;
    janitor.setMembership(view);
    if (!back) return;
    resyncOwn();
    // Once more a little later: a survivor's clean-up that was already on its way may land after the first.
    cancelLateResync?.();
    const late = clock.setTimeout(resyncOwn, RESYNC_AGAIN_MS);
    cancelLateResync = () => late.cancel();
  });

  const refusals = new RefusalReporter({ port: opts.port, metrics, node: opts.node, now, log });
  let lastValid: Config | undefined;
  let latest: SpeakerState | undefined;
  const memo = new SpeakerStateMemo();
  // One state computed at a time, in steps that give the event loop a turn every 10 ms (at 10,000
  // Services a state is hundreds of milliseconds of work), and paced (state-pace.ts); snapshots that
  // arrive meanwhile are coalesced: the next state is computed from the latest.
  const stateSubject = new Subject<SpeakerState>();
  const states: Observable<SpeakerState> = stateSubject.asObservable();
  let pendingSnapshot: Snapshot | undefined;
  let computing = false;
  let halted = false;
  const pace = new StatePace();
  const computeStates = async (): Promise<void> => {
    computing = true;
    try {
      while (pendingSnapshot && !halted) {
        // Real time, not the speaker's clock: what is paced is the CPU (state-pace.ts).
        const wait = pace.waitMs(performance.now());
        if (wait > 0) await new Promise<void>(resolve => setTimeout(resolve, wait));
        const snapshot = pendingSnapshot;
        if (!snapshot || halted) return;
        pendingSnapshot = undefined;
        const started = performance.now();
        const slice = new TimeSlice();
        const state = await speakerStateSliced(snapshot, opts, lastValid, memo, () => slice.yield());
        if (halted) return;
        lastValid = state.config;
        latest = state;
        metrics.update();
        metrics.config(state.config !== undefined, state.stale);
        stateSubject.next(state);
        pace.computed(started, performance.now());
      }
    } catch (e) {
      log.error(`computing the desired state failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      computing = false;
    }
  };
  const snapshotSubscription = cache.snapshots
    .pipe(
      filter((s): s is Snapshot => s !== undefined),
      debounceTime(opts.debounceMs ?? 10),
    )
    .subscribe(snapshot => {
      pendingSnapshot = snapshot;
      if (!computing) void computeStates();
    });

  let configState: ConfigurationStateStatus | undefined;
  let configWrite: Promise<void> = Promise.resolve();
  const writeConfigState = (state: SpeakerState): void => {
    const status = configurationStatus(state.problems, configState, now());
    const ref = { namespace: opts.namespace, name: `speaker-${opts.node}` };
    // Chained, so an older status never lands after a newer one.
    configWrite = configWrite.then(() =>
      opts.port.writeConfigurationState(ref, CONFIG_STATE_LABELS(opts.node), status).then(
        () => void (configState = status),
        (e: unknown) => log.warn(`writing ConfigurationState failed: ${String(e)}`),
      ),
    );
  };

  // The bindings tables first (their order is the order each state reaches the handlers), then the status writers.
  const subscriptions: Subscription[] = [
    ...bindL2Announcer(states, opts.dataPlane),
    states.pipe(distinctUntilChanged((a, b) => signature(a.problems) === signature(b.problems))).subscribe(writeConfigState),
    states.subscribe(state => writer.update(state)),
    states
      .pipe(distinctUntilChanged((a, b) => sameEntries(a.desired.verdicts, b.desired.verdicts)))
      .subscribe(s => refusals.update(s.desired.verdicts, s.serviceObjects)),
    states.subscribe(state => janitor.update(state)),
  ];
  if (bgp && bgpWriter) subscriptions.push(...bindBgp({ snapshots: cache.snapshots, states, node: opts.node }, bgp, bgpWriter));

  await cache.start();
  // Its own status objects watched once the cluster is: what a survivor or a user removes comes back.
  // Not awaited here (the caller may wait for the first state, computed meanwhile); settled() waits.
  const watchingOwn = Promise.all([writer.start(), bgpWriter?.start()]);

  let viewCurrent = opts.port.isViewCurrent();
  const applyView = (current: boolean): void => {
    viewCurrent = current;
    opts.dataPlane.setViewCurrent(current);
  };
  if (!viewCurrent) applyView(false);
  const unsubscribeView = opts.port.onViewChange(applyView);

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    halted = true;
    snapshotSubscription.unsubscribe();
    for (const s of subscriptions) s.unsubscribe();
    stateSubject.complete();
    unsubscribeView();
    unsubscribeDataPlane();
    unsubscribeMembership();
    cancelLateResync?.();
    janitor.stop();
    cache.stop();
    writer.stop();
    bgpWriter?.stop();
    opts.dataPlane.stop();
    bgp?.stop();
  };

  return {
    states,
    current: () => latest,
    settled: async () => {
      await watchingOwn;
      await configWrite;
      await refusals.settled();
      await writer.settled();
      await bgpWriter?.settled();
      await janitor.settled();
    },
    shutdown: async () => {
      await opts.dataPlane.beginHandover();
      await writer.settled();
      await bgpWriter?.settled();
      stop();
    },
    stop,
    readiness: () =>
      stopped
        ? { ready: false, reason: "stopped" }
        : viewCurrent
          ? { ready: true, reason: "watching the cluster" }
          : { ready: false, reason: "view of the cluster not current (watches of the API server down): announcing nothing" },
    registry,
    cache,
  };
}
