/**
 * The routes one session advertises, from what this node announces (capabilities/announce: a
 * prefix per Service IP and advertisement, with its local preference, communities and peers):
 *
 * - only prefixes of the session's family (an IPv4 session carries IPv4 routes, an IPv6 one IPv6);
 * - only routes whose `peers` name this session's BGPPeer;
 * - next hop: the session's local address, i.e. this node's address of that family;
 * - attributes as MetalLB's native speaker sets them (../advertisement.ts): LOCAL_PREF only to iBGP;
 * - one prefix announced by several Services (an aggregated /24, a shared IP) is one route, with the
 *   union of the communities and the highest local preference.
 *
 * And the smallest change that takes a peer from one set of routes to the next.
 */
import type { CommunityValue } from "../../config/types";
import type { BGPAnnouncement } from "../../announce/desired";
import { parseCidr, parseIP, type Cidr } from "../../net/ip";
import { routeAttributes } from "../advertisement";
import { prefixId, type PrefixKey, type Route, type RouteAttributes } from "../update-packer";
import type { BgpSessionSpec } from "./sessions";

/** Routes keyed by prefixId(prefix). */
export type RouteTable = ReadonlyMap<PrefixKey, Route>;

const communityKey = (c: CommunityValue): string =>
  c.kind === "standard" ? `s:${c.value >>> 0}` : `l:${c.globalAdmin}:${c.localData1}:${c.localData2}`;

interface Merged {
  readonly prefix: Cidr;
  localPref: number;
  readonly communities: Map<string, CommunityValue>;
}

/** The routes session `key` (a BGPPeer name) with settings `spec` should carry. */
export function routesForSession(announcements: readonly BGPAnnouncement[], key: string, spec: BgpSessionSpec): Map<PrefixKey, Route> {
  const out = new Map<PrefixKey, Route>();
  const nextHop = spec.localAddress === undefined ? undefined : parseIP(spec.localAddress);
  if (!nextHop) return out;
  const merged = new Map<PrefixKey, Merged>();
  for (const a of announcements) {
    for (const r of a.routes) {
      if (!r.peers.includes(key)) continue;
      const prefix = parseCidr(r.prefix);
      if (!prefix || prefix.family !== spec.family) continue;
      const k = prefixId(prefix);
      let m = merged.get(k);
      if (!m) merged.set(k, (m = { prefix, localPref: r.localPref, communities: new Map() }));
      m.localPref = Math.max(m.localPref, r.localPref);
      for (const c of r.communities) m.communities.set(communityKey(c), c);
    }
  }
  // Routes with equal attributes share one object, so the packer encodes it once and packs them together.
  const shared = new Map<string, RouteAttributes>();
  for (const [k, m] of merged) {
    const attributes = routeAttributes(spec, { localPref: m.localPref, communities: [...m.communities.values()] });
    const id = JSON.stringify(attributes);
    let one = shared.get(id);
    if (!one) shared.set(id, (one = attributes));
    out.set(k, { prefix: m.prefix, nextHop, attributes: one });
  }
  return out;
}

// Tables built by routesForSession share attribute objects, so identity settles most comparisons.
const sameRoute = (a: Route, b: Route): boolean =>
  a.nextHop.family === b.nextHop.family &&
  a.nextHop.value === b.nextHop.value &&
  (a.attributes === b.attributes || JSON.stringify(a.attributes) === JSON.stringify(b.attributes));

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
