/** ROUTE-REFRESH message body (RFC 2918 section 3): AFI, reserved (RFC 7313 subtype), SAFI. */
import { bgpError, ErrorCode, fail, ok, RouteRefreshSubcode, type Decoded } from "./errors";
import { encodeMessage, MessageType } from "./header";

export interface RouteRefreshMessage {
  readonly afi: number;
  /** Zero in RFC 2918; RFC 7313 uses it for the enhanced route refresh subtype. */
  readonly subtype: number;
  readonly safi: number;
}

export function encodeRouteRefreshBody(r: RouteRefreshMessage): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(r.afi, 0);
  b[2] = r.subtype;
  b[3] = r.safi;
  return b;
}

export const encodeRouteRefresh = (r: RouteRefreshMessage): Buffer => encodeMessage(MessageType.RouteRefresh, encodeRouteRefreshBody(r));

export function decodeRouteRefreshBody(body: Buffer): Decoded<RouteRefreshMessage> {
  if (body.length !== 4) {
    // RFC 7313 5: the data is the whole offending message.
    return fail(bgpError(ErrorCode.RouteRefreshMessage, RouteRefreshSubcode.InvalidMessageLength, `ROUTE-REFRESH body of ${body.length} octets, want 4`, Buffer.from(body)));
  }
  return ok({ afi: body.readUInt16BE(0), subtype: body[2] as number, safi: body[3] as number });
}
