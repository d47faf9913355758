/**
 * Robustness of the echo receive path: whatever arrives on the interface (random bytes, our frames
 * mutated at random) is decoded without throwing, every drop has a named reason, and what is accepted
 * is an echo of ours as encoded; a session in echo mode fed random control packets, echoes and timer
 * steps sends echoes only while Up. The inputs are counted and the count asserted.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { decodeEchoFrame, encodeEchoFrame, type EchoDropReason } from "./echo";
import { BfdState, decodeControl, encodeControl } from "./packet";
import { BfdSession, reportToClient, type SendEcho } from "./session";

const reasons = new Set<EchoDropReason>([
  "short-frame", "not-ipv4", "bad-ip-header", "bad-ip-checksum", "fragment", "not-udp", "not-echo-port", "bad-udp-length", "bad-udp-checksum", "not-our-echo",
]);
let inputs = 0;

function check(b: Buffer): void {
  inputs++;
  const d = decodeEchoFrame(b);
  if (!d.ok) {
    if (!reasons.has(d.reason)) throw new Error(`unknown drop reason ${String(d.reason)}`);
    return;
  }
  if (d.echo.payload.discriminator === 0 || d.echo.ttl < 0 || d.echo.ttl > 255) throw new Error(`accepted an invalid echo ${b.toString("hex")}`);
}

const octet = fc.integer({ min: 0, max: 255 });
const frame = fc.record({
  destinationMac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map(a => Buffer.from(a)),
  sourceMac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map(a => Buffer.from(a)),
  address: fc.tuple(octet, octet, octet, octet).map(a => a.join(".")),
  sourcePort: fc.integer({ min: 49152, max: 65535 }),
  ipId: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.record({ discriminator: fc.integer({ min: 1, max: 0xffffffff }), sequence: fc.integer({ min: 0, max: 0xffffffff }) }),
});

describe("echo frame decoder (property)", () => {
  it("never throws on random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), a => check(Buffer.from(a))), { numRuns: 40_000 });
  });

  it("decodes every frame it encodes to the same payload and addresses", () => {
    fc.assert(
      fc.property(frame, s => {
        inputs++;
        const d = decodeEchoFrame(encodeEchoFrame(s));
        expect(d).toEqual({ ok: true, echo: { source: s.address, destination: s.address, ttl: 255, payload: s.payload } });
      }),
      { numRuns: 5_000 },
    );
  });

  it("never throws on encoded frames with bytes changed, cut or appended", () => {
    const mutation = fc.tuple(frame, fc.array(fc.tuple(fc.nat(60), octet), { maxLength: 4 }), fc.nat(70), fc.uint8Array({ maxLength: 8 }));
    fc.assert(
      fc.property(mutation, ([s, changes, cut, tail]) => {
        const b = encodeEchoFrame(s);
        for (const [at, v] of changes) if (at < b.length) b[at] = v;
        check(Buffer.concat([b.subarray(0, cut), Buffer.from(tail)]));
        check(b);
      }),
      { numRuns: 30_000 },
    );
    expect(inputs).toBeGreaterThan(100_000);
  });
});

describe("BFD session in echo mode under random input (property)", () => {
  it("sends echoes only while Up and asked for, keeps offering echo, and stops with stop()", () => {
    let echoesSent = 0;
    const control = fc.record({
      state: fc.constantFrom(BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up),
      poll: fc.boolean(),
      final: fc.boolean(),
      detectMult: fc.integer({ min: 1, max: 255 }),
      desiredMinTxUs: fc.integer({ min: 0, max: 3_000_000 }),
      requiredMinRxUs: fc.integer({ min: 0, max: 3_000_000 }),
      requiredMinEchoRxUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500_000 })),
    }).map(p => encodeControl({ ...p, diag: 0, controlPlaneIndependent: false, demand: false, myDiscriminator: 9, yourDiscriminator: 7 }));
    const step = fc.record({
      packet: fc.option(control, { nil: undefined }),
      echo: fc.option(fc.record({ discriminator: fc.constantFrom(7, 8), back: fc.integer({ min: -2, max: 3000 }) }), { nil: undefined }),
      canSend: fc.boolean(),
      advanceMs: fc.integer({ min: 0, max: 2_000 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 20 }), steps => {
        const clock = new FakeClock();
        const sent: Buffer[] = [];
        let canSend = true;
        let lastSequence = 0;
        let stopped = false;
        let s: BfdSession | undefined = undefined;
        const sendEcho: SendEcho = e => {
          if (stopped || s?.state !== BfdState.Up) throw new Error(`echo sent in state ${String(s?.state)}${stopped ? " after stop" : ""}`);
          if (e.discriminator !== 7 || e.sequence !== ((lastSequence + 1) >>> 0)) throw new Error(`echo ${JSON.stringify(e)} after ${lastSequence}`);
          lastSequence = e.sequence;
          echoesSent++;
          return canSend;
        };
        s = new BfdSession({ desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3, localDiscriminator: 7, echoIntervalMs: 50 }, clock, b => sent.push(b), () => 0.5, sendEcho);
        reportToClient(s, () => undefined);
        s.start();
        for (const st of steps) {
          inputs++;
          canSend = st.canSend;
          if (st.packet) s.receive(st.packet);
          if (st.echo) s.receiveEcho({ discriminator: st.echo.discriminator, sequence: (lastSequence - st.echo.back) >>> 0 });
          clock.advance(st.advanceMs);
          if (s.echoDetectionTimeMs < 0 || (s.state !== BfdState.Up && s.echoIntervalMs !== 0)) throw new Error("echo running while not Up");
        }
        for (const out of sent) {
          const d = decodeControl(out);
          if (!d.ok || d.packet.requiredMinEchoRxUs !== 50_000) throw new Error(`sent ${out.toString("hex")}`);
        }
        s.stop();
        stopped = true;
        clock.advance(60_000);
      }),
      { numRuns: 3_000 },
    );
    // The random peers did bring sessions Up and ask for echoes, often.
    expect(echoesSent).toBeGreaterThan(10_000);
  });
});
