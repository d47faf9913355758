import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import type { Capability } from "./codec/capabilities";
import type { FsmAction, FsmEvent } from "./fsm";
import { FsmRunner } from "../../speaker/bgp/fsm-runner";
import type { OpenMessage } from "./codec/open";
import type { PeerSettings } from "./open-checks";

const settings: PeerSettings = { myAsn: 64512, peerAsn: 64513, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4", "IPv6"] };
const peerCaps: Capability[] = [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "route-refresh" }, { type: "four-octet-as", asn: 64513 }];
const peerOpen = (o: Partial<OpenMessage> = {}): OpenMessage => ({ version: 4, myAs: 64513, holdTimeS: 30, bgpId: 0xc0000202, capabilities: peerCaps, ...o });

/** An FSM on a fake clock that records what it does, with the time (in seconds) of each action. */
function harness(s: PeerSettings = settings, afterPoll: (fn: () => void) => void = fn => fn()) {
  const clock = new FakeClock();
  const log: { t: number; a: FsmAction }[] = [];
  // afterPoll: the runner's wait for the socket to be read before a hold expiry; no socket here, so at once unless a test says.
  const fsm = new FsmRunner(s, clock, a => log.push({ t: clock.now() / 1000, a }), afterPoll);
  const send = (e: FsmEvent) => fsm.handle(e);
  const since = (n: number) => log.slice(n).map(x => x.a);
  const sent = () => log.flatMap(x => (x.a.type === "send" ? [x.a.message] : []));
  const establish = (open = peerOpen()) => {
    send({ type: "ManualStart" });
    send({ type: "TcpConnectionConfirmed" });
    send({ type: "BGPOpen", open });
    send({ type: "KeepAliveMsg" });
  };
  return { clock, log, fsm, send, since, sent, establish };
}

