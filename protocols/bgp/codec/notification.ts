/** NOTIFICATION message body (RFC 4271 section 4.5): code, subcode, data. */
import { bgpError, ErrorCode, fail, HeaderSubcode, ok, type BgpError, type Decoded } from "./errors";

export interface NotificationMessage {
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

export const encodeNotificationBody = (n: NotificationMessage): Buffer => Buffer.concat([Buffer.from([n.code, n.subcode]), n.data]);

/** The NOTIFICATION that reports a decode error or a failed check to the peer. */
export const notificationFor = (e: BgpError): NotificationMessage => ({ code: e.code, subcode: e.subcode, data: e.data });

export function decodeNotificationBody(body: Buffer): Decoded<NotificationMessage> {
  if (body.length < 2) return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageLength, "NOTIFICATION body shorter than 2 octets"));
  return ok({ code: body[0] as number, subcode: body[1] as number, data: Buffer.from(body.subarray(2)) });
}
