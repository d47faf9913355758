/**
 * Ethernet II framing and MAC address text. MACs travel through the core as lowercase
 * colon-separated text ("02:00:00:00:00:01"): easy to compare, print and put in test tables.
 */
import { drop, type Dropped } from "./drop";

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export const ETHERNET_HEADER_LENGTH = 14;
/** Smallest Ethernet frame without the FCS; shorter frames are padded with zeros up to it. */
export const ETHERNET_MIN_FRAME = 60;

export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC = "00:00:00:00:00:00";

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$|^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/;

/**
 * Normalises "02:00:00:AA:bb:01" or "02-00-00-aa-bb-01" (one separator throughout) to lowercase
 * colon form; undefined if not a MAC. The one MAC parser: the native addon's binding uses it too.
 */
export function parseMac(text: string): string | undefined {
  const lower = text.toLowerCase();
  return MAC_TEXT.test(lower) ? lower.replaceAll("-", ":") : undefined;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** MAC text (colon or dash separated, any case) to 6 bytes; throws on anything else (our own values only). */
export function macToBytes(mac: string): Buffer {
  // Hot path (every reply): a straight character scan instead of regex + split + parseInt.
  const out = Buffer.allocUnsafe(6);
  let ok = mac.length === 17;
  const separator = mac.charCodeAt(2);
  ok &&= separator === 58 || separator === 45;
  for (let i = 0; ok && i < 6; i++) {
    const hi = hexDigit(mac.charCodeAt(i * 3));
    const lo = hexDigit(mac.charCodeAt(i * 3 + 1));
    const sep = i < 5 ? mac.charCodeAt(i * 3 + 2) : separator;
    ok = hi >= 0 && lo >= 0 && sep === separator;
    out[i] = (hi << 4) | lo;
  }
  if (!ok) throw new Error(`not a MAC address: ${JSON.stringify(mac)}`);
  return out;
}

const hexByte = (bytes: Buffer, at: number): string => HEX_BYTE[bytes[at] ?? 0] ?? "00";

export function macFromBytes(bytes: Buffer, offset: number): string {
  // No closure over `bytes` here: tsx (esbuild keepNames) wraps every function created per call.
  return `${hexByte(bytes, offset)}:${hexByte(bytes, offset + 1)}:${hexByte(bytes, offset + 2)}:${hexByte(bytes, offset + 3)}:${hexByte(bytes, offset + 4)}:${hexByte(bytes, offset + 5)}`;
}

export interface EthernetFrame {
  readonly destination: string;
  readonly source: string;
  readonly etherType: number;
  /** A view into the received buffer (not a copy); may carry trailing padding. */
  readonly payload: Buffer;
}

export function decodeEthernet(frame: Buffer): EthernetFrame | Dropped {
  if (frame.length < ETHERNET_HEADER_LENGTH) return drop("ethernet-truncated");
  return {
    destination: macFromBytes(frame, 0),
    source: macFromBytes(frame, 6),
    etherType: frame.readUInt16BE(12),
    payload: frame.subarray(ETHERNET_HEADER_LENGTH),
  };
}

/** Builds a frame, padded with zeros to the 60-byte minimum so every driver sends the same bytes. */
export function encodeEthernet(destination: string, source: string, etherType: number, payload: Buffer): Buffer {
  const length = Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER_LENGTH + payload.length);
  const frame = Buffer.alloc(length);
  macToBytes(destination).copy(frame, 0);
  macToBytes(source).copy(frame, 6);
  frame.writeUInt16BE(etherType, 12);
  payload.copy(frame, ETHERNET_HEADER_LENGTH);
  return frame;
}
