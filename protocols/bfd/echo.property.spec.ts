/**
 * Robustness of the echo receive path: whatever arrives on the interface (random bytes, our frames
 * mutated at random) is decoded without throwing, every drop has a named reason, and what is accepted
 * is an echo of ours as encoded. The inputs are counted and the count asserted.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEchoFrame, encodeEchoFrame, type EchoDropReason } from "./echo";

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
