import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { expandRange, translateAddresses } from "./translate";

describe("translateAddresses", () => {
  it("rewrites the examples' pool range and requested IP into the documentation range", () => {
    const pool = "spec:\n  addresses:\n    - 192.168.172.160-192.168.172.169\n";
    expect(translateAddresses(pool, "192.168.172", "192.0.2")).toEqual({
      text: "spec:\n  addresses:\n    - 192.0.2.160-192.0.2.169\n",
      rewritten: [
        ["192.168.172.160", "192.0.2.160"],
        ["192.168.172.169", "192.0.2.169"],
      ],
    });
    expect(translateAddresses("  loadBalancerIP: 192.168.172.161\n", "192.168.172", "198.51.100").text).toBe("  loadBalancerIP: 198.51.100.161\n");
    expect(translateAddresses("- 192.168.172.0/24", "192.168.172", "192.0.2").text).toBe("- 192.0.2.0/24");
  });

  it("leaves other networks, longer dotted numbers and non-addresses alone", () => {
    for (const text of ["192.168.17.1", "192.168.1721.5", "1192.168.172.5", "192.168.172.5.1", "192.168.172.256", "192.168.172.01", "v192.168.172"]) {
      expect(translateAddresses(text, "192.168.172", "192.0.2")).toEqual({ text, rewritten: [] });
    }
  });

  it("maps every host octet to the same octet and touches nothing else (property)", () => {
    const filler = fc.stringMatching(/^[a-z :\-\n]*$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, fc.integer({ min: 0, max: 255 }))), filler, (parts, tail) => {
        const source = parts.map(([text, octet]) => `${text} 192.168.172.${octet}`).join("") + tail;
        const expected = parts.map(([text, octet]) => `${text} 192.0.2.${octet}`).join("") + tail;
        const result = translateAddresses(source, "192.168.172", "192.0.2");
        expect(result.text).toBe(expected);
        expect(result.rewritten.map(([, to]) => to)).toEqual(parts.map(([, octet]) => `192.0.2.${octet}`));
      }),
    );
  });

  it("is the identity on text without the source network (property)", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes("192.168.172."));
        expect(translateAddresses(text, "192.168.172", "192.0.2")).toEqual({ text, rewritten: [] });
      }),
    );
  });
});

describe("expandRange", () => {
  it("lists the addresses of a range within one /24, or a single /32", () => {
    expect(expandRange("192.0.2.160-192.0.2.163")).toEqual(["192.0.2.160", "192.0.2.161", "192.0.2.162", "192.0.2.163"]);
    expect(expandRange("198.51.100.7/32")).toEqual(["198.51.100.7"]);
  });

  it("refuses other forms with the entry in the message", () => {
    for (const entry of ["192.0.2.0/24", "192.0.2.9-192.0.3.1", "192.0.2.9-192.0.2.1", "2001:db8::1-2001:db8::2", "192.0.2.1-192.0.2.256"]) {
      expect(() => expandRange(entry)).toThrow(`the lab handles pool entries A-B within one /24 or A/32, not ${JSON.stringify(entry)}`);
    }
  });

  it("has b - a + 1 addresses, all in the /24 (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (x, y) => {
        const [a, b] = x <= y ? [x, y] : [y, x];
        const list = expandRange(`203.0.113.${a}-203.0.113.${b}`);
        expect(list.length).toBe(b - a + 1);
        expect(list[0]).toBe(`203.0.113.${a}`);
        expect(list.at(-1)).toBe(`203.0.113.${b}`);
      }),
    );
  });
});
