/**
 * The controller's reconciler: keeps the cluster in step with the allocator.
 *
 * Start-up: watches open first (their events wait in a buffer), then everything is listed, the
 * configuration parsed and the allocator REBUILT from the Services' status IPs (so a restart never
 * changes an IP) before anything pending is allocated. Then the buffered and later watch events
 * are applied one by one, each recomputing only what it touches.
 *
 * Nothing happens to Services until a valid configuration has been loaded. An invalid
 * configuration later keeps the last valid one (stale) and is reported in ConfigurationState.
 *
 * Decisions are synchronous and in memory; writes are queued per object (work-queue.ts) and
 * computed when they run from the newest decision and the newest object, so only what differs is
 * written. A 409 re-reads the object and re-applies; other API errors back off and retry.
 */
import { Allocator, type AllocationResult, type ConfigChange } from "../core/allocation/allocator";
import { capInt64 } from "../core/allocation/pool-state";
import { ANNOTATIONS, parseServiceRequest, type ServiceRequest } from "../core/allocation/service-request";
import { parseConfig } from "../core/config/parse";
import { clusterServiceRanges, KUBERNETES_SERVICE_KEY } from "../kube/service-range";
import type { Config, ConfigProblem } from "../core/config/types";
import {
  CONFIG_RESOURCES,
  isConflict,
  isNotFound,
  keyOf,
  type ConfigurationStateStatus,
  type ControllerPort,
  type KubeObject,
  type PoolStatus,
  type Watch,
  type WatchedResource,
  type WatchPhase,
  type ServiceStatusPatch,
} from "../kube/controller-port";
import type { Clock } from "../core/clock";
import { CONFIGURATION_STATE_LABELS, CONFIGURATION_STATE_NAME, configurationStatus } from "./config-state";
import { EventRecorder } from "./event-recorder";
import type { ControllerMetrics } from "./metrics";
import { configurationErrorEvents, configurationErrorOutcome, deprecationEvents, eventsFor, outcomeOf } from "./service-events";
import { carriesOurMarks, ingressIPs, planServiceWrite, showsOutcome, type ServiceDesired, type ServiceOutcome } from "./service-status";
import { WorkQueue, type WorkQueueOptions } from "./work-queue";
import { announcedCondition, type AnnouncedText } from "../core/announce/announced-condition";
import { computeDesired, readService } from "../core/announce";
import { ANNOUNCED_INPUTS, AnnouncedInputs, isAnnouncedInput } from "./announced-inputs";
import { logger, type Logger } from "../observability/log";

export interface ReconcilerOptions {
  namespace: string;
  lbClass?: string;
  port: ControllerPort;
  clock: Clock;
  metrics: ControllerMetrics;
  queue?: Omit<WorkQueueOptions, "clock" | "onError">;
  /** Default: the process logger, component "controller". */
  log?: Logger;
}

/** How often a write re-reads and re-applies after 409s before it backs off like any other error. */
const CONFLICT_RETRIES = 5;

const API_VERSIONS: Record<string, string> = { BGPPeer: "metallb.io/v1beta2" };

export class Reconciler {
  readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  private readonly allocator = new Allocator();
  /** Every Service seen, by `namespace/name` (the informer cache). */
  private readonly services = new Map<string, KubeObject>();
  /** Requests of handled Services, as last given to the allocator. */
  private readonly requests = new Map<string, ServiceRequest>();
  /** What each handled Service should show. */
  private readonly outcomes = new Map<string, ServiceOutcome>();
  /** Services no longer handled whose status and annotation still carry the controller's writes. */
  private readonly releasing = new Set<string>();
  private readonly warnedDeprecated = new Map<string, string>();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly configObjects = new Map<string, KubeObject>();
  /** ServiceCIDR objects, read once at start-up (the range rarely changes; a restart picks changes up). */
  private serviceCIDRs: KubeObject[] = [];
  /** Write status.loadBalancer.ingress[].ipMode: the API server serves it (and keeps what we write). */
  private ipMode = false;
  /** What decides the Announced condition: the speakers' reports, EndpointSlices and Nodes. */
  private readonly announcedInputs = new AnnouncedInputs();
  private configFingerprint = "";
  private config: Config | undefined;
  /** While no valid configuration has loaded: the latest one's problems, shown on pending Services. */
  private invalidProblems: readonly ConfigProblem[] | undefined;
  private configState: ConfigurationStateStatus | undefined;
  private watches: Watch[] = [];
  private buffered: (() => void)[] | undefined = [];
  private stopped = false;

