/**
 * The addresses of one pool and which of them are in use, without enumerating the pool.
 *
 * In-use addresses sit in one sorted set per family. Because every in-use address is usable and
 * distinct, "usable addresses up to U[i]" minus "i + 1" never decreases along the sorted set, so
 * the first gap of a block is found by binary search: a /64 costs what a /24 costs.
 * avoidBuggyIPs (IPv4 addresses ending in .0 or .255) is handled by counting, not by listing; so
 * are reserved addresses (net/special.ts: loopback, multicast, ..., and the cluster's Service range),
 * which are subtracted per block as a few disjoint sub-ranges, however large they are.
 */
import type { Pool } from "../config/types";
import type { IPAddress, IPFamily, IPRange } from "../net/ip";
import { reservedParts, reservedRangeOf, SPECIAL_RANGES, type ReservedRange } from "../net/special";
import { SortedValues } from "./sorted-values";

export interface PoolCounters {
  assignedIPv4: bigint;
  assignedIPv6: bigint;
  availableIPv4: bigint;
  availableIPv6: bigint;
}

export const INT64_MAX = (1n << 63n) - 1n;

/** Pool status fields are int64: an IPv6 /64 has 2^64 addresses, so larger counts are capped. */
export const capInt64 = (n: bigint): bigint => (n > INT64_MAX ? INT64_MAX : n);

/** IPv4 addresses ending in .0 or .255 confuse some client firmware. */
export const isBuggyIP = (ip: IPAddress): boolean =>
  ip.family === "IPv4" && ((ip.value & 255n) === 0n || (ip.value & 255n) === 255n);

/** Number of addresses in [0, n] ending in .0 or .255 (n >= -1). */
function buggyUpTo(n: bigint): bigint {
  if (n < 0n) return 0n;
  return (n >> 8n) * 2n + 1n + ((n & 255n) === 255n ? 1n : 0n);
}

export class PoolState {
  readonly name: string;
  private readonly inUse: Record<IPFamily, SortedValues> = {
    IPv4: new SortedValues(),
    IPv6: new SortedValues(),
  };
  /** Keys of the Services holding an address of this pool. */
  readonly services = new Set<string>();
  /** Reserved blocks that overlap the pool (special-purpose first, then the cluster's). */
  readonly reserved: readonly ReservedRange[];
  /** Per block (same index as pool.blocks): its reserved parts, disjoint and sorted. */
  private readonly reservedByBlock: readonly IPRange[][];

  constructor(readonly pool: Pool) {
    this.name = pool.name;
    this.reserved = [...SPECIAL_RANGES, ...(pool.clusterReserved ?? [])];
    this.reservedByBlock = pool.blocks.map(b => reservedParts(b.range, this.reserved));
  }

  hasFamily(family: IPFamily): boolean {
    return this.pool.blocks.some(b => b.range.family === family);
  }

  /** Index of the block holding ip, or -1. */
  blockOf(ip: IPAddress): number {
    return this.pool.blocks.findIndex(
      b => b.range.family === ip.family && ip.value >= b.range.first && ip.value <= b.range.last,
    );
  }

  /** In the pool, not excluded by avoidBuggyIPs, not reserved. */
  isUsable(ip: IPAddress): boolean {
    return this.blockOf(ip) >= 0 && !(this.pool.avoidBuggyIPs && isBuggyIP(ip)) && this.reservedAt(ip) === undefined;
  }

  /** The reserved block (special-purpose or the cluster's Service range) holding ip, if any. */
  reservedAt(ip: IPAddress): ReservedRange | undefined {
    return reservedRangeOf(ip, this.pool.clusterReserved);
  }

  isInUse(ip: IPAddress): boolean {
    return this.inUse[ip.family].has(ip.value);
  }

  /** Records ip as in use (idempotent; callers add each address once however many Services share it). */
  markInUse(ip: IPAddress): void {
    this.inUse[ip.family].add(ip.value);
  }

