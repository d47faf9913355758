/**
 * ARP over Ethernet for IPv4 (RFC 826): decoding what arrives, encoding replies and the two
 * gratuitous forms sent on takeover (RFC 5227 section 3: a request and a reply, because some hosts
 * only update their cache from one of them).
 */
import { drop, type Dropped, type IgnoreReason, type MalformedReason } from "./drop";
import { BROADCAST_MAC, decodeEthernet, encodeEthernet, ETHERNET_HEADER_LENGTH, ETHERNET_MIN_FRAME, ETHERTYPE_ARP, macFromBytes, macToBytes, ZERO_MAC } from "./ethernet";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_HTYPE_ETHERNET = 1;
const ARP_LENGTH = 28;

export interface ArpPacket {
  /** Ethernet header addresses of the frame that carried the packet. */
  readonly ethernetDestination: string;
  readonly ethernetSource: string;
  readonly operation: typeof ARP_REQUEST | typeof ARP_REPLY;
  readonly senderMac: string;
  readonly senderIP: string;
  readonly targetMac: string;
  readonly targetIP: string;
}

const ipv4FromBytes = (b: Buffer, offset: number): string =>
  `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;

/** A 32-bit address (as read with readUInt32BE) as dotted-quad text. */
export const ipv4FromNumber = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/**
 * Dotted-quad text to the 32-bit number readUInt32BE gives for its bytes; undefined for anything else
 * (leading zeros included, which some parsers read as octal). A character scan: the benchmark's client
 * encodes a request per send with it.
 */
export function ipv4ToNumber(ip: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + part;
}

function writeIPv4(ip: string, target: Buffer, offset: number): void {
  const n = ipv4ToNumber(ip);
  if (n === undefined) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  target.writeUInt32BE(n, offset);
}

/** Decodes an ARP-over-Ethernet frame. Frames of another EtherType are the caller's to route. */
export function decodeArpFrame(frame: Buffer): ArpPacket | Dropped {
  const eth = decodeEthernet(frame);
  if ("kind" in eth) return eth;
  const p = eth.payload;
  // Trailing bytes are Ethernet padding (frames under 60 bytes are padded), so only a minimum applies.
  if (p.length < ARP_LENGTH) return drop("arp-truncated");
  if (p.readUInt16BE(0) !== ARP_HTYPE_ETHERNET || p[4] !== 6) return drop("arp-unsupported-hardware");
  if (p.readUInt16BE(2) !== 0x0800 || p[5] !== 4) return drop("arp-unsupported-protocol");
  const operation = p.readUInt16BE(6);
  if (operation !== ARP_REQUEST && operation !== ARP_REPLY) return drop("arp-bad-operation");
  return {
    ethernetDestination: eth.destination,
    ethernetSource: eth.source,
    operation,
    senderMac: macFromBytes(p, 8),
    senderIP: ipv4FromBytes(p, 14),
    targetMac: macFromBytes(p, 18),
    targetIP: ipv4FromBytes(p, 24),
  };
}

export interface ArpFields {
  ethernetDestination: string;
  ethernetSource: string;
  operation: typeof ARP_REQUEST | typeof ARP_REPLY;
  senderMac: string;
  senderIP: string;
  targetMac: string;
  targetIP: string;
}

export function encodeArpFrame(f: ArpFields): Buffer {
  const p = Buffer.alloc(ARP_LENGTH);
  p.writeUInt16BE(ARP_HTYPE_ETHERNET, 0);
  p.writeUInt16BE(0x0800, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(f.operation, 6);
  macToBytes(f.senderMac).copy(p, 8);
  writeIPv4(f.senderIP, p, 14);
  macToBytes(f.targetMac).copy(p, 18);
  writeIPv4(f.targetIP, p, 24);
  return encodeEthernet(f.ethernetDestination, f.ethernetSource, ETHERTYPE_ARP, p);
}

/** The reply to `request`, telling its sender that `ourMac` has the requested address. */
export function encodeArpReply(request: ArpPacket, ourMac: string): Buffer {
  return encodeArpFrame({
    ethernetDestination: request.senderMac,
    ethernetSource: ourMac,
    operation: ARP_REPLY,
    senderMac: ourMac,
    senderIP: request.targetIP,
    targetMac: request.senderMac,
    targetIP: request.senderIP,
  });
}

/** Gratuitous request: broadcast "who has ip? tell ip", sender and target protocol address both the VIP. */
export function encodeGratuitousArpRequest(ip: string, ourMac: string): Buffer {
  return encodeArpFrame({
    ethernetDestination: BROADCAST_MAC,
    ethernetSource: ourMac,
    operation: ARP_REQUEST,
    senderMac: ourMac,
    senderIP: ip,
    targetMac: ZERO_MAC,
    targetIP: ip,
  });
}

/** Gratuitous reply: broadcast "ip is at ourMac", target hardware address broadcast. */
export function encodeGratuitousArpReply(ip: string, ourMac: string): Buffer {
  return encodeArpFrame({
    ethernetDestination: BROADCAST_MAC,
    ethernetSource: ourMac,
    operation: ARP_REPLY,
    senderMac: ourMac,
    senderIP: ip,
    targetMac: BROADCAST_MAC,
    targetIP: ip,
  });
}

/* ---------------------------------------------------------------------------------------------- */
/* The per-frame path: bytes in, bytes out, no text and no allocation.                             */

/**
 * Where the fields of ARP over Ethernet (no VLAN tag) sit in the frame. Module-local copies: under tsx
 * an imported binding is a getter call on every use.
 */
const AT_ARP = ETHERNET_HEADER_LENGTH;
const AT_OPERATION = ETHERNET_HEADER_LENGTH + 6;
const AT_SENDER_MAC = ETHERNET_HEADER_LENGTH + 8;
const AT_SENDER_IP = ETHERNET_HEADER_LENGTH + 14;
const AT_TARGET_MAC = ETHERNET_HEADER_LENGTH + 18;
/** The requested address: `frame.readUInt32BE(ARP_TARGET_IP_OFFSET)` once checkArpRequest passed. */
export const ARP_TARGET_IP_OFFSET = ETHERNET_HEADER_LENGTH + 24;

/** A MAC as two numbers (first four bytes, last two), so a frame's MAC is compared in two reads. */
export interface MacWords {
  readonly high: number;
  readonly low: number;
}

export const macWords = (mac: Buffer): MacWords => ({ high: mac.readUInt32BE(0), low: mac.readUInt16BE(4) });

/**
 * Whether an ARP frame (the caller has seen EtherType 0x0806) asks a question this host may answer:
 * undefined when it is a request, sent to broadcast or to `ourMac`, that is not another host's
 * gratuitous announcement; otherwise the reason it is dropped (malformed) or ignored. Refuses exactly
 * what decodeArpFrame and the responder's checks refuse, in the same order (see the spec's property).
 */
export function checkArpRequest(frame: Buffer, ourMac: MacWords): MalformedReason | IgnoreReason | undefined {
  if (frame.length < AT_ARP) return "ethernet-truncated";
  // Trailing bytes are Ethernet padding, so only a minimum length applies.
  if (frame.length < AT_ARP + ARP_LENGTH) return "arp-truncated";
  if (frame.readUInt16BE(AT_ARP) !== ARP_HTYPE_ETHERNET || frame[AT_ARP + 4] !== 6) return "arp-unsupported-hardware";
  if (frame.readUInt16BE(AT_ARP + 2) !== 0x0800 || frame[AT_ARP + 5] !== 4) return "arp-unsupported-protocol";
  const operation = frame.readUInt16BE(AT_OPERATION);
  if (operation === ARP_REPLY) return "arp-reply";
  if (operation !== ARP_REQUEST) return "arp-bad-operation";
  const high = frame.readUInt32BE(0);
  const low = frame.readUInt16BE(4);
  const broadcast = high === 0xffff_ffff && low === 0xffff;
  if (!broadcast && (high !== ourMac.high || low !== ourMac.low)) return "arp-not-for-us";
  // Another host announcing an address (sender IP = target IP) asks no question.
  if (frame.readUInt32BE(AT_SENDER_IP) === frame.readUInt32BE(ARP_TARGET_IP_OFFSET)) return "arp-gratuitous";
  return undefined;
}

/**
 * The reply for one (interface MAC, IP) pair, built once: everything but the requester's MAC and
 * address is fixed, so answering a request copies 10 bytes into this frame and sends it. The frame is
 * reused: it is valid until the next fill (the send copies it into the kernel at once).
 */
export class ArpReplyTemplate {
  readonly frame: Buffer;

  constructor(ip: number, ourMac: Buffer) {
    const frame = Buffer.alloc(ETHERNET_MIN_FRAME);
    ourMac.copy(frame, 6);
    frame.writeUInt16BE(ETHERTYPE_ARP, 12);
    frame.writeUInt16BE(ARP_HTYPE_ETHERNET, ETHERNET_HEADER_LENGTH);
    frame.writeUInt16BE(0x0800, ETHERNET_HEADER_LENGTH + 2);
    frame[ETHERNET_HEADER_LENGTH + 4] = 6;
    frame[ETHERNET_HEADER_LENGTH + 5] = 4;
    frame.writeUInt16BE(ARP_REPLY, AT_OPERATION);
    ourMac.copy(frame, AT_SENDER_MAC);
    frame.writeUInt32BE(ip >>> 0, AT_SENDER_IP);
    this.frame = frame;
  }

  /** The reply to `request` (checked by checkArpRequest): to the requester's MAC, about its address. */
  fill(request: Buffer): Buffer {
    const f = this.frame;
    // Byte assignments: for ten bytes they beat Buffer.copy's native call by a wide margin.
    for (let i = 0; i < 6; i++) {
      const b = request[AT_SENDER_MAC + i] ?? 0;
      f[i] = b;
      f[AT_TARGET_MAC + i] = b;
    }
    f.writeUInt32BE(request.readUInt32BE(AT_SENDER_IP), ARP_TARGET_IP_OFFSET);
    return f;
  }
}
