/**
 * The IP allocator: pure, deterministic state of which Service holds which addresses.
 *
 * Inputs: pools (`setPools`), namespace labels (`setNamespaces`), Services as `ServiceRequest`s
 * (`allocate`, `release`, `restore`). Outputs: structured results the reconciler turns into the
 * Service's status, annotation, condition and events; pool counters and metrics inputs.
 *
 * Typical reconciler use:
 *   start-up:        setPools(...); setNamespaces(...); restore(all handled Services)  -> results
 *   Service event:   allocate(request) (or release(key) when deleted / no longer handled),
 *                    then reprocess() when something was freed or sharing inputs changed
 *   pool/ns event:   setPools/setNamespaces -> cleared services; then reprocess()
 * `allocate` converges: a Service keeps what it holds while that is still valid for its request,
 * otherwise the held IPs are dropped (`cleared` says why) and a fresh allocation is tried.
 */
import type { Pool } from "../config/types";
import { formatIP, type IPAddress, type IPFamily } from "../net/ip";
import { reservedRangeOf } from "../net/special";
import { fail, messages, type AllocationFailure, type FailureReason } from "./failures";
import { candidatePools, poolAdmits } from "./pool-order";
import { isBuggyIP, PoolState, type PoolCounters } from "./pool-state";
import type { ServiceRequest } from "./service-request";
import { HoldingIndex, ipKey, type Holding } from "./holdings";

export interface AllocationSuccess {
  ok: true;
  /** The Service's IPs, primary family first (status.loadBalancer.ingress order). */
  ips: IPAddress[];
  pool: string;
  /** IPs or pool differ from what the Service held before this call. */
  changed: boolean;
  /** The IP added to a kept single IP (PreferDualStack: the pool gained the other family). */
  additional?: IPAddress[];
  /** PreferDualStack could not add the other family's IP from the pool (AdditionalAssignFailed). */
  additionalFailure?: string;
  /** The IPs came from the Service's status during `restore`. */
  restored?: boolean;
  /** Why previously held IPs were dropped (ClearAssignment), when they were. */
  cleared?: string;
}

export type AllocationResult = AllocationSuccess | (AllocationFailure & { cleared?: string });

export interface ClearedService {
  key: string;
  /** Why its IPs are no longer allowed (ClearAssignment). */
  message: string;
}

/** What a pool or namespace change did to existing holdings. */
export interface ConfigChange {
  /** Services whose IPs are no longer allowed: dropped; re-allocate them with reprocess(). */
  cleared: ClearedService[];
  /** Services that keep their IPs, which now belong to a pool of another name (rewrite the pool annotation). */
  repooled: string[];
}

export interface PoolMetrics {
  pool: string;
  addressesTotal: Record<IPFamily, bigint>;
  addressesInUse: Record<IPFamily, bigint>;
  servicesAllocated: number;
}

type Problem = { reason: FailureReason; message: string };

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const other = (f: IPFamily): IPFamily => (f === "IPv4" ? "IPv6" : "IPv4");

export class Allocator {
  private pools = new Map<string, PoolState>();
  private poolsByName: PoolState[] = [];
  private namespaceLabels = new Map<string, Record<string, string>>();
  /** The last request seen for every Service the allocator knows (pending ones included). */
  private readonly requests = new Map<string, ServiceRequest>();
  private readonly holdings = new HoldingIndex();

  // ---- inputs -----------------------------------------------------------------------------------

  /** Replaces the pools. Held IPs that are no longer allowed are dropped and returned. */
  setPools(pools: Iterable<Pool>): ConfigChange {
    this.pools = new Map([...pools].map(p => [p.name, new PoolState(p)]));
    this.poolsByName = [...this.pools.values()].sort((a, b) => byKey(a.name, b.name));
    return this.revalidate();
  }

  /** Replaces the known Namespaces' labels (for namespaceSelectors). Returns dropped holdings. */
  setNamespaces(labels: ReadonlyMap<string, Record<string, string>>): ConfigChange {
    this.namespaceLabels = new Map(labels);
    return this.revalidate();
  }

