/**
 * IPv6 Neighbor Discovery (RFC 4861) over Ethernet: decoding Neighbor Solicitations and
 * Advertisements, encoding solicited and unsolicited Advertisements, and the solicited-node
 * multicast helpers the socket needs to join the right groups.
 *
 * Receive-side checks follow RFC 4861 section 7.1: hop limit 255 (proves the sender is on-link),
 * code 0, valid checksum, no multicast target, no zero-length option, and for DAD probes (unspecified
 * source) a solicited-node destination and no source link-layer option.
 */
import { isIPv6 } from "node:net";
import ipaddr from "ipaddr.js";
import { drop, ignore, type Dropped, type Ignored } from "./drop";
import { decodeEthernet, encodeEthernet, ETHERTYPE_IPV6, macFromBytes, macToBytes } from "./ethernet";

const IPV6_HEADER_LENGTH = 40;
const NEXT_HEADER_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
const ND_HOP_LIMIT = 255;

export const ALL_NODES_IPV6 = "ff02::1";
export const ALL_NODES_MAC = "33:33:00:00:00:01";
export const UNSPECIFIED_IPV6 = "::";

/** IPv6 text to 16 bytes. IPv4-mapped addresses stay IPv6 here (unlike parseIP): on the wire they are. */
export function ipv6ToBytes(ip: string): Buffer {
  if (!isIPv6(ip) || ip.includes("%")) throw new Error(`not an IPv6 address: ${JSON.stringify(ip)}`);
  return Buffer.from(ipaddr.IPv6.parse(ip).toByteArray());
}

/**
 * 16 bytes to RFC 5952 text (lowercase, no leading zeros, the longest run of two or more zero groups,
 * the first on a tie, as "::"), the same text formatIP gives. Written out because it is on every
 * solicitation's path and going through bigint and ipaddr.js costs several times more.
 */
