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
import { drop, ignore, type Dropped, type Ignored, type IgnoreReason, type MalformedReason } from "./drop";
import { decodeEthernet, encodeEthernet, ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV6, macFromBytes, macToBytes } from "./ethernet";

const IPV6_HEADER_LENGTH = 40;
const NEXT_HEADER_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
const ND_HOP_LIMIT = 255;

export const ALL_NODES_IPV6 = "ff02::1";
export const ALL_NODES_MAC = "33:33:00:00:00:01";

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
  let sum = sumWords(source, 0, source.length) + sumWords(destination, 0, destination.length);
  sum += (message.length >>> 16) + (message.length & 0xffff) + NEXT_HEADER_ICMPV6;
  sum += sumWords(message, 0, message.length);
  return foldChecksum(sum);
}

/** The one's-complement sum (unfolded) of the 16-bit words of b[from, to); an odd last byte is padded. */
function sumWords(b: Buffer, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += ((b[i] ?? 0) << 8) | (i + 1 < to ? (b[i + 1] ?? 0) : 0);
  return sum;
}

const foldChecksum = (sum: number): number => {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
};

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

/* ---------------------------------------------------------------------------------------------- */
/* The per-frame path: bytes in, bytes out, no text and no allocation.                             */

/** Where the fields of ICMPv6 over IPv6 over Ethernet (no VLAN tag, no extension header) sit. */
const AT_IP = ETHERNET_HEADER_LENGTH;
const AT_HOP_LIMIT = AT_IP + 7;
const AT_SOURCE_IP = AT_IP + 8;
const AT_DESTINATION_IP = AT_IP + 24;
const AT_ICMP = AT_IP + IPV6_HEADER_LENGTH;
/** The solicited address: 16 bytes from here once checkNeighborSolicitation passed. */
export const NS_TARGET_IP_OFFSET = AT_ICMP + 8;
const AT_OPTIONS = AT_ICMP + 24;
/** checkNeighborSolicitation's answer for a solicitation without a source link-layer option. */
export const NO_SOURCE_OPTION = -1;

/**
 * Whether an IPv6 frame (the caller has seen EtherType 0x86dd) is a Neighbor Solicitation this host
 * may answer, short of ownership: the frame offset of the solicitor's link-layer address (from its
 * source link-layer option) or NO_SOURCE_OPTION; otherwise the reason it is dropped (malformed) or
 * ignored. Refuses exactly what decodeNdpFrame and the responder's checks refuse, in the same order
 * (see the spec's property), including the checksum: a frame is never answered unverified.
 */
export function checkNeighborSolicitation(frame: Buffer): MalformedReason | IgnoreReason | number {
  if (frame.length < AT_IP) return "ethernet-truncated";
  if (frame.length < AT_ICMP) return "ipv6-truncated";
  if ((frame[AT_IP] ?? 0) >> 4 !== 6) return "ipv6-bad-version";
  const payloadLength = frame.readUInt16BE(AT_IP + 4);
  const end = AT_ICMP + payloadLength;
  if (end > frame.length) return "ipv6-bad-payload-length";
  if (frame[AT_IP + 6] !== NEXT_HEADER_ICMPV6) return "not-icmpv6";
  if (payloadLength < 4) return "icmpv6-truncated";
  const type = frame[AT_ICMP];
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) return "not-neighbor-solicitation";
  if (payloadLength < 24) return "icmpv6-truncated";
  const sum = sumWords(frame, AT_SOURCE_IP, AT_ICMP) + payloadLength + NEXT_HEADER_ICMPV6 + sumWords(frame, AT_ICMP, end);
  if (foldChecksum(sum) !== 0) return "icmpv6-bad-checksum";
  if (frame[AT_HOP_LIMIT] !== ND_HOP_LIMIT) return "ndp-bad-hop-limit";
  if (frame[AT_ICMP + 1] !== 0) return "ndp-bad-code";
  if (frame[NS_TARGET_IP_OFFSET] === 0xff) return "ndp-multicast-target";
  const wanted = type === ICMPV6_NEIGHBOR_SOLICITATION ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
  let macAt = NO_SOURCE_OPTION;
  for (let at = AT_OPTIONS; at < end; ) {
    if (end - at < 2) return "ndp-bad-option-length";
    const units = frame[at + 1] ?? 0;
    if (units === 0 || at + units * 8 > end) return "ndp-bad-option-length";
    if (frame[at] === wanted && units === 1 && macAt === NO_SOURCE_OPTION) macAt = at + 2;
    at += units * 8;
  }
  if (type === ICMPV6_NEIGHBOR_ADVERTISEMENT) return "not-neighbor-solicitation";
  if (isUnspecified(frame, AT_SOURCE_IP)) {
    if (!isSolicitedNodeGroup(frame, AT_DESTINATION_IP)) return "ndp-dad-bad-destination";
    if (macAt !== NO_SOURCE_OPTION) return "ndp-dad-with-source-option";
    // DAD probes come from a host about to configure the address; see the responder.
    return "ndp-dad";
  }
  return macAt;
}

