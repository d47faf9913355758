import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KEEPALIVE } from "./codec/message";
import { encodeRouteRefresh } from "./codec/route-refresh";
import { MessageFramer } from "./framing";

describe("MessageFramer", () => {
  const stream = Buffer.concat([KEEPALIVE, encodeRouteRefresh({ afi: 2, subtype: 0, safi: 1 }), KEEPALIVE]);

  it("finds every message however the stream is cut", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }), cuts => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const framer = new MessageFramer();
        const out: string[] = [];
        let start = 0;
        for (const p of [...points, stream.length]) {
          for (const f of framer.push(stream.subarray(start, p))) out.push(f.ok ? f.message.toString("hex") : "error");
          start = p;
        }
        expect(out).toEqual([KEEPALIVE.toString("hex"), stream.subarray(19, 42).toString("hex"), KEEPALIVE.toString("hex")]);
        expect(framer.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it("holds back a partial message until the rest arrives", () => {
    const framer = new MessageFramer();
    expect(framer.push(stream.subarray(0, 30))).toHaveLength(1);
    expect(framer.buffered).toBe(11);
  });

  it("stops at a bad header as soon as the header is in, and ignores what follows", () => {
    const framer = new MessageFramer();
    const bad = Buffer.from(KEEPALIVE);
    bad.writeUInt16BE(0xffff, 16);
    const frames = framer.push(Buffer.concat([KEEPALIVE, bad]));
    expect(frames.map(f => (f.ok ? "ok" : [f.error.code, f.error.subcode, f.error.data.toString("hex")]))).toEqual(["ok", [1, 2, "ffff"]]);
    expect(framer.push(KEEPALIVE)).toEqual([]);
  });
});
