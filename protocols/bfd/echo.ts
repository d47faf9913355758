/**
 * BFD echo packets (RFC 5880 6.4, RFC 5881 4) for single-hop IPv4 sessions: the frame we put on the
 * wire ourselves, addressed to our own IP address but to the peer's MAC, so that the peer's
 * forwarding plane (its kernel's IP forwarding) routes it straight back to us.
 *
 * The payload is ours alone (RFC 5880 6.4: "the payload of an Echo packet is a local matter"), 16
 * octets:
 *
 *   0      version 1          1  length 16        2..3   zero
 *   4..7   zero                                   8..11  our session's local discriminator
 *   12..15 sequence number (wraps)
 *
 * Octets 4..7 are zero on purpose: FRR's bfdd reads its own session's discriminator there from every
 * echo it receives, and ignores a zero one (bp_bfd_echo_in in bfdd/bfd_packet.c,
 * https://github.com/FRRouting/frr/blob/master/bfdd/bfd_packet.c), so it never counts our echoes
 * as its own.
 *
 * Decoding applies every check a frame from the wire needs (Ethernet type, IPv4 header and its
 * checksum, no fragment, UDP to port 3785 and its checksum, our payload) and answers with a named
 * reason instead of throwing.
 */

export const ECHO_PORT = 3785;
export const ECHO_VERSION = 1;
export const ECHO_PAYLOAD_LENGTH = 16;
const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
/** Length of the frame encodeEchoFrame builds (no padding: the IPv4 total length is exact). */
export const ECHO_FRAME_LENGTH = ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + ECHO_PAYLOAD_LENGTH;
/** IPTOS_PREC_INTERNETCONTROL, as FRR's bfdd marks its echo packets. */
const TOS_INTERNET_CONTROL = 0xc0;
const PROTOCOL_UDP = 17;
const ETHERTYPE_IPV4 = 0x0800;

export interface EchoPayload {
  readonly discriminator: number;
  readonly sequence: number;
}

export interface EchoFrameSpec {
  /** The peer's MAC: it routes the packet back. */
  readonly destinationMac: Buffer;
  /** Our interface's MAC. */
  readonly sourceMac: Buffer;
  /** Our own address: both source and destination of the IP packet. */
  readonly address: string;
  /** RFC 5881 4: 49152-65535. */
  readonly sourcePort: number;
  /** IPv4 identification field. */
  readonly ipId: number;
  readonly payload: EchoPayload;
}

export interface ReceivedEcho {
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
  readonly payload: EchoPayload;
}

export type EchoDropReason =
  | "short-frame"
  | "not-ipv4"
  | "bad-ip-header"
  | "bad-ip-checksum"
  | "fragment"
  | "not-udp"
  | "not-echo-port"
  | "bad-udp-length"
  | "bad-udp-checksum"
  | "not-our-echo";

export type DecodedEcho = { readonly ok: true; readonly echo: ReceivedEcho } | { readonly ok: false; readonly reason: EchoDropReason };

export function encodeEchoPayload(p: EchoPayload): Buffer {
  const b = Buffer.alloc(ECHO_PAYLOAD_LENGTH);
  b[0] = ECHO_VERSION;
  b[1] = ECHO_PAYLOAD_LENGTH;
  b.writeUInt32BE(p.discriminator >>> 0, 8);
  b.writeUInt32BE(p.sequence >>> 0, 12);
  return b;
}

/** Our payload, or undefined for anything else (another implementation's echo, garbage). */
export function decodeEchoPayload(b: Buffer): EchoPayload | undefined {
  if (b.length < ECHO_PAYLOAD_LENGTH || b[0] !== ECHO_VERSION || b[1] !== ECHO_PAYLOAD_LENGTH) return undefined;
  if (b.readUInt16BE(2) !== 0 || b.readUInt32BE(4) !== 0) return undefined;
  const discriminator = b.readUInt32BE(8);
  if (discriminator === 0) return undefined;
  return { discriminator, sequence: b.readUInt32BE(12) };
}