  /**
   * Start-up, on a fresh allocator after setPools/setNamespaces: re-adopts every Service's status
   * IPs that are still valid (in key order) before allocating anything, then allocates the rest in
   * key order. A restart therefore keeps IPs. Call reprocess() afterwards for PreferDualStack upgrades.
   */
  restore(requests: Iterable<ServiceRequest>): Map<string, AllocationResult> {
    const sorted = [...requests].sort((a, b) => byKey(a.key, b.key));
    const results = new Map<string, AllocationResult>();
    const rest: Array<{ request: ServiceRequest; cleared?: string }> = [];
    for (const request of sorted) {
      this.requests.set(request.key, request);
      this.drop(request.key);
      const ips = this.familyOrder(request, request.statusIPs);
      const pool = ips[0] && this.poolOf(ips[0]);
      const problem = ips.length ? this.checkHeld(request, ips) : undefined;
      if (ips.length && pool && !problem) {
        this.take(request, ips, pool.name);
        results.set(request.key, { ok: true, ips, pool: pool.name, changed: false, restored: true });
      } else rest.push({ request, cleared: problem?.message });
    }
    for (const { request, cleared } of rest) {
      const result = this.allocateFresh(request, new Set());
      results.set(request.key, cleared ? { ...result, cleared } : result);
    }
    return results;
  }

  /** Converges one Service: keeps valid holdings, otherwise allocates afresh. Never throws. */
  allocate(request: ServiceRequest): AllocationResult {
    this.requests.set(request.key, request);
    const prev = this.holdings.get(request.key);
    if (prev) {
      const problem = this.checkHeld(request, prev.ips);
      if (!problem) {
        this.drop(request.key);
        this.take(request, prev.ips, prev.pool); // refresh the sharing profile
        return this.upgradeDualStack(request);
      }
      this.drop(request.key);
      const result = this.allocateFresh(request, new Set(prev.ips.map(ipKey)));
      const changed = !result.ok || result.pool !== prev.pool || !sameIPs(result.ips, prev.ips);
      return result.ok ? { ...result, changed, cleared: problem.message } : { ...result, cleared: problem.message };
    }
    return this.allocateFresh(request, new Set());
  }

  /** Forgets a Service (deleted, or no longer handled). True when it held IPs (pending ones may now fit). */
  release(key: string): boolean {
    this.requests.delete(key);
    return this.drop(key);
  }

  /**
   * Retries every known Service that holds nothing (except those whose own fields are invalid),
   * and PreferDualStack Services whose pool gained their second family, in key order. Call after
   * anything that frees addresses or changes sharing inputs.
   */
  reprocess(): Map<string, AllocationResult> {
    const results = new Map<string, AllocationResult>();
    for (const key of [...this.requests.keys()].sort(byKey)) {
      const request = this.requests.get(key) as ServiceRequest;
      const held = this.holdings.get(key);
      if (held && !this.canUpgrade(request, held)) continue;
      // A request that is wrong in itself fails the same way until the Service changes (allocate).
      if (!held && request.problem) continue;
      results.set(key, this.allocate(request));
    }
    return results;
  }

  // ---- queries ----------------------------------------------------------------------------------

  assignment(key: string): { ips: IPAddress[]; pool: string } | undefined {
    const h = this.holdings.get(key);
    return h && { ips: [...h.ips], pool: h.pool };
  }

  /** Keys of known Services holding no IP, sorted. */
  pending(): string[] {
    return [...this.requests.keys()].filter(k => !this.holdings.has(k)).sort(byKey);
  }

  /** Keys of the Services holding ip, sorted. */
  holdersOf(ip: IPAddress): string[] {
    return this.holdings.holdersOf(ip).sort(byKey);
  }

  /** Exact counters for the pool status (cap with capInt64 when writing int64 fields). */
  poolCounters(pool: string): PoolCounters | undefined {
    return this.pools.get(pool)?.counters();
  }

