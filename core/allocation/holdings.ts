/**
 * Who holds which IP: the allocator's index of holdings, kept consistent with the pools' in-use
 * sets. All holders of one IP share one sharing key and backend key (the sharing rules guarantee
 * it), so those are stored once per IP for fast checks; IPs held under a non-empty sharing key are
 * also indexed by that key, so an allocation can find the addresses it could share.
 */
import type { IPAddress } from "../net/ip";
import type { PoolState } from "./pool-state";
import type { ServiceRequest } from "./service-request";
import { sharingConflict, type SharingProfile } from "./sharing";

export interface Holding {
  request: ServiceRequest;
  ips: IPAddress[];
  pool: string;
}

interface IPUse {
  /** Keys of the holders (usually one; a few when shared). */
  services: string[];
  sharingKey: string;
  backendKey: string;
}

export const ipKey = (ip: IPAddress): string => (ip.family === "IPv4" ? "4:" : "6:") + ip.value.toString(16);

const ipOfKey = (k: string): IPAddress => ({
  family: k.startsWith("4:") ? "IPv4" : "IPv6",
  value: BigInt(`0x${k.slice(2)}`),
});

export class HoldingIndex {
  private readonly byService = new Map<string, Holding>();
  private readonly byIP = new Map<string, IPUse>();
  /** sharing key -> ipKey -> IP. */
  private readonly byShareKey = new Map<string, Map<string, IPAddress>>();

  get(key: string): Holding | undefined {
    return this.byService.get(key);
  }

  has(key: string): boolean {
    return this.byService.has(key);
  }

  all(): Holding[] {
    return [...this.byService.values()];
  }

  holdersOf(ip: IPAddress): string[] {
    return [...(this.byIP.get(ipKey(ip))?.services ?? [])];
  }

  /** IPs held under a sharing key (all pools, all families). */
  sharedUnder(sharingKey: string): Iterable<[ipKey: string, ip: IPAddress]> {
    return this.byShareKey.get(sharingKey) ?? [];
  }

  /** Records the holding and marks its IPs in use in `state` (the holding's pool). */
  take(request: ServiceRequest, ips: readonly IPAddress[], state: PoolState | undefined, pool: string): void {
    this.byService.set(request.key, { request, ips: [...ips], pool });
    state?.services.add(request.key);
    for (const ip of ips) {
      const k = ipKey(ip);
      let use = this.byIP.get(k);
      if (!use) {
        use = { services: [], sharingKey: request.sharingKey, backendKey: request.backendKey };
        this.byIP.set(k, use);
      }
      if (!use.services.includes(request.key)) use.services.push(request.key);
      state?.markInUse(ip);
      if (request.sharingKey) {
        let shared = this.byShareKey.get(request.sharingKey);
        if (!shared) this.byShareKey.set(request.sharingKey, (shared = new Map()));
        shared.set(k, ip);
      }
    }
  }

  /** Removes a Service's holding; IPs nobody else holds become free in `state`. False if it held nothing. */
  drop(key: string, stateOf: (pool: string) => PoolState | undefined): boolean {
    const h = this.byService.get(key);
    if (!h) return false;
    this.byService.delete(key);
    const state = stateOf(h.pool);
    state?.services.delete(key);
    for (const ip of h.ips) {
      const k = ipKey(ip);
      const use = this.byIP.get(k);
      if (use) use.services = use.services.filter(s => s !== key);
      if (use && use.services.length > 0) continue;
      this.byIP.delete(k);
      state?.markFree(ip);
      const shared = this.byShareKey.get(h.request.sharingKey);
      shared?.delete(k);
      if (shared?.size === 0) this.byShareKey.delete(h.request.sharingKey);
    }
    return true;
  }

  /** Why `request` may not hold `ip` next to its current holders (undefined: it may). */
  conflict(ip: IPAddress, request: ServiceRequest, heldBefore: boolean): string | undefined {
    const holders = this.byIP.get(ipKey(ip))?.services ?? [];
    if (holders.length === 0) return undefined;
    const profiles = holders
      .map(k => this.byService.get(k)?.request)
      .filter((p): p is SharingProfile & ServiceRequest => p !== undefined);
    return sharingConflict(ip, request, profiles, heldBefore);
  }

  /** Fast form of `conflict(...) === undefined`, for the allocation walk. */
  mayShare(k: string, request: ServiceRequest): boolean {
    const use = this.byIP.get(k);
    if (!use || use.services.length === 0) return true;
    if (use.services.includes(request.key)) return this.conflict(ipOfKey(k), request, false) === undefined;
    if (request.sharingKey === "" || use.sharingKey !== request.sharingKey || use.backendKey !== request.backendKey) {
      return false;
    }
    for (const holder of use.services) {
      const theirs = this.byService.get(holder)?.request.ports ?? [];
      if (request.ports.some(p => theirs.some(t => t.port === p.port && t.protocol === p.protocol))) return false;
    }
    return true;
  }
}
