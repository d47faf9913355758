import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { BfdState, decodeControl, Diag, encodeControl, stateName, type ControlPacket } from "./packet";
import type { EchoPayload } from "./echo";
import { BfdSession, reportToClient, type BfdSettings, type SendEcho } from "./session";

const base = { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3 };

/** Two sessions on one fake clock, packets delivered 1 ms after sending unless the link is cut. */
function link(a: Partial<BfdSettings> = {}, b: Partial<BfdSettings> = {}) {
  const clock = new FakeClock();
  let cut = false;
  const sent: { t: number; from: "A" | "B"; p: ControlPacket }[] = [];
  const states: string[] = [];
  const wire = (from: "A" | "B", to: () => BfdSession) => (buf: Buffer) => {
    const d = decodeControl(buf);
    if (d.ok) sent.push({ t: clock.now(), from, p: d.packet });
    if (!cut) clock.setTimeout(() => to().receive(buf), 1);
  };
  // random() = 1 gives the full interval (no jitter), so times are exact.
  const A: BfdSession = new BfdSession({ ...base, localDiscriminator: 1, ...a }, clock, wire("A", () => B), () => 1);
  const B: BfdSession = new BfdSession({ ...base, localDiscriminator: 2, ...b }, clock, wire("B", () => A), () => 1);
  A.on("state", (to, from, diag) => states.push(`A ${stateName(from)}->${stateName(to)} diag ${diag} @${clock.now()}`));
  B.on("state", (to, from, diag) => states.push(`B ${stateName(from)}->${stateName(to)} diag ${diag} @${clock.now()}`));
  return { clock, A, B, sent, states, cut: () => (cut = true) };
}

