/**
 * The addresses of one pool and which of them are in use, without enumerating the pool.
 *
 * In-use addresses sit in one sorted set per family. Because every in-use address is usable and
 * distinct, "usable addresses up to U[i]" minus "i + 1" never decreases along the sorted set, so
 * the first gap of a block is found by binary search: a /64 costs what a /24 costs.
 * avoidBuggyIPs (IPv4 addresses ending in .0 or .255) is handled by counting, not by listing.
 */
import type { Pool } from "../config/types";
import type { IPAddress, IPFamily, IPRange } from "../net/ip";
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

  constructor(readonly pool: Pool) {
    this.name = pool.name;
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

  /** In the pool and not excluded by avoidBuggyIPs. */
  isUsable(ip: IPAddress): boolean {
    return this.blockOf(ip) >= 0 && !(this.pool.avoidBuggyIPs && isBuggyIP(ip));
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

  /** Usable addresses in [range.first, x]. */
  private usableUpTo(range: IPRange, x: bigint): bigint {
    const all = x - range.first + 1n;
    if (!this.pool.avoidBuggyIPs || range.family !== "IPv4") return all;
    return all - (buggyUpTo(x) - buggyUpTo(range.first - 1n));
  }

  /** The k-th (0-based) usable address of the range, which may lie past its end. */
  private nthUsable(range: IPRange, k: bigint): bigint {
    let x = range.first + k;
    // Each step adds exactly the shortfall; usable counts grow by at most one per address, so x never overshoots.
    for (let u = this.usableUpTo(range, x); u < k + 1n; u = this.usableUpTo(range, x)) x += k + 1n - u;
    return x;
  }

  private usableIn(range: IPRange): bigint {
    return this.usableUpTo(range, range.last);
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
      if (this.usableUpTo(range, used.at(mid) as bigint) > BigInt(mid - lo + 1)) b = mid;
      else a = mid + 1;
    }
    const value = this.nthUsable(range, BigInt(a - lo));
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

  /** Usable addresses per family (after avoidBuggyIPs). */
  total(family: IPFamily): bigint {
    let n = 0n;
    for (const b of this.pool.blocks) if (b.range.family === family) n += this.usableIn(b.range);
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
