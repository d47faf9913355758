/**
 * Which BGP sessions this node holds, and with what settings: one per BGPPeer whose nodeSelectors
 * match the node (reference 4.3), keyed by the peer's name. Everything a session needs is derived
 * here, from the parsed config and the node alone, so the data plane only compares and acts.
 *
 * The diff separates what needs a new BGP session (any field the TCP connection or the OPEN depends
 * on) from what only needs a new BFD session (the profile), so that editing one BGPPeer, or one
 * BFDProfile, restarts nothing else.
 */
import type { BFDProfile, BGPPeer, Config } from "../../core/config/types";
import { matchesAny } from "../../core/config/selector";
import { formatIP, parseIP, type IPAddress, type IPFamily } from "../../core/net/ip";
import { isInternal, type DynamicAsn } from "../../protocols/bgp/open-checks";

/** One of the node's network links, as netlink reports it (what unnumbered and VRF peers need). */
export interface NodeLink {
  readonly index: number;
  readonly name: string;
  /** ifindex of the device this link is enslaved to (a VRF, a bond, a bridge). */
  readonly master: number | undefined;
  /** Canonical text of every address on the link, link-local ones included. */
  readonly addresses: readonly string[];
}

/** What the data plane knows about its own node. */
export interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The node's addresses (interface or Node status addresses); the first of each family is its default. */
  readonly addresses: readonly string[];
  /** The node's links; undefined until read (only peers with `interface` or `vrf` need them). */
  readonly links?: readonly NodeLink[];
}

/** Fields that shape the TCP connection and the OPEN: a change to any of them restarts the session. */
export interface BgpSessionSpec {
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly family: IPFamily;
  /** Address we bind to and advertise as next hop; undefined when the node has none of the peer's family. */
  readonly localAddress: string | undefined;
  /** The AS presented to the peer: BGPPeer localASN when set, else myASN. */
  readonly myAsn: number;
  /** 0 when dynamicAsn is set. */
  readonly peerAsn: number;
  /** dynamicASN: the peer's AS is learned from its OPEN and must be of this kind. */
  readonly dynamicAsn: DynamicAsn | undefined;
  /** dualStackAddressFamily: the session carries IPv4 and IPv6 unicast, whatever `family` is. */
  readonly dualStack: boolean;
  /** With dualStack: the next hop of routes of the family other than `family` (this node's first address
   * of it, a global one for IPv6); undefined when the node has none, and those routes are not sent. */
  readonly otherNextHop: string | undefined;
  /** Our BGP identifier as an unsigned 32-bit number. */
  readonly routerId: number;
  readonly holdTimeS: number;
  readonly keepaliveTimeS: number;
  /** Fixed delay between connection attempts; undefined: MetalLB's backoff (1 s doubling up to 2 min). */
  readonly connectTimeS: number | undefined;
  readonly md5Key: string | undefined;
  /** Outgoing TTL of the TCP connection: 1 for a directly connected eBGP peer, 255 otherwise. */
  readonly ttl: number;
  readonly gracefulRestart: boolean;
  /** BFD over RFC 5883 (port 4784, TTL checked against the profile's minimumTtl): an eBGP multihop peer. */
  readonly bfdMultihop: boolean;
  /**
   * BGP unnumbered: the peer is the IPv6 router found on this interface (peerAddress is ""), the
   * session runs between link-local addresses (localAddress is ours), carries IPv4 and IPv6, and
   * IPv4 routes go with an IPv6 next hop (RFC 8950).
   */
  readonly interface?: string;
  /** Unnumbered: this node's global IPv6 address on the interface, the next hop sent before the link-local one. */
  readonly globalNextHop?: string;
  /** The Linux VRF device the session's sockets (and its BFD's) are bound to. */
  readonly vrf?: string;
}

export interface DesiredSession {
  /** The BGPPeer's name: one session per (peer, node), and this is the node. */
  readonly key: string;
  readonly bgp: BgpSessionSpec;
  /** The BFDProfile the peer names, when it exists. */
  readonly bfd: BFDProfile | undefined;
  /** Something about the peer that could not be honoured as written (shown as the session's last error). */
  readonly problem: string | undefined;
}

