import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BfdState, decodeControl, encodeControl, type ControlPacket } from "./packet";

const up: ControlPacket = {
  diag: 0, state: BfdState.Up, poll: true, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3,
  myDiscriminator: 0x11223344, yourDiscriminator: 0x55667788, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 50_000,
};
const wire = "20e00318 11223344 55667788 000493e0 000493e0 0000c350".replace(/ /g, "");

describe("BFD control packet", () => {
  it("encodes to exact bytes and decodes back", () => {
    expect(encodeControl(up).toString("hex")).toBe(wire);
    expect(decodeControl(Buffer.from(wire, "hex"))).toEqual({ ok: true, packet: up });
  });

  it("drops what RFC 5880 6.8.6 says to drop, with the reason", () => {
    const variant = (f: (b: Buffer) => void) => {
      const b = Buffer.from(wire, "hex");
      f(b);
      const r = decodeControl(b);
      return r.ok ? "accepted" : r.reason;
    };
    expect(decodeControl(Buffer.alloc(23)).ok ? "" : "short").toBe("short");
    expect(variant(b => (b[0] = 0x40))).toBe("bad-version");
    expect(variant(b => (b[3] = 30))).toBe("bad-length");
    expect(variant(b => (b[3] = 20))).toBe("bad-length");
    expect(variant(b => (b[1] = 0xc4))).toBe("authentication-unsupported");
    expect(variant(b => (b[2] = 0))).toBe("zero-detect-mult");
    expect(variant(b => (b[1] = 0xc1))).toBe("multipoint");
    expect(variant(b => b.writeUInt32BE(0, 4))).toBe("zero-my-discriminator");
    expect(variant(b => b.writeUInt32BE(0, 8))).toBe("zero-your-discriminator");
    expect(variant(b => (b.writeUInt32BE(0, 8), (b[1] = 0x40)))).toBe("accepted"); // Down may not know us yet
  });

  it("round-trips any valid packet and never throws on random bytes", () => {
    const u32 = fc.nat({ max: 0xffffffff });
    const packet = fc.record({
      diag: fc.integer({ min: 0, max: 31 }),
      state: fc.constantFrom(BfdState.Down, BfdState.AdminDown),
      poll: fc.boolean(), final: fc.boolean(), controlPlaneIndependent: fc.boolean(), demand: fc.boolean(),
      detectMult: fc.integer({ min: 1, max: 255 }),
      myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
      yourDiscriminator: u32, desiredMinTxUs: u32, requiredMinRxUs: u32, requiredMinEchoRxUs: u32,
    });
    fc.assert(fc.property(packet, p => void expect(decodeControl(encodeControl(p))).toEqual({ ok: true, packet: p })), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), b => void decodeControl(Buffer.from(b))), { numRuns: 20_000 });
  });
});