describe("BFD session", () => {
  it("comes up through Init when both start together, then sends at the negotiated rate", () => {
    const l = link();
    l.A.start();
    l.B.start();
    l.clock.advance(5000);
    expect(l.states).toEqual([
      "B Down->Init diag 0 @1001",
      "A Down->Init diag 0 @1001",
      "A Init->Up diag 0 @1002",
      "B Init->Up diag 0 @1002",
    ]);
    expect([l.A.detectionTimeMs, l.B.detectionTimeMs]).toEqual([900, 900]);
    const n = l.sent.filter(s => s.from === "A").length;
    l.clock.advance(3000);
    // 300 ms apart once Up (a few packets more for the Poll/Final exchange that leaves the 1 s floor).
    const periodic = l.sent.filter(s => s.from === "A").slice(n).filter(s => !s.p.final && !s.p.poll);
    expect(periodic.length).toBeGreaterThanOrEqual(9);
    expect(periodic.slice(1).map((s, i) => s.t - (periodic[i] as { t: number }).t).every(d => d === 300)).toBe(true);
  });

  it("sends no faster than once a second while not Up", () => {
    const l = link();
    l.cut();
    l.A.start();
    l.clock.advance(5000);
    expect(l.sent.map(s => s.t)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(l.sent[0]?.p).toMatchObject({ state: BfdState.Down, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, yourDiscriminator: 0 });
  });

  it("goes Init on the peer's Down and Up on the peer's Init (one side started late)", () => {
    const l = link();
    l.A.start();
    l.clock.advance(1500);
    l.B.start();
    l.clock.advance(1003);
    expect(l.states).toEqual(["B Down->Init diag 0 @2001", "A Down->Up diag 0 @2002", "B Init->Up diag 0 @2003"]);
  });

  it("goes Down with diag 1 exactly one detection time after the last packet", () => {
    const l = link();
    l.A.start();
    l.B.start();
    l.clock.advance(2000);
    const lastFromB = () => Math.max(...l.sent.filter(s => s.from === "B").map(s => s.t));
    l.cut();
    const last = lastFromB();
    l.clock.advance(2000);
    expect(l.states.find(x => x.startsWith("A Up->Down"))).toBe(`A Up->Down diag ${Diag.ControlDetectionTimeExpired} @${last + 1 + 900}`);
  });

  it("follows the peer to Down when it goes AdminDown", () => {
    const l = link();
    l.A.start();
    l.B.start();
    l.clock.advance(2000);
    l.B.stop();
    l.clock.advance(10);
    expect(l.states.slice(-2)).toEqual([`B Up->AdminDown diag ${Diag.AdministrativelyDown} @2000`, `A Up->Down diag ${Diag.NeighborSignaledSessionDown} @2001`]);
    expect(l.A.state).toBe(BfdState.Down);
  });

  it("changes intervals while Up through a Poll sequence answered with Final", () => {
    const l = link();
    l.A.start();
    l.B.start();
    l.clock.advance(2000);
    const n = l.sent.length;
    l.A.setIntervals({ desiredMinTxMs: 300, requiredMinRxMs: 1000 });
    l.clock.advance(2);
    const pollFinal = l.sent.slice(n).filter(s => s.p.poll || s.p.final);
    expect(pollFinal[0] && [pollFinal[0].t, pollFinal[0].from, pollFinal[0].p.poll, pollFinal[0].p.desiredMinTxUs, pollFinal[0].p.requiredMinRxUs]).toEqual([2000, "A", true, 300_000, 1_000_000]);
    const final = pollFinal.find(s => s.p.final);
    expect(final && [final.t, final.from, final.p.poll]).toEqual([2001, "B", false]);
    // Once the Final is in, A stops polling.
    l.clock.advance(1000);
    expect(l.sent.filter(s => s.from === "A" && s.t > 2002).some(s => s.p.poll)).toBe(false);
    // A now accepts a packet a second: B slows down to that, and A waits 3 x 1000 ms before declaring B dead.
    l.clock.advance(5000);
    const fromB = l.sent.filter(s => s.from === "B" && !s.p.final).slice(-4).map(s => s.t);
    expect(fromB.slice(1).map((t, i) => t - (fromB[i] as number))).toEqual([1000, 1000, 1000]);
    expect(l.A.detectionTimeMs).toBe(3000);
    expect(l.B.detectionTimeMs).toBe(900);
  });

  it("tells when a Poll sequence has put new intervals in force", () => {
    const l = link({ desiredMinTxMs: 100, requiredMinRxMs: 100 }, { desiredMinTxMs: 100, requiredMinRxMs: 100 });
    const applied: string[] = [];
    l.A.on("intervals", i => applied.push(`${i.desiredMinTxMs}/${i.requiredMinRxMs} @${l.clock.now()}`));
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    // Up leaves the 1 s floor through a Poll; B's Final, 1 ms later, completes it once.
    const up = l.states.find(x => x.startsWith("A Init->Up"));
    const upAt = Number(up?.split("@")[1]);
    expect(applied).toEqual([`100/100 @${upAt + 2}`]);
    l.A.setIntervals({ desiredMinTxMs: 200, requiredMinRxMs: 200 });
    l.clock.advance(2);
    expect(applied.slice(1)).toEqual([`200/200 @${l.clock.now()}`]);
  });

  it("in passive mode, stays silent until the peer speaks", () => {
    const l = link({ passive: true });
    l.A.start();
    l.clock.advance(5000);
    expect(l.sent).toEqual([]);
    l.B.start();
    l.clock.advance(3000);
    expect(l.A.state).toBe(BfdState.Up);
  });

  it("ignores packets addressed to another discriminator", () => {
    const l = link();
    const dropped: string[] = [];
    l.A.on("dropped", r => dropped.push(r));
    l.A.start();
    const bogus = Buffer.from("20c00318 00000009 00000077 000f4240 000493e0 00000000".replace(/ /g, ""), "hex");
    l.A.receive(bogus);
    expect([dropped, l.A.state]).toEqual([["wrong-discriminator"], BfdState.Down]);
  });

  it("in passive mode, falls silent again when the peer is lost", () => {
    const l = link({ passive: true });
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    expect(l.A.state).toBe(BfdState.Up);
    l.cut();
    l.B.stop();
    l.clock.advance(2000);
    expect(l.A.state).toBe(BfdState.Down);
    expect(l.A.diag).toBe(Diag.ControlDetectionTimeExpired);
    // The Down that announced the loss was the last word: nothing after it.
    const lastFromA = l.sent.filter(x => x.from === "A").pop();
    l.clock.advance(10_000);
    expect(l.sent.filter(x => x.from === "A").pop()).toBe(lastFromA);
    expect(lastFromA?.p.state).toBe(BfdState.Up);
  });

  it("stops sending while the peer asks for RequiredMinRx 0, and answers a Poll at once with a Final", () => {
    const clock = new FakeClock();
    const sent: ControlPacket[] = [];
    const s = new BfdSession({ ...base, localDiscriminator: 1 }, clock, b => {
      const d = decodeControl(b);
      if (d.ok) sent.push(d.packet);
    }, () => 1);
    s.start();
    const peer = (over: Partial<ControlPacket>) =>
      s.receive(encodeControl({ diag: 0, state: BfdState.Down, poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3, myDiscriminator: 9, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 0, requiredMinEchoRxUs: 0, ...over }));
    peer({});
    const n = sent.length;
    // Within the detection time (3 x 1 s): no periodic packet at all.
    clock.advance(2_900);
    expect(sent.length).toBe(n);
    peer({ state: BfdState.Init, yourDiscriminator: 1, poll: true });
    // Up, announced once; and the Final for the Poll, with no wait.
    expect(sent.slice(n).map(p => [stateName(p.state), p.final])).toEqual([["Up", false], ["Up", true]]);
    // No echo mode: we advertise RequiredMinEchoRx 0, so the peer sends us no echoes.
    expect(sent.every(p => p.requiredMinEchoRxUs === 0)).toBe(true);
  });
});

/**
 * Two sessions as above, where A's echoes go through B's "forwarding plane": each comes back to A
 * 2 ms after it left, unless the echo path is cut (the control path stays). B offers echoes (its
 * packets advertise its echo interval) through a sender that never sends, unless `bEchoes`.
 */
function echoLink(a: Partial<BfdSettings>, b: Partial<BfdSettings>, bSends = false) {
  const clock = new FakeClock();
  const sent: { t: number; from: "A" | "B"; p: ControlPacket }[] = [];
  const echoes: { t: number; e: EchoPayload }[] = [];
  const returned: number[] = [];
  const states: string[] = [];
  let echoCut = false;
  const wire = (from: "A" | "B", to: () => BfdSession) => (buf: Buffer) => {
    const d = decodeControl(buf);
    if (d.ok) sent.push({ t: clock.now(), from, p: d.packet });
    clock.setTimeout(() => to().receive(buf), 1);
  };
  const echoA: SendEcho = e => {
    echoes.push({ t: clock.now(), e });
    if (!echoCut)
      clock.setTimeout(() => {
        returned.push(clock.now());
        A.receiveEcho(e);
      }, 2);
    return true;
  };
  const A: BfdSession = new BfdSession({ ...base, localDiscriminator: 1, ...a }, clock, wire("A", () => B), () => 1, echoA);
  const B: BfdSession = new BfdSession({ ...base, localDiscriminator: 2, ...b }, clock, wire("B", () => A), () => 1, () => bSends);
  A.on("state", (to, from, diag) => states.push(`A ${stateName(from)}->${stateName(to)} diag ${diag} @${clock.now()}`));
  B.on("state", (to, from, diag) => states.push(`B ${stateName(from)}->${stateName(to)} diag ${diag} @${clock.now()}`));
  const upAt = () => Number(states.find(x => x.startsWith("A Init->Up") || x.startsWith("A Down->Up"))?.split("@")[1]);
  return { clock, A, B, sent, echoes, returned, states, upAt, cutEcho: () => (echoCut = true), restoreEcho: () => (echoCut = false) };
}

describe("BFD echo function (RFC 5880 6.4, 6.8.9)", () => {
  it("advertises Required Min Echo RX = echoInterval in echo mode; 0 without echo mode or without an echo sender", () => {
    const l = echoLink({ echoIntervalMs: 50 }, { echoIntervalMs: 70 });
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    expect(new Set(l.sent.filter(s => s.from === "A").map(s => s.p.requiredMinEchoRxUs))).toEqual(new Set([50_000]));
    expect(new Set(l.sent.filter(s => s.from === "B").map(s => s.p.requiredMinEchoRxUs))).toEqual(new Set([70_000]));
    const plain = link({ echoIntervalMs: 50 });
    plain.A.start();
    plain.clock.advance(2000);
    expect(plain.sent.map(s => s.p.requiredMinEchoRxUs)).toEqual([0, 0]);
  });

  it("sends echoes only once Up, every max(own interval, peer's echo RX), with our discriminator and rising sequence numbers", () => {
    const l = echoLink({ echoIntervalMs: 50 }, { echoIntervalMs: 70 });
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    const up = l.upAt();
    expect(l.echoes[0]?.t).toBe(up);
    const times = l.echoes.map(x => x.t);
    expect(times.slice(1).map((t, i) => t - (times[i] as number)).every(d => d === 70)).toBe(true);
    expect(l.echoes.slice(0, 3).map(x => x.e)).toEqual([1, 2, 3].map(sequence => ({ discriminator: 1, sequence })));
    expect([l.A.echoIntervalMs, l.A.echoDetectionTimeMs]).toEqual([70, 210]);
  });

  it("sends no echo to a peer whose echo RX is 0", () => {
    const clock = new FakeClock();
    const echoes: EchoPayload[] = [];
    let a: BfdSession | undefined;
    const b = new BfdSession({ ...base, localDiscriminator: 2 }, clock, buf => clock.setTimeout(() => a?.receive(buf), 1), () => 1);
    a = new BfdSession({ ...base, localDiscriminator: 1, echoIntervalMs: 50 }, clock, buf => clock.setTimeout(() => b.receive(buf), 1), () => 1, e => (echoes.push(e), true));
    a.start();
    b.start();
    clock.advance(5000);
    expect([a.state, echoes.length, a.echoDetectionTimeMs]).toEqual([BfdState.Up, 0, 0]);
  });

  it("goes Down with diag 2 exactly the peer's multiplier x echo interval after the last echo came back, while control packets still flow", () => {
    const l = echoLink({ echoIntervalMs: 50 }, { echoIntervalMs: 50 });
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    expect(l.A.state).toBe(BfdState.Up);
    l.cutEcho();
    const lastBack = l.returned.at(-1) as number;
    l.clock.advance(1000);
    // 3 x 50 ms: echo detection, far shorter than the control detection time (3 x 1 s while echo is active).
    expect(l.states.find(x => x.startsWith("A Up->Down"))).toBe(`A Up->Down diag ${Diag.EchoFunctionFailed} @${lastBack + 150}`);
    expect(l.states.find(x => x.startsWith("B Up->Down"))).toBe(`B Up->Down diag ${Diag.NeighborSignaledSessionDown} @${lastBack + 151}`);
    // No echo leaves while the session is not Up.
    expect(l.echoes.filter(x => x.t > lastBack + 150 && l.A.state !== BfdState.Up)).toEqual([]);
  });

  it("asks for control packets no faster than once a second while echoes flow (6.8.3), through a Poll; back to the configured rate when echo stops", () => {
    const l = echoLink({ echoIntervalMs: 50, desiredMinTxMs: 100, requiredMinRxMs: 100 }, { echoIntervalMs: 50, desiredMinTxMs: 100, requiredMinRxMs: 100 });
    l.A.start();
    l.B.start();
    l.clock.advance(5000);
    const up = l.upAt();
    const polls = l.sent.filter(s => s.from === "A" && s.p.poll && s.t >= up).map(s => s.p.requiredMinRxUs);
    expect(polls.at(-1)).toBe(1_000_000);
    // A sends at its own 100 ms; B, asked for 1 s, slows down; A's control detection is 3 x 1 s.
    const fromB = l.sent.filter(s => s.from === "B" && !s.p.final).slice(-3).map(s => s.t);
    expect(fromB.slice(1).map((t, i) => t - (fromB[i] as number))).toEqual([1000, 1000]);
    const fromA = l.sent.filter(s => s.from === "A" && !s.p.poll && !s.p.final).slice(-3).map(s => s.t);
    expect(fromA.slice(1).map((t, i) => t - (fromA[i] as number))).toEqual([100, 100]);
    expect([l.A.detectionTimeMs, l.B.detectionTimeMs]).toEqual([3000, 300]);
    l.cutEcho();
    l.clock.advance(200);
    const down = Number(l.states.find(x => x.startsWith("A Up->Down"))?.split("@")[1]);
    // The Down that tells B goes with the configured intervals again.
    expect(l.sent.find(s => s.from === "A" && s.t === down)?.p).toMatchObject({ state: BfdState.Down, requiredMinRxUs: 100_000, diag: Diag.EchoFunctionFailed });
  });

  it("keeps control detection and no echo timer while the echo cannot go out (peer's MAC unknown)", () => {
    const clock = new FakeClock();
    let a: BfdSession | undefined;
    let tries = 0;
    const b = new BfdSession({ ...base, localDiscriminator: 2, echoIntervalMs: 50 }, clock, buf => clock.setTimeout(() => a?.receive(buf), 1), () => 1, () => false);
    a = new BfdSession({ ...base, localDiscriminator: 1, echoIntervalMs: 50 }, clock, buf => clock.setTimeout(() => b.receive(buf), 1), () => 1, () => (tries++, false));
    a.start();
    b.start();
    clock.advance(5000);
    expect([a.state, a.echoDetectionTimeMs, a.detectionTimeMs]).toEqual([BfdState.Up, 0, 900]);
    expect(tries).toBeGreaterThan(10);
  });

  it("takes no stale echo (old sequence) nor another session's as news of the path", () => {
    const l = echoLink({ echoIntervalMs: 50 }, { echoIntervalMs: 50 });
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    l.cutEcho();
    const lastBack = l.returned.at(-1) as number;
    const seq = l.echoes.at(-1)?.e.sequence as number;
    l.clock.advance(100);
    l.A.receiveEcho({ discriminator: 1, sequence: (seq - 5000) >>> 0 });
    l.A.receiveEcho({ discriminator: 2, sequence: seq });
    l.clock.advance(100);
    expect(l.states.find(x => x.startsWith("A Up->Down"))).toBe(`A Up->Down diag ${Diag.EchoFunctionFailed} @${lastBack + 150}`);
  });

  it("tells the client (BGP) of the echo failure once, and of no Up while the echo path stays broken, though the session flaps on the wire", () => {
    const l = echoLink({ echoIntervalMs: 50 }, { echoIntervalMs: 50 });
    const heard: string[] = [];
    reportToClient(l.A, (to, from, diag) => heard.push(`${stateName(from)}->${stateName(to)} diag ${diag} @${l.clock.now()}`));
    l.A.start();
    l.B.start();
    l.clock.advance(3000);
    // The first Up is reported at once (the echo is 2 ms behind).
    expect(heard).toEqual(["Down->Init diag 0 @1001", "Init->Up diag 0 @1002"]);
    l.cutEcho();
    const lastBack = l.returned.at(-1) as number;
    l.clock.advance(2000);
    const wireDowns = l.states.filter(x => x.startsWith("A Up->Down"));
    // The peer answers each Down at once: on the wire, the session is back Up within milliseconds, again and again ...
    expect(wireDowns.length).toBeGreaterThan(5);
    // ... but the client heard one failure, and no Up since (only Init and Down, which BGP ignores).
    const after = heard.slice(2);
    expect(after[0]).toBe(`Up->Down diag 2 @${lastBack + 150}`);
    expect(after.filter(x => x.includes("->Up") || x.startsWith("Up->"))).toEqual([after[0]]);
    l.restoreEcho();
    const restoredAt = l.clock.now();
    const n = heard.length;
    l.clock.advance(1000);
    const ups = heard.slice(n).filter(x => x.includes("->Up"));
    expect(ups).toHaveLength(1);
    // Reported when the first echo came back, not when the wire went Up.
    expect(ups[0]).toBe(`Init->Up diag 0 @${l.returned.find(t => t > restoredAt)}`);
  });

  it("stops echoes when the peer stops asking for them (echo RX 0), and asks for control packets at the configured rate again", () => {
    const clock = new FakeClock();
    const sent: ControlPacket[] = [];
    const echoes: number[] = [];
    const s = new BfdSession({ ...base, desiredMinTxMs: 100, requiredMinRxMs: 100, localDiscriminator: 1, echoIntervalMs: 50 }, clock, b => {
      const d = decodeControl(b);
      if (d.ok) sent.push(d.packet);
    }, () => 1, e => (echoes.push(clock.now()), clock.setTimeout(() => s.receiveEcho(e), 1), true));
    const peer = (over: Partial<ControlPacket>) =>
      s.receive(encodeControl({ diag: 0, state: BfdState.Up, poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3, myDiscriminator: 9, yourDiscriminator: 1, desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, requiredMinEchoRxUs: 50_000, ...over }));
    s.start();
    peer({ state: BfdState.Down, yourDiscriminator: 0 });
    peer({ state: BfdState.Up });
    expect(s.state).toBe(BfdState.Up);
    peer({ final: true });
    clock.advance(500);
    expect(echoes.length).toBeGreaterThanOrEqual(10);
    expect(sent.at(-1)?.requiredMinRxUs).toBe(1_000_000);
    // The peer asks for no more echoes.
    const n = sent.length;
    peer({ requiredMinEchoRxUs: 0 });
    const stoppedAt = clock.now();
    expect([s.echoIntervalMs, s.echoDetectionTimeMs]).toEqual([0, 0]);
    // A Poll with the configured RequiredMinRx goes out at once.
    expect(sent.slice(n).find(p => p.poll)?.requiredMinRxUs).toBe(100_000);
    for (let t = 0; t < 10; t++) {
      clock.advance(100);
      peer({ requiredMinEchoRxUs: 0, final: t === 0 });
    }
    expect(echoes.filter(t => t > stoppedAt)).toEqual([]);
    expect([s.state, s.detectionTimeMs]).toEqual([BfdState.Up, 300]);
  });
});
