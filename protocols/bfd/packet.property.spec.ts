/**
 * Robustness of the BFD receive path against whatever arrives on UDP 3784/4784: random bytes, valid
 * packets mutated at random, and random packet sequences fed to a live session. Nothing may throw;
 * every drop has a named reason; a session stays in a valid state and only ever sends packets that
 * decode. The inputs are counted and the count asserted (over 100,000).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { BfdState, CONTROL_LENGTH, decodeControl, encodeControl, type ControlPacket, type DropReason } from "./packet";
import { BfdSession } from "./session";

const reasons = new Set<DropReason>([
  "short-packet", "bad-version", "bad-length", "zero-detect-mult", "multipoint", "zero-my-discriminator", "zero-your-discriminator", "authentication-unsupported",
]);
let inputs = 0;

/** Decodes and checks the answer's shape; plain checks, since expect() would dominate 100,000 runs. */
function check(b: Buffer): void {
  inputs++;
  const d = decodeControl(b);
  if (!d.ok) {
    if (!reasons.has(d.reason)) throw new Error(`unknown drop reason ${String(d.reason)}`);
    return;
  }
  const p = d.packet;
  if (p.state < 0 || p.state > 3 || p.detectMult === 0 || p.myDiscriminator === 0 || b.length < CONTROL_LENGTH) throw new Error(`accepted an invalid packet ${b.toString("hex")}`);
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packet: fc.Arbitrary<ControlPacket> = fc.record({
  diag: fc.integer({ min: 0, max: 31 }),
  state: fc.constantFrom(BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up),
  poll: fc.boolean(),
  final: fc.boolean(),
  controlPlaneIndependent: fc.boolean(),
  demand: fc.boolean(),
  detectMult: fc.integer({ min: 1, max: 255 }),
  myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  yourDiscriminator: u32,
  desiredMinTxUs: u32,
  requiredMinRxUs: u32,
  requiredMinEchoRxUs: u32,
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    if (m.kind === "set") b[m.at % b.length] = m.value;
    else if (m.kind === "truncate") b = b.subarray(0, m.at % (b.length + 1));
    else b = Buffer.concat([b, Buffer.from(m.bytes)]);
    if (b.length === 0) b = Buffer.alloc(1);
  }
  return b;
}

describe("BFD receive path under random input", () => {
  it("decodes 40,000 random byte strings without throwing, naming every drop", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), raw => check(Buffer.from(raw))),
      { numRuns: 40_000 },
    );
  });

  it("decodes 50,000 mutants of valid packets without throwing, naming every drop", () => {
    // Five mutants of each packet; mutating the version and length bytes is what reaches the later checks.
    fc.assert(
      fc.property(packet, fc.array(fc.array(mutation, { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 5 }), (p, variants) => {
        const bytes = encodeControl(p);
        for (const ms of variants) check(mutate(bytes, ms));
      }),
      { numRuns: 10_000 },
    );
  });

  it("keeps a session valid through 30,000 random packets and timer steps", () => {
    // Packets addressed to the session (your discriminator 7) mostly, so they reach the state machine.
    const step = fc.record({
      packet: fc.oneof(packet.map(p => encodeControl({ ...p, yourDiscriminator: 7 })), packet.map(encodeControl), fc.uint8Array({ maxLength: 40 }).map(b => Buffer.from(b))),
      advanceMs: fc.integer({ min: 0, max: 5_000 }),
    });
    fc.assert(
      fc.property(fc.boolean(), fc.array(step, { minLength: 15, maxLength: 15 }), (passive, steps) => {
        const clock = new FakeClock();
        const sent: Buffer[] = [];
        const s = new BfdSession({ desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3, localDiscriminator: 7, passive }, clock, b => sent.push(b), () => 0.5);
        s.start();
        let heard = false;
        for (const { packet: b, advanceMs } of steps) {
          inputs++;
          heard ||= decodeControl(b).ok && (b.readUInt32BE(8) === 0 || b.readUInt32BE(8) === 7);
          s.receive(b);
          clock.advance(advanceMs);
          if (s.state < BfdState.AdminDown || s.state > BfdState.Up) throw new Error(`state ${s.state}`);
          // Passive: silent until a packet for this session has been accepted.
          if (passive && !heard && sent.length > 0) throw new Error("a passive session sent before hearing the peer");
        }
        for (const out of sent) {
          const d = decodeControl(out);
          if (!d.ok || d.packet.myDiscriminator !== 7 || d.packet.requiredMinEchoRxUs !== 0) throw new Error(`sent a bad packet ${out.toString("hex")}`);
        }
        const before = sent.length;
        s.stop();
        clock.advance(60_000);
        // AdminDown once (when it had a peer to tell, or was not passive), then silence.
        if (sent.length - before > 1) throw new Error("kept sending after stop()");
      }),
      { numRuns: 2_000 },
    );
    expect(inputs).toBeGreaterThanOrEqual(100_000);
  });
});
