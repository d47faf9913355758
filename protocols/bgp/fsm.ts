/**
 * The BGP finite state machine (RFC 4271 section 8) as a pure function: (state, event) ->
 * (state, actions). It never touches a socket or a timer; the session performs the actions
 * and feeds back what happens. We only open connections (as MetalLB does), so there is no
 * collision detection.
 *
 * Reconnection follows MetalLB: after a failure the next attempt waits 1 s, doubling up to
 * 2 minutes, reset once a session reaches Established; a configured connect time replaces the
 * backoff with a fixed delay. The wait runs on the connect-retry timer, also in Idle (where
 * RFC 4271 would use its IdleHoldTimer before an automatic start).
 */
import { CeaseSubcode, ErrorCode, FsmSubcode, type BgpError } from "./codec/errors";
import type { BgpMessage } from "./codec/message";
import type { NotificationMessage } from "./codec/notification";
import { notificationFor } from "./codec/notification";
import type { OpenMessage } from "./codec/open";
import type { RouteRefreshMessage } from "./codec/route-refresh";
import type { UpdateMessage } from "./codec/update";
import { buildOpen, checkPeerOpen, negotiate, type Negotiated, type PeerSettings } from "./open-checks";

export type StateName = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";
export type TimerName = "connectRetry" | "hold" | "keepalive";

export const INITIAL_RETRY_S = 1;
export const MAX_RETRY_S = 120;
/** How long a TCP connection attempt may take before we give up and wait to retry. */
export const CONNECT_TIMEOUT_S = 30;
/** RFC 4271 8: the hold timer while waiting for the peer's OPEN ("4 minutes is suggested"). */
export const LARGE_HOLD_S = 240;

export interface FsmState {
  readonly name: StateName;
  /** Between ManualStart and ManualStop: failures lead to a new attempt. */
  readonly started: boolean;
  /** The wait before the next connection attempt. */
  readonly retryDelayS: number;
  readonly negotiated?: Negotiated;
}

export const initialState: FsmState = { name: "Idle", started: false, retryDelayS: INITIAL_RETRY_S };

export type FsmEvent =
  | { readonly type: "ManualStart" }
  | { readonly type: "ManualStop" }
  | { readonly type: "ConnectRetryTimerExpires" }
  | { readonly type: "HoldTimerExpires" }
  | { readonly type: "KeepaliveTimerExpires" }
  | { readonly type: "TcpConnectionConfirmed" }
  | { readonly type: "TcpConnectionFails" }
  | { readonly type: "BGPOpen"; readonly open: OpenMessage }
  | { readonly type: "KeepAliveMsg" }
  | { readonly type: "UpdateMsg"; readonly update: UpdateMessage; readonly treatAsWithdraw: boolean }
  | { readonly type: "RouteRefreshMsg"; readonly routeRefresh: RouteRefreshMessage }
  | { readonly type: "NotifMsg"; readonly notification: NotificationMessage }
  /** A received message that could not be decoded, or whose error calls for a session reset. */
  | { readonly type: "DecodeError"; readonly error: BgpError };

export type FsmAction =
  | { readonly type: "connect" }
  | { readonly type: "disconnect" }
  | { readonly type: "send"; readonly message: BgpMessage }
  | { readonly type: "start-timer"; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: "stop-timer"; readonly timer: TimerName }
  | { readonly type: "state"; readonly from: StateName; readonly to: StateName }
  | { readonly type: "established"; readonly negotiated: Negotiated }
  | { readonly type: "update"; readonly update: UpdateMessage; readonly treatAsWithdraw: boolean }
  | { readonly type: "route-refresh"; readonly routeRefresh: RouteRefreshMessage }
  /** Why the session went down, for logs and status: what we sent or what the peer sent. */
  | { readonly type: "down"; readonly reason: string; readonly notification?: NotificationMessage; readonly sent?: boolean };