export function ipv6FromBytes(b: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[offset + 2 * i] ?? 0) << 8) | (b[offset + 2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (from: number, to: number): string => groups.slice(from, to).map(g => g.toString(16)).join(":");
  if (bestStart < 0) return text(0, 8);
  return `${text(0, bestStart)}::${text(bestStart + bestLength, 8)}`;
}

/** ff02::1:ffXX:XXXX, the group a node joins to hear solicitations for `ip` (RFC 4291 2.7.1). */
export function solicitedNodeMulticast(ip: string): string {
  const b = ipv6ToBytes(ip);
  const group = ipv6ToBytes("ff02::1:ff00:0");
  b.copy(group, 13, 13, 16);
  return ipv6FromBytes(group, 0);
}

/** 33:33 followed by the last four bytes of the multicast address (RFC 2464 section 7). */
export function multicastMac(ipv6Multicast: string): string {
  const b = ipv6ToBytes(ipv6Multicast);
  return macFromBytes(Buffer.concat([Buffer.from([0x33, 0x33]), b.subarray(12, 16)]), 0);
}

/** The Ethernet group a socket must join to hear solicitations for `ip`. */
export const solicitedNodeMac = (ip: string): string => multicastMac(solicitedNodeMulticast(ip));

const isMulticast = (b: Buffer, offset: number): boolean => b[offset] === 0xff;

function isSolicitedNodeMulticast(b: Buffer, offset: number): boolean {
  const prefix = ipv6ToBytes("ff02::1:ff00:0");
  return b.subarray(offset, offset + 13).equals(prefix.subarray(0, 13));
}

/** The ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1) and the message. */
export function icmpv6Checksum(source: Buffer, destination: Buffer, message: Buffer): number {
  let sum = 0;
  const add = (b: Buffer): void => {
    for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  };
  add(source);
  add(destination);
  sum += (message.length >>> 16) + (message.length & 0xffff) + NEXT_HEADER_ICMPV6;
  add(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface NdpCommon {
  readonly ethernetDestination: string;
  readonly ethernetSource: string;
  readonly sourceIP: string;
  readonly destinationIP: string;
  readonly hopLimit: number;
  readonly targetIP: string;
}

export interface NeighborSolicitation extends NdpCommon {
  readonly type: "solicitation";
  /** The source link-layer address option, when present. */
  readonly sourceLinkLayer?: string;
  /** Duplicate Address Detection probe: unspecified source. */
  readonly dad: boolean;
}

export interface NeighborAdvertisement extends NdpCommon {
  readonly type: "advertisement";
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly targetLinkLayer?: string;
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

/** Walks the options; returns the link-layer address option of `wanted` type, or a drop. */
function findLinkLayerOption(options: Buffer, wanted: number): { mac?: string } | Dropped {
  let mac: string | undefined;
  let at = 0;
  while (at < options.length) {
    if (options.length - at < 2) return drop("ndp-bad-option-length");
    const type = options[at] ?? 0;
    const units = options[at + 1] ?? 0;
    if (units === 0 || at + units * 8 > options.length) return drop("ndp-bad-option-length");
    if (type === wanted && units === 1 && mac === undefined) mac = macFromBytes(options, at + 2);
    at += units * 8;
  }
  return mac === undefined ? {} : { mac };
}

/** Decodes an IPv6-over-Ethernet frame carrying a Neighbor Solicitation or Advertisement. */
export function decodeNdpFrame(frame: Buffer): NdpMessage | Dropped | Ignored {
  const eth = decodeEthernet(frame);
  if ("kind" in eth) return eth;
  const ip = eth.payload;
  if (ip.length < IPV6_HEADER_LENGTH) return drop("ipv6-truncated");
  if ((ip[0] ?? 0) >> 4 !== 6) return drop("ipv6-bad-version");
  const payloadLength = ip.readUInt16BE(4);
  if (IPV6_HEADER_LENGTH + payloadLength > ip.length) return drop("ipv6-bad-payload-length");
  // Neighbor Discovery never uses extension headers worth following; anything else is not ours.
  if (ip[6] !== NEXT_HEADER_ICMPV6) return ignore("not-icmpv6");
  const hopLimit = ip[7] ?? 0;
  const src = ip.subarray(8, 24);
  const dst = ip.subarray(24, 40);
  const icmp = ip.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + payloadLength);
  if (icmp.length < 4) return drop("icmpv6-truncated");
  const type = icmp[0];
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    return ignore("not-neighbor-solicitation");
  }
  if (icmp.length < 24) return drop("icmpv6-truncated");
  if (icmpv6Checksum(src, dst, icmp) !== 0) return drop("icmpv6-bad-checksum");
  if (hopLimit !== ND_HOP_LIMIT) return drop("ndp-bad-hop-limit");
  if (icmp[1] !== 0) return drop("ndp-bad-code");
  if (isMulticast(icmp, 8)) return drop("ndp-multicast-target");
  const common = {
    ethernetDestination: eth.destination,
    ethernetSource: eth.source,
    sourceIP: ipv6FromBytes(src, 0),
    destinationIP: ipv6FromBytes(dst, 0),
    hopLimit,
    targetIP: ipv6FromBytes(icmp, 8),
  };
  const wanted = type === ICMPV6_NEIGHBOR_SOLICITATION ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
  const option = findLinkLayerOption(icmp.subarray(24), wanted);
  if ("kind" in option) return option;
  if (type === ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    const flags = icmp[4] ?? 0;
    return {
      type: "advertisement",
      ...common,
      router: (flags & 0x80) !== 0,
      solicited: (flags & 0x40) !== 0,
      override: (flags & 0x20) !== 0,
      ...(option.mac === undefined ? {} : { targetLinkLayer: option.mac }),
    };
  }
  const dad = src.every(b => b === 0);
  if (dad && !isSolicitedNodeMulticast(dst, 0)) return drop("ndp-dad-bad-destination");
  if (dad && option.mac !== undefined) return drop("ndp-dad-with-source-option");
  return {
    type: "solicitation",
    ...common,
    ...(option.mac === undefined ? {} : { sourceLinkLayer: option.mac }),
    dad,
  };
}

interface NdpEncodeCommon {
  ethernetDestination: string;
  ethernetSource: string;
  sourceIP: string;
  destinationIP: string;
  targetIP: string;
}

function encodeNdp(c: NdpEncodeCommon, type: number, flags: number, optionType: number, optionMac?: string): Buffer {
  const icmp = Buffer.alloc(24 + (optionMac === undefined ? 0 : 8));
  icmp[0] = type;
  icmp[4] = flags;
  ipv6ToBytes(c.targetIP).copy(icmp, 8);
  if (optionMac !== undefined) {
    icmp[24] = optionType;
    icmp[25] = 1;
    macToBytes(optionMac).copy(icmp, 26);
  }
  const src = ipv6ToBytes(c.sourceIP);
  const dst = ipv6ToBytes(c.destinationIP);
  icmp.writeUInt16BE(icmpv6Checksum(src, dst, icmp), 2);
  const ip = Buffer.alloc(IPV6_HEADER_LENGTH);
  ip[0] = 0x60;
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = NEXT_HEADER_ICMPV6;
  ip[7] = ND_HOP_LIMIT;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return encodeEthernet(c.ethernetDestination, c.ethernetSource, ETHERTYPE_IPV6, Buffer.concat([ip, icmp]));
}

export interface AdvertisementFields extends NdpEncodeCommon {
  router: boolean;
  solicited: boolean;
  override: boolean;
  targetLinkLayer?: string;
}

export function encodeNeighborAdvertisement(f: AdvertisementFields): Buffer {
  const flags = (f.router ? 0x80 : 0) | (f.solicited ? 0x40 : 0) | (f.override ? 0x20 : 0);
  return encodeNdp(f, ICMPV6_NEIGHBOR_ADVERTISEMENT, flags, OPTION_TARGET_LINK_LAYER, f.targetLinkLayer);
}

export interface SolicitationFields extends NdpEncodeCommon {
  sourceLinkLayer?: string;
}

/** Used by tests and probes; a speaker never solicits. */
export function encodeNeighborSolicitation(f: SolicitationFields): Buffer {
  return encodeNdp(f, ICMPV6_NEIGHBOR_SOLICITATION, 0, OPTION_SOURCE_LINK_LAYER, f.sourceLinkLayer);
}

/**
 * The answer to `ns`: from the target address itself (some tools, ndisc6 among them, refuse a
 * link-local source for a global target), Solicited and Override set, our MAC in the target option,
 * sent to the solicitor's link-layer address (option, else the frame's source).
 */
export function encodeSolicitedAdvertisement(ns: NeighborSolicitation, ourMac: string): Buffer {
  return encodeNeighborAdvertisement({
    ethernetDestination: ns.sourceLinkLayer ?? ns.ethernetSource,
    ethernetSource: ourMac,
    sourceIP: ns.targetIP,
    destinationIP: ns.sourceIP,
    targetIP: ns.targetIP,
    router: false,
    solicited: true,
    override: true,
    targetLinkLayer: ourMac,
  });
}

/** Unsolicited advertisement on takeover: Override only, to all nodes (RFC 4861 7.2.6). */
export function encodeUnsolicitedAdvertisement(ip: string, ourMac: string): Buffer {
  return encodeNeighborAdvertisement({
    ethernetDestination: ALL_NODES_MAC,
    ethernetSource: ourMac,
    sourceIP: ip,
    destinationIP: ALL_NODES_IPV6,
    targetIP: ip,
    router: false,
    solicited: false,
    override: true,
    targetLinkLayer: ourMac,
  });
}