  /** Inputs of the metallb_allocator_* gauges, one entry per pool, by name. */
  metrics(): PoolMetrics[] {
    return this.poolsByName.map(p => ({
      pool: p.name,
      addressesTotal: { IPv4: p.total("IPv4"), IPv6: p.total("IPv6") },
      addressesInUse: { IPv4: p.inUseCount("IPv4"), IPv6: p.inUseCount("IPv6") },
      servicesAllocated: p.services.size,
    }));
  }

  // ---- internals --------------------------------------------------------------------------------

  private revalidate(): ConfigChange {
    const all = this.holdings.all().sort((a, b) => byKey(a.request.key, b.request.key));
    for (const h of all) this.drop(h.request.key);
    const change: ConfigChange = { cleared: [], repooled: [] };
    for (const h of all) {
      const problem = this.checkHeld(h.request, h.ips);
      const pool = h.ips[0] && this.poolOf(h.ips[0]);
      if (!problem && pool) {
        this.take(h.request, h.ips, pool.name);
        if (pool.name !== h.pool) change.repooled.push(h.request.key);
      } else change.cleared.push({ key: h.request.key, message: problem?.message ?? messages.noPools() });
    }
    return change;
  }

  private poolOf(ip: IPAddress): PoolState | undefined {
    return this.poolsByName.find(p => p.blockOf(ip) >= 0);
  }

  /** Why `ips` may not (or no longer) be held by this request; undefined when they may. */
  private checkHeld(request: ServiceRequest, ips: readonly IPAddress[]): Problem | undefined {
    if (request.problem) return request.problem;
    const fams = request.families;
    const expected =
      request.familyPolicy === "SingleStack" || fams.length < 2
        ? [[fams[0]]]
        : request.familyPolicy === "RequireDualStack"
          ? [fams]
          : // PreferDualStack: both, or one of the primary family (of either family when that IP was requested).
            [fams, [fams[0]], ...(request.requestedIPs.length === 1 ? [[fams[1]]] : [])];
    if (!expected.some(e => e.length === ips.length && e.every((f, i) => ips[i]?.family === f))) {
      return { reason: "FamilyMismatch", message: messages.familiesChanged() };
    }
    if (request.requestedIPs.length) {
      const want = new Set(request.requestedIPs.map(ipKey));
      if (want.size !== ips.length || !ips.every(ip => want.has(ipKey(ip)))) {
        return { reason: "InvalidRequest", message: messages.requestChanged() };
      }
    }
    for (const ip of ips) {
      const reserved = reservedRangeOf(ip) ?? this.poolOf(ip)?.reservedAt(ip);
      if (reserved) return { reason: "ReservedIP", message: messages.reservedIP(ip, reserved) };
    }
    const first = ips[0] as IPAddress;
    const pool = this.poolOf(first);
    if (!pool) return { reason: "NotAllowedInConfig", message: messages.notAllowedInConfig(first) };
    for (const ip of ips) {
      const p = this.poolOf(ip);
      if (!p) return { reason: "NotAllowedInConfig", message: messages.notAllowedInConfig(ip) };
      if (p !== pool) return { reason: "DifferentPools", message: messages.differentPools(first, pool.name, ip, p.name) };
      if (pool.pool.avoidBuggyIPs && isBuggyIP(ip)) {
        return { reason: "BuggyIP", message: messages.buggyIP(ip, pool.name) };
      }
    }
    if (request.requestedPool !== undefined && request.requestedPool !== pool.name) {
      return this.pools.has(request.requestedPool)
        ? { reason: "NotInRequestedPool", message: messages.notInRequestedPool(first, request.requestedPool) }
        : { reason: "UnknownPool", message: messages.unknownPool(request.requestedPool) };
    }
    if (!poolAdmits(pool.pool, request, this.namespaceLabels.get(request.namespace))) {
      return { reason: "PoolNotCompatible", message: messages.poolNotCompatible(pool.name, request.namespace, request.name) };
    }
    for (const ip of ips) {
      const conflict = this.holdings.conflict(ip, request, true);
      if (conflict) return { reason: "SharingConflict", message: conflict };
    }
    return undefined;
  }

