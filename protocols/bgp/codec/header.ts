/**
 * The 19-octet BGP message header (RFC 4271 section 4.1): 16 octets of 0xff, a 2-octet total
 * length (19..4096), a 1-octet type.
 */
import { bgpError, ErrorCode, fail, HeaderSubcode, ok, type Decoded } from "./errors";

export const HEADER_LENGTH = 19;
export const MAX_MESSAGE_LENGTH = 4096;

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** Smallest legal total length per type (RFC 4271 4.2-4.5, RFC 2918 3). */
const minimumLength: Record<MessageTypeCode, number> = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 23 };

export interface Header {
  readonly length: number;
  readonly type: MessageTypeCode;
}

/** Writes the header of a message of `length` octets (header included) at `offset`. */
export function writeHeader(out: Buffer, offset: number, length: number, type: MessageTypeCode): void {
  out.fill(0xff, offset, offset + 16); // the marker
  out.writeUInt16BE(length, offset + 16);
  out[offset + 18] = type;
}

/** Prepends a header to a message body. */
export function encodeMessage(type: MessageTypeCode, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  writeHeader(out, 0, out.length, type);
  body.copy(out, HEADER_LENGTH);
  return out;
}

/**
 * Checks the header at the start of `buf` (which holds at least 19 octets). The length is
 * checked against the type's bounds here so a framer can trust it before the body arrives.
 */
export function decodeHeader(buf: Buffer): Decoded<Header> {
  if (buf.length < HEADER_LENGTH) {
    return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageLength, `header needs 19 octets, got ${buf.length}`, lengthData(buf.length)));
  }
  for (let i = 0; i < 16; i++) {
    if (buf[i] !== 0xff) return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.ConnectionNotSynchronized, "marker is not all ones"));
  }
  const length = buf.readUInt16BE(16);
  const type = buf[18] as number;
  if (!isMessageType(type)) {
    return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageType, `unknown message type ${type}`, Buffer.from([type])));
  }
  const min = minimumLength[type];
  if (length < min || length > MAX_MESSAGE_LENGTH || (type === MessageType.Keepalive && length !== HEADER_LENGTH)) {
    return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageLength, `bad length ${length} for message type ${type}`, lengthData(length)));
  }
  return ok({ length, type });
}

const isMessageType = (t: number): t is MessageTypeCode => t >= 1 && t <= 5;

const lengthData = (length: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Math.min(length, 0xffff));
  return b;
};
