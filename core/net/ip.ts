/**
 * IP addresses as numbers.
 *
 * Pools can be an IPv6 /64 or larger, so nothing here enumerates addresses: an address is a bigint
 * plus its family, a CIDR is a base and a prefix length, a range is two bigints. Parsing is strict
 * (dotted decimal IPv4, RFC 4291 text IPv6, no zones), as Go's net.ParseIP is for MetalLB's users.
 */
import { isIPv4, isIPv6 } from "node:net";
import ipaddr from "ipaddr.js";

export type IPFamily = "IPv4" | "IPv6";

export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IPFamily;
  /** First address of the block (host bits cleared). */
  readonly base: bigint;
  readonly prefix: number;
}

/** An inclusive range of addresses of one family. */
export interface IPRange {
  readonly family: IPFamily;
  readonly first: bigint;
  readonly last: bigint;
}

export const familyBits = (family: IPFamily): number => (family === "IPv4" ? 32 : 128);

/** Parses one address; undefined when the text is not exactly one IPv4 or IPv6 address. */
export function parseIP(text: string): IPAddress | undefined {
  if (isIPv4(text)) {
    let value = 0n;
    for (const part of text.split(".")) {
      // Leading zeros are ambiguous (octal in some parsers); Go and Kubernetes refuse them.
      if (part.length > 1 && part.startsWith("0")) return undefined;
      value = (value << 8n) | BigInt(Number(part));
    }
    return { family: "IPv4", value };
  }
  if (isIPv6(text) && !text.includes("%")) {
    const parsed = ipaddr.IPv6.parse(text);
    // An IPv4-mapped address (::ffff:a.b.c.d) is IPv4 for Go's net package and for MetalLB.
    if (parsed.isIPv4MappedAddress()) return parseIP(parsed.toIPv4Address().toString());
    let value = 0n;
    for (const part of parsed.parts) value = (value << 16n) | BigInt(part);
    return { family: "IPv6", value };
  }
  return undefined;
}

export function formatIP(ip: IPAddress): string {
  if (ip.family === "IPv4") {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
  }
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  return ipaddr.IPv6.parse(parts.map(p => p.toString(16)).join(":")).toRFC5952String();
}

export function hostMask(family: IPFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

/** Parses `addr/len`. Host bits may be set (as Go's ParseCIDR allows); the base has them cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  if (prefix > familyBits(ip.family)) return undefined;
  return { family: ip.family, base: ip.value & ~hostMask(ip.family, prefix), prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIP({ family: cidr.family, value: cidr.base })}/${cidr.prefix}`;
}

export function cidrRange(cidr: Cidr): IPRange {
  return { family: cidr.family, first: cidr.base, last: cidr.base | hostMask(cidr.family, cidr.prefix) };
}

export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(familyBits(cidr.family) - cidr.prefix);
}

export function rangeContains(range: IPRange, ip: IPAddress): boolean {
  return range.family === ip.family && ip.value >= range.first && ip.value <= range.last;
}

export function rangesOverlap(a: IPRange, b: IPRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/**
 * The smallest list of CIDRs that covers exactly [first, last], in address order
 * (how MetalLB summarises a `start-end` pool entry).
 */
export function rangeToCidrs(range: IPRange): Cidr[] {
  const bits = familyBits(range.family);
  const out: Cidr[] = [];
  let start = range.first;
  while (start <= range.last) {
    // Largest block aligned at `start` that does not run past `last`.
    let size = start === 0n ? 1n << BigInt(bits) : start & -start;
    while (start + size - 1n > range.last) size >>= 1n;
    let prefix = bits;
    for (let s = size; s > 1n; s >>= 1n) prefix--;
    out.push({ family: range.family, base: start, prefix });
    start += size;
  }
  return out;
}
