/**
 * Finding the peer of an unnumbered BGP session (a BGPPeer with `interface`), the way FRR's
 * `neighbor IFNAME interface` does: routers on the link announce themselves with IPv6 Router
 * Advertisements (RFC 4861 4.2; FRR sends them on every interface with an unnumbered neighbour), the
 * kernel files the sender in its neighbour table with the router flag, and the session goes to that
 * link-local address. In the other direction FRR learns our link-local address from our own Router
 * Advertisements (zebra's rtadv), so we send them too: router lifetime 0 (RFC 4861 6.2.5: we are not a
 * default router for anyone), our MAC in a source link-layer address option. A Router Solicitation
 * asks routers to advertise at once instead of at their next interval.
 *
 * Frames are built here (pure); speaker/bgp/link-peer.ts sends them and reads the neighbour table.
 */
import { encodeEthernet, ETHERTYPE_IPV6, macToBytes } from "../l2/ethernet";
import { icmpv6Checksum, ipv6ToBytes, multicastMac } from "../l2/ndp";

const NEXT_HEADER_ICMPV6 = 58;
const ICMPV6_ROUTER_SOLICITATION = 133;
const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const OPTION_SOURCE_LINK_LAYER = 1;
/** RFC 4861 6.1: Neighbor Discovery messages must arrive with hop limit 255. */
const ND_HOP_LIMIT = 255;
export const ALL_ROUTERS_IPV6 = "ff02::2";
export const ALL_NODES_IPV6 = "ff02::1";

/** ICMPv6 in IPv6 in Ethernet, from our link-local address and MAC, to a link-scope multicast group. */
function ndFrame(sourceMac: string, sourceIP: string, destinationIP: string, icmp: Buffer): Buffer {
  const src = ipv6ToBytes(sourceIP);
  const dst = ipv6ToBytes(destinationIP);
  icmp.writeUInt16BE(icmpv6Checksum(src, dst, icmp), 2);
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = NEXT_HEADER_ICMPV6;
  ip[7] = ND_HOP_LIMIT;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return encodeEthernet(multicastMac(destinationIP), sourceMac, ETHERTYPE_IPV6, Buffer.concat([ip, icmp]));
}

/** Source link-layer address option (RFC 4861 4.6.1): type 1, length 1 (8 octets), the MAC. */
function sourceLinkLayerOption(mac: string): Buffer {
  const option = Buffer.alloc(8);
  option[0] = OPTION_SOURCE_LINK_LAYER;
  option[1] = 1;
  macToBytes(mac).copy(option, 2);
  return option;
}

/** A Router Solicitation (RFC 4861 4.1) to all routers, with our MAC. */
export function encodeRouterSolicitation(mac: string, linkLocal: string): Buffer {
  const icmp = Buffer.concat([Buffer.from([ICMPV6_ROUTER_SOLICITATION, 0, 0, 0, 0, 0, 0, 0]), sourceLinkLayerOption(mac)]);
  return ndFrame(mac, linkLocal, ALL_ROUTERS_IPV6, icmp);
}

/**
 * A Router Advertisement (RFC 4861 4.2) to all nodes: no hop limit, no flags, router lifetime 0 (not
 * a default router), reachable time and retransmission timer unspecified, no prefixes; our MAC.
 */
export function encodeRouterAdvertisement(mac: string, linkLocal: string): Buffer {
  const head = Buffer.alloc(16);
  head[0] = ICMPV6_ROUTER_ADVERTISEMENT;
  return ndFrame(mac, linkLocal, ALL_NODES_IPV6, Buffer.concat([head, sourceLinkLayerOption(mac)]));
}

/** A kernel neighbour table entry on the session's interface, reduced to what the choice needs. */
export interface LinkNeighbour {
  /** Canonical IPv6 text. */
  readonly address: string;
  /** NTF_ROUTER: the neighbour said it is a router (a Router Advertisement, or the R flag of an NA). */
  readonly router: boolean;
  /** NUD state: "reachable", "stale", "delay", "probe", "permanent", "incomplete", "failed", "noarp". */
  readonly state: string;
}

const USABLE = new Set(["reachable", "stale", "delay", "probe", "permanent"]);
const isLinkLocal = (text: string): boolean => /^fe[89ab][0-9a-f]:/i.test(text);

/**
 * The peer of an unnumbered session among the neighbours on its link: an IPv6 link-local router
 * whose entry is usable (not failed or unresolved). Several routers on one link (a shared segment,
 * which unnumbered BGP is not meant for): the lowest address, so every attempt picks the same one.
 */
export function chooseLinkPeer(neighbours: readonly LinkNeighbour[]): string | undefined {
  const candidates = neighbours.filter(n => n.router && isLinkLocal(n.address) && USABLE.has(n.state)).map(n => n.address);
  return candidates.sort()[0];
}
