/**
 * Whole BGP messages: one tagged union over the five types, with a decoder that checks the header
 * and dispatches on the type, and the matching encoder. KEEPALIVE is just a header.
 */
import type { CodecContext } from "./attributes";
import { bgpError, ErrorCode, fail, HeaderSubcode, ok, type BgpError, type Decoded } from "./errors";
import { decodeHeader, encodeMessage, HEADER_LENGTH, MessageType } from "./header";
import { decodeNotificationBody, encodeNotificationBody, type NotificationMessage } from "./notification";
import { decodeOpenBody, encodeOpenBody, type OpenMessage } from "./open";
import { decodeRouteRefreshBody, encodeRouteRefreshBody, type RouteRefreshMessage } from "./route-refresh";
import { decodeUpdateBody, encodeUpdateBody, type UpdateMessage } from "./update";

export type BgpMessage =
  | { readonly type: "open"; readonly open: OpenMessage }
  | { readonly type: "update"; readonly update: UpdateMessage }
  | { readonly type: "notification"; readonly notification: NotificationMessage }
  | { readonly type: "keepalive" }
  | { readonly type: "route-refresh"; readonly routeRefresh: RouteRefreshMessage };

/** A decoded message; UPDATEs also carry the RFC 7606 problems that did not reset the session. */
export type ReceivedMessage = BgpMessage & { readonly problems?: readonly BgpError[]; readonly treatAsWithdraw?: boolean };

export const KEEPALIVE: Buffer = encodeMessage(MessageType.Keepalive, Buffer.alloc(0));

export function encodeBgpMessage(m: BgpMessage, ctx: CodecContext): Buffer {
  switch (m.type) {
    case "open":
      return encodeMessage(MessageType.Open, encodeOpenBody(m.open));
    case "update":
      return encodeMessage(MessageType.Update, encodeUpdateBody(m.update, ctx));
    case "notification":
      return encodeMessage(MessageType.Notification, encodeNotificationBody(m.notification));
    case "keepalive":
      return KEEPALIVE;
    case "route-refresh":
      return encodeMessage(MessageType.RouteRefresh, encodeRouteRefreshBody(m.routeRefresh));
  }
}

/** Decodes exactly one message occupying all of `buf`. Never throws. */
export function decodeBgpMessage(buf: Buffer, ctx: CodecContext): Decoded<ReceivedMessage> {
  const header = decodeHeader(buf);
  if (!header.ok) return header;
  if (header.value.length !== buf.length) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(header.value.length);
    return fail(bgpError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageLength, `header says ${header.value.length} octets, message has ${buf.length}`, data));
  }
  const body = buf.subarray(HEADER_LENGTH);
  switch (header.value.type) {
    case MessageType.Open: {
      const open = decodeOpenBody(body);
      return open.ok ? ok({ type: "open", open: open.value }) : open;
    }
    case MessageType.Update: {
      const u = decodeUpdateBody(body, ctx);
      return u.ok ? ok({ type: "update", update: u.value.update, problems: u.value.problems, treatAsWithdraw: u.value.treatAsWithdraw }) : u;
    }
    case MessageType.Notification: {
      const n = decodeNotificationBody(body);
      return n.ok ? ok({ type: "notification", notification: n.value }) : n;
    }
    case MessageType.Keepalive:
      return ok({ type: "keepalive" });
    case MessageType.RouteRefresh: {
      const r = decodeRouteRefreshBody(body);
      return r.ok ? ok({ type: "route-refresh", routeRefresh: r.value }) : r;
    }
  }
}
