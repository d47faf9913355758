/**
 * The OPEN we send and the checks on the peer's, for the BGPPeer fields that shape them:
 * localASN (the AS we present), dualStackAddressFamily (both AFIs in one OPEN) and dynamicASN
 * (the peer's AS learned from its OPEN and checked against the configured kind).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Capability } from "./codec/capabilities";
import { decodeBgpMessage } from "./codec/message";
import { encodeMessage, MessageType } from "./codec/header";
import { encodeNotificationBody, notificationFor } from "./codec/notification";
import { encodeOpen, type OpenMessage } from "./codec/open";
import { buildOpen, checkPeerOpen, isInternal, negotiate, type PeerSettings } from "./open-checks";

const MARKER = "ffffffffffffffffffffffffffffffff";
const hex = (s: string) => s.replace(/\s+/g, "");
const base: PeerSettings = { myAsn: 64512, peerAsn: 64500, routerId: 0xc000020b, holdTimeS: 90, families: ["IPv4"] };
const open = (asn: number, extra: Partial<OpenMessage> = {}): OpenMessage => ({
  version: 4,
  myAs: asn > 0xffff ? 23456 : asn,
  holdTimeS: 9,
  bgpId: 0xc0000201,
  capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "four-octet-as", asn }],
  ...extra,
});
/** The NOTIFICATION we would send for `o`, as wire bytes (hex), or "accepted". */
const verdict = (o: OpenMessage, s: PeerSettings): string => {
  const e = checkPeerOpen(o, s);
  return e ? encodeMessage(MessageType.Notification, encodeNotificationBody(notificationFor(e))).toString("hex") : "accepted";
};

describe("our OPEN", () => {
  it("presents localASN as a 4-octet AS (AS_TRANS in My AS) and offers IPv4 and IPv6 unicast for a dual-stack session", () => {
    const s: PeerSettings = { ...base, myAsn: 4200000001, families: ["IPv4", "IPv6"] };
    expect(encodeOpen(buildOpen(s)).toString("hex")).toBe(
      hex(`${MARKER} 0033 01  04 5ba0 005a c000020b 16
        02 14  01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 fa56ea01`),
    );
  });

  it("presents a 2-octet localASN in My AS and in the 4-octet AS capability", () => {
    const s: PeerSettings = { ...base, myAsn: 64999, families: ["IPv4", "IPv6"] };
    expect(encodeOpen(buildOpen(s)).toString("hex")).toBe(
      hex(`${MARKER} 0033 01  04 fde7 005a c000020b 16
        02 14  01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 0000fde7`),
    );
  });

  it("offers one AFI without dual stack", () => {
    expect(encodeOpen(buildOpen({ ...base, families: ["IPv6"] })).toString("hex")).toBe(
      hex(`${MARKER} 002d 01  04 fc00 005a c000020b 10  02 0e  01 04 0002 00 01  02 00  41 04 0000fc00`),
    );
  });
});

describe("the peer's AS", () => {
  const internal: PeerSettings = { ...base, peerAsn: 0, dynamicAsn: "internal" };
  const external: PeerSettings = { ...base, peerAsn: 0, dynamicAsn: "external" };
  // Bad Peer AS (2/2), with the peer's 2-octet My AS field as data.
  const badPeerAs = (myAs: string) => hex(`${MARKER} 0017 03 02 02 ${myAs}`);

  it("dynamicASN internal: accepts our own AS, refuses any other with Bad Peer AS", () => {
    expect(verdict(open(64512), internal)).toBe("accepted");
    expect(verdict(open(64500), internal)).toBe(badPeerAs("fbf4"));
    expect(checkPeerOpen(open(64500), internal)?.message).toBe("peer AS 64500, expected internal (64512)");
  });

  it("dynamicASN external: accepts any other AS (2- or 4-octet), refuses our own with Bad Peer AS", () => {
    expect(verdict(open(64500), external)).toBe("accepted");
    expect(verdict(open(4200000001), external)).toBe("accepted");
    expect(verdict(open(64512), external)).toBe(badPeerAs("fc00"));
    expect(checkPeerOpen(open(64512), external)?.message).toBe("peer AS 64512, expected external (any AS but 64512)");
  });

  it("learns the AS from the 4-octet AS capability, not from AS_TRANS in My AS", () => {
    const asTransPeer = open(4200000001);
    expect(verdict(asTransPeer, { ...internal, myAsn: 4200000001 })).toBe("accepted");
    expect(verdict(asTransPeer, { ...external, myAsn: 23456 })).toBe("accepted");
    expect(negotiate(asTransPeer, external).peerAsn).toBe(4200000001);
  });

  it("with localASN, internal and external are decided against the AS we present", () => {
    // BGPPeer myASN 64512 with localASN 64999: the peer sees 64999 (settings.myAsn).
    const presented: PeerSettings = { ...internal, myAsn: 64999 };
    expect(verdict(open(64999), presented)).toBe("accepted");
    expect(verdict(open(64512), presented)).toBe(badPeerAs("fc00"));
    expect(isInternal({ myAsn: 64999, peerAsn: 64999 })).toBe(true);
    expect(isInternal({ myAsn: 64999, peerAsn: 64512 })).toBe(false);
  });

  it("refuses our own BGP identifier from a dynamic internal peer, not from a dynamic external one", () => {
    const ours = open(64512, { bgpId: base.routerId });
    expect(verdict(ours, internal)).toBe(hex(`${MARKER} 0015 03 02 03`));
    expect(verdict(open(64500, { bgpId: base.routerId }), external)).toBe("accepted");
  });

  const asn = fc.integer({ min: 1, max: 4294967295 });
  const kind = fc.constantFrom<"internal" | "external">("internal", "external");
  const extras = fc.array(fc.constantFrom<Capability>({ type: "route-refresh" }, { type: "multiprotocol", afi: 2, safi: 1 }), { maxLength: 2 });

  it("property: a decoded OPEN is accepted exactly when its AS is of the configured kind", () => {
    fc.assert(
      fc.property(asn, asn, kind, extras, (mine, theirs, k, caps) => {
        const s: PeerSettings = { ...base, myAsn: mine, peerAsn: 0, dynamicAsn: k };
        const sent = open(theirs);
        const wire = encodeOpen({ ...sent, capabilities: [...sent.capabilities, ...caps] });
        const decoded = decodeBgpMessage(wire, { fourOctetAs: true });
        if (!decoded.ok || decoded.value.type !== "open") throw new Error("the OPEN did not decode");
        const error = checkPeerOpen(decoded.value.open, s);
        const ofKind = k === "internal" ? theirs === mine : theirs !== mine;
        // A 4-octet AS of ours to a peer without the capability is refused elsewhere; every OPEN here has it.
        expect(error === undefined).toBe(ofKind);
        if (error) expect([error.code, error.subcode]).toEqual([2, 2]);
        else expect(negotiate(decoded.value.open, s).peerAsn).toBe(theirs);
      }),
    );
  });
});