const ipv4Bytes = (text: string): Buffer => {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some(n => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return Buffer.from(parts);
};
const ipv4Text = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** One's-complement sum of 16-bit words (an odd last byte padded with zero), not yet folded. */
function sum16(b: Buffer, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += b.readUInt16BE(i);
  if (i < end) sum += (b[i] as number) << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The UDP checksum over the IPv4 pseudo-header (RFC 768) of the datagram at b[ip + 20 ..]. */
function udpChecksumSum(b: Buffer, ip: number, udpLength: number): number {
  const pseudo = sum16(b, ip + 12, ip + 20) + PROTOCOL_UDP + udpLength;
  return fold(sum16(b, ip + IPV4_HEADER, ip + IPV4_HEADER + udpLength, pseudo));
}

/** Ethernet + IPv4 (TTL 255, source = destination = `address`) + UDP to 3785 + our payload. */
export function encodeEchoFrame(s: EchoFrameSpec): Buffer {
  const b = Buffer.alloc(ECHO_FRAME_LENGTH);
  s.destinationMac.copy(b, 0, 0, 6);
  s.sourceMac.copy(b, 6, 0, 6);
  b.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = ETHERNET_HEADER;
  const address = ipv4Bytes(s.address);
  b[ip] = 0x45;
  b[ip + 1] = TOS_INTERNET_CONTROL;
  b.writeUInt16BE(IPV4_HEADER + UDP_HEADER + ECHO_PAYLOAD_LENGTH, ip + 2);
  b.writeUInt16BE(s.ipId & 0xffff, ip + 4);
  b[ip + 8] = 255; // RFC 5881 4 (and 5: GTSM on the way back, where the peer has taken one off)
  b[ip + 9] = PROTOCOL_UDP;
  address.copy(b, ip + 12);
  address.copy(b, ip + 16);
  b.writeUInt16BE(~fold(sum16(b, ip, ip + IPV4_HEADER)) & 0xffff, ip + 10);
  const udp = ip + IPV4_HEADER;
  const udpLength = UDP_HEADER + ECHO_PAYLOAD_LENGTH;
  b.writeUInt16BE(s.sourcePort, udp);
  b.writeUInt16BE(ECHO_PORT, udp + 2);
  b.writeUInt16BE(udpLength, udp + 4);
  encodeEchoPayload(s.payload).copy(b, udp + UDP_HEADER);
  const check = ~udpChecksumSum(b, ip, udpLength) & 0xffff;
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
  b.writeUInt16BE(check === 0 ? 0xffff : check, udp + 6);
  return b;
}

/** A received Ethernet frame, if it is one of our echoes; never throws. */
export function decodeEchoFrame(frame: Buffer): DecodedEcho {
  const drop = (reason: EchoDropReason): DecodedEcho => ({ ok: false, reason });
  if (frame.length < ETHERNET_HEADER + IPV4_HEADER) return drop("short-frame");
  if (frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return drop("not-ipv4");
  const ip = ETHERNET_HEADER;
  const b0 = frame[ip] as number;
  const headerLength = (b0 & 0x0f) * 4;
  const totalLength = frame.readUInt16BE(ip + 2);
  if (b0 >> 4 !== 4 || headerLength < IPV4_HEADER || totalLength < headerLength || ip + totalLength > frame.length) return drop("bad-ip-header");
  if (fold(sum16(frame, ip, ip + headerLength)) !== 0xffff) return drop("bad-ip-checksum");
  // More-fragments set or a fragment offset: our echoes are never fragmented.
  if ((frame.readUInt16BE(ip + 6) & 0x3fff) !== 0) return drop("fragment");
  if (frame[ip + 9] !== PROTOCOL_UDP) return drop("not-udp");
  const udp = ip + headerLength;
  if (totalLength - headerLength < UDP_HEADER) return drop("bad-udp-length");
  if (frame.readUInt16BE(udp + 2) !== ECHO_PORT) return drop("not-echo-port");
  const udpLength = frame.readUInt16BE(udp + 4);
  if (udpLength < UDP_HEADER || udpLength > totalLength - headerLength) return drop("bad-udp-length");
  if (frame.readUInt16BE(udp + 6) !== 0) {
    const pseudo = sum16(frame, ip + 12, ip + 20) + PROTOCOL_UDP + udpLength;
    if (fold(sum16(frame, udp, udp + udpLength, pseudo)) !== 0xffff) return drop("bad-udp-checksum");
  }
  const payload = decodeEchoPayload(frame.subarray(udp + UDP_HEADER, udp + udpLength));
  if (!payload) return drop("not-our-echo");
  return {
    ok: true,
    echo: { source: ipv4Text(frame, ip + 12), destination: ipv4Text(frame, ip + 16), ttl: frame[ip + 8] as number, payload },
  };
}