  markFree(ip: IPAddress): void {
    this.inUse[ip.family].delete(ip.value);
  }

  /** Addresses in [a, b] that avoidBuggyIPs leaves (all of them when it is off or for IPv6). */
  private unbuggyBetween(family: IPFamily, a: bigint, b: bigint): bigint {
    if (b < a) return 0n;
    const all = b - a + 1n;
    if (!this.pool.avoidBuggyIPs || family !== "IPv4") return all;
    return all - (buggyUpTo(b) - buggyUpTo(a - 1n));
  }

  /** Usable addresses in [range.first, x] of block `blockIndex`. */
  private usableUpTo(blockIndex: number, range: IPRange, x: bigint): bigint {
    let n = this.unbuggyBetween(range.family, range.first, x);
    for (const part of this.reservedByBlock[blockIndex] ?? []) {
      if (part.first > x) break;
      n -= this.unbuggyBetween(range.family, part.first, part.last < x ? part.last : x);
    }
    return n;
  }

  /** The k-th (0-based) usable address of the block, which may lie past its end. */
  private nthUsable(blockIndex: number, range: IPRange, k: bigint): bigint {
    const parts = this.reservedByBlock[blockIndex] ?? [];
    let x = range.first + k;
    for (;;) {
      // A reserved part holds no usable address: jump past it in one step, however large it is.
      const part = parts.find(p => x >= p.first && x <= p.last);
      if (part) {
        x = part.last + 1n;
        continue;
      }
      const u = this.usableUpTo(blockIndex, range, x);
      if (u >= k + 1n) return x;
      // Adds exactly the shortfall; usable counts grow by at most one per address, so x never overshoots.
      x += k + 1n - u;
    }
  }

  private usableIn(blockIndex: number, range: IPRange): bigint {
    return this.usableUpTo(blockIndex, range, range.last);
  }

  /** The lowest free usable address of one block, if any. */
  lowestFreeInBlock(blockIndex: number): IPAddress | undefined {
    const range = this.pool.blocks[blockIndex]?.range;
    if (!range) return undefined;
    const used = this.inUse[range.family];
    const lo = used.lowerBound(range.first);
    const hi = used.lowerBound(range.last + 1n);
    // Smallest i in [lo, hi) with a gap before used[i]: usableUpTo(used[i]) > i - lo + 1.
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.usableUpTo(blockIndex, range, used.at(mid) as bigint) > BigInt(mid - lo + 1)) b = mid;
      else a = mid + 1;
    }
    const value = this.nthUsable(blockIndex, range, BigInt(a - lo));
    return value <= range.last ? { family: range.family, value } : undefined;
  }

  /** The first free usable address of a family, walking blocks in configuration order. */
  lowestFree(family: IPFamily): { ip: IPAddress; block: number } | undefined {
    for (let i = 0; i < this.pool.blocks.length; i++) {
      if (this.pool.blocks[i]?.range.family !== family) continue;
      const ip = this.lowestFreeInBlock(i);
      if (ip) return { ip, block: i };
    }
    return undefined;
  }

  /** Usable addresses per family (after avoidBuggyIPs and reserved addresses). */
  total(family: IPFamily): bigint {
    let n = 0n;
    this.pool.blocks.forEach((b, i) => {
      if (b.range.family === family) n += this.usableIn(i, b.range);
    });
    return n;
  }

  inUseCount(family: IPFamily): bigint {
    return BigInt(this.inUse[family].size);
  }

  /** Exact counts (not capped: use capInt64 when writing them to the pool status). */
  counters(): PoolCounters {
    const assignedIPv4 = this.inUseCount("IPv4");
    const assignedIPv6 = this.inUseCount("IPv6");
    return {
      assignedIPv4,
      assignedIPv6,
      availableIPv4: this.total("IPv4") - assignedIPv4,
      availableIPv6: this.total("IPv6") - assignedIPv6,
    };
  }
}