  private readonly log: Logger;

  constructor(private readonly opts: ReconcilerOptions) {
    const log = (this.log = opts.log ?? logger("controller"));
    this.queue = new WorkQueue({
      ...opts.queue,
      clock: opts.clock,
      onError: (key, error, failures, delay) => {
        opts.metrics.updateErrors.inc();
        log.warn({ key, failures, retryInMs: delay }, `write ${key} failed (${failures}x), retrying in ${delay} ms: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    this.events = new EventRecorder(opts.port, opts.clock, this.queue);
  }

  async start(): Promise<void> {
    const { port, namespace } = this.opts;
    const resources: WatchedResource[] = ["Service", "Namespace", ...CONFIG_RESOURCES, ...ANNOUNCED_INPUTS];
    this.watches = await Promise.all(resources.map(r => port.watch(r, namespace, (phase, obj) => this.deliver(() => this.onEvent(r, phase, obj)))));
    const lists = await Promise.all(resources.map(async r => [r, await port.list(r, namespace)] as const));
    this.ipMode = await port.servesIngressIPMode().catch((e: unknown) => {
      this.log.warn(`cannot read the API server's OpenAPI, not writing status.loadBalancer.ingress[].ipMode: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    });
    this.serviceCIDRs = await port.listServiceCIDRs().catch((e: unknown) => {
      this.log.warn(`cannot read ServiceCIDRs, falling back to the kubernetes Service's ClusterIP: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    });
    for (const [resource, items] of lists) {
      for (const item of items) this.remember(resource, "ADDED", item);
    }
    this.loadConfig();
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    for (const apply of buffered) this.guarded(apply);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    await this.queue.stop();
  }

  /** Resolves when no write is running or ready (retries waiting for their backoff timer may remain). */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  // ---- watch events -------------------------------------------------------------------------------

  private deliver(apply: () => void): void {
    if (this.stopped) return;
    if (this.buffered) this.buffered.push(apply);
    else this.guarded(apply);
  }

  /** A bug in handling one event must not stop the watch that delivered it. */
  private guarded(apply: () => void): void {
    try {
      apply();
    } catch (e) {
      this.opts.metrics.updateErrors.inc();
      this.log.error({ err: e }, "handling a watch event failed");
    }
  }

  private onEvent(resource: WatchedResource, phase: WatchPhase, obj: KubeObject): void {
    this.opts.metrics.updates.inc();
    const labelsBefore = resource === "Namespace" ? JSON.stringify(this.namespaceLabels.get(obj.metadata?.name ?? "")) : "";
    this.remember(resource, phase, obj);
    if (resource === "Service") {
      if (keyOf(obj) === KUBERNETES_SERVICE_KEY) this.loadConfig();
      if (this.config) this.syncService(keyOf(obj));
      else if (this.invalidProblems) this.showConfigurationError(keyOf(obj), this.invalidProblems);
    } else if (isAnnouncedInput(resource)) {
      // remember() returned nothing; the affected Services come from the inputs' index.
      for (const key of this.announcedInputs.lastAffected) if (this.outcomes.get(key)?.state === "allocated") this.queueServiceWrite(key);
    } else if (resource === "Namespace") {
      const changed = labelsBefore !== JSON.stringify(this.namespaceLabels.get(obj.metadata?.name ?? ""));
      if (this.config && changed) this.revalidate(this.allocator.setNamespaces(this.namespaceLabels));
    } else {
      this.loadConfig();
    }
  }

  /** Updates the caches from one object; returns nothing, decisions come after. */
  private remember(resource: WatchedResource, phase: WatchPhase, obj: KubeObject): void {
    const name = obj.metadata?.name ?? "";
    if (resource === "Service") {
      const key = keyOf(obj);
      if (phase === "DELETED") this.services.delete(key);
      else if (!isOlder(obj, this.services.get(key))) this.services.set(key, obj);
    } else if (resource === "Namespace") {
      if (phase === "DELETED") this.namespaceLabels.delete(name);
      else this.namespaceLabels.set(name, obj.metadata?.labels ?? {});
    } else if (isAnnouncedInput(resource)) {
      this.announcedInputs.apply(resource, phase, obj, () => this.services.keys());
    } else {
      const key = `${resource}/${name}`;
      // Lists carry no kind/apiVersion per item; parseConfig needs them to tell the kinds apart.
      if (phase === "DELETED") this.configObjects.delete(key);
      else this.configObjects.set(key, { ...obj, kind: resource, apiVersion: API_VERSIONS[resource] ?? "metallb.io/v1beta1" });
    }
  }

  // ---- configuration ------------------------------------------------------------------------------

  private loadConfig(): void {
    const objects = [...this.configObjects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
    // Status writes (pool counters) and metadata churn do not change the configuration.
    const clusterReserved = clusterServiceRanges(this.serviceCIDRs, this.services.get(KUBERNETES_SERVICE_KEY));
    const fingerprint = JSON.stringify([
      objects.map(o => [o.kind, o.metadata?.name, o.metadata?.labels ?? {}, o.spec ?? null]),
      clusterReserved.map(r => r.text),
    ]);
    if (fingerprint === this.configFingerprint && this.configState) {
      this.schedulePoolStatus();
      return;
    }
    this.configFingerprint = fingerprint;
    const parsed = parseConfig({ namespace: this.opts.namespace, objects, clusterReserved });
    const valid = parsed.config !== undefined && parsed.problems.length === 0;
    this.writeConfigurationState(configurationStatus(parsed.problems, this.configState, this.opts.clock.wallNow()));
    this.opts.metrics.configStale.set(valid ? 0 : 1);
    if (!valid || !parsed.config) {
      this.log.warn(`configuration invalid, ${this.config ? "keeping the last valid one" : "waiting for a valid one"}`);
      if (!this.config) {
        this.invalidProblems = parsed.problems;
        for (const key of this.services.keys()) this.showConfigurationError(key, parsed.problems);
      }
      return;
    }
    this.invalidProblems = undefined;
    this.opts.metrics.configLoaded.set(1);
    const first = this.config === undefined;
    // Before the first pool exists there is nothing to allocate from, and restoring against no
    // pools would strip every Service of its IPs: wait (as MetalLB does).
    if (first && parsed.config.pools.size === 0) return;
    this.config = parsed.config;
    if (first) this.restore(parsed.config);
    else this.revalidate(this.allocator.setPools(parsed.config.pools.values()));
    // Advertisements decide whether a Service may be announced at all (the Announced condition's verdict).
    for (const [key, outcome] of this.outcomes) if (outcome.state === "allocated") this.queueServiceWrite(key);
  }

  /** First valid configuration: rebuild the allocator from what the Services already show. */
  private restore(config: Config): void {
    this.allocator.setPools(config.pools.values());
    this.allocator.setNamespaces(this.namespaceLabels);
    const handled: ServiceRequest[] = [];
    for (const [key, svc] of this.services) {
      const parsed = parseServiceRequest(svc, this.opts.lbClass);
      if (parsed.handled) {
        handled.push(parsed.request);
        this.requests.set(key, parsed.request);
      } else if (carriesOurMarks(svc)) {
        this.outcomes.delete(key);
        this.releasing.add(key);
        this.queueServiceWrite(key);
      }
    }
    for (const [key, result] of this.allocator.restore(handled)) this.apply(key, result);
    this.schedulePoolStatus();
  }

  /**
   * After pools or namespace labels changed: Services that lost their IPs and pending ones are
   * retried; Services whose IPs now belong to a renamed pool get the new pool name.
   */
  private revalidate(change: ConfigChange = { cleared: [], repooled: [] }): void {
    for (const key of change.repooled) {
      const held = this.allocator.assignment(key);
      const outcome = this.outcomes.get(key);
      if (held && outcome?.state === "allocated") {
        this.outcomes.set(key, { ...outcome, pool: held.pool });
        this.queueServiceWrite(key);
      }
    }
    const why = new Map(change.cleared.map(c => [c.key, c.message]));
    for (const [key, result] of this.allocator.reprocess()) {
      const message = why.get(key);
      this.apply(key, message ? { ...result, cleared: message } : result);
      why.delete(key);
    }
    // Cleared Services that reprocess did not retry (none expected): show them as failed anyway.
    for (const [key] of why) {
      const request = this.requests.get(key);
      if (request) this.apply(key, this.allocator.allocate(request));
    }
    this.schedulePoolStatus();
  }

  // ---- Services -----------------------------------------------------------------------------------

  private syncService(key: string): void {
    const svc = this.services.get(key);
    const parsed = svc ? parseServiceRequest(svc, this.opts.lbClass) : undefined;
    if (!parsed?.handled) {
      const freed = this.allocator.release(key);
      const wasHandled = this.requests.delete(key);
      this.outcomes.delete(key);
      this.warnedDeprecated.delete(key);
      if (svc && (freed || wasHandled || carriesOurMarks(svc))) {
        this.releasing.add(key);
        this.queueServiceWrite(key);
      } else this.releasing.delete(key);
      if (freed) this.revalidate();
      else if (wasHandled) this.schedulePoolStatus();
      return;
    }
    const request = parsed.request;
    const before = this.requests.get(key);
    const held = this.allocator.assignment(key);
    this.requests.set(key, request);
    this.releasing.delete(key);
    const result = this.allocator.allocate(request);
    this.apply(key, result);
    const freedSome = held !== undefined && (!result.ok || result.changed);
    const sharingChanged =
      before !== undefined &&
      (before.sharingKey !== request.sharingKey || before.backendKey !== request.backendKey || JSON.stringify(before.ports) !== JSON.stringify(request.ports));
    if (freedSome || sharingChanged) this.revalidate();
    else this.schedulePoolStatus();
  }

  /**
   * No valid configuration has loaded yet (reference 3.6: the controller waits): a Service that waits
   * for an IP says why, naming the ConfigurationState problems. Services that hold IPs are left
   * alone: their IPs are re-adopted once a valid configuration loads.
   */
  private showConfigurationError(key: string, problems: readonly ConfigProblem[]): void {
    const svc = this.services.get(key);
    const parsed = svc ? parseServiceRequest(svc, this.opts.lbClass) : undefined;
    if (!svc || !parsed?.handled || ingressIPs(svc).length > 0) {
      // No longer waiting: deleted, or no longer ours (take back what we said), or it shows IPs
      // (left as it is: the first valid configuration re-adopts them and rewrites the condition).
      const said = this.outcomes.delete(key);
      this.requests.delete(key);
      if (svc && said && !parsed?.handled) {
        this.releasing.add(key);
        this.queueServiceWrite(key);
      }
      return;
    }
    const outcome = configurationErrorOutcome(this.opts.namespace, CONFIGURATION_STATE_NAME, problems);
    const previous = this.outcomes.get(key) ?? (showsOutcome(svc, outcome) ? outcome : undefined);
    this.requests.set(key, parsed.request);
    this.outcomes.set(key, outcome);
    this.releasing.delete(key);
    this.queueServiceWrite(key);
    for (const e of configurationErrorEvents(parsed.request, outcome, previous)) this.events.record(svc, e.type, e.reason, e.message);
  }

  /** Records a decision: a write of the Service, and events for what changed. */
  private apply(key: string, result: AllocationResult): void {
    const svc = this.services.get(key);
    const request = this.requests.get(key);
    if (!svc || !request) return;
    const outcome = outcomeOf(result);
    const previous = this.outcomes.get(key) ?? (showsOutcome(svc, outcome) ? outcome : undefined);
    const heldBefore = previous?.state === "allocated" ? previous.ips : ingressIPs(svc);
    this.outcomes.set(key, outcome);
    // The Service's write is queued before its events, so the status lands first.
    this.queueServiceWrite(key);
    for (const e of eventsFor(result, request, previous, heldBefore)) this.events.record(svc, e.type, e.reason, e.message);
    const deprecated = request.deprecatedAnnotations.join(",");
    if (deprecated && this.warnedDeprecated.get(key) !== deprecated) {
      for (const e of deprecationEvents(request)) this.events.record(svc, e.type, e.reason, e.message);
    }
    if (deprecated) this.warnedDeprecated.set(key, deprecated);
    else this.warnedDeprecated.delete(key);
  }

  private desiredFor(key: string): ServiceDesired | undefined {
    return this.outcomes.get(key) ?? (this.releasing.has(key) ? { state: "released" } : undefined);
  }

  private queueServiceWrite(key: string): void {
    this.queue.add(`service:${key}`, () => this.writeService(key));
  }

  private async writeService(key: string): Promise<void> {
    const { port, clock } = this.opts;
    let svc = this.services.get(key);
    for (let attempt = 0; svc; attempt++) {
      const desired = this.desiredFor(key);
      if (!desired) return;
      const ref = { namespace: svc.metadata?.namespace ?? "default", name: svc.metadata?.name ?? "" };
      const plan = planServiceWrite(svc, desired, clock.wallNow(), desired.state === "allocated" ? this.announcedFor(key, svc, desired) : undefined, { ipMode: this.ipMode });
      try {
        if (plan.status) {
          svc = this.wrote(key, svc, await port.patchServiceStatus(ref, svc.metadata?.resourceVersion ?? "", plan.status));
          this.checkIPModeKept(plan.status, svc);
        }
        if (plan.annotations) svc = this.wrote(key, svc, await port.patchServiceAnnotations(ref, svc.metadata?.resourceVersion ?? "", plan.annotations));
        if (desired.state === "released") this.releasing.delete(key);
        return;
      } catch (e) {
        // Deleted meanwhile: its DELETED event frees what it held.
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= CONFLICT_RETRIES) throw e;
        // Someone else wrote the Service since we read it: re-read, recompute, re-apply.
        svc = await port.getService(ref);
        if (svc && this.services.has(key)) this.services.set(key, svc);
      }
    }
  }

  /**
   * A server whose schema has ipMode but with the LoadBalancerIPMode feature gate off (1.29's
   * default) drops it from what we write: from then on it is not written, or the status would never
   * converge.
   */
  private checkIPModeKept(written: ServiceStatusPatch, stored: KubeObject): void {
    if (!this.ipMode || !written.ingress?.length) return;
    const ingress = (stored.status as { loadBalancer?: { ingress?: { ipMode?: unknown }[] } } | undefined)?.loadBalancer?.ingress ?? [];
    if (ingress.length > 0 && ingress.every(e => e.ipMode === "VIP")) return;
    this.ipMode = false;
    this.log.warn("the API server dropped status.loadBalancer.ingress[].ipMode (feature gate LoadBalancerIPMode off?): not writing it any more");
  }

  /** The Announced condition's text: who the speakers say announces the Service, or why nobody may. */
  private announcedFor(key: string, svc: KubeObject, outcome: { ips: string[]; pool: string }): AnnouncedText {
    const reports = this.announcedInputs.reportsFor(key);
    const config = this.config;
    // As the speakers will read it once this write lands: with its IPs and pool.
    const written: KubeObject = {
      ...svc,
      metadata: { ...svc.metadata, annotations: { ...svc.metadata?.annotations, [ANNOTATIONS.allocatedFromPool]: outcome.pool } },
      status: { ...(svc.status as object | undefined), loadBalancer: { ingress: outcome.ips.map(ip => ({ ip })) } },
    };
    const service = readService(written, this.opts.lbClass);
    const verdict =
      config && service
        ? computeDesired({ config, services: [service], endpointSlices: this.announcedInputs.slicesFor(key), nodes: this.announcedInputs.nodes(), node: "" }).verdicts[0]
        : undefined;
    return announcedCondition({ verdict, ...reports });
  }

  /** Keeps the cache at the written object unless a newer watch event already replaced what we wrote from. */
  private wrote(key: string, from: KubeObject, result: KubeObject): KubeObject {
    if (this.services.get(key)?.metadata?.resourceVersion === from.metadata?.resourceVersion) this.services.set(key, result);
    return result;
  }

  // ---- pool status, metrics, ConfigurationState ---------------------------------------------------

  private schedulePoolStatus(): void {
    this.opts.metrics.setPools(this.allocator.metrics());
    for (const name of this.config?.pools.keys() ?? []) {
      this.queue.add(`pool:${name}`, () => this.writePoolStatus(name));
    }
  }

  private async writePoolStatus(name: string): Promise<void> {
    const counters = this.allocator.poolCounters(name);
    const pool = this.configObjects.get(`IPAddressPool/${name}`);
    if (!counters || !pool) return;
    const status: PoolStatus = {
      assignedIPv4: capInt64(counters.assignedIPv4),
      assignedIPv6: capInt64(counters.assignedIPv6),
      availableIPv4: capInt64(counters.availableIPv4),
      availableIPv6: capInt64(counters.availableIPv6),
    };
    const current = (pool.status ?? {}) as Record<string, unknown>;
    if ((Object.keys(status) as (keyof PoolStatus)[]).every(k => sameCounter(current[k], status[k]))) return;
    await this.opts.port.patchPoolStatus({ namespace: this.opts.namespace, name }, status);
    // The watch brings the new status too; until then, do not write it again.
    const latest = this.configObjects.get(`IPAddressPool/${name}`);
    if (latest) this.configObjects.set(`IPAddressPool/${name}`, { ...latest, status: { ...status } });
  }

  private writeConfigurationState(status: ConfigurationStateStatus): void {
    this.configState = status;
    const ref = { namespace: this.opts.namespace, name: CONFIGURATION_STATE_NAME };
    this.queue.add("configurationstate", () => this.opts.port.writeConfigurationState(ref, CONFIGURATION_STATE_LABELS, this.configState ?? status));
  }
}

/**
 * Whether a counter read back from the API equals the one to write. JSON numbers above 2^53 come
 * back rounded (int64 max reads as 2^63), so those compare as doubles: otherwise the controller
 * would rewrite a capped IPv6 counter on every watch event of its own write.
 */
function sameCounter(current: unknown, want: bigint): boolean {
  if (typeof current === "bigint") return current === want;
  if (typeof current === "number") return current === Number(want);
  if (typeof current === "string" && /^\d+$/.test(current)) return BigInt(current) === want;
  return false;
}

/**
 * Whether a watch event carries an older version of the cached object: the replay of the
 * watcher's own initial list can arrive after the controller's (newer) list. resourceVersions are
 * etcd revisions in practice; when either is not a plain number nothing is assumed.
 */
function isOlder(obj: KubeObject, cached: KubeObject | undefined): boolean {
  const a = obj.metadata?.resourceVersion;
  const b = cached?.metadata?.resourceVersion;
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b) || obj.metadata?.uid !== cached?.metadata?.uid) return false;
  return BigInt(a) < BigInt(b);
}
