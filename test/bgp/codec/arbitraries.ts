/**
 * fast-check generators of valid BGP messages, shared by the property tests. Valid means the
 * decoder must give back exactly what was encoded, so each generator stays inside what the
 * encoding can express (no empty communities, AS_PATH segments of 1..255 AS numbers, a usable
 * NEXT_HOP, attributes well within 4096 octets).
 */
import fc from "fast-check";
import type { Cidr, IPAddress } from "../../../core/net/ip";
import { hostMask } from "../../../core/net/ip";
import type { AsPathSegment } from "../../../protocols/bgp/codec/as-path";
import type { PathAttributes, RawAttribute } from "../../../protocols/bgp/codec/attributes";
import type { Capability } from "../../../protocols/bgp/codec/capabilities";
import type { BgpMessage } from "../../../protocols/bgp/codec/message";
import type { OpenMessage } from "../../../protocols/bgp/codec/open";
import type { UpdateMessage } from "../../../protocols/bgp/codec/update";

const u32 = fc.nat({ max: 0xffffffff });

export const ipv4Prefix: fc.Arbitrary<Cidr> = fc
  .tuple(u32, fc.integer({ min: 0, max: 32 }))
  .map(([v, len]) => ({ family: "IPv4" as const, base: BigInt(v) & ~hostMask("IPv4", len), prefix: len }));

export const ipv6Prefix: fc.Arbitrary<Cidr> = fc
  .tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }))
  .map(([v, len]) => ({ family: "IPv6" as const, base: v & ~hostMask("IPv6", len), prefix: len }));

const ipv6Address: fc.Arbitrary<IPAddress> = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(value => ({ family: "IPv6" as const, value }));
const ipv4Address: fc.Arbitrary<IPAddress> = u32.map(v => ({ family: "IPv4" as const, value: BigInt(v) }));
/** A NEXT_HOP the decoder accepts: not 0.0.0.0, not multicast or reserved. */
const unicastV4: fc.Arbitrary<IPAddress> = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map(v => ({ family: "IPv4" as const, value: BigInt(v) }));

const segment = (asn: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment> =>
  fc.record({ type: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const), asns: fc.array(asn, { minLength: 1, maxLength: 12 }) });

const unknownAttrs: fc.Arbitrary<RawAttribute[]> = fc
  .uniqueArray(fc.integer({ min: 100, max: 250 }), { maxLength: 3 })
  .chain(types =>
    fc.tuple(...types.sort((a, b) => a - b).map(type => fc.record({ flags: fc.constantFrom(0xc0, 0xe0), type: fc.constant(type), value: fc.uint8Array({ maxLength: 20 }).map(b => Buffer.from(b)) }))),
  );

/** Attributes of a route-carrying UPDATE (so ORIGIN, AS_PATH and NEXT_HOP are always there). */
export const pathAttributes = (fourOctetAs: boolean): fc.Arbitrary<PathAttributes> => {
  const asn = fourOctetAs ? u32 : fc.integer({ min: 0, max: 0xffff });
  return fc.record(
    {
      origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
      asPath: fc.array(segment(asn), { maxLength: 3 }),
      nextHop: unicastV4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn, address: ipv4Address }),
      communities: fc.array(u32, { minLength: 1, maxLength: 8 }),
      mpReach: fc.record({ afi: fc.constant(2), safi: fc.constant(1), nextHops: fc.array(ipv6Address, { minLength: 1, maxLength: 2 }), nlri: fc.array(ipv6Prefix, { maxLength: 8 }) }),
      mpUnreach: fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.array(ipv6Prefix, { maxLength: 8 }) }),
      as4Path: fc.array(segment(u32), { maxLength: 2 }),
      largeCommunities: fc.array(fc.record({ globalAdmin: u32, localData1: u32, localData2: u32 }), { minLength: 1, maxLength: 4 }),
      unknown: unknownAttrs.filter(u => u.length > 0),
    },
    { requiredKeys: ["origin", "asPath", "nextHop"] },
  );
};

export const updateMessage = (fourOctetAs: boolean): fc.Arbitrary<UpdateMessage> =>
  fc.record({ withdrawn: fc.array(ipv4Prefix, { maxLength: 20 }), attributes: pathAttributes(fourOctetAs), nlri: fc.array(ipv4Prefix, { maxLength: 20 }) });

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ type: fc.constant("multiprotocol" as const), afi: fc.integer({ min: 0, max: 0xffff }), safi: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ type: "route-refresh" as const }),
  fc.record({
    type: fc.constant("extended-next-hop" as const),
    families: fc.array(fc.record({ afi: fc.integer({ min: 0, max: 0xffff }), safi: fc.integer({ min: 0, max: 0xffff }), nextHopAfi: fc.integer({ min: 0, max: 0xffff }) }), { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant("four-octet-as" as const), asn: u32 }),
  fc.record({
    type: fc.constant("graceful-restart" as const),
    flags: fc.integer({ min: 0, max: 15 }),
    restartTimeS: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: fc.integer({ min: 0, max: 0xffff }), safi: fc.integer({ min: 0, max: 255 }), forwardingPreserved: fc.boolean() }), { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant("unknown" as const),
    code: fc.integer({ min: 0, max: 255 }).filter(c => ![1, 2, 5, 64, 65].includes(c)),
    value: fc.uint8Array({ maxLength: 12 }).map(b => Buffer.from(b)),
  }),
);

export const openMessage: fc.Arbitrary<OpenMessage> = fc.record({
  version: fc.constant(4),
  myAs: fc.integer({ min: 0, max: 0xffff }),
  holdTimeS: fc.integer({ min: 0, max: 0xffff }),
  bgpId: u32,
  capabilities: fc.array(capability, { maxLength: 8 }),
});

export const bgpMessage = (fourOctetAs: boolean): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    openMessage.map(open => ({ type: "open" as const, open })),
    updateMessage(fourOctetAs).map(update => ({ type: "update" as const, update })),
    fc.record({ code: fc.integer({ min: 0, max: 255 }), subcode: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 30 }).map(b => Buffer.from(b)) }).map(notification => ({ type: "notification" as const, notification })),
    fc.constant({ type: "keepalive" as const }),
    fc.record({ afi: fc.integer({ min: 0, max: 0xffff }), subtype: fc.integer({ min: 0, max: 255 }), safi: fc.integer({ min: 0, max: 255 }) }).map(routeRefresh => ({ type: "route-refresh" as const, routeRefresh })),
  );
