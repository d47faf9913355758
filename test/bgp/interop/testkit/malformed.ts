/**
 * Malformed messages for the robustness test, as the bytes a broken or hostile peer would send, and
 * what RFC 4271 / RFC 7606 say our session must do about each: answer with a NOTIFICATION of this
 * code/subcode, or keep the session and treat the UPDATE's routes as withdrawn. Only what ExaBGP 4.2
 * cannot send is here (it frames every message correctly and refuses hold time 2); the rest of the
 * cases are in exabgp-scenarios.ts.
 */
import { encodeMessage, MessageType } from "../../../../protocols/bgp/codec/header";
import { encodeOpen, type OpenMessage } from "../../../../protocols/bgp/codec/open";

export interface Scenario {
  readonly name: string;
  /** Sent right after our OPEN arrives ("open") or once the session is Established ("update"). */
  readonly phase: "open" | "update";
  readonly bytes: Buffer;
  readonly expect: { readonly notification: string } | { readonly treatAsWithdraw: true };
}

export const PEER_AS = 64500;

export const validOpen = (bgpId: number, overrides: Partial<OpenMessage> = {}): Buffer =>
  encodeOpen({
    version: 4, myAs: PEER_AS, holdTimeS: 9, bgpId,
    capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "four-octet-as", asn: PEER_AS }],
    ...overrides,
  });

/** An UPDATE with the given path attribute bytes and NLRI (default: 198.51.100.40/32). */
function update(attributes: Buffer, nlri = Buffer.from([32, 198, 51, 100, 40])): Buffer {
  const lengths = Buffer.alloc(4);
  lengths.writeUInt16BE(0, 0);
  lengths.writeUInt16BE(attributes.length, 2);
  return encodeMessage(MessageType.Update, Buffer.concat([lengths, attributes, nlri]));
}

const ORIGIN_IGP = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, 0, 0, 0xfb, 0xf4]; // one AS_SEQUENCE: 64500
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const attrs = (...parts: number[][]) => Buffer.from(parts.flat());

export function scenarios(bgpId: number): Scenario[] {
  const open = validOpen(bgpId);
  const badMarker = Buffer.from(open);
  badMarker[3] = 0;
  const badLength = Buffer.from(open);
  badLength.writeUInt16BE(5000, 16);
  return [
    { name: "bad marker", phase: "open", bytes: badMarker, expect: { notification: "1/1" } },
    { name: "bad message length", phase: "open", bytes: badLength, expect: { notification: "1/2" } },
    { name: "unsupported version", phase: "open", bytes: validOpen(bgpId, { version: 3 }), expect: { notification: "2/1" } },
    { name: "hold time 2", phase: "open", bytes: validOpen(bgpId, { holdTimeS: 2 }), expect: { notification: "2/6" } },
    // The LOCAL_PREF-like attribute 5 claims 200 octets that are not there.
    { name: "attribute length overrun", phase: "update", bytes: update(attrs(ORIGIN_IGP, AS_PATH, NEXT_HOP, [0x40, 5, 200, 0, 0])), expect: { treatAsWithdraw: true } },
    // RFC 7606 5.3: an NLRI that cannot be parsed resets the session (Invalid Network Field).
    { name: "NLRI prefix length 33", phase: "update", bytes: update(attrs(ORIGIN_IGP, AS_PATH, NEXT_HOP), Buffer.from([33, 198, 51, 100, 40, 1])), expect: { notification: "3/10" } },
  ];
}
