/**
 * MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 section 3-4) for IPv4 and IPv6 unicast,
 * with RFC 8950's IPv4 routes through an IPv6 next hop (16 octets, or 32: global then link-local)
 * where the session negotiated the extended next hop capability.
 * Any other AFI/SAFI is reported as unsupported so the caller can ignore the attribute (we never
 * advertise those families, so a peer should not send them).
 */
import type { Cidr, IPAddress, IPFamily } from "../../../core/net/ip";
import { Afi, Safi } from "./capabilities";
import { bgpError, ErrorCode, fail, ok, UpdateSubcode, type Decoded } from "./errors";
import { addressBytes, addressFromBytes, decodePrefixes, encodePrefixes } from "./prefix";

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** One address, or for an IPv6 next hop a global address followed by a link-local one (RFC 2545, RFC 8950 3). */
  readonly nextHops: readonly IPAddress[];
  readonly nlri: readonly Cidr[];
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Cidr[];
}

export const afiOf = (family: IPFamily): number => (family === "IPv4" ? Afi.IPv4 : Afi.IPv6);

/** The address family whose prefixes an AFI/SAFI pair carries, when we support it. */
export function familyOf(afi: number, safi: number): IPFamily | undefined {
  if (safi !== Safi.Unicast) return undefined;
  return afi === Afi.IPv4 ? "IPv4" : afi === Afi.IPv6 ? "IPv6" : undefined;
}

export function encodeMpReachValue(mp: MpReach): Buffer {
  const nextHop = Buffer.concat(mp.nextHops.map(addressBytes));
  const head = Buffer.alloc(4);
  head.writeUInt16BE(mp.afi, 0);
  head[2] = mp.safi;
  head[3] = nextHop.length;
  // The octet after the next hop is reserved (was the SNPA count) and must be zero.
  return Buffer.concat([head, nextHop, Buffer.from([0]), encodePrefixes(mp.nlri)]);
}

export function encodeMpUnreachValue(mp: MpUnreach): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(mp.afi, 0);
  head[2] = mp.safi;
  return Buffer.concat([head, encodePrefixes(mp.withdrawn)]);
}

/**
 * `undefined` value: a well-formed attribute for a family we do not handle. `extendedNextHop`: the
 * session negotiated RFC 8950 for IPv4 unicast, so an IPv4 route may come with an IPv6 next hop.
 */
export function decodeMpReachValue(v: Buffer, raw: Buffer, extendedNextHop = false): Decoded<MpReach | undefined> {
  if (v.length < 5) return fail(malformed("MP_REACH_NLRI too short", raw));
  const afi = v.readUInt16BE(0);
  const safi = v[2] as number;
  const nhLength = v[3] as number;
  if (5 + nhLength > v.length) return fail(malformed(`MP_REACH_NLRI next hop length ${nhLength} overruns the attribute`, raw));
  const family = familyOf(afi, safi);
  if (family === undefined) return ok(undefined);
  const nh = v.subarray(4, 4 + nhLength);
  let nextHops: IPAddress[];
  if (family === "IPv4" && nhLength !== 4 && !extendedNextHop && (nhLength === 16 || nhLength === 32)) {
    // RFC 8950 4: without the capability an IPv6 next hop for IPv4 routes was never agreed; RFC 7606 7.11.
    return fail(malformed(`MP_REACH_NLRI next hop length ${nhLength} for IPv4 without the extended next hop capability (RFC 8950)`, raw));
  }
  if (nhLength === 4 && family === "IPv4") nextHops = [addressFromBytes(nh)];
  else if (nhLength === 16) nextHops = [addressFromBytes(nh)];
  else if (nhLength === 32) nextHops = [addressFromBytes(nh.subarray(0, 16)), addressFromBytes(nh.subarray(16))];
  else return fail(malformed(`MP_REACH_NLRI next hop length ${nhLength} is invalid for ${family}`, raw));
  const nlri = decodePrefixes(v.subarray(5 + nhLength), family);
  if (!nlri.ok) return nlri;
  return ok({ afi, safi, nextHops, nlri: nlri.value });
}

export function decodeMpUnreachValue(v: Buffer, raw: Buffer): Decoded<MpUnreach | undefined> {
  if (v.length < 3) return fail(malformed("MP_UNREACH_NLRI too short", raw));
  const afi = v.readUInt16BE(0);
  const safi = v[2] as number;
  const family = familyOf(afi, safi);
  if (family === undefined) return ok(undefined);
  const withdrawn = decodePrefixes(v.subarray(3), family);
  if (!withdrawn.ok) return withdrawn;
  return ok({ afi, safi, withdrawn: withdrawn.value });
}

// RFC 7606 7.11: the NLRI of an unparseable MP attribute cannot be found, so the session resets.
const malformed = (message: string, raw: Buffer) => bgpError(ErrorCode.UpdateMessage, UpdateSubcode.OptionalAttributeError, message, raw);
