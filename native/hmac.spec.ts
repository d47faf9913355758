/**
 * The addon's HMAC-SHA256 check (native/hmac.c), which the speaker uses on every heartbeat it receives,
 * gives node:crypto's answer for any body, keys (longer than a block too) and MAC, right or wrong.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { expect, it } from "vitest";
import { checkMac } from "../protocols/l2/heartbeat";
import { hmacSha256Verify } from "./index";

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map(a => Buffer.from(a));

it("agrees with node:crypto on right MACs, wrong ones and wrong lengths", () => {
  fc.assert(
    fc.property(bytes(0, 300), fc.array(bytes(1, 100), { minLength: 0, maxLength: 3 }), bytes(1, 100), fc.integer({ min: 0, max: 40 }).filter(n => n !== 32), fc.integer({ min: -1, max: 31 }), (body, keys, signer, macLength, flip) => {
      const right = createHmac("sha256", signer).update(body).digest();
      const mac = flip >= 0 ? Buffer.from(right.map((b, i) => (i === flip ? b ^ 1 : b))) : right;
      const withSigner = [...keys, signer];
      expect(hmacSha256Verify(body, mac, withSigner)).toBe(checkMac(body, mac, withSigner));
      expect(hmacSha256Verify(body, mac, withSigner)).toBe(flip < 0);
      expect(hmacSha256Verify(body, mac, keys)).toBe(keys.some(k => k.equals(signer)) && flip < 0);
      // A MAC of another length is never right (node:crypto's timingSafeEqual throws on one).
      const other = macLength < 32 ? right.subarray(0, macLength) : Buffer.concat([right, Buffer.alloc(macLength - 32)]);
      expect(hmacSha256Verify(body, other, withSigner)).toBe(false);
    }),
  );
});

it("refuses what is not Buffers with the argument named", () => {
  expect(() => hmacSha256Verify("x" as unknown as Buffer, Buffer.alloc(32), [])).toThrow("body must be a Buffer");
  expect(() => hmacSha256Verify(Buffer.alloc(1), Buffer.alloc(32), ["k" as unknown as Buffer])).toThrow("keys must be an array of Buffers");
});
