import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { heartbeatKeysFromSecret } from "./heartbeat-keys";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("heartbeatKeysFromSecret", () => {
  it("reads secretkey, then previouskey", () => {
    expect(heartbeatKeysFromSecret({ data: { secretkey: b64("k".repeat(16)) } })).toEqual({ ok: true, keys: [Buffer.from("k".repeat(16))] });
    expect(heartbeatKeysFromSecret({ data: { secretkey: b64("n".repeat(32)), previouskey: b64("o".repeat(32)) } })).toEqual({
      ok: true,
      keys: [Buffer.from("n".repeat(32)), Buffer.from("o".repeat(32))],
    });
  });

  it.each([
    [{}, "Secret has no data.secretkey"],
    [{ data: { previouskey: b64("o".repeat(32)) } }, "Secret has no data.secretkey"],
    [{ data: { secretkey: "not base64!" } }, "data.secretkey is not base64"],
    [{ data: { secretkey: "abc" } }, "data.secretkey is not base64"],
    [{ data: { secretkey: b64("short") } }, "data.secretkey must decode to at least 16 bytes, got 5"],
    [{ data: { secretkey: b64("k".repeat(16)), previouskey: "" } }, "data.previouskey must decode to at least 16 bytes, got 0"],
  ])("refuses %j", (secret, message) => {
    expect(heartbeatKeysFromSecret(secret)).toEqual({ ok: false, message });
  });

  it("never throws, and any key it returns is at least 16 bytes", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("secretkey", "previouskey", "other"), fc.oneof(fc.string(), fc.base64String())), data => {
        const r = heartbeatKeysFromSecret({ data });
        if (r.ok) for (const k of r.keys) expect(k.length).toBeGreaterThanOrEqual(16);
      }),
    );
  });
});
