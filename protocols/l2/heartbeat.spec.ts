import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeHeartbeat, encodeHeartbeat, MAX_ACKS, type Heartbeat } from "./heartbeat";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const OTHER_KEY = Buffer.from("fedcba9876543210fedcba9876543210");
const HB: Heartbeat = { node: "node-a", incarnation: 0x0102030405060708n, sequence: 7, sentAtMs: 1_700_000_000_000, leaving: true, acks: ["node-c"] };

describe("heartbeat codec", () => {
  it("encodes the documented layout with an HMAC-SHA256 trailer", () => {
    const body = Buffer.from(
      "4c534842" + "01" + "01" + "0102030405060708" + "00000007" + "0000018bcfe56800" +
        "06" + Buffer.from("node-a").toString("hex") + "01" + "06" + Buffer.from("node-c").toString("hex"),
      "hex",
    );
    const mac = createHmac("sha256", KEY).update(body).digest();
    expect(encodeHeartbeat(HB, KEY).toString("hex")).toBe(Buffer.concat([body, mac]).toString("hex"));
  });

  it("round-trips", () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,40}$/);
    fc.assert(
      fc.property(name, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 2 ** 48 }), fc.boolean(), fc.boolean(), fc.uniqueArray(name, { maxLength: MAX_ACKS }), (node, incarnation, sequence, sentAtMs, leaving, standby, acks) => {
        const hb = { node, incarnation, sequence, sentAtMs, leaving, ...(standby ? { standby } : {}), acks: [...acks].sort() };
        expect(decodeHeartbeat(encodeHeartbeat(hb, KEY), [KEY])).toEqual({ kind: "ok", heartbeat: hb });
      }),
    );
  });

  it("carries standby as flag bit 1 and blind as bit 2 beside leaving, and ignores flag bits it does not know", () => {
    const flags = (hb: Heartbeat) => encodeHeartbeat(hb, KEY)[5];
    expect([flags({ ...HB, leaving: false }), flags(HB), flags({ ...HB, leaving: false, standby: true }), flags({ ...HB, standby: true }), flags({ ...HB, leaving: false, standby: true, blind: true })]).toEqual([0, 1, 2, 3, 6]);
    const blind = encodeHeartbeat({ ...HB, leaving: false, standby: true, blind: true }, KEY);
    expect(decodeHeartbeat(blind, [KEY])).toEqual({ kind: "ok", heartbeat: { ...HB, leaving: false, standby: true, blind: true } });
    // A later bit (here 0x08), signed by a newer speaker: read as if absent.
    const body = encodeHeartbeat({ ...HB, standby: true }, KEY).subarray(0, -32);
    body[5] = 0x0a;
    const signed = Buffer.concat([body, createHmac("sha256", KEY).update(body).digest()]);
    expect(decodeHeartbeat(signed, [KEY])).toEqual({ kind: "ok", heartbeat: { ...HB, leaving: false, standby: true } });
  });

  it("accepts any of the configured keys (rotation) and refuses others", () => {
    const packet = encodeHeartbeat(HB, KEY);
    expect(decodeHeartbeat(packet, [OTHER_KEY, KEY]).kind).toBe("ok");
    expect(decodeHeartbeat(packet, [OTHER_KEY])).toEqual({ kind: "reject", reason: "bad-mac" });
    expect(decodeHeartbeat(packet, [])).toEqual({ kind: "reject", reason: "bad-mac" });
  });

  it("refuses a tampered packet", () => {
    const packet = encodeHeartbeat(HB, KEY);
    packet[5] = 0; // clear the leaving flag
    expect(decodeHeartbeat(packet, [KEY])).toEqual({ kind: "reject", reason: "bad-mac" });
  });

  it("classifies structural problems", () => {
    const packet = encodeHeartbeat(HB, KEY);
    expect(decodeHeartbeat(packet.subarray(0, 40), [KEY])).toEqual({ kind: "reject", reason: "truncated" });
    const magic = Buffer.from(packet);
    magic[0] = 0x41;
    expect(decodeHeartbeat(magic, [KEY])).toEqual({ kind: "reject", reason: "bad-magic" });
    const version = Buffer.from(packet);
    version[4] = 2;
    expect(decodeHeartbeat(version, [KEY])).toEqual({ kind: "reject", reason: "bad-version" });
    // Correctly signed but inconsistent: a name length running past the body.
    const body = Buffer.concat([packet.subarray(0, 26), Buffer.from([200, 0x61, 0])]);
    const signed = Buffer.concat([body, createHmac("sha256", KEY).update(body).digest()]);
    expect(decodeHeartbeat(signed, [KEY])).toEqual({ kind: "reject", reason: "bad-structure" });
    const trailing = Buffer.concat([packet.subarray(0, packet.length - 32), Buffer.from([0])]);
    const signed2 = Buffer.concat([trailing, createHmac("sha256", KEY).update(trailing).digest()]);
    expect(decodeHeartbeat(signed2, [KEY])).toEqual({ kind: "reject", reason: "bad-structure" });
  });

  it("refuses short keys and bad names when encoding", () => {
    expect(() => encodeHeartbeat(HB, Buffer.from("short"))).toThrow("heartbeat key must be at least 16 bytes, got 5");
    expect(() => encodeHeartbeat({ ...HB, node: "" }, KEY)).toThrow('node name must be 1..253 bytes: ""');
  });

  it("never throws on random, mutated or validly signed garbage", () => {
    const packet = encodeHeartbeat(HB, KEY);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => void decodeHeartbeat(Buffer.from(b), [KEY])));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(packet.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(packet.length), (edits, cut) => {
        const p = Buffer.from(packet);
        for (const [at, v] of edits) p[at] = v;
        const r = decodeHeartbeat(p.subarray(0, cut), [KEY]);
        expect(r.kind === "reject" || p.subarray(0, cut).equals(packet)).toBe(true);
      }),
    );
    // Signed bodies with a valid header and arbitrary rest exercise the parser past the MAC check.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), rest => {
        const body = Buffer.concat([packet.subarray(0, 26), Buffer.from(rest)]);
        const r = decodeHeartbeat(Buffer.concat([body, createHmac("sha256", KEY).update(body).digest()]), [KEY]);
        expect(["ok", "reject"]).toContain(r.kind);
      }),
    );
  });
});
