/** The protobuf request decoder: a hand-built Namespace envelope, and arbitrary bytes never crash it. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeProtobuf } from "./protobuf";

const ld = (no: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([(no << 3) | 2, payload.length]), payload]);
const str = (no: number, s: string): Buffer => ld(no, Buffer.from(s));

describe("protobuf decoding", () => {
  it("decodes a Namespace with a label", () => {
    const meta = Buffer.concat([str(1, "rec2"), ld(11, Buffer.concat([str(1, "team"), str(2, "net")]))]);
    const unknown = Buffer.concat([ld(1, Buffer.concat([str(1, "v1"), str(2, "Namespace")])), ld(2, ld(1, meta))]);
    const raw = Buffer.concat([Buffer.from("k8s\u0000", "latin1"), unknown]);
    expect(decodeProtobuf(raw, "Namespace")).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "rec2", labels: { team: "net" } } });
    expect(decodeProtobuf(raw, "Service")).toBeUndefined();
  });

  it("arbitrary bodies decode, are refused (undefined), or throw an Error - nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const raw = Buffer.concat([Buffer.from("k8s\u0000", "latin1"), Buffer.from(bytes)]);
        try {
          const out = decodeProtobuf(raw, "Namespace");
          if (out !== undefined) expect(out.kind).toBe("Namespace");
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
