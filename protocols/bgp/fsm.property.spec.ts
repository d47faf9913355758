/**
 * The FSM under random event sequences: it never throws, never leaves timers running once
 * stopped, and its state always agrees with what it negotiated.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { capability, openMessage } from "../../test/bgp/codec/arbitraries";
import type { FsmAction, FsmEvent } from "./fsm";
import { FsmRunner } from "../../speaker/bgp/fsm-runner";
import type { PeerSettings } from "./open-checks";

const settings: PeerSettings = { myAsn: 64512, peerAsn: 64513, routerId: 0xc0000201, holdTimeS: 9, families: ["IPv4", "IPv6"] };

const goodOpen = fc.record({ holdTimeS: fc.constantFrom(0, 3, 9, 90), caps: fc.array(capability, { maxLength: 4 }) }).map(({ holdTimeS, caps }) => ({
  version: 4, myAs: 64513, holdTimeS, bgpId: 0xc0000202, capabilities: [...caps.filter(c => c.type !== "four-octet-as"), { type: "four-octet-as" as const, asn: 64513 }],
}));

const event: fc.Arbitrary<FsmEvent | { type: "advance"; ms: number }> = fc.oneof(
  fc.constantFrom<FsmEvent>(
    { type: "ManualStart" }, { type: "ManualStop" }, { type: "TcpConnectionConfirmed" }, { type: "TcpConnectionFails" }, { type: "KeepAliveMsg" },
    { type: "NotifMsg", notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } },
    { type: "UpdateMsg", update: { withdrawn: [], attributes: {}, nlri: [] }, treatAsWithdraw: false },
    { type: "RouteRefreshMsg", routeRefresh: { afi: 1, subtype: 0, safi: 1 } },
    { type: "DecodeError", error: { code: 3, subcode: 1, data: Buffer.alloc(0), action: "session-reset", message: "x" } },
  ),
  goodOpen.map(open => ({ type: "BGPOpen" as const, open })),
  openMessage.map(open => ({ type: "BGPOpen" as const, open })),
  fc.integer({ min: 1, max: 200_000 }).map(ms => ({ type: "advance" as const, ms })),
);

describe("FSM properties", () => {
  it("survives any event sequence with consistent state and no stray timers", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), events => {
        const clock = new FakeClock();
        const actions: FsmAction[] = [];
        const fsm = new FsmRunner(settings, clock, a => actions.push(a));
        for (const e of events) {
          if (e.type === "advance") clock.advance(e.ms);
          else fsm.handle(e);
          const s = fsm.state;
          expect((s.name === "OpenConfirm" || s.name === "Established") === (s.negotiated !== undefined)).toBe(true);
          if (s.negotiated && s.negotiated.holdTimeS > 0) expect(s.negotiated.keepaliveS * 3).toBeLessThanOrEqual(s.negotiated.holdTimeS);
          expect(s.retryDelayS).toBeLessThanOrEqual(120);
        }
        fsm.handle({ type: "ManualStop" });
        expect(fsm.state.name).toBe("Idle");
        expect(clock.pendingCount()).toBe(0);
        // Every state report starts where the previous one ended.
        const changes = actions.flatMap(a => (a.type === "state" ? [a] : []));
        changes.slice(1).forEach((c, i) => expect(c.from).toBe(changes[i]?.to));
      }),
      { numRuns: 2000 },
    );
  });
});
