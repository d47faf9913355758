/**
 * NLRI prefixes (RFC 4271 section 4.3, RFC 4760 section 5): a length in bits, then just enough
 * octets to hold that many bits. Used by classic NLRI, withdrawn routes and MP_(UN)REACH_NLRI.
 */
import type { Cidr, IPAddress, IPFamily } from "../../../core/net/ip";
import { familyBits, hostMask } from "../../../core/net/ip";
import { bgpError, fail, ok, UpdateSubcode, ErrorCode, type Decoded } from "./errors";

export const prefixByteLength = (prefix: number): number => 1 + Math.ceil(prefix / 8);

/** Octets one prefix takes on the wire. */
export const encodedPrefixLength = (cidr: Cidr): number => prefixByteLength(cidr.prefix);

export function encodePrefix(cidr: Cidr, out: Buffer, offset: number): number {
  const octets = (cidr.prefix + 7) >> 3;
  out[offset] = cidr.prefix;
  if (cidr.family === "IPv4") {
    // One BigInt conversion per prefix instead of one shift per octet: the packer's hot path.
    return writeIPv4Prefix(out, offset, Number(cidr.base), cidr.prefix);
  } else {
    for (let i = 0; i < octets; i++) out[offset + 1 + i] = Number((cidr.base >> BigInt(120 - 8 * i)) & 0xffn);
  }
  return offset + 1 + octets;
}

/** An IPv4 prefix given as numbers (address as an unsigned or signed 32-bit value) at `offset`; returns the offset after it. */
export function writeIPv4Prefix(out: Buffer, offset: number, address: number, length: number): number {
  const octets = (length + 7) >> 3;
  out[offset] = length;
  if (octets === 4) {
    // A host route, the usual case: no loop.
    out[offset + 1] = address >>> 24;
    out[offset + 2] = (address >>> 16) & 0xff;
    out[offset + 3] = (address >>> 8) & 0xff;
    out[offset + 4] = address & 0xff;
    return offset + 5;
  }
  for (let i = 0; i < octets; i++) out[offset + 1 + i] = (address >>> (24 - 8 * i)) & 0xff;
  return offset + 1 + octets;
}

/** Octets a run of prefixes takes on the wire. */
export function encodedPrefixesLength(prefixes: readonly Cidr[]): number {
  let n = 0;
  for (let i = 0; i < prefixes.length; i++) n += 1 + (((prefixes[i] as Cidr).prefix + 7) >> 3);
  return n;
}

/** Writes a run of prefixes at `offset` (the caller sized `out` with encodedPrefixesLength); returns the offset after them. */
export function writePrefixes(prefixes: readonly Cidr[], out: Buffer, offset: number): number {
  let at = offset;
  for (let i = 0; i < prefixes.length; i++) at = encodePrefix(prefixes[i] as Cidr, out, at);
  return at;
}

export function encodePrefixes(prefixes: readonly Cidr[]): Buffer {
  const out = Buffer.alloc(encodedPrefixesLength(prefixes));
  writePrefixes(prefixes, out, 0);
  return out;
}

/**
 * Decodes a run of prefixes filling `buf` exactly. Any fault (a length beyond the family's width,
 * a prefix cut short) makes the whole field unparseable, which RFC 7606 section 5.3 answers
 * with a session reset.
 */
export function decodePrefixes(buf: Buffer, family: IPFamily): Decoded<Cidr[]> {
  const bits = familyBits(family);
  const out: Cidr[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const length = buf[offset] as number;
    if (length > bits) return fail(invalidNetworkField(`${family} prefix length ${length} exceeds ${bits}`));
    const octets = Math.ceil(length / 8);
    if (offset + 1 + octets > buf.length) return fail(invalidNetworkField(`${family} prefix of length ${length} truncated`));
    let base: bigint;
    if (bits === 32) {
      // IPv4 in plain numbers, one BigInt per prefix (the receive hot path).
      let v = 0;
      for (let i = 0; i < 4; i++) v = v * 256 + (i < octets ? (buf[offset + 1 + i] as number) : 0);
      // Trailing bits past the length are not part of the prefix (RFC 4271 4.3): clear them.
      const hostBits = 32 - length;
      base = BigInt(hostBits === 32 ? 0 : v - (v % 2 ** hostBits));
    } else {
      base = 0n;
      for (let i = 0; i < octets; i++) base = (base << 8n) | BigInt(buf[offset + 1 + i] as number);
      base <<= BigInt(bits - 8 * octets);
      base &= ~hostMask(family, length);
    }
    out.push({ family, base, prefix: length });
    offset += 1 + octets;
  }
  return ok(out);
}

const invalidNetworkField = (message: string) => bgpError(ErrorCode.UpdateMessage, UpdateSubcode.InvalidNetworkField, message);

/** Address bytes of an IP, 4 or 16 octets. */
export function addressBytes(ip: IPAddress): Buffer {
  const octets = familyBits(ip.family) / 8;
  const out = Buffer.alloc(octets);
  for (let i = 0; i < octets; i++) out[i] = Number((ip.value >> BigInt(8 * (octets - 1 - i))) & 0xffn);
  return out;
}

export function addressFromBytes(buf: Buffer): IPAddress {
  let value = 0n;
  for (const b of buf) value = (value << 8n) | BigInt(b);
  return { family: buf.length === 4 ? "IPv4" : "IPv6", value };
}
