/**
 * Malformed OPENs and UPDATEs that ExaBGP sends for the robustness test, and what RFC 4271 / RFC 6793
 * / RFC 7606 say our session must do about each:
 *   - "notification": reset the session with this code/subcode (read from ExaBGP's event log);
 *   - "treat-as-withdraw": keep the session, handle the UPDATE's routes as withdrawn (RFC 7606 2);
 *   - "attribute-discard": keep the session and the route, drop the named attribute (RFC 7606 2).
 * UPDATEs are crafted with ExaBGP's generic `attribute [ CODE FLAGS DATA ]`, which it sends unchecked.
 */
import type { ExaBgpConfig } from "../routers/exabgp";

export type ExaExpectation =
  | { readonly notification: string }
  | { readonly treatAsWithdraw: true }
  | { readonly attributeDiscard: string }
  | { readonly accepted: true; readonly attributes: readonly string[] };

/** Our speaker's side of a scenario (the ASes and, by that, eBGP or iBGP and the AS width). */
export interface SpeakerSide {
  readonly myAsn: number;
  readonly peerAsn: number;
}

export interface ExaScenario {
  readonly name: string;
  readonly speaker: SpeakerSide;
  /** ExaBGP's settings beyond the addresses. */
  readonly exabgp: Pick<ExaBgpConfig, "localAs" | "peerAs"> & Partial<Pick<ExaBgpConfig, "routerId" | "noAsn4" | "routes">>;
  readonly expect: ExaExpectation;
}

export const EXA_AS = 64500;
export const OUR_AS = 64512;
const AS_TRANS = 23456;
/** The prefix every UPDATE scenario announces; a second, valid one proves the session is still up. */
export const BAD_PREFIX = "198.51.100.40/32";
export const PROBE_PREFIX = "198.51.100.41/32";

const ebgp: SpeakerSide = { myAsn: OUR_AS, peerAsn: EXA_AS };
const exaEbgp = { localAs: EXA_AS, peerAs: OUR_AS };

export function exaScenarios(routerIpv4: string): ExaScenario[] {
  /** One UPDATE scenario: BAD_PREFIX with ExaBGP's address as next hop and the extra attribute text. */
  const update = (name: string, attributes: string, expect: ExaExpectation, nextHop = routerIpv4): ExaScenario => ({
    name,
    speaker: ebgp,
    exabgp: { ...exaEbgp, routes: [`route ${BAD_PREFIX} next-hop ${nextHop}${attributes === "" ? "" : ` ${attributes}`}`] },
    expect,
  });
  return [
    // OPEN (RFC 4271 6.2, RFC 6793): ExaBGP's OPEN is well formed but unacceptable to us.
    { name: "OPEN: peer AS is not the configured one", speaker: ebgp, exabgp: { localAs: 64501, peerAs: OUR_AS }, expect: { notification: "2/2" } },
    // UPDATE: session resets (RFC 4271 6.3 for the unknown well-known attribute; RFC 7606 7.11 when the
    // NLRI of MP_REACH_NLRI cannot be located, so no route could be withdrawn with confidence).
    update("UPDATE: unrecognised well-known attribute 99", "attribute [ 0x63 0x40 0x00 ]", { notification: "3/2" }),
    update("UPDATE: MP_REACH_NLRI too short to parse", "attribute [ 0x0e 0x80 0x0001 ]", { notification: "3/9" }),
    // UPDATE: treat-as-withdraw (RFC 7606 7.1-7.4, 7.8).
    update("UPDATE: ORIGIN value 7", "attribute [ 0x01 0x40 0x07 ]", { treatAsWithdraw: true }),
    update("UPDATE: ORIGIN flagged optional", "attribute [ 0x01 0xc0 0x00 ]", { treatAsWithdraw: true }),
    update("UPDATE: ORIGIN of length 2", "attribute [ 0x01 0x40 0x0000 ]", { treatAsWithdraw: true }),
    update("UPDATE: AS_PATH segment overruns the attribute", "attribute [ 0x02 0x40 0x02050000fbf4 ]", { treatAsWithdraw: true }),
    update("UPDATE: NEXT_HOP 0.0.0.0", "", { treatAsWithdraw: true }, "0.0.0.0"),
    update("UPDATE: MULTI_EXIT_DISC of length 2", "attribute [ 0x04 0x80 0x0001 ]", { treatAsWithdraw: true }),
    update("UPDATE: COMMUNITIES of length 3", "attribute [ 0x08 0xc0 0x000102 ]", { treatAsWithdraw: true }),
    update("UPDATE: LARGE_COMMUNITY of length 5", "attribute [ 0x20 0xc0 0x0000000000 ]", { treatAsWithdraw: true }),
    // UPDATE: attribute-discard (RFC 7606 7.5-7.7): the route stays, the attribute goes.
    update("UPDATE: AGGREGATOR of length 3", "attribute [ 0x07 0xc0 0x000102 ]", { attributeDiscard: "aggregator" }),
    update("UPDATE: ATOMIC_AGGREGATE of length 1", "attribute [ 0x06 0x40 0x00 ]", { attributeDiscard: "atomicAggregate" }),
    update("UPDATE: LOCAL_PREF from an external peer", "local-preference 200", { attributeDiscard: "localPref" }),
    // UPDATE: an unknown optional transitive attribute is kept and passed on (RFC 4271 5).
    update("UPDATE: unknown optional transitive attribute", "attribute [ 0x63 0xc0 0x00 ]", { accepted: true, attributes: ["asPath", "nextHop", "origin", "unknown"] }),
    { name: "OPEN: BGP identifier 0.0.0.0", speaker: ebgp, exabgp: { ...exaEbgp, routerId: "0.0.0.0" }, expect: { notification: "2/3" } },
    // Last, with a speaker of its own. ExaBGP checks the AS in our OPEN against peer-as itself, and
    // without the 4-octet capability it reads our AS_TRANS (RFC 6793): so it expects AS_TRANS.
    {
      name: "OPEN: no 4-octet AS capability while our AS needs it",
      speaker: { myAsn: 4_200_000_001, peerAsn: EXA_AS },
      exabgp: { localAs: EXA_AS, peerAs: AS_TRANS, noAsn4: true },
      expect: { notification: "2/7" },
    },
  ];
}