  /** IPs in the order of the Service's families (primary first), as status lists them. */
  private familyOrder(request: ServiceRequest, ips: readonly IPAddress[]): IPAddress[] {
    const rank = (ip: IPAddress): number => {
      const i = request.families.indexOf(ip.family);
      return i < 0 ? 2 : i;
    };
    return [...ips].sort((a, b) => rank(a) - rank(b));
  }

  private take(request: ServiceRequest, ips: readonly IPAddress[], pool: string): void {
    this.holdings.take(request, ips, this.pools.get(pool), pool);
  }

  private drop(key: string): boolean {
    return this.holdings.drop(key, pool => this.pools.get(pool));
  }

  private canUpgrade(request: ServiceRequest, held: Holding): boolean {
    const second = request.families[1];
    return (
      request.familyPolicy === "PreferDualStack" &&
      second !== undefined &&
      held.ips.length === 1 &&
      request.requestedIPs.length === 0 &&
      (this.pools.get(held.pool)?.hasFamily(second) ?? false)
    );
  }

  /** A kept PreferDualStack single IP gains the other family when its pool now has it. */
  private upgradeDualStack(request: ServiceRequest): AllocationSuccess {
    const held = this.holdings.get(request.key) as Holding;
    const base: AllocationSuccess = { ok: true, ips: [...held.ips], pool: held.pool, changed: false };
    if (!this.canUpgrade(request, held)) return base;
    const state = this.pools.get(held.pool) as PoolState;
    const family = other((held.ips[0] as IPAddress).family);
    const ip = this.pick(state, family, request);
    if (!ip) return { ...base, additionalFailure: messages.additionalFailed(family, held.pool) };
    const ips = [...held.ips, ip];
    this.drop(request.key);
    this.take(request, ips, held.pool);
    return { ok: true, ips, pool: held.pool, changed: true, additional: [ip] };
  }

  /**
   * The first address of `family` in the pool this request may take: the lowest free address, or
   * a lower address already held under the request's sharing key, whichever comes first in the
   * pool's block order.
   */
  private pick(state: PoolState, family: IPFamily, request: ServiceRequest): IPAddress | undefined {
    const free = state.lowestFree(family);
    let best = free && { block: free.block, ip: free.ip };
    for (const [k, ip] of request.sharingKey ? this.holdings.sharedUnder(request.sharingKey) : []) {
      if (ip.family !== family || !state.isUsable(ip)) continue;
      const block = state.blockOf(ip);
      if (best && (block > best.block || (block === best.block && ip.value >= best.ip.value))) continue;
      if (this.holdings.mayShare(k, request)) best = { block, ip };
    }
    return best?.ip;
  }

  /** Families to allocate, in order of preference: each entry is one acceptable outcome. */
  private wanted(request: ServiceRequest): IPFamily[][] {
    const [primary, second] = request.families as [IPFamily, IPFamily | undefined];
    if (!second || request.familyPolicy === "SingleStack") return [[primary]];
    if (request.familyPolicy === "RequireDualStack") return [[primary, second]];
    return [[primary, second], [primary]];
  }

  private allocateFresh(request: ServiceRequest, previous: Set<string>): AllocationResult {
    if (request.problem) return fail(request.problem.reason, request.problem.message);
    if (this.pools.size === 0) return fail("NoPools", messages.noPools());
    if (request.requestedIPs.length) return this.assignRequested(request, previous);
    if (request.requestedPool !== undefined) {
      const state = this.pools.get(request.requestedPool);
      if (!state) return fail("UnknownPool", messages.unknownPool(request.requestedPool));
      if (!poolAdmits(state.pool, request, this.namespaceLabels.get(request.namespace))) {
        return fail("PoolNotCompatible", messages.poolNotCompatible(state.name, request.namespace, request.name));
      }
      const minimal = this.wanted(request).at(-1) as IPFamily[];
      const missing = minimal.find(f => !state.hasFamily(f));
      if (missing) return fail("NoPoolForFamily", messages.poolLacksFamily(state.name, missing));
      return this.fromPools([state], request);
    }
    const candidates = candidatePools(this.poolsByName, request, this.namespaceLabels.get(request.namespace));
    if (candidates.length === 0) {
      return this.poolsByName.some(p => p.pool.autoAssign)
        ? fail("NoPoolForService", messages.noPoolForService(request.namespace, request.name))
        : fail("NoPoolForService", messages.noAutoAssignPool());
    }
    return this.fromPools(candidates, request);
  }

