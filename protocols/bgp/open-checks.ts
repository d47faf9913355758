/**
 * What we put in our OPEN, what we accept in the peer's (RFC 4271 6.2, RFC 6793, RFC 6286), and
 * what the two OPENs agree on once both are exchanged. A peer AS may be configured or, with
 * dynamicASN, learned from the OPEN and checked against the configured kind (FRR's
 * `neighbor X remote-as internal|external`).
 */
import type { IPFamily } from "../../core/net/ip";
import { Afi, Safi, encodeCapability, type Capability, type GracefulRestartFamily } from "./codec/capabilities";
import { bgpError, ErrorCode, OpenSubcode, type BgpError } from "./codec/errors";
import { AS_TRANS, BGP_VERSION, type OpenMessage } from "./codec/open";

/** dynamicASN: the peer's AS is learned from its OPEN and only its kind is configured. */
export type DynamicAsn = "internal" | "external";

export interface PeerSettings {
  /** The AS we present to this peer (My AS, the 4-octet AS capability, AS_PATH): BGPPeer localASN when
   * set (FRR's `local-as N no-prepend replace-as`), else myASN. */
  readonly myAsn: number;
  /** The peer's AS; ignored when dynamicAsn is set. */
  readonly peerAsn: number;
  /** Accept any peer AS of this kind: internal = myAsn, external = any other. */
  readonly dynamicAsn?: DynamicAsn;
  /** Our BGP identifier as an unsigned 32-bit number (an IPv4 address). */
  readonly routerId: number;
  /** Proposed hold time, seconds: 0 (no keepalives) or 3..65535. */
  readonly holdTimeS: number;
  /** Keepalive interval when set; otherwise a third of the negotiated hold time. */
  readonly keepaliveTimeS?: number;
  /** Fixed delay between connection attempts when set; otherwise 1 s doubling up to 2 min. */
  readonly connectTimeS?: number;
  readonly families: readonly IPFamily[];
  /** Offer RFC 8950: IPv4 unicast routes with an IPv6 next hop (an unnumbered session's IPv4 routes). */
  readonly extendedNextHop?: boolean;
  /** Announce graceful restart (RFC 4724) with this restart time. */
  readonly gracefulRestart?: { readonly restartTimeS: number };
}

export interface Negotiated {
  readonly holdTimeS: number;
  /** 0 when no keepalives are sent (hold time 0). */
  readonly keepaliveS: number;
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  /** Both sides offered IPv4 unicast over an IPv6 next hop (RFC 8950 4): only then may we send such routes. */
  readonly extendedNextHop: boolean;
  /** Families both sides announced (IPv4 alone when the peer sent no multiprotocol capability). */
  readonly families: readonly IPFamily[];
  readonly peerAsn: number;
  readonly peerRouterId: number;
  readonly peerGracefulRestart?: { readonly restartTimeS: number; readonly families: readonly GracefulRestartFamily[] };
}

const familyAfi: Record<IPFamily, number> = { IPv4: Afi.IPv4, IPv6: Afi.IPv6 };
/** RFC 8950's one use here: IPv4 unicast NLRI, IPv6 next hop. */
const IPV4_VIA_IPV6 = { afi: Afi.IPv4, safi: Safi.Unicast, nextHopAfi: Afi.IPv6 } as const;

export function buildOpen(s: PeerSettings): OpenMessage {
  const capabilities: Capability[] = s.families.map(f => ({ type: "multiprotocol", afi: familyAfi[f], safi: Safi.Unicast }));
  if (s.extendedNextHop) capabilities.push({ type: "extended-next-hop", families: [IPV4_VIA_IPV6] });
  capabilities.push({ type: "route-refresh" }, { type: "four-octet-as", asn: s.myAsn });
  if (s.gracefulRestart) {
    capabilities.push({
      type: "graceful-restart",
      flags: 0,
      restartTimeS: s.gracefulRestart.restartTimeS,
      families: s.families.map(f => ({ afi: familyAfi[f], safi: Safi.Unicast, forwardingPreserved: true })),
    });
  }
  return { version: BGP_VERSION, myAs: s.myAsn > 0xffff ? AS_TRANS : s.myAsn, holdTimeS: s.holdTimeS, bgpId: s.routerId, capabilities };
}

/** The peer's real AS: the 4-octet AS capability when present, else the My AS field. */
export function peerAsnOf(open: OpenMessage): number {
  const cap = open.capabilities.find(c => c.type === "four-octet-as");
  return cap?.type === "four-octet-as" ? cap.asn : open.myAs;
}