export interface Step {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

const connected = (s: StateName) => s === "OpenSent" || s === "OpenConfirm" || s === "Established";

export function step(state: FsmState, event: FsmEvent, settings: PeerSettings): Step {
  const actions: FsmAction[] = [];
  let next: FsmState = state;
  const go = (name: StateName, patch: Partial<FsmState> = {}) => {
    if (name !== next.name) actions.push({ type: "state", from: next.name, to: name });
    next = { ...next, ...patch, name };
  };
  const nextDelay = (d: number) => (settings.connectTimeS ? settings.connectTimeS : Math.min(d * 2, MAX_RETRY_S));
  const firstDelay = () => settings.connectTimeS ?? INITIAL_RETRY_S;
  /** Closes the connection and, if still started, schedules the next attempt. */
  const drop = (to: "Idle" | "Active", reason: string, notification?: NotificationMessage, sent?: boolean) => {
    if (sent && notification) actions.push({ type: "send", message: { type: "notification", notification } });
    actions.push({ type: "stop-timer", timer: "hold" }, { type: "stop-timer", timer: "keepalive" }, { type: "disconnect" });
    if (connected(next.name)) actions.push({ type: "down", reason, ...(notification ? { notification, sent: sent ?? false } : {}) });
    if (next.started) actions.push({ type: "start-timer", timer: "connectRetry", seconds: next.retryDelayS });
    go(to, { retryDelayS: nextDelay(next.retryDelayS), negotiated: undefined });
  };
  const fail = (error: BgpError) => drop("Idle", error.message, notificationFor(error), true);
  const fsmError = (subcode: number, what: string) =>
    fail({ code: ErrorCode.FiniteStateMachine, subcode, data: Buffer.alloc(0), action: "session-reset", message: `unexpected ${what} in ${next.name}` });
  const connect = () => {
    actions.push({ type: "connect" }, { type: "start-timer", timer: "connectRetry", seconds: CONNECT_TIMEOUT_S });
    go("Connect");
  };

  if (event.type === "ManualStart") {
    if (state.name === "Idle" && !state.started) {
      next = { ...next, started: true, retryDelayS: firstDelay() };
      connect();
    }
    return { state: next, actions };
  }
  if (event.type === "ManualStop") {
    if (connected(state.name)) {
      const notification = { code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown, data: Buffer.alloc(0) };
      actions.push({ type: "send", message: { type: "notification", notification } }, { type: "down", reason: "administrative shutdown", notification, sent: true });
    }
    if (state.name !== "Idle") actions.push({ type: "disconnect" });
    actions.push({ type: "stop-timer", timer: "connectRetry" }, { type: "stop-timer", timer: "hold" }, { type: "stop-timer", timer: "keepalive" });
    go("Idle", { started: false, retryDelayS: INITIAL_RETRY_S, negotiated: undefined });
    return { state: next, actions };
  }

  switch (state.name) {
    case "Idle":
      if (event.type === "ConnectRetryTimerExpires" && state.started) connect();
      break;

    case "Connect":
    case "Active":
      if (event.type === "TcpConnectionConfirmed") {
        actions.push(
          { type: "stop-timer", timer: "connectRetry" },
          { type: "send", message: { type: "open", open: buildOpen(settings) } },
          { type: "start-timer", timer: "hold", seconds: LARGE_HOLD_S },
        );
        go("OpenSent");
      } else if (event.type === "TcpConnectionFails" || (event.type === "ConnectRetryTimerExpires" && state.name === "Connect")) {
        // A refused or timed-out attempt: wait, then try again.
        actions.push({ type: "disconnect" }, { type: "start-timer", timer: "connectRetry", seconds: state.retryDelayS });
        go("Active", { retryDelayS: nextDelay(state.retryDelayS) });
      } else if (event.type === "ConnectRetryTimerExpires") {
        connect();
      }
      break;

    case "OpenSent":
      switch (event.type) {
        case "BGPOpen": {
          const error = checkPeerOpen(event.open, settings);
          if (error) {
            fail(error);
            break;
          }
          const negotiated = negotiate(event.open, settings);
          actions.push({ type: "send", message: { type: "keepalive" } });
          if (negotiated.holdTimeS > 0) {
            actions.push({ type: "start-timer", timer: "keepalive", seconds: negotiated.keepaliveS }, { type: "start-timer", timer: "hold", seconds: negotiated.holdTimeS });
          } else {
            actions.push({ type: "stop-timer", timer: "hold" });
          }
          go("OpenConfirm", { negotiated });
          break;
        }
        case "TcpConnectionFails":
          drop("Active", "connection closed before the OPEN");
          break;
        case "KeepAliveMsg":
        case "UpdateMsg":
        case "RouteRefreshMsg":
          fsmError(FsmSubcode.UnexpectedMessageInOpenSent, messageName(event.type));
          break;
        default:
          common(event);
      }
      break;

    case "OpenConfirm":
      switch (event.type) {
        case "KeepAliveMsg": {
          const negotiated = state.negotiated as Negotiated;
          if (negotiated.holdTimeS > 0) actions.push({ type: "start-timer", timer: "hold", seconds: negotiated.holdTimeS });
          actions.push({ type: "established", negotiated });
          go("Established", { retryDelayS: firstDelay() });
          break;
        }
        case "BGPOpen":
        case "UpdateMsg":
        case "RouteRefreshMsg":
          fsmError(FsmSubcode.UnexpectedMessageInOpenConfirm, messageName(event.type));
          break;
        default:
          common(event);
      }
      break;

    case "Established":
      switch (event.type) {
        case "KeepAliveMsg":
        case "UpdateMsg":
        case "RouteRefreshMsg": {
          const hold = (state.negotiated as Negotiated).holdTimeS;
          if (hold > 0) actions.push({ type: "start-timer", timer: "hold", seconds: hold });
          if (event.type === "UpdateMsg") actions.push({ type: "update", update: event.update, treatAsWithdraw: event.treatAsWithdraw });
          if (event.type === "RouteRefreshMsg") actions.push({ type: "route-refresh", routeRefresh: event.routeRefresh });
          break;
        }
        case "BGPOpen":
          fsmError(FsmSubcode.UnexpectedMessageInEstablished, "OPEN");
          break;
        default:
          common(event);
      }
      break;
  }
  return { state: next, actions };

  /** Events every connected state handles alike. */
  function common(e: FsmEvent): void {
    switch (e.type) {
      case "KeepaliveTimerExpires": {
        const keepalive = next.negotiated?.keepaliveS ?? 0;
        actions.push({ type: "send", message: { type: "keepalive" } });
        if (keepalive > 0) actions.push({ type: "start-timer", timer: "keepalive", seconds: keepalive });
        break;
      }
      case "HoldTimerExpires":
        drop("Idle", "hold timer expired", { code: ErrorCode.HoldTimerExpired, subcode: 0, data: Buffer.alloc(0) }, true);
        break;
      case "TcpConnectionFails":
        drop("Idle", "connection closed");
        break;
      case "NotifMsg":
        drop("Idle", `notification received: code ${e.notification.code} subcode ${e.notification.subcode}`, e.notification, false);
        break;
      case "DecodeError":
        fail(e.error);
        break;
      default:
        break;
    }
  }
}

function messageName(t: FsmEvent["type"]): string {
  return t === "KeepAliveMsg" ? "KEEPALIVE" : t === "UpdateMsg" ? "UPDATE" : t === "RouteRefreshMsg" ? "ROUTE-REFRESH" : t === "BGPOpen" ? "OPEN" : t;
}