  private fromPools(candidates: PoolState[], request: ServiceRequest): AllocationResult {
    const options = this.wanted(request);
    let fitting: PoolState[] = [];
    for (const families of options) {
      const able = candidates.filter(p => families.every(f => p.hasFamily(f)));
      if (fitting.length === 0) fitting = able;
      for (const state of able) {
        const ips: IPAddress[] = [];
        for (const f of families) {
          const ip = this.pick(state, f, request);
          if (ip) ips.push(ip);
        }
        if (ips.length === families.length) {
          this.take(request, ips, state.name);
          return { ok: true, ips, pool: state.name, changed: true };
        }
      }
    }
    if (fitting.length === 0) {
      const families = options[options.length - 1] as IPFamily[];
      return families.length === 2
        ? fail("NoPoolForFamily", messages.noPoolForDualStack())
        : fail("NoPoolForFamily", messages.noPoolForFamily(families[0] as IPFamily));
    }
    const tried = candidates.filter(p => options.some(fs => fs.every(f => p.hasFamily(f))));
    return tried.length === 1
      ? fail("PoolExhausted", messages.poolExhausted((tried[0] as PoolState).name))
      : fail("NoAvailableIPs", messages.noAvailableIPs());
  }

  private assignRequested(request: ServiceRequest, previous: Set<string>): AllocationResult {
    const ips = request.requestedIPs;
    for (const ip of ips) {
      if (!request.families.includes(ip.family)) return fail("FamilyMismatch", messages.familyMismatch(ip, request.families));
    }
    if (request.familyPolicy === "RequireDualStack" && ips.length !== 2) {
      return fail("FamilyMismatch", messages.requireDualStackIPs(ips.length));
    }
    if (request.requestedPool !== undefined && !this.pools.has(request.requestedPool)) {
      return fail("UnknownPool", messages.unknownPool(request.requestedPool));
    }
    for (const ip of ips) {
      const reserved = reservedRangeOf(ip) ?? this.poolOf(ip)?.reservedAt(ip);
      if (reserved) return fail("ReservedIP", messages.reservedIP(ip, reserved));
    }
    const first = ips[0] as IPAddress;
    const pool = this.poolOf(first);
    for (const ip of ips) {
      const p = this.poolOf(ip);
      if (!p || !pool) return fail("NotAllowedInConfig", messages.notAllowedInConfig(ip));
      if (p !== pool) return fail("DifferentPools", messages.differentPools(first, pool.name, ip, p.name));
      if (request.requestedPool !== undefined && p.name !== request.requestedPool) {
        return fail("NotInRequestedPool", messages.notInRequestedPool(ip, request.requestedPool));
      }
      if (p.pool.avoidBuggyIPs && isBuggyIP(ip)) return fail("BuggyIP", messages.buggyIP(ip, p.name));
    }
    const state = pool as PoolState;
    if (!poolAdmits(state.pool, request, this.namespaceLabels.get(request.namespace))) {
      return fail("PoolNotCompatible", messages.poolNotCompatible(state.name, request.namespace, request.name));
    }
    for (const ip of ips) {
      const conflict = this.holdings.conflict(ip, request, previous.has(ipKey(ip)));
      if (conflict) return fail("SharingConflict", conflict);
    }
    const ordered = this.familyOrder(request, ips);
    this.take(request, ordered, state.name);
    return { ok: true, ips: ordered, pool: state.name, changed: true };
  }
}

function sameIPs(a: readonly IPAddress[], b: readonly IPAddress[]): boolean {
  return a.length === b.length && a.every((ip, i) => ip.family === b[i]?.family && ip.value === b[i]?.value);
}

/** Formats IPs for events and status: `["192.0.2.1","2001:db8::1"]` order kept. */
export const formatIPs = (ips: readonly IPAddress[]): string[] => ips.map(formatIP);
