/**
 * The text forms the interop tests use to describe routes to a speaker process: communities as
 * "AA:NN", large communities as "G:L1:L2", prefixes and next hops as usual. Parsing is strict: a test
 * that mistypes a route should fail loudly, not advertise something else.
 */
import { parseCidr, parseIP } from "../../../../core/net/ip";
import type { LargeCommunity } from "../../../../protocols/bgp/codec/attributes";
import type { Route } from "../../../../protocols/bgp/update-packer";

export interface RouteSpec {
  readonly prefix: string;
  readonly nextHop: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly localPref?: number;
  readonly med?: number;
}

const U16 = /^(0|[1-9]\d{0,4})$/;
const U32 = /^(0|[1-9]\d{0,9})$/;

/** The number, or NaN when `text` is not a canonical decimal within 0..max. */
const uint = (text: string, pattern: RegExp, max: number): number => (pattern.test(text) && Number(text) <= max ? Number(text) : NaN);

/** "AA:NN" with both halves 0..65535, as one 32-bit community value. */
export function parseCommunity(text: string): number {
  const parts = text.split(":");
  if (parts.length !== 2) throw new Error(`bad community "${text}"`);
  const [aa, nn] = parts.map(p => uint(p, U16, 0xffff)) as [number, number];
  if (Number.isNaN(aa) || Number.isNaN(nn)) throw new Error(`bad community "${text}"`);
  return aa * 0x10000 + nn;
}

/** "G:L1:L2" with each part 0..2^32-1 (RFC 8092). */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.split(":");
  if (parts.length !== 3) throw new Error(`bad large community "${text}"`);
  const [g, l1, l2] = parts.map(p => uint(p, U32, 0xffffffff)) as [number, number, number];
  if ([g, l1, l2].some(Number.isNaN)) throw new Error(`bad large community "${text}"`);
  return { globalAdmin: g, localData1: l1, localData2: l2 };
}

/** A Route for our session: eBGP routes carry our AS in AS_PATH, iBGP ones an empty path. */
export function routeFromSpec(spec: RouteSpec, myAsn: number, ebgp: boolean): Route {
  const prefix = parseCidr(spec.prefix);
  if (!prefix) throw new Error(`bad prefix "${spec.prefix}"`);
  const nextHop = parseIP(spec.nextHop);
  if (!nextHop) throw new Error(`bad next hop "${spec.nextHop}"`);
  return {
    prefix,
    nextHop,
    attributes: {
      origin: 0,
      asPath: ebgp ? [{ type: 2, asns: [myAsn] }] : [],
      ...(spec.communities?.length ? { communities: spec.communities.map(parseCommunity) } : {}),
      ...(spec.largeCommunities?.length ? { largeCommunities: spec.largeCommunities.map(parseLargeCommunity) } : {}),
      ...(spec.localPref !== undefined && !ebgp ? { localPref: spec.localPref } : {}),
      ...(spec.med !== undefined ? { med: spec.med } : {}),
    },
  };
}
