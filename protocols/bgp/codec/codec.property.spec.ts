/**
 * Property tests of the codec: random valid messages survive encode -> decode -> encode, and
 * random or mutated bytes never make a decoder throw, hang, or answer outside the RFC codes.
 * The fuzzing runs add up to well over 100,000 decoded inputs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MessageFramer } from "../framing";
import { bgpMessage, openMessage, updateMessage } from "../../../test/bgp/codec/arbitraries";
import { decodeAttributes } from "./attributes";
import type { Decoded } from "./errors";
import { encodeMessage, type MessageTypeCode } from "./header";
import { decodeBgpMessage, encodeBgpMessage } from "./message";
import { decodeOpenBody } from "./open";
import { decodeUpdateBody, encodeUpdate } from "./update";

const contexts = [{ fourOctetAs: true }, { fourOctetAs: false }, { fourOctetAs: true, external: true }, { fourOctetAs: true, extendedNextHop: true }];
let decoded = 0;

const actions = new Set(["session-reset", "treat-as-withdraw", "attribute-discard"]);

/**
 * Runs one decode and checks the answer is well-formed. Plain checks rather than expect():
 * this runs 100,000+ times and expect() would dominate the time.
 */
function check(result: () => Decoded<unknown>): void {
  decoded++;
  const r = result();
  if (r.ok) return;
  const e = r.error;
  if (!(e.code >= 1 && e.code <= 7) || !actions.has(e.action) || !Buffer.isBuffer(e.data) || e.message === "") {
    throw new Error(`malformed error ${JSON.stringify(e)}`);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Buffer, ms: readonly Mutation[], fixLength: boolean): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === "set") b[at] = m.value;
    else if (m.kind === "truncate") b = b.subarray(0, at);
    else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
  }
  // Mostly keep the header's length honest, so mutations reach the body decoders.
  if (fixLength && b.length >= 19) b.writeUInt16BE(Math.min(b.length, 0xffff), 16);
  return b;
}

describe("codec properties", () => {
  it("round-trips random valid messages, byte for byte, with 4- and 2-octet AS numbers", () => {
    for (const fourOctetAs of [true, false]) {
      const ctx = { fourOctetAs };
      fc.assert(
        fc.property(bgpMessage(fourOctetAs), m => {
          const bytes = encodeBgpMessage(m, ctx);
          const back = decodeBgpMessage(bytes, ctx);
          expect(back.ok).toBe(true);
          if (!back.ok) return;
          const { problems, treatAsWithdraw, ...message } = back.value;
          expect(message).toEqual(m);
          if (problems) expect(problems).toEqual([]);
          expect(treatAsWithdraw ?? false).toBe(false);
          expect(encodeBgpMessage(message, ctx).equals(bytes)).toBe(true);
        }),
        { numRuns: 1000 },
      );
    }
  });

  it("encodeUpdate (prefixes written in place) gives the bytes of the general encoder, or RangeError past 4096 octets", () => {
    for (const fourOctetAs of [true, false]) {
      const ctx = { fourOctetAs, external: true };
      fc.assert(
        fc.property(updateMessage(fourOctetAs), u => {
          const general = encodeBgpMessage({ type: "update", update: u }, ctx);
          if (general.length > 4096) expect(() => encodeUpdate(u, ctx)).toThrow(new RangeError(`UPDATE of ${general.length} octets exceeds 4096`));
          else expect(encodeUpdate(u, ctx).toString("hex")).toBe(general.toString("hex"));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it("never throws on valid messages mutated at random (72,000 inputs)", () => {
    // Eight mutants of each generated message: generating messages costs more than decoding them.
    const mutants = fc.array(fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean()), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(bgpMessage(true), mutants, (m, variants) => {
        const original = encodeBgpMessage(m, { fourOctetAs: true });
        for (const [ms, fix] of variants) {
          const bytes = mutate(original, ms, fix);
          for (const ctx of contexts) check(() => decodeBgpMessage(bytes, ctx));
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it("never throws on random bodies behind a valid header (40,000 inputs)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 120 }), (type, body) => {
        const bytes = encodeMessage(type as MessageTypeCode, Buffer.from(body));
        check(() => decodeBgpMessage(bytes, contexts[0] as (typeof contexts)[0]));
        check(() => decodeBgpMessage(bytes, contexts[1] as (typeof contexts)[1]));
      }),
      { numRuns: 20_000 },
    );
  });

  it("never throws on random bytes fed straight to the body and attribute decoders (30,000 inputs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), raw => {
        const b = Buffer.from(raw);
        check(() => decodeUpdateBody(b, { fourOctetAs: true }));
        check(() => decodeOpenBody(b));
        check(() => decodeAttributes(b, { fourOctetAs: false }));
      }),
      { numRuns: 10_000 },
    );
  });

  it("never throws when mutated OPENs and UPDATEs go through the framer in random pieces", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(openMessage.map(open => ({ type: "open" as const, open })), updateMessage(true).map(update => ({ type: "update" as const, update }))), { maxLength: 4 }), fc.array(mutation, { maxLength: 2 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (ms, muts, cuts) => {
        const stream = mutate(Buffer.concat(ms.map(m => encodeBgpMessage(m, { fourOctetAs: true }))), muts, false);
        const framer = new MessageFramer();
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length] as number;
          for (const f of framer.push(stream.subarray(offset, offset + size))) {
            if (f.ok) check(() => decodeBgpMessage(f.message, { fourOctetAs: true }));
          }
          offset += size;
        }
      }),
      { numRuns: 1_000 },
    );
    expect(decoded).toBeGreaterThanOrEqual(100_000);
  });
});
