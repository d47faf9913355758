/**
 * RFC 8950 on the wire: the Extended Next Hop Encoding capability (code 5) and IPv4 routes carried in
 * MP_REACH_NLRI with an IPv6 next hop of 16 or 32 octets, as an unnumbered session sends them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../../core/net/ip";
import { buildOpen, negotiate, type PeerSettings } from "../open-checks";
import { packUpdates } from "../update-packer";
import { ipv4Prefix } from "../../../test/bgp/codec/arbitraries";
import { decodeCapabilities, encodeCapability, type Capability } from "./capabilities";
import { decodeBgpMessage } from "./message";
import { encodeOpen, type OpenMessage } from "./open";
import { decodeUpdateBody, encodeUpdate, type UpdateMessage } from "./update";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const MARKER = "ffffffffffffffffffffffffffffffff";
const ORIGIN = "40 01 01 00";
const AS_PATH = "40 02 06 02 01 0000fde8"; // AS_SEQUENCE [65000]

describe("Extended Next Hop capability (RFC 8950 4)", () => {
  const cap: Capability = { type: "extended-next-hop", families: [{ afi: 1, safi: 1, nextHopAfi: 2 }] };

  it("encodes IPv4 unicast over IPv6 as code 5, length 6, AFI 1, SAFI 1 in two octets, next hop AFI 2", () => {
    expect(encodeCapability(cap).toString("hex")).toBe("0506000100010002");
  });

  it("decodes several entries, SAFI in two octets", () => {
    expect(decodeCapabilities(hex("050c 0001 0001 0002  0001 0080 0002"))).toEqual({
      ok: true,
      value: [{ type: "extended-next-hop", families: [{ afi: 1, safi: 1, nextHopAfi: 2 }, { afi: 1, safi: 128, nextHopAfi: 2 }] }],
    });
  });

  it("refuses a length that is not a multiple of 6 with an OPEN error (2/0)", () => {
    const r = decodeCapabilities(hex("0505 0001 0001 00"));
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.action, r.error.message]).toEqual([2, 0, "session-reset", "extended next hop capability length 5, want a multiple of 6"]);
  });

  const settings: PeerSettings = { myAsn: 65000, peerAsn: 65001, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4", "IPv6"], extendedNextHop: true };

  it("is in our OPEN after the multiprotocol capabilities when asked for", () => {
    const open = buildOpen(settings);
    expect(encodeOpen(open).toString("hex")).toBe(
      hex(`${MARKER} 003b 01 04 fde8 005a c0000201 1e
        02 1c  01 04 0001 00 01  01 04 0002 00 01  05 06 0001 0001 0002  02 00  41 04 0000fde8`).toString("hex"),
    );
    expect(buildOpen({ ...settings, extendedNextHop: false }).capabilities.some(c => c.type === "extended-next-hop")).toBe(false);
  });

  const peerOpen = (capabilities: Capability[]): OpenMessage => ({ version: 4, myAs: 65001, holdTimeS: 9, bgpId: 0xc0000202, capabilities });
  const mp: Capability[] = [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "multiprotocol", afi: 2, safi: 1 }];

  it("is negotiated only when both sides offer IPv4 unicast with an IPv6 next hop", () => {
    expect(negotiate(peerOpen([...mp, cap]), settings).extendedNextHop).toBe(true);
    expect(negotiate(peerOpen(mp), settings).extendedNextHop).toBe(false);
    expect(negotiate(peerOpen([...mp, { type: "extended-next-hop", families: [{ afi: 1, safi: 128, nextHopAfi: 2 }] }]), settings).extendedNextHop).toBe(false);
    expect(negotiate(peerOpen([...mp, cap]), { ...settings, extendedNextHop: false }).extendedNextHop).toBe(false);
  });
});

describe("IPv4 routes with an IPv6 next hop (RFC 8950 3)", () => {
  const attributes = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [65000] }] };
  const ctx = { fourOctetAs: true, extendedNextHop: true };

  it("packs them in MP_REACH_NLRI AFI 1 with a 32-octet next hop: global, then link-local", () => {
    const [update, ...rest] = packUpdates(
      [{ prefix: cidr("198.51.100.10/32"), nextHop: ip("2001:db8::a"), linkLocalNextHop: ip("fe80::a"), attributes }],
      [],
      ctx,
    );
    expect(rest).toEqual([]);
    expect(encodeUpdate(update as UpdateMessage, ctx).toString("hex")).toBe(
      hex(`${MARKER} 0051 02  0000 003a ${ORIGIN} ${AS_PATH}
        80 0e 2a 0001 01 20 20010db800000000000000000000000a fe80000000000000000000000000000a 00  20 c633640a`).toString("hex"),
    );
  });

  it("with only a link-local address, a 16-octet next hop", () => {
    const [update] = packUpdates([{ prefix: cidr("198.51.100.10/32"), nextHop: ip("fe80::a"), attributes }], [], ctx);
    expect(encodeUpdate(update as UpdateMessage, ctx).toString("hex")).toBe(
      hex(`${MARKER} 0041 02  0000 002a ${ORIGIN} ${AS_PATH}
        80 0e 1a 0001 01 10 fe80000000000000000000000000000a 00  20 c633640a`).toString("hex"),
    );
  });

  it("IPv6 routes of the same session carry both next hops too, in their own MP_REACH_NLRI", () => {
    const updates = packUpdates(
      [
        { prefix: cidr("198.51.100.10/32"), nextHop: ip("2001:db8::a"), linkLocalNextHop: ip("fe80::a"), attributes },
        { prefix: cidr("2001:db8:5::1/128"), nextHop: ip("2001:db8::a"), linkLocalNextHop: ip("fe80::a"), attributes },
      ],
      [],
      ctx,
    );
    expect(updates.map(u => [u.attributes.mpReach?.afi, u.attributes.mpReach?.nextHops.map(a => a.value.toString(16)), u.nlri.length])).toEqual([
      [1, ["20010db800000000000000000000000a", "fe80000000000000000000000000000a"], 0],
      [2, ["20010db800000000000000000000000a", "fe80000000000000000000000000000a"], 0],
    ]);
  });

  const body32 = hex(`0000 003a ${ORIGIN} ${AS_PATH}
    80 0e 2a 0001 01 20 20010db800000000000000000000000a fe80000000000000000000000000000a 00 20 c633640a`);

  it("decodes them when the capability was negotiated", () => {
    const r = decodeUpdateBody(body32, ctx);
    expect(r.ok && r.value.update.attributes.mpReach).toEqual({ afi: 1, safi: 1, nextHops: [ip("2001:db8::a"), ip("fe80::a")], nlri: [cidr("198.51.100.10/32")] });
  });

  it("resets the session (RFC 7606 7.11) when it was not", () => {
    const r = decodeUpdateBody(body32, { fourOctetAs: true });
    expect(r.ok ? undefined : [r.error.code, r.error.subcode, r.error.action, r.error.message]).toEqual([
      3, 9, "session-reset", "MP_REACH_NLRI next hop length 32 for IPv4 without the extended next hop capability (RFC 8950)",
    ]);
  });

  it("resets the session on a next hop length that is neither 4, 16 nor 32", () => {
    const r = decodeUpdateBody(hex(`0000 001d ${ORIGIN} ${AS_PATH} 80 0e 0d 0001 01 08 20010db800000000 00`), ctx);
    expect(r.ok ? undefined : [r.error.action, r.error.message]).toEqual(["session-reset", "MP_REACH_NLRI next hop length 8 is invalid for IPv4"]);
  });

  const v6 = fc.bigInt({ min: 1n, max: (1n << 128n) - 1n }).map((value): IPAddress => ({ family: "IPv6", value }));
  const linkLocal = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((low): IPAddress => ({ family: "IPv6", value: (0xfe80n << 112n) | low }));

  it("round-trips random IPv4 routes through random 16- and 32-octet next hops, byte for byte", () => {
    fc.assert(
      fc.property(fc.array(ipv4Prefix, { minLength: 1, maxLength: 40 }), v6, fc.option(linkLocal, { nil: undefined }), (prefixes, nextHop, ll) => {
        const routes = prefixes.map(prefix => ({ prefix, nextHop, ...(ll ? { linkLocalNextHop: ll } : {}), attributes }));
        for (const u of packUpdates(routes, [], ctx)) {
          const bytes = encodeUpdate(u, ctx);
          const back = decodeBgpMessage(bytes, ctx);
          expect(back.ok).toBe(true);
          if (!back.ok || back.value.type !== "update") return;
          expect(back.value.update).toEqual(u);
          expect(back.value.update.attributes.mpReach?.nextHops).toEqual(ll ? [nextHop, ll] : [nextHop]);
          expect(encodeUpdate(back.value.update, ctx).equals(bytes)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
