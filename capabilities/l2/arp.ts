/**
 * ARP over Ethernet for IPv4 (RFC 826): decoding what arrives, encoding replies and the two
 * gratuitous forms sent on takeover (RFC 5227 section 3: a request and a reply, because some hosts
 * only update their cache from one of them).
 */
import { drop, type Dropped } from "./drop";
import { BROADCAST_MAC, decodeEthernet, encodeEthernet, ETHERTYPE_ARP, macFromBytes, macToBytes, ZERO_MAC } from "./ethernet";

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

function ipv4ToBytes(ip: string): Buffer {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some(p => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return Buffer.from(parts);
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
  ipv4ToBytes(f.senderIP).copy(p, 14);
  macToBytes(f.targetMac).copy(p, 18);
  ipv4ToBytes(f.targetIP).copy(p, 24);
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
