/**
 * UPDATE message body (RFC 4271 section 4.3): withdrawn IPv4 routes, path attributes, IPv4 NLRI.
 * IPv6 (and any multiprotocol) routes travel inside MP_REACH_NLRI / MP_UNREACH_NLRI.
 * A session's batches of the usual shape are written by ../update-writer.ts in one pass instead, to
 * the same bytes as encodeUpdate gives (docs/adr/0006).
 */
import type { Cidr } from "../../../core/net/ip";
import { AttrType, decodeAttributes, encodeAttributes, type CodecContext, type PathAttributes } from "./attributes";
import { bgpError, ErrorCode, fail, ok, UpdateSubcode, type BgpError, type Decoded } from "./errors";
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, writeHeader } from "./header";
import { decodePrefixes, encodedPrefixesLength, encodePrefixes, writePrefixes } from "./prefix";

export interface UpdateMessage {
  readonly withdrawn: readonly Cidr[];
  readonly attributes: PathAttributes;
  readonly nlri: readonly Cidr[];
}

export interface DecodedUpdate {
  readonly update: UpdateMessage;
  /** Errors handled without a reset (RFC 7606): the session carries on. */
  readonly problems: readonly BgpError[];
  /**
   * True when a problem calls for treat-as-withdraw: every route the message announces (classic
   * and MP_REACH NLRI) must be handled as if it had been withdrawn.
   */
  readonly treatAsWithdraw: boolean;
}

/** Octets of an UPDATE before attributes and NLRI: header, withdrawn length, attribute length. */
export const UPDATE_FIXED_LENGTH = HEADER_LENGTH + 4;

export function encodeUpdateBody(u: UpdateMessage, ctx: CodecContext): Buffer {
  const withdrawn = encodePrefixes(u.withdrawn);
  const attrs = encodeAttributes(u.attributes, ctx);
  const nlri = encodePrefixes(u.nlri);
  const out = Buffer.alloc(4 + withdrawn.length + attrs.length + nlri.length);
  out.writeUInt16BE(withdrawn.length, 0);
  withdrawn.copy(out, 2);
  out.writeUInt16BE(attrs.length, 2 + withdrawn.length);
  attrs.copy(out, 4 + withdrawn.length);
  nlri.copy(out, 4 + withdrawn.length + attrs.length);
  return out;
}

/**
 * Encodes a whole UPDATE; throws RangeError if it would exceed 4096 octets (a caller bug). The
 * prefixes are written straight into the message (no intermediate buffers: a full table is
 * thousands of them).
 */
export function encodeUpdate(u: UpdateMessage, ctx: CodecContext): Buffer {
  const attrs = encodeAttributes(u.attributes, ctx);
  const withdrawnLength = encodedPrefixesLength(u.withdrawn);
  const total = HEADER_LENGTH + 4 + withdrawnLength + attrs.length + encodedPrefixesLength(u.nlri);
  if (total > MAX_MESSAGE_LENGTH) throw new RangeError(`UPDATE of ${total} octets exceeds ${MAX_MESSAGE_LENGTH}`);
  const out = Buffer.allocUnsafe(total);
  writeHeader(out, 0, total, MessageType.Update);
  out.writeUInt16BE(withdrawnLength, HEADER_LENGTH);
  const attrStart = writePrefixes(u.withdrawn, out, HEADER_LENGTH + 2) + 2;
  out.writeUInt16BE(attrs.length, attrStart - 2);
  attrs.copy(out, attrStart);
  // Every octet is written: marker, header, lengths, attributes, and each prefix's octets in full.
  writePrefixes(u.nlri, out, attrStart + attrs.length);
  return out;
}

/** The End-of-RIB marker (RFC 4724 2): an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(family: "IPv4" | "IPv6"): UpdateMessage {
  if (family === "IPv4") return { withdrawn: [], attributes: {}, nlri: [] };
  return { withdrawn: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } }, nlri: [] };
}

export function decodeUpdateBody(body: Buffer, ctx: CodecContext): Decoded<DecodedUpdate> {
  const malformedList = (message: string) => bgpError(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAttributeList, message);
  if (body.length < 4) return fail(malformedList("UPDATE body shorter than 4 octets"));
  const withdrawnLength = body.readUInt16BE(0);
  if (2 + withdrawnLength + 2 > body.length) return fail(malformedList(`withdrawn routes length ${withdrawnLength} overruns the message`));
  const withdrawn = decodePrefixes(body.subarray(2, 2 + withdrawnLength), "IPv4");
  if (!withdrawn.ok) return withdrawn;
  const attrStart = 4 + withdrawnLength;
  const attrLength = body.readUInt16BE(attrStart - 2);
  if (attrStart + attrLength > body.length) return fail(malformedList(`total path attribute length ${attrLength} overruns the message`));
  const decoded = decodeAttributes(body.subarray(attrStart, attrStart + attrLength), ctx);
  if (!decoded.ok) return decoded;
  const nlri = decodePrefixes(body.subarray(attrStart + attrLength), "IPv4");
  if (!nlri.ok) return nlri;

  const attributes = decoded.value.attributes;
  const problems = [...decoded.value.problems];
  // RFC 7606 3.d: a missing well-known mandatory attribute only matters when routes are announced.
  const mpAnnounces = (attributes.mpReach?.nlri.length ?? 0) > 0;
  const required: [number, string][] = [];
  if (nlri.value.length > 0 || mpAnnounces) required.push([AttrType.Origin, "ORIGIN"], [AttrType.AsPath, "AS_PATH"]);
  if (nlri.value.length > 0) required.push([AttrType.NextHop, "NEXT_HOP"]);
  for (const [type, name] of required) {
    if (!decoded.value.present.has(type)) {
      problems.push(bgpError(ErrorCode.UpdateMessage, UpdateSubcode.MissingWellKnownAttribute, `missing well-known attribute ${name}`, Buffer.from([type]), "treat-as-withdraw"));
    }
  }
  return ok({
    update: { withdrawn: withdrawn.value, attributes, nlri: nlri.value },
    problems,
    treatAsWithdraw: problems.some(p => p.action === "treat-as-withdraw"),
  });
}