describe("FSM", () => {
  it("goes Idle -> Connect -> OpenSent -> OpenConfirm -> Established, sending OPEN then KEEPALIVE", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    expect(h.since(0)).toEqual([{ type: "connect" }, { type: "state", from: "Idle", to: "Connect" }]);
    h.send({ type: "TcpConnectionConfirmed" });
    expect(h.since(2)).toEqual([
      {
        type: "send",
        message: {
          type: "open",
          open: {
            version: 4, myAs: 64512, holdTimeS: 90, bgpId: 0xc0000201,
            capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "multiprotocol", afi: 2, safi: 1 }, { type: "route-refresh" }, { type: "four-octet-as", asn: 64512 }],
          },
        },
      },
      { type: "state", from: "Connect", to: "OpenSent" },
    ]);
    h.send({ type: "BGPOpen", open: peerOpen() });
    expect(h.since(4)).toEqual([{ type: "send", message: { type: "keepalive" } }, { type: "state", from: "OpenSent", to: "OpenConfirm" }]);
    h.send({ type: "KeepAliveMsg" });
    const negotiated = { holdTimeS: 30, keepaliveS: 10, fourOctetAs: true, routeRefresh: true, extendedNextHop: false, families: ["IPv4"], peerAsn: 64513, peerRouterId: 0xc0000202 };
    expect(h.since(6)).toEqual([{ type: "established", negotiated }, { type: "state", from: "OpenConfirm", to: "Established" }]);
    expect(h.fsm.state.name).toBe("Established");
  });

  it("sends keepalives every third of the hold time and drops the session when the hold timer expires", () => {
    const h = harness();
    h.establish();
    const n = h.log.length;
    h.clock.advance(29_999);
    expect(h.log.slice(n).map(x => [x.t, x.a.type])).toEqual([[10, "send"], [20, "send"]]);
    h.clock.advance(1);
    expect(h.since(n + 2)).toEqual([
      { type: "send", message: { type: "notification", notification: { code: 4, subcode: 0, data: Buffer.alloc(0) } } },
      { type: "disconnect" },
      { type: "down", reason: "hold timer expired", notification: { code: 4, subcode: 0, data: Buffer.alloc(0) }, sent: true },
      { type: "state", from: "Established", to: "Idle" },
    ]);
    h.clock.advance(1000);
    expect(h.log.at(-2)).toEqual({ t: 31, a: { type: "connect" } });
  });

  it("lets a hold expiry wait for the socket to be read: a KEEPALIVE read then keeps the session, none drops it", () => {
    const polls: (() => void)[] = [];
    const h = harness(settings, fn => polls.push(fn));
    h.establish();
    // The loop was late: the hold timer fires with the peer's KEEPALIVE still unread.
    h.clock.advance(30_000);
    expect(h.fsm.state.name).toBe("Established");
    expect(polls).toHaveLength(1);
    h.send({ type: "KeepAliveMsg" }); // the poll phase reads it
    polls.shift()?.();
    expect(h.fsm.state.name).toBe("Established");
    // Nothing from the peer for the next 30 s: after the poll, the session goes.
    h.clock.advance(30_000);
    polls.shift()?.();
    expect(h.fsm.state.name).toBe("Idle");
    expect(h.sent().at(-1)).toEqual({ type: "notification", notification: { code: 4, subcode: 0, data: Buffer.alloc(0) } });
  });

  it("keeps the session while the peer's messages restart the hold timer", () => {
    const h = harness();
    h.establish();
    for (let i = 0; i < 10; i++) {
      h.clock.advance(20_000);
      h.send({ type: "KeepAliveMsg" });
    }
    expect(h.fsm.state.name).toBe("Established");
  });

  it("retries failed connections after 1 s, doubling up to 2 minutes", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    const waits: number[] = [];
    const connects = () => h.log.filter(x => x.a.type === "connect").length;
    for (let i = 0; i < 10; i++) {
      // Each attempt fails at once; count the seconds until the next one.
      h.send({ type: "TcpConnectionFails" });
      const before = connects();
      let waited = 0;
      while (connects() === before) {
        h.clock.advance(1000);
        waited++;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
  });

  it("uses a fixed delay when a connect time is configured", () => {
    const h = harness({ ...settings, connectTimeS: 5 });
    h.send({ type: "ManualStart" });
    for (let i = 0; i < 3; i++) {
      h.send({ type: "TcpConnectionFails" });
      h.clock.advance(5_000);
    }
    expect(h.log.filter(x => x.a.type === "connect").map(x => x.t)).toEqual([0, 5, 10, 15]);
  });

  it("gives up on a connection attempt after 30 s and waits before the next one", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    h.clock.advance(31_000);
    expect(h.log.map(x => [x.t, x.a.type])).toEqual([[0, "connect"], [0, "state"], [30, "disconnect"], [30, "state"], [31, "connect"], [31, "state"]]);
  });

  it("resets the backoff once Established", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    h.send({ type: "TcpConnectionFails" });
    h.clock.advance(1000);
    h.send({ type: "TcpConnectionFails" });
    h.clock.advance(2000);
    h.send({ type: "TcpConnectionConfirmed" });
    h.send({ type: "BGPOpen", open: peerOpen() });
    h.send({ type: "KeepAliveMsg" });
    h.send({ type: "TcpConnectionFails" });
    const n = h.log.length;
    h.clock.advance(1000);
    expect(h.log.slice(n).map(x => [x.t, x.a.type])).toEqual([[4, "connect"], [4, "state"]]);
  });

  it("times out a peer that never sends its OPEN after 240 s", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    h.send({ type: "TcpConnectionConfirmed" });
    h.clock.advance(239_999);
    expect(h.fsm.state.name).toBe("OpenSent");
    h.clock.advance(1);
    expect(h.sent().at(-1)).toEqual({ type: "notification", notification: { code: 4, subcode: 0, data: Buffer.alloc(0) } });
  });

  const refusal = (open: OpenMessage, s: PeerSettings = settings) => {
    const h = harness(s);
    h.send({ type: "ManualStart" });
    h.send({ type: "TcpConnectionConfirmed" });
    h.send({ type: "BGPOpen", open });
    const n = h.sent().at(-1);
    return [h.fsm.state.name, n?.type === "notification" ? [n.notification.code, n.notification.subcode, n.notification.data.toString("hex")] : n];
  };

  it("refuses a peer with the wrong AS with Bad Peer AS", () => {
    expect(refusal(peerOpen({ myAs: 64999, capabilities: [] }))).toEqual(["Idle", [2, 2, "fde7"]]);
  });
  it("reads the peer AS from the 4-octet AS capability", () => {
    expect(refusal(peerOpen({ myAs: 23456, capabilities: [{ type: "four-octet-as", asn: 4200000001 }] }), { ...settings, peerAsn: 4200000001 })[0]).toBe("OpenConfirm");
  });
  it("dynamicASN: learns the peer AS of the configured kind, refuses the other kind with Bad Peer AS and goes down saying why", () => {
    const external: PeerSettings = { ...settings, peerAsn: 0, dynamicAsn: "external" };
    const h = harness(external);
    h.establish(peerOpen({ myAs: 23456, capabilities: [{ type: "four-octet-as", asn: 4200000001 }] }));
    expect([h.fsm.state.name, h.fsm.state.negotiated?.peerAsn]).toEqual(["Established", 4200000001]);
    const internal: PeerSettings = { ...settings, peerAsn: 0, dynamicAsn: "internal" };
    expect(refusal(peerOpen(), internal)).toEqual(["Idle", [2, 2, "fc01"]]);
    expect(refusal(peerOpen({ myAs: 64512, capabilities: [{ type: "four-octet-as", asn: 64512 }] }), internal)[0]).toBe("OpenConfirm");
    const r = harness(internal);
    r.send({ type: "ManualStart" });
    r.send({ type: "TcpConnectionConfirmed" });
    const n = r.log.length;
    r.send({ type: "BGPOpen", open: peerOpen() });
    expect(r.since(n).filter(a => a.type === "down" || a.type === "send")).toEqual([
      { type: "send", message: { type: "notification", notification: { code: 2, subcode: 2, data: Buffer.from([0xfc, 0x01]) } } },
      { type: "down", reason: "peer AS 64513, expected internal (64512)", notification: { code: 2, subcode: 2, data: Buffer.from([0xfc, 0x01]) }, sent: true },
    ]);
  });
  it("refuses a hold time of 1 or 2 s with Unacceptable Hold Time", () => {
    expect(refusal(peerOpen({ holdTimeS: 2 }))).toEqual(["Idle", [2, 6, ""]]);
  });
  it("refuses a zero BGP identifier, or our own from an internal peer", () => {
    expect(refusal(peerOpen({ bgpId: 0 }))).toEqual(["Idle", [2, 3, ""]]);
    const ibgp = { ...settings, peerAsn: 64512 };
    expect(refusal(peerOpen({ myAs: 64512, bgpId: 0xc0000201, capabilities: [] }), ibgp)).toEqual(["Idle", [2, 3, ""]]);
  });
  it("requires 4-octet AS support only when our AS needs it, and then sends AS_TRANS", () => {
    const big = { ...settings, myAsn: 4200000001 };
    expect(refusal(peerOpen({ capabilities: [] }), big)).toEqual(["Idle", [2, 7, "4104fa56ea01"]]);
    expect(refusal(peerOpen({ capabilities: [] }))[0]).toBe("OpenConfirm");
    const h = harness(big);
    h.send({ type: "ManualStart" });
    h.send({ type: "TcpConnectionConfirmed" });
    const open = h.sent()[0];
    expect(open?.type === "open" && open.open.myAs).toBe(23456);
  });

  it("negotiates hold 0 to mean no keepalives and no hold timer", () => {
    const h = harness();
    h.establish(peerOpen({ holdTimeS: 0 }));
    const n = h.log.length;
    h.clock.advance(10_000_000);
    expect(h.log.length).toBe(n);
    expect(h.clock.pendingCount()).toBe(0);
  });
  it("uses a configured keepalive, but never more than a third of the negotiated hold time", () => {
    const keepalive = (keepaliveTimeS: number, peerHold: number) => {
      const h = harness({ ...settings, keepaliveTimeS });
      h.establish(peerOpen({ holdTimeS: peerHold }));
      return h.fsm.state.negotiated?.keepaliveS;
    };
    expect([keepalive(5, 90), keepalive(60, 9)]).toEqual([5, 3]);
  });

  it("answers unexpected messages with FSM errors naming the state (RFC 6608)", () => {
    const h = harness();
    h.send({ type: "ManualStart" });
    h.send({ type: "TcpConnectionConfirmed" });
    h.send({ type: "UpdateMsg", update: { withdrawn: [], attributes: {}, nlri: [] }, treatAsWithdraw: false });
    expect(h.log.find(x => x.a.type === "down")?.a).toEqual({
      type: "down", reason: "unexpected UPDATE in OpenSent", notification: { code: 5, subcode: 1, data: Buffer.alloc(0) }, sent: true,
    });
    const e = harness();
    e.establish();
    e.send({ type: "BGPOpen", open: peerOpen() });
    expect(e.sent().at(-1)).toEqual({ type: "notification", notification: { code: 5, subcode: 3, data: Buffer.alloc(0) } });
  });

  it("passes UPDATEs and ROUTE-REFRESH up once Established", () => {
    const h = harness();
    h.establish();
    const n = h.log.length;
    const update = { withdrawn: [], attributes: {}, nlri: [] };
    h.send({ type: "UpdateMsg", update, treatAsWithdraw: true });
    h.send({ type: "RouteRefreshMsg", routeRefresh: { afi: 1, subtype: 0, safi: 1 } });
    expect(h.since(n)).toEqual([{ type: "update", update, treatAsWithdraw: true }, { type: "route-refresh", routeRefresh: { afi: 1, subtype: 0, safi: 1 } }]);
  });

  it("resets on a decode error with the error's NOTIFICATION", () => {
    const h = harness();
    h.establish();
    h.send({ type: "DecodeError", error: { code: 3, subcode: 10, data: Buffer.alloc(0), action: "session-reset", message: "IPv4 prefix length 33 exceeds 32" } });
    expect(h.sent().at(-1)).toEqual({ type: "notification", notification: { code: 3, subcode: 10, data: Buffer.alloc(0) } });
    expect(h.fsm.state.name).toBe("Idle");
  });

  it("goes down on a NOTIFICATION from the peer without answering it", () => {
    const h = harness();
    h.establish();
    const n = h.log.length;
    const notification = { code: 6, subcode: 2, data: Buffer.alloc(0) };
    h.send({ type: "NotifMsg", notification });
    expect(h.since(n)).toEqual([
      { type: "disconnect" },
      { type: "down", reason: "notification received: code 6 subcode 2", notification, sent: false },
      { type: "state", from: "Established", to: "Idle" },
    ]);
  });

  it("stops with Cease / Administrative Shutdown and leaves no timer running", () => {
    const h = harness();
    h.establish();
    const n = h.log.length;
    h.send({ type: "ManualStop" });
    expect(h.since(n).map(a => a.type)).toEqual(["send", "down", "disconnect", "state"]);
    expect(h.sent().at(-1)).toEqual({ type: "notification", notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } });
    expect(h.clock.pendingCount()).toBe(0);
    h.clock.advance(1_000_000);
    expect(h.log.length).toBe(n + 4);
  });
});
