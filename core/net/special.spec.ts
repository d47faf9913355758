import { describe, expect, it } from "vitest";
import { parseIP, type IPAddress, type IPRange } from "./ip";
import { entirelyReserved, reservedCidr, reservedParts, reservedRangeOf, SPECIAL_RANGES } from "./special";

const ip = (text: string): IPAddress => parseIP(text) as IPAddress;
const range = (a: string, b: string): IPRange => ({ family: ip(a).family, first: ip(a).value, last: ip(b).value });
const named = (text: string, extra = [reservedCidr("10.96.0.0/12", "the cluster's Service range")]): string | undefined => {
  const r = reservedRangeOf(ip(text), extra);
  return r && `${r.what} ${r.text}`;
};

describe("special-purpose addresses", () => {
  const table: [string, string | undefined][] = [
    ["0.0.0.0", "this network 0.0.0.0/8"],
    ["0.255.255.255", "this network 0.0.0.0/8"],
    ["1.0.0.0", undefined],
    ["126.255.255.255", undefined],
    ["127.0.0.1", "loopback 127.0.0.0/8"],
    ["127.255.255.255", "loopback 127.0.0.0/8"],
    ["128.0.0.0", undefined],
    ["169.254.169.254", "link-local 169.254.0.0/16"],
    ["169.255.0.0", undefined],
    ["223.255.255.255", undefined],
    ["224.0.0.5", "multicast 224.0.0.0/4"],
    ["239.255.255.255", "multicast 224.0.0.0/4"],
    ["240.0.0.1", "reserved 240.0.0.0/4"],
    ["255.255.255.254", "reserved 240.0.0.0/4"],
    ["255.255.255.255", "limited broadcast 255.255.255.255/32"],
    ["10.96.0.1", "the cluster's Service range 10.96.0.0/12"],
    ["10.112.0.0", undefined],
    ["192.0.2.1", undefined],
    ["::", "unspecified ::/128"],
    ["::1", "loopback ::1/128"],
    ["::2", undefined],
    ["fe80::1", "link-local fe80::/10"],
    ["febf:ffff::", "link-local fe80::/10"],
    ["fec0::", undefined],
    ["ff02::1", "multicast ff00::/8"],
    ["2001:db8::1", undefined],
    // IPv4-mapped text is the IPv4 address (parseIP), so it is caught as IPv4.
    ["::ffff:127.0.0.1", "loopback 127.0.0.0/8"],
  ];
  for (const [text, expected] of table) it(`${text} -> ${expected ?? "not reserved"}`, () => expect(named(text)).toBe(expected));

  it("lists the blocks of the IANA registries the issue names, most specific first", () => {
    expect(SPECIAL_RANGES.map(r => r.text)).toEqual([
      "255.255.255.255/32", "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
      "::/128", "::1/128", "fe80::/10", "ff00::/8",
    ]);
  });

  it("clips, sorts and merges the reserved parts of a range", () => {
    const parts = reservedParts(range("126.0.0.0", "255.255.255.255"), SPECIAL_RANGES);
    expect(parts).toEqual([range("127.0.0.0", "127.255.255.255"), range("169.254.0.0", "169.254.255.255"), range("224.0.0.0", "255.255.255.255")]);
    expect(reservedParts(range("192.0.2.0", "192.0.2.255"), SPECIAL_RANGES)).toEqual([]);
  });

  it("tells a range wholly inside reserved blocks (even across adjacent blocks) from one that is not", () => {
    expect(entirelyReserved(range("224.0.0.0", "255.255.255.255"), SPECIAL_RANGES)).toBe(true);
    expect(entirelyReserved(range("127.0.0.5", "127.0.0.9"), SPECIAL_RANGES)).toBe(true);
    expect(entirelyReserved(range("223.255.255.255", "224.0.0.1"), SPECIAL_RANGES)).toBe(false);
    expect(entirelyReserved(range("::", "::1"), SPECIAL_RANGES)).toBe(true);
    expect(entirelyReserved(range("::", "::2"), SPECIAL_RANGES)).toBe(false);
  });
});