/** Whether the session is iBGP: from the configured kind when the peer's AS is dynamic (an OPEN of the
 * other kind is refused), else from the two ASNs. Our side of the comparison is the AS we present. */
export function isInternal(s: { readonly myAsn: number; readonly peerAsn: number; readonly dynamicAsn?: DynamicAsn | undefined }): boolean {
  return s.dynamicAsn ? s.dynamicAsn === "internal" : s.myAsn === s.peerAsn;
}

/** Why `peerAsn` (from the OPEN) is not the one expected, or undefined when it is. */
function unexpectedAs(peerAsn: number, s: PeerSettings): string | undefined {
  switch (s.dynamicAsn) {
    case "internal":
      return peerAsn === s.myAsn ? undefined : `peer AS ${peerAsn}, expected internal (${s.myAsn})`;
    case "external":
      return peerAsn !== s.myAsn ? undefined : `peer AS ${peerAsn}, expected external (any AS but ${s.myAsn})`;
    default:
      return peerAsn === s.peerAsn ? undefined : `peer AS ${peerAsn}, expected ${s.peerAsn}`;
  }
}

/** The error to send back, or undefined when the peer's OPEN is acceptable. */
export function checkPeerOpen(open: OpenMessage, s: PeerSettings): BgpError | undefined {
  const peerAsn = peerAsnOf(open);
  const badAs = unexpectedAs(peerAsn, s);
  if (badAs !== undefined) {
    // RFC 4271 6.2 names no data for Bad Peer AS; the 2-octet My AS field received goes back as it was.
    const data = Buffer.alloc(2);
    data.writeUInt16BE(open.myAs);
    return bgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAS, badAs, data);
  }
  if (open.holdTimeS === 1 || open.holdTimeS === 2) {
    return bgpError(ErrorCode.OpenMessage, OpenSubcode.UnacceptableHoldTime, `unacceptable hold time ${open.holdTimeS}`);
  }
  // RFC 6286: any non-zero identifier, but an internal peer must not share ours.
  if (open.bgpId === 0 || (isInternal(s) && open.bgpId === s.routerId)) {
    return bgpError(ErrorCode.OpenMessage, OpenSubcode.BadBGPIdentifier, `bad BGP identifier ${formatId(open.bgpId)}`);
  }
  const fourOctet = open.capabilities.some(c => c.type === "four-octet-as");
  if (s.myAsn > 0xffff && !fourOctet) {
    // Our AS cannot be expressed to a 2-octet speaker without AS_TRANS games MetalLB never played.
    return bgpError(ErrorCode.OpenMessage, OpenSubcode.UnsupportedCapability, "peer does not support 4-octet AS numbers", encodeCapability({ type: "four-octet-as", asn: s.myAsn }));
  }
  return undefined;
}

export function negotiate(open: OpenMessage, s: PeerSettings): Negotiated {
  const holdTimeS = Math.min(s.holdTimeS, open.holdTimeS);
  const third = Math.floor(holdTimeS / 3);
  const keepaliveS = holdTimeS === 0 ? 0 : s.keepaliveTimeS ? Math.min(s.keepaliveTimeS, third) : third;
  const mp = open.capabilities.flatMap(c => (c.type === "multiprotocol" && c.safi === Safi.Unicast ? [c.afi] : []));
  const peerFamilies = open.capabilities.some(c => c.type === "multiprotocol") ? mp : [Afi.IPv4];
  const gr = open.capabilities.find(c => c.type === "graceful-restart");
  return {
    holdTimeS,
    keepaliveS,
    fourOctetAs: open.capabilities.some(c => c.type === "four-octet-as"),
    routeRefresh: open.capabilities.some(c => c.type === "route-refresh"),
    extendedNextHop:
      (s.extendedNextHop ?? false) &&
      open.capabilities.some(c => c.type === "extended-next-hop" && c.families.some(f => f.afi === Afi.IPv4 && f.safi === Safi.Unicast && f.nextHopAfi === Afi.IPv6)),
    families: s.families.filter(f => peerFamilies.includes(familyAfi[f])),
    peerAsn: peerAsnOf(open),
    peerRouterId: open.bgpId,
    ...(gr?.type === "graceful-restart" && s.gracefulRestart ? { peerGracefulRestart: { restartTimeS: gr.restartTimeS, families: gr.families } } : {}),
  };
}

export const formatId = (id: number): string => [id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255].join(".");
