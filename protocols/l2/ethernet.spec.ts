import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeEthernet, encodeEthernet, macFromBytes, macToBytes, parseMac } from "./ethernet";

describe("MAC text", () => {
  it("parses and normalises", () => {
    expect(parseMac("02:00:00:AA:bb:01")).toBe("02:00:00:aa:bb:01");
    expect(parseMac("02-00-00-aa-bb-01")).toBe("02:00:00:aa:bb:01");
    expect(parseMac("02:00:00:aa:bb")).toBeUndefined();
    expect(parseMac("02:00:00:aa:bb:0g")).toBeUndefined();
    expect(macToBytes(parseMac("02:00:5E:10:00:01")!)).toEqual(Buffer.from([2, 0, 0x5e, 0x10, 0, 1]));
    expect(macToBytes(parseMac("33-33-ff-00-02-00")!)).toEqual(Buffer.from([0x33, 0x33, 0xff, 0, 2, 0]));
  });

  it("refuses anything else, mixed separators included", () => {
    for (const text of ["", "02:00:5e:10:00", "02:00:5e:10:00:01:02", "2:00:5e:10:00:01", "02:00-5e:10:00:01", "0g:00:5e:10:00:01", " 02:00:5e:10:00:01"]) {
      expect(parseMac(text), text).toBeUndefined();
      expect(() => macToBytes(text), text).toThrow(`not a MAC address: ${JSON.stringify(text)}`);
    }
  });

  it("never throws and only accepts 17-character texts (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), text => {
        const parsed = parseMac(text);
        if (parsed !== undefined) expect(text.length).toBe(17);
      }),
    );
  });

  it("converts to bytes exactly, refusing non-MACs", () => {
    expect(macToBytes("02:00:00:AA:bb:01").toString("hex")).toBe("020000aabb01");
    expect(macToBytes("02-00-00-aa-bb-01").toString("hex")).toBe("020000aabb01");
    for (const bad of ["", "02:00:00:aa:bb", "02:00:00:aa:bb:0g", "02:00:00:aa:bb:01:", "02.00.00.aa.bb.01"]) {
      expect(() => macToBytes(bad)).toThrow(`not a MAC address: ${JSON.stringify(bad)}`);
    }
  });

  it("round-trips bytes -> text -> bytes, and agrees with parseMac on any text", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), b => {
      const buf = Buffer.from(b);
      expect(macToBytes(macFromBytes(buf, 0)).equals(buf)).toBe(true);
    }));
    fc.assert(fc.property(fc.string({ maxLength: 20 }), text => {
      const parsed = parseMac(text);
      if (parsed === undefined) expect(() => macToBytes(text)).toThrow();
      else expect(macFromBytes(macToBytes(text), 0)).toBe(parsed);
    }));
  });
});

describe("Ethernet framing", () => {
  it("pads short frames to 60 bytes and decodes the header", () => {
    const f = encodeEthernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 0x0806, Buffer.from([1, 2, 3]));
    expect(f.toString("hex")).toBe("ffffffffffff0200000000010806010203" + "00".repeat(43));
    expect(decodeEthernet(f)).toMatchObject({ destination: "ff:ff:ff:ff:ff:ff", source: "02:00:00:00:00:01", etherType: 0x0806 });
    expect(decodeEthernet(f.subarray(0, 13))).toEqual({ kind: "drop", reason: "ethernet-truncated" });
  });
});
