/**
 * Addresses a load balancer must never hand out or answer for.
 *
 * The special-purpose blocks of the IANA registries that no host may use as a unicast destination
 * of its own (https://www.iana.org/assignments/iana-ipv4-special-registry,
 * https://www.iana.org/assignments/iana-ipv6-special-registry, RFC 6890): an allocator that gives
 * out 0.0.0.0, 127.0.0.1, 224.0.0.5 or 255.255.255.255 makes every speaker answer ARP for it.
 * The cluster's own Service (ClusterIP) range joins them when the API tells it (`clusterReserved`).
 */
import { cidrRange, formatCidr, parseCidr, rangeContains, rangesOverlap, type IPAddress, type IPRange } from "./ip";

/** A block that is never handed out, and what it is (for messages). */
export interface ReservedRange {
  readonly range: IPRange;
  /** The block as a CIDR or `a-b` text. */
  readonly text: string;
  /** What the block is: "loopback", "the cluster's Service range, ServiceCIDR kubernetes". */
  readonly what: string;
}

export function reservedCidr(text: string, what: string): ReservedRange {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`not a CIDR: ${text}`);
  return { range: cidrRange(cidr), text: formatCidr(cidr), what };
}

/** Most specific first: an address is named by the first block that holds it. */
export const SPECIAL_RANGES: readonly ReservedRange[] = Object.freeze([
  reservedCidr("255.255.255.255/32", "limited broadcast"),
  reservedCidr("0.0.0.0/8", "this network"),
  reservedCidr("127.0.0.0/8", "loopback"),
  reservedCidr("169.254.0.0/16", "link-local"),
  reservedCidr("224.0.0.0/4", "multicast"),
  reservedCidr("240.0.0.0/4", "reserved"),
  reservedCidr("::/128", "unspecified"),
  reservedCidr("::1/128", "loopback"),
  reservedCidr("fe80::/10", "link-local"),
  reservedCidr("ff00::/8", "multicast"),
]);

/** The first reserved block holding ip (special blocks first, then `extra`). */
export function reservedRangeOf(ip: IPAddress, extra: readonly ReservedRange[] = []): ReservedRange | undefined {
  return SPECIAL_RANGES.find(r => rangeContains(r.range, ip)) ?? extra.find(r => rangeContains(r.range, ip));
}

export const isSpecialIP = (ip: IPAddress): boolean => reservedRangeOf(ip) !== undefined;

/** The reserved blocks that overlap range, in list order. */
export function reservedOverlapping(range: IPRange, reserved: readonly ReservedRange[]): ReservedRange[] {
  return reserved.filter(r => rangesOverlap(r.range, range));
}

/** The parts of range that reserved blocks cover, clipped to range, sorted and merged (disjoint). */
export function reservedParts(range: IPRange, reserved: readonly ReservedRange[]): IPRange[] {
  const clipped = reservedOverlapping(range, reserved)
    .map(r => ({ family: range.family, first: r.range.first > range.first ? r.range.first : range.first, last: r.range.last < range.last ? r.range.last : range.last }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: IPRange[] = [];
  for (const part of clipped) {
    const prev = merged.at(-1);
    if (prev && part.first <= prev.last + 1n) merged[merged.length - 1] = { ...prev, last: part.last > prev.last ? part.last : prev.last };
    else merged.push(part);
  }
  return merged;
}

/** Every address of range lies in a reserved block. */
export function entirelyReserved(range: IPRange, reserved: readonly ReservedRange[]): boolean {
  const parts = reservedParts(range, reserved);
  return parts.length === 1 && parts[0]?.first === range.first && parts[0]?.last === range.last;
}

/** `127.0.0.0/8 loopback; 224.0.0.0/4 multicast`. */
export const describeReserved = (ranges: readonly ReservedRange[]): string => ranges.map(r => `${r.text} ${r.what}`).join("; ");