/** Restart time we announce with graceful restart (FRR's default, as MetalLB's FRR mode uses). */
export const GRACEFUL_RESTART_TIME_S = 120;
/** The parser's default connectTime: left to the backoff, which never waits longer anyway. */
const DEFAULT_CONNECT_S = 120;

const canonical = (text: string): IPAddress | undefined => parseIP(text.trim());
/** fe80::/10: never a next hop for another link's router to use (RFC 4291 2.5.6). */
const isLinkLocal = (a: IPAddress): boolean => a.family === "IPv6" && a.value >> 118n === 0x3fan;

/** A stable non-zero 32-bit identifier from the node name (FNV-1a), for nodes without IPv4. */
export function routerIdFromName(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

function localAddressFor(peer: BGPPeer, family: IPFamily, own: readonly IPAddress[]): { address: IPAddress | undefined; problem?: string } {
  const fallback = own.find(a => a.family === family);
  if (peer.sourceAddress !== undefined) {
    const source = canonical(peer.sourceAddress);
    if (source && own.some(a => a.family === source.family && a.value === source.value)) return { address: source };
    // MetalLB uses sourceAddress only when a local interface has it.
    const instead = fallback ? `; using ${formatIP(fallback)}` : "";
    return { address: fallback, problem: `sourceAddress ${peer.sourceAddress} is not an address of this node${instead}` };
  }
  if (!fallback) return { address: undefined, problem: `this node has no ${family} address to reach ${peer.peerAddress} from` };
  return { address: fallback };
}

function routerIdFor(peer: BGPPeer, local: IPAddress | undefined, own: readonly IPAddress[], nodeName: string): number {
  const configured = peer.routerID === undefined ? undefined : canonical(peer.routerID);
  if (configured?.family === "IPv4") return Number(configured.value);
  if (local?.family === "IPv4") return Number(local.value);
  const v4 = own.find(a => a.family === "IPv4");
  return v4 ? Number(v4.value) : routerIdFromName(nodeName);
}


/**
 * The addresses a peer's session may use: the node's addresses, or with `vrf` only those on the
 * links enslaved to that VRF device (the VRF's own routing table is the only one its sockets see).
 */
function addressesFor(peer: BGPPeer, node: NodeView): { own: IPAddress[]; problem?: string } {
  const nodeAddresses = node.addresses.flatMap(a => canonical(a) ?? []);
  if (peer.vrf === undefined) return { own: nodeAddresses };
  if (!node.links) return { own: [], problem: `the links of this node are not known yet (VRF ${peer.vrf})` };
  const vrf = node.links.find(l => l.name === peer.vrf);
  if (!vrf) return { own: [], problem: `VRF ${peer.vrf} does not exist on this node` };
  const own = node.links.filter(l => l.master === vrf.index).flatMap(l => l.addresses.flatMap(a => canonical(a) ?? [])).filter(a => !isLinkLocal(a));
  return { own };
}

/** Unnumbered: our link-local and global IPv6 addresses on the peer's interface. */
function unnumberedAddresses(peer: BGPPeer & { interface: string }, node: NodeView): { linkLocal?: IPAddress; global?: IPAddress; problem?: string } {
  if (!node.links) return { problem: `the links of this node are not known yet (interface ${peer.interface})` };
  const link = node.links.find(l => l.name === peer.interface);
  if (!link) return { problem: `interface ${peer.interface} does not exist on this node` };
  if (peer.vrf !== undefined) {
    const vrf = node.links.find(l => l.name === peer.vrf);
    if (!vrf || link.master !== vrf.index) return { problem: `interface ${peer.interface} is not enslaved to VRF ${peer.vrf}` };
  }
  const addresses = link.addresses.flatMap(a => canonical(a) ?? []).filter(a => a.family === "IPv6");
  const linkLocal = addresses.find(isLinkLocal);
  const global = addresses.find(a => !isLinkLocal(a));
  if (!linkLocal) return { problem: `interface ${peer.interface} has no IPv6 link-local address` };
  return { linkLocal, ...(global ? { global } : {}) };
}

/** The session this node holds with `peer`, or undefined when the peer's nodeSelectors leave it out. */
export function desiredSession(peer: BGPPeer, bfdProfiles: ReadonlyMap<string, BFDProfile>, node: NodeView): DesiredSession | undefined {
  if (!matchesAny(peer.nodeSelectors, node.labels)) return undefined;
  if (peer.interface !== undefined) return unnumberedSession({ ...peer, interface: peer.interface }, bfdProfiles, node);
  const peerIP = canonical(peer.peerAddress);
  if (!peerIP) return undefined; // the parser refuses these; nothing to dial
  const inVrf = addressesFor(peer, node);
  const own = inVrf.own;
  const local = localAddressFor(peer, peerIP.family, own);
  const myAsn = peer.localASN ?? peer.myASN;
  const external = !isInternal({ myAsn, peerAsn: peer.peerASN, dynamicAsn: peer.dynamicASN });
  const problems = inVrf.problem ? [inVrf.problem] : local.problem ? [`${local.problem}${peer.vrf !== undefined ? ` in VRF ${peer.vrf}` : ""}`] : [];
  const dualStack = peer.dualStackAddressFamily === true;
  const otherFamily: IPFamily = peerIP.family === "IPv4" ? "IPv6" : "IPv4";
  const otherNextHop = dualStack ? own.find(a => a.family === otherFamily && !isLinkLocal(a)) : undefined;
  if (dualStack && !otherNextHop) problems.push(`dualStackAddressFamily: this node has no ${otherFamily} address to use as next hop; ${otherFamily} routes are not sent to ${formatIP(peerIP)}`);
  const bfd = peer.bfdProfile === undefined ? undefined : bfdProfiles.get(peer.bfdProfile);
  if (peer.bfdProfile !== undefined && !bfd) problems.push(`BFDProfile ${peer.bfdProfile} does not exist`);
  return {
    key: peer.name,
    bgp: {
      peerAddress: formatIP(peerIP),
      peerPort: peer.peerPort,
      family: peerIP.family,
      localAddress: local.address ? formatIP(local.address) : undefined,
      myAsn,
      peerAsn: peer.peerASN,
      dynamicAsn: peer.dynamicASN,
      dualStack,
      otherNextHop: otherNextHop ? formatIP(otherNextHop) : undefined,
      routerId: routerIdFor(peer, local.address, own, node.name),
      holdTimeS: Math.trunc(peer.holdTimeS),
      keepaliveTimeS: peer.keepaliveTimeS,
      connectTimeS: peer.connectTimeS === DEFAULT_CONNECT_S ? undefined : peer.connectTimeS,
      md5Key: peer.password !== undefined && peer.password !== "" ? peer.password : undefined,
      ttl: external && !peer.ebgpMultiHop ? 1 : 255,
      gracefulRestart: peer.enableGracefulRestart,
      bfdMultihop: external && peer.ebgpMultiHop,
      ...(peer.vrf !== undefined ? { vrf: peer.vrf } : {}),
    },
    bfd,
    problem: problems.length > 0 ? problems.join("; ") : undefined,
  };
}

/**
 * An unnumbered session: to whichever IPv6 router is on the interface (found when dialling), from our
 * link-local address there, one hop away (TTL 1 for eBGP, as FRR's `neighbor IFNAME interface`).
 */
function unnumberedSession(peer: BGPPeer & { interface: string }, bfdProfiles: ReadonlyMap<string, BFDProfile>, node: NodeView): DesiredSession {
  const link = unnumberedAddresses(peer, node);
  const myAsn = peer.localASN ?? peer.myASN;
  const external = !isInternal({ myAsn, peerAsn: peer.peerASN, dynamicAsn: peer.dynamicASN });
  const problems = link.problem ? [link.problem] : [];
  const bfd = peer.bfdProfile === undefined ? undefined : bfdProfiles.get(peer.bfdProfile);
  if (peer.bfdProfile !== undefined && !bfd) problems.push(`BFDProfile ${peer.bfdProfile} does not exist`);
  const own = node.addresses.flatMap(a => canonical(a) ?? []);
  return {
    key: peer.name,
    bgp: {
      peerAddress: "",
      peerPort: peer.peerPort,
      family: "IPv6",
      localAddress: link.linkLocal ? formatIP(link.linkLocal) : undefined,
      myAsn,
      peerAsn: peer.peerASN,
      dynamicAsn: peer.dynamicASN,
      // Both families always (sessionFamilies), IPv4 through RFC 8950 rather than dual stack's IPv4 next hop.
      dualStack: false,
      otherNextHop: undefined,
      routerId: routerIdFor(peer, undefined, own, node.name),
      holdTimeS: Math.trunc(peer.holdTimeS),
      keepaliveTimeS: peer.keepaliveTimeS,
      connectTimeS: peer.connectTimeS === DEFAULT_CONNECT_S ? undefined : peer.connectTimeS,
      md5Key: peer.password !== undefined && peer.password !== "" ? peer.password : undefined,
      ttl: external ? 1 : 255,
      gracefulRestart: peer.enableGracefulRestart,
      bfdMultihop: false,
      interface: peer.interface,
      ...(link.global ? { globalNextHop: formatIP(link.global) } : {}),
      ...(peer.vrf !== undefined ? { vrf: peer.vrf } : {}),
    },
    bfd,
    problem: problems.length > 0 ? problems.join("; ") : undefined,
  };
}

/** How status, logs and metrics name a session's peer: its address, or for an unnumbered one its interface (as FRR does). */
export const peerLabel = (spec: BgpSessionSpec): string => spec.interface ?? spec.peerAddress;

/** The address families a session carries: an unnumbered or dual-stack one both (in this order), others their peer's. */
export const sessionFamilies = (spec: BgpSessionSpec): readonly IPFamily[] => (spec.interface !== undefined || spec.dualStack ? ["IPv4", "IPv6"] : [spec.family]);

/** Every session this node should hold, by key (the BGPPeer's name). */
export function desiredSessions(config: Pick<Config, "peers" | "bfdProfiles">, node: NodeView): Map<string, DesiredSession> {
  const out = new Map<string, DesiredSession>();
  for (const peer of config.peers) {
    const s = desiredSession(peer, config.bfdProfiles, node);
    if (s) out.set(s.key, s);
  }
  return out;
}

export interface SessionDiff {
  readonly add: readonly DesiredSession[];
  readonly remove: readonly string[];
  /** A connection or OPEN field changed: tear down and start again. */
  readonly restart: readonly DesiredSession[];
  /** Only the BFD profile changed: the BGP session stays, its BFD session is replaced. */
  readonly retuneBfd: readonly DesiredSession[];
  /** Only the problem text changed (nothing to do on the wire). */
  readonly update: readonly DesiredSession[];
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Compares BgpSessionSpecs field by field (fixed key order, so JSON compares them exactly). */
const sameSpec = (a: BgpSessionSpec, b: BgpSessionSpec): boolean => {
  const keys = Object.keys(a).sort() as (keyof BgpSessionSpec)[];
  return keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k]);
};

export function diffSessions(current: ReadonlyMap<string, DesiredSession>, next: ReadonlyMap<string, DesiredSession>): SessionDiff {
  const add: DesiredSession[] = [];
  const restart: DesiredSession[] = [];
  const retuneBfd: DesiredSession[] = [];
  const update: DesiredSession[] = [];
  for (const [key, s] of next) {
    const before = current.get(key);
    if (!before) add.push(s);
    else if (!sameSpec(before.bgp, s.bgp)) restart.push(s);
    else if (!sameJson(before.bfd, s.bfd)) retuneBfd.push(s);
    else if (before.problem !== s.problem) update.push(s);
  }
  const remove = [...current.keys()].filter(k => !next.has(k));
  return { add, remove, restart, retuneBfd, update };
}