/** Whether the solicitation was sent to a multicast group (else it is a unicast reachability probe). */
export const solicitationIsMulticast = (frame: Buffer): boolean => frame[AT_DESTINATION_IP] === 0xff;

function isUnspecified(b: Buffer, at: number): boolean {
  for (let i = at; i < at + 16; i++) if (b[i] !== 0) return false;
  return true;
}

/** ff02::1:ffXX:XXXX: ff 02, nine zero bytes, 01 ff, then the address's last three bytes. */
function isSolicitedNodeGroup(b: Buffer, at: number): boolean {
  if (b[at] !== 0xff || b[at + 1] !== 0x02 || b[at + 11] !== 0x01 || b[at + 12] !== 0xff) return false;
  for (let i = at + 2; i < at + 11; i++) if (b[i] !== 0) return false;
  return true;
}

/** Length of a solicited advertisement with its target link-layer option: 14 + 40 + 24 + 8. */
const ADVERTISEMENT_FRAME_LENGTH = AT_OPTIONS + 8;

/**
 * The solicited advertisement for one (interface MAC, IPv6 address) pair, built once: from the target
 * address itself, S and O flags, hop limit 255, our MAC in the target link-layer option. Answering
 * patches the solicitor's MAC and address in and finishes the checksum from a precomputed partial sum
 * (the other words never change). The frame is reused: valid until the next fill.
 */
export class AdvertisementTemplate {
  readonly frame: Buffer;
  /** One's-complement sum of everything the checksum covers except the destination address. */
  private readonly partialSum: number;

  constructor(ip: Buffer, ourMac: Buffer) {
    const f = Buffer.alloc(ADVERTISEMENT_FRAME_LENGTH);
    ourMac.copy(f, 6);
    f.writeUInt16BE(ETHERTYPE_IPV6, 12);
    f[AT_IP] = 0x60;
    f.writeUInt16BE(ADVERTISEMENT_FRAME_LENGTH - AT_ICMP, AT_IP + 4);
    f[AT_IP + 6] = NEXT_HEADER_ICMPV6;
    f[AT_HOP_LIMIT] = ND_HOP_LIMIT;
    ip.copy(f, AT_SOURCE_IP, 0, 16);
    f[AT_ICMP] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
    f[AT_ICMP + 4] = 0x40 | 0x20; // Solicited, Override
    ip.copy(f, NS_TARGET_IP_OFFSET, 0, 16);
    f[AT_OPTIONS] = OPTION_TARGET_LINK_LAYER;
    f[AT_OPTIONS + 1] = 1;
    ourMac.copy(f, AT_OPTIONS + 2);
    this.frame = f;
    this.partialSum = sumWords(f, AT_SOURCE_IP, AT_DESTINATION_IP) + (ADVERTISEMENT_FRAME_LENGTH - AT_ICMP) + NEXT_HEADER_ICMPV6 + sumWords(f, AT_ICMP, ADVERTISEMENT_FRAME_LENGTH);
  }

  /**
   * The answer to `solicitation` (checked by checkNeighborSolicitation): to the MAC at `macAt` (its
   * source link-layer option) or, with NO_SOURCE_OPTION, to the frame's source MAC; to its source address.
   */
  fill(solicitation: Buffer, macAt: number): Buffer {
    const f = this.frame;
    const from = macAt === NO_SOURCE_OPTION ? 6 : macAt;
    for (let i = 0; i < 6; i++) f[i] = solicitation[from + i] ?? 0;
    let sum = this.partialSum;
    for (let i = 0; i < 16; i += 2) {
      const hi = solicitation[AT_SOURCE_IP + i] ?? 0;
      const lo = solicitation[AT_SOURCE_IP + i + 1] ?? 0;
      f[AT_DESTINATION_IP + i] = hi;
      f[AT_DESTINATION_IP + i + 1] = lo;
      sum += (hi << 8) | lo;
    }
    f.writeUInt16BE(foldChecksum(sum), AT_ICMP + 2);
    return f;
  }
}
