import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatMac, ipv6MulticastMac, parseMac, solicitedNodeMac } from "./mac";

describe("parseMac / formatMac", () => {
  it("parses colon and dash forms, any case", () => {
    expect(parseMac("02:00:5E:10:00:01")).toEqual(Buffer.from([2, 0, 0x5e, 0x10, 0, 1]));
    expect(parseMac("33-33-ff-00-02-00")).toEqual(Buffer.from([0x33, 0x33, 0xff, 0, 2, 0]));
  });

  it("refuses anything else", () => {
    for (const text of ["", "02:00:5e:10:00", "02:00:5e:10:00:01:02", "2:00:5e:10:00:01", "02:00-5e:10:00:01", "0g:00:5e:10:00:01", " 02:00:5e:10:00:01"]) {
      expect(parseMac(text), text).toBeUndefined();
    }
  });

  it("round-trips every MAC (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const text = formatMac(bytes);
        expect(text).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(parseMac(text)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("never throws and only accepts 17-character texts (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        const parsed = parseMac(text);
        if (parsed !== undefined) expect(text.length).toBe(17);
      }),
    );
  });

  it("formats only 6-byte values", () => {
    expect(() => formatMac(new Uint8Array(5))).toThrow("a MAC address has 6 bytes, not 5");
  });
});

describe("IPv6 multicast MACs", () => {
  const address = Buffer.from("20010db80000000000000000abcd0200", "hex");

  it("maps the solicited-node group of an address to 33:33:ff + its last 24 bits", () => {
    expect(formatMac(solicitedNodeMac(address))).toBe("33:33:ff:cd:02:00");
  });

  it("maps a group to 33:33 + its last 32 bits", () => {
    expect(formatMac(ipv6MulticastMac(Buffer.from("ff020000000000000000000000000001", "hex")))).toBe("33:33:00:00:00:01");
    expect(() => ipv6MulticastMac(new Uint8Array(4))).toThrow("an IPv6 address has 16 bytes, not 4");
    expect(() => solicitedNodeMac(new Uint8Array(4))).toThrow("an IPv6 address has 16 bytes, not 4");
  });
});
