/**
 * The routes one session advertises, from what this node announces (core/announce: a
 * prefix per Service IP and advertisement, with its local preference, communities and peers):
 *
 * - only prefixes of the session's family (an IPv4 session carries IPv4 routes, an IPv6 one IPv6),
 *   or of both families with dualStackAddressFamily or unnumbered;
 * - only routes whose `peers` name this session's BGPPeer;
 * - next hop: the session's local address, i.e. this node's address of that family; for the other
 *   family of a dual-stack session, the node's address of that family (spec.otherNextHop; IPv6
 *   routes then travel in MP_REACH_NLRI over IPv4, IPv4 routes as classic NLRI with an IPv4
 *   NEXT_HOP over IPv6), and none of its routes when the node has no such address;
 * - unnumbered: this node's global IPv6 address on the link (if any) then its link-local one, for
 *   IPv4 routes too (RFC 8950: IPv4 over an IPv6 next hop);
 * - attributes as MetalLB's native speaker sets them (../advertisement.ts): LOCAL_PREF only to iBGP;
 * - one prefix announced by several Services (an aggregated /24, a shared IP) is one route, with the
 *   union of the communities and the highest local preference.
 *
 * And the smallest change that takes a peer from one set of routes to the next.
 */
import type { CommunityValue } from "../../core/config/types";
import type { BGPAnnouncement } from "../../core/announce/desired";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import { routeAttributes } from "../../protocols/bgp/advertisement";
import { prefixId, type PrefixKey, type Route, type RouteAttributes } from "../../protocols/bgp/update-packer";
import type { BgpSessionSpec } from "./sessions";

/** Routes keyed by prefixId(prefix). */
export type RouteTable = ReadonlyMap<PrefixKey, Route>;

const communityKey = (c: CommunityValue): string =>
  c.kind === "standard" ? `s:${c.value >>> 0}` : `l:${c.globalAdmin}:${c.localData1}:${c.localData2}`;

interface Merged {
  readonly prefix: Cidr;
  localPref: number;
  /** Created on the first community (most service routes carry none). */
  communities: Map<string, CommunityValue> | undefined;
}

/**
 * Parsed prefixes by text. Every call rebuilds the table from the announcements' texts, and parsing
 * an address through BigInts was the larger part of that at 10,000 services. Bounded: cleared when
 * it outgrows any plausible set of service prefixes.
 */
const parsedPrefixes = new Map<string, Cidr | undefined>();
const PARSED_PREFIXES_MAX = 200_000;
function parsePrefix(text: string): Cidr | undefined {
  if (parsedPrefixes.has(text)) return parsedPrefixes.get(text);
  if (parsedPrefixes.size >= PARSED_PREFIXES_MAX) parsedPrefixes.clear();
  const cidr = parseCidr(text);
  parsedPrefixes.set(text, cidr);
  return cidr;
}

/** The routes session `key` (a BGPPeer name) with settings `spec` should carry. */
export function routesForSession(announcements: readonly BGPAnnouncement[], key: string, spec: BgpSessionSpec): Map<PrefixKey, Route> {
  const out = new Map<PrefixKey, Route>();
  const local = spec.localAddress === undefined ? undefined : parseIP(spec.localAddress);
  if (!local) return out;
  const global = spec.globalNextHop === undefined ? undefined : parseIP(spec.globalNextHop);
  const nextHop = global ?? local;
  const linkLocalNextHop = global ? local : undefined;
  const otherNextHop = spec.otherNextHop === undefined ? undefined : parseIP(spec.otherNextHop);
  const unnumbered = spec.interface !== undefined;
  const nextHopFor = (family: Cidr["family"]) => (unnumbered || family === spec.family ? nextHop : otherNextHop);
  const merged = new Map<PrefixKey, Merged>();
  for (const a of announcements) {
    for (const r of a.routes) {
      if (!r.peers.includes(key)) continue;
      const prefix = parsePrefix(r.prefix);
      if (!prefix || !nextHopFor(prefix.family)) continue;
      const k = prefixId(prefix);
      let m = merged.get(k);
      if (!m) merged.set(k, (m = { prefix, localPref: r.localPref, communities: undefined }));
      m.localPref = Math.max(m.localPref, r.localPref);
      for (const c of r.communities) (m.communities ??= new Map()).set(communityKey(c), c);
    }
  }
  // Routes with equal attributes share one object, so the packer encodes it once and packs them together.
  // Equal inputs (local preference, set of communities) give equal attributes: build each kind once.
  const byInput = new Map<string, RouteAttributes>();
  const shared = new Map<string, RouteAttributes>();
  for (const [k, m] of merged) {
    const input = m.communities ? `${m.localPref}|${[...m.communities.keys()].sort().join(",")}` : `${m.localPref}|`;
    let one = byInput.get(input);
    if (!one) {
      const attributes = routeAttributes(spec, { localPref: m.localPref, communities: [...(m.communities?.values() ?? [])] });
      const id = attributesId(attributes);
      one = shared.get(id);
      if (!one) shared.set(id, (one = attributes));
      byInput.set(input, one);
    }
    const hop = nextHopFor(m.prefix.family) as IPAddress;
    out.set(k, unnumbered && linkLocalNextHop ? { prefix: m.prefix, nextHop: hop, linkLocalNextHop, attributes: one } : { prefix: m.prefix, nextHop: hop, attributes: one });
  }
  return out;
}

/** A text equal for equal attributes, computed once per attributes object (tables share a few). */
const attributeIds = new WeakMap<RouteAttributes, string>();
function attributesId(a: RouteAttributes): string {
  let id = attributeIds.get(a);
  if (id === undefined) attributeIds.set(a, (id = JSON.stringify(a)));
  return id;
}

const sameRoute = (a: Route, b: Route): boolean =>
  a.nextHop.family === b.nextHop.family &&
  a.nextHop.value === b.nextHop.value &&
  a.linkLocalNextHop?.value === b.linkLocalNextHop?.value &&
  (a.attributes === b.attributes || attributesId(a.attributes) === attributesId(b.attributes));

export interface RouteChange {
  /** New routes and routes whose next hop or attributes changed (an announcement replaces the old one). */
  readonly advertise: readonly Route[];
  readonly withdraw: readonly Cidr[];
}

export function diffRoutes(before: RouteTable, after: RouteTable): RouteChange {
  const advertise: Route[] = [];
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old || !sameRoute(old, r)) advertise.push(r);
  }
  const withdraw: Cidr[] = [];
  for (const [k, r] of before) if (!after.has(k)) withdraw.push(r.prefix);
  return { advertise, withdraw };
}

/**
 * For ServiceBGPStatus (one per Service and announcing node): the BGPPeers each Service this node
 * advertises is configured to go to, whatever the sessions' state (reference 1.8), sorted.
 */
export function servicePeers(announcements: readonly BGPAnnouncement[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of announcements) out.set(a.service, [...new Set(a.routes.flatMap(r => r.peers))].sort());
  return out;
}
