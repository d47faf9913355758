import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { BfdState, decodeControl, Diag, encodeControl, stateName, type ControlPacket } from "./packet";
import { BfdSession, type BfdSettings } from "./session";

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
    // Never an echo: we advertise RequiredMinEchoRx 0 (echo mode is refused in the config).
    expect(sent.every(p => p.requiredMinEchoRxUs === 0)).toBe(true);
  });
});
