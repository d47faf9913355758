/**
 * Path attributes (RFC 4271 section 4.3 and 5, RFC 1997, RFC 4760, RFC 6793, RFC 8092) and their
 * RFC 7606 error handling. Each known attribute has the flags it must carry and the approach to
 * take when it is malformed; the decoder collects the non-fatal problems and stops at the first
 * one that resets the session.
 */
import type { IPAddress } from "../../../core/net/ip";
import { decodeAsPath, encodeAsPath, needsFourOctets, withAsTrans, type AsPathSegment } from "./as-path";
import { bgpError, ErrorCode, fail, ok, UpdateSubcode, type BgpError, type Decoded, type ErrorAction } from "./errors";
import { decodeMpReachValue, decodeMpUnreachValue, encodeMpReachValue, encodeMpUnreachValue, type MpReach, type MpUnreach } from "./mp-nlri";
import { AS_TRANS } from "./open";
import { addressBytes, addressFromBytes } from "./prefix";

export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunity: 32,
} as const;

export const AttrFlag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 } as const;

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;
export type OriginCode = (typeof Origin)[keyof typeof Origin];

export interface Aggregator {
  readonly asn: number;
  readonly address: IPAddress;
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** An optional transitive attribute we do not know, passed along as received. */
export interface RawAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Buffer;
}

export interface PathAttributes {
  readonly origin?: OriginCode;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: IPAddress;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** Standard communities, each (AA << 16) | NN. */
  readonly communities?: readonly number[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly unknown?: readonly RawAttribute[];
}

/** What the session negotiated; the AS number width changes AS_PATH and AGGREGATOR. */
export interface CodecContext {
  readonly fourOctetAs: boolean;
  /** True for an eBGP session: LOCAL_PREF from such a peer is discarded (RFC 7606 7.5). */
  readonly external?: boolean;
  /** RFC 8950 negotiated for IPv4 unicast: IPv4 routes may carry an IPv6 next hop in MP_REACH_NLRI. */
  readonly extendedNextHop?: boolean;
}

interface AttrSpec {
  readonly name: string;
  /** The Optional and Transitive bits the attribute must carry. */
  readonly flags: number;
  readonly onMalformed: ErrorAction;
}

const T = AttrFlag.Transitive;
const O = AttrFlag.Optional;
const specs: ReadonlyMap<number, AttrSpec> = new Map<number, AttrSpec>([
  [AttrType.Origin, { name: "ORIGIN", flags: T, onMalformed: "treat-as-withdraw" }],
  [AttrType.AsPath, { name: "AS_PATH", flags: T, onMalformed: "treat-as-withdraw" }],
  [AttrType.NextHop, { name: "NEXT_HOP", flags: T, onMalformed: "treat-as-withdraw" }],
  [AttrType.MultiExitDisc, { name: "MULTI_EXIT_DISC", flags: O, onMalformed: "treat-as-withdraw" }],
  [AttrType.LocalPref, { name: "LOCAL_PREF", flags: T, onMalformed: "treat-as-withdraw" }],
  [AttrType.AtomicAggregate, { name: "ATOMIC_AGGREGATE", flags: T, onMalformed: "attribute-discard" }],
  [AttrType.Aggregator, { name: "AGGREGATOR", flags: O | T, onMalformed: "attribute-discard" }],
  [AttrType.Communities, { name: "COMMUNITIES", flags: O | T, onMalformed: "treat-as-withdraw" }],
  [AttrType.MpReachNlri, { name: "MP_REACH_NLRI", flags: O, onMalformed: "session-reset" }],
  [AttrType.MpUnreachNlri, { name: "MP_UNREACH_NLRI", flags: O, onMalformed: "session-reset" }],
  [AttrType.As4Path, { name: "AS4_PATH", flags: O | T, onMalformed: "attribute-discard" }],
  [AttrType.As4Aggregator, { name: "AS4_AGGREGATOR", flags: O | T, onMalformed: "attribute-discard" }],
  [AttrType.LargeCommunity, { name: "LARGE_COMMUNITY", flags: O | T, onMalformed: "treat-as-withdraw" }],
]);

export function encodeAttribute(flags: number, type: number, value: Buffer): Buffer {
  const extended = value.length > 255;
  const head = Buffer.alloc(extended ? 4 : 3);
  head[0] = extended ? flags | AttrFlag.ExtendedLength : flags & ~AttrFlag.ExtendedLength;
  head[1] = type;
  if (extended) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

const aggregatorValue = (a: Aggregator, width: 2 | 4): Buffer => {
  const asn = Buffer.alloc(width);
  if (width === 2) asn.writeUInt16BE(a.asn > 0xffff ? AS_TRANS : a.asn);
  else asn.writeUInt32BE(a.asn);
  return Buffer.concat([asn, addressBytes(a.address)]);
};

/**
 * Encodes attributes in type-code order. Towards a 2-octet-AS peer, 4-octet AS numbers become
 * AS_TRANS and the real path goes in AS4_PATH (and AS4_AGGREGATOR), as RFC 6793 4.2.2 says.
 */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext): Buffer {
  const parts: [number, Buffer][] = [];
  const add = (type: number, value: Buffer, flags?: number) => {
    const spec = specs.get(type);
    parts.push([type, encodeAttribute(flags ?? spec?.flags ?? O | T, type, value)]);
  };
  const width = ctx.fourOctetAs ? 4 : 2;
  if (a.origin !== undefined) add(AttrType.Origin, Buffer.from([a.origin]));
  let as4Path = a.as4Path;
  if (a.asPath !== undefined) {
    add(AttrType.AsPath, encodeAsPath(width === 2 ? withAsTrans(a.asPath, AS_TRANS) : a.asPath, width));
    if (width === 2 && as4Path === undefined && needsFourOctets(a.asPath)) as4Path = a.asPath;
  }
  if (a.nextHop !== undefined) add(AttrType.NextHop, addressBytes(a.nextHop));
  if (a.med !== undefined) add(AttrType.MultiExitDisc, u32(a.med));
  if (a.localPref !== undefined) add(AttrType.LocalPref, u32(a.localPref));
  if (a.atomicAggregate) add(AttrType.AtomicAggregate, Buffer.alloc(0));
  let as4Aggregator = a.as4Aggregator;
  if (a.aggregator !== undefined) {
    add(AttrType.Aggregator, aggregatorValue(a.aggregator, width));
    if (width === 2 && as4Aggregator === undefined && a.aggregator.asn > 0xffff) as4Aggregator = a.aggregator;
  }
  if (a.communities !== undefined && a.communities.length > 0) add(AttrType.Communities, Buffer.concat(a.communities.map(u32)));
  if (a.mpReach !== undefined) add(AttrType.MpReachNlri, encodeMpReachValue(a.mpReach));
  if (a.mpUnreach !== undefined) add(AttrType.MpUnreachNlri, encodeMpUnreachValue(a.mpUnreach));
  if (as4Path !== undefined) add(AttrType.As4Path, encodeAsPath(as4Path, 4));
  if (as4Aggregator !== undefined) add(AttrType.As4Aggregator, aggregatorValue(as4Aggregator, 4));
  if (a.largeCommunities !== undefined && a.largeCommunities.length > 0) {
    add(AttrType.LargeCommunity, Buffer.concat(a.largeCommunities.flatMap(c => [u32(c.globalAdmin), u32(c.localData1), u32(c.localData2)])));
  }
  for (const u of a.unknown ?? []) add(u.type, u.value, u.flags);
  return Buffer.concat(parts.sort((x, y) => x[0] - y[0]).map(p => p[1]));
}

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  /** Non-fatal problems (treat-as-withdraw, attribute-discard), in the order found. */
  readonly problems: readonly BgpError[];
  /** Type codes present, malformed or not (a malformed attribute is not also a missing one). */
  readonly present: ReadonlySet<number>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Decodes the path attributes field. A session-reset problem ends decoding with an error;
 * anything milder is recorded in `problems` and decoding carries on.
 */
export function decodeAttributes(buf: Buffer, ctx: CodecContext): Decoded<DecodedAttributes> {
  const attrs: Mutable<PathAttributes> = {};
  const unknown: RawAttribute[] = [];
  const problems: BgpError[] = [];
  const seen = new Set<number>();
  let offset = 0;
  while (offset < buf.length) {
    const flags = buf[offset] as number;
    const headLength = flags & AttrFlag.ExtendedLength ? 4 : 3;
    if (offset + headLength > buf.length) {
      // RFC 7606 4: too few octets left for an attribute header; the rest is unusable.
      problems.push(bgpError(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAttributeList, "path attribute header truncated", Buffer.alloc(0), "treat-as-withdraw"));
      break;
    }
    const type = buf[offset + 1] as number;
    const length = headLength === 4 ? buf.readUInt16BE(offset + 2) : (buf[offset + 2] as number);
    const end = offset + headLength + length;
    if (end > buf.length) {
      problems.push(bgpError(ErrorCode.UpdateMessage, UpdateSubcode.AttributeLengthError, `attribute ${type} length ${length} overruns the attribute field`, buf.subarray(offset + 1), "treat-as-withdraw"));
      break;
    }
    const raw = Buffer.from(buf.subarray(offset, end));
    const value = raw.subarray(headLength);
    offset = end;
    const spec = specs.get(type);
    if (seen.has(type)) {
      // RFC 7606 3.g: keep the first; a repeated MP attribute leaves the NLRI ambiguous.
      const reset = type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri;
      const e = bgpError(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAttributeList, `duplicate attribute ${spec?.name ?? type}`, Buffer.alloc(0), reset ? "session-reset" : "attribute-discard");
      if (reset) return fail(e);
      problems.push(e);
      continue;
    }
    seen.add(type);
    if (spec === undefined) {
      if (!(flags & AttrFlag.Optional)) {
        return fail(bgpError(ErrorCode.UpdateMessage, UpdateSubcode.UnrecognizedWellKnownAttribute, `unrecognized well-known attribute ${type}`, raw));
      }
      // Unknown optional non-transitive attributes are quietly ignored (RFC 4271 5).
      if (flags & AttrFlag.Transitive) unknown.push({ flags: flags & ~AttrFlag.ExtendedLength, type, value: Buffer.from(value) });
      continue;
    }
    const problem = (subcode: number, message: string, action: ErrorAction = spec.onMalformed) => bgpError(ErrorCode.UpdateMessage, subcode, message, raw, action);
    if ((flags & (O | T)) !== spec.flags) {
      const e = problem(UpdateSubcode.AttributeFlagsError, `${spec.name} has flags 0x${flags.toString(16)}`);
      if (e.action === "session-reset") return fail(e);
      problems.push(e);
      continue;
    }
    const result = decodeKnown(type, value, raw, ctx, attrs, problem);
    if (result === undefined) continue;
    if (result.action === "session-reset") return fail(result);
    problems.push(result);
  }
  if (unknown.length > 0) attrs.unknown = unknown;
  return ok({ attributes: attrs, problems, present: seen });
}

type Problem = (subcode: number, message: string, action?: ErrorAction) => BgpError;

/** Decodes one known attribute into `attrs`; returns the problem, if any. */
function decodeKnown(type: number, v: Buffer, raw: Buffer, ctx: CodecContext, attrs: Mutable<PathAttributes>, problem: Problem): BgpError | undefined {
  const lengthError = (want: string) => problem(UpdateSubcode.AttributeLengthError, `${specs.get(type)?.name} length ${v.length}, want ${want}`);
  const width = ctx.fourOctetAs ? 4 : 2;
  switch (type) {
    case AttrType.Origin: {
      if (v.length !== 1) return lengthError("1");
      const origin = v[0] as number;
      if (origin > 2) return problem(UpdateSubcode.InvalidOriginAttribute, `invalid ORIGIN ${origin}`);
      attrs.origin = origin as OriginCode;
      return undefined;
    }
    case AttrType.AsPath: {
      const path = decodeAsPath(v, width);
      if (path === undefined) return problem(UpdateSubcode.MalformedASPath, "malformed AS_PATH");
      attrs.asPath = path;
      return undefined;
    }
    case AttrType.NextHop: {
      if (v.length !== 4) return lengthError("4");
      const first = v[0] as number;
      // RFC 4271 6.3: not a usable unicast next hop.
      if (v.readUInt32BE(0) === 0 || first >= 224) return problem(UpdateSubcode.InvalidNextHopAttribute, `invalid NEXT_HOP ${[...v].join(".")}`);
      attrs.nextHop = addressFromBytes(v);
      return undefined;
    }
    case AttrType.MultiExitDisc:
      if (v.length !== 4) return lengthError("4");
      attrs.med = v.readUInt32BE(0);
      return undefined;
    case AttrType.LocalPref:
      if (ctx.external) return problem(UpdateSubcode.MalformedAttributeList, "LOCAL_PREF from an external peer", "attribute-discard");
      if (v.length !== 4) return lengthError("4");
      attrs.localPref = v.readUInt32BE(0);
      return undefined;
    case AttrType.AtomicAggregate:
      if (v.length !== 0) return lengthError("0");
      attrs.atomicAggregate = true;
      return undefined;
    case AttrType.Aggregator:
    case AttrType.As4Aggregator: {
      const asWidth = type === AttrType.As4Aggregator ? 4 : width;
      if (v.length !== asWidth + 4) return lengthError(String(asWidth + 4));
      const aggregator = { asn: asWidth === 4 ? v.readUInt32BE(0) : v.readUInt16BE(0), address: addressFromBytes(v.subarray(asWidth)) };
      if (type === AttrType.Aggregator) attrs.aggregator = aggregator;
      else attrs.as4Aggregator = aggregator;
      return undefined;
    }
    case AttrType.Communities: {
      if (v.length === 0 || v.length % 4 !== 0) return lengthError("a non-zero multiple of 4");
      const communities: number[] = [];
      for (let i = 0; i < v.length; i += 4) communities.push(v.readUInt32BE(i));
      attrs.communities = communities;
      return undefined;
    }
    case AttrType.LargeCommunity: {
      if (v.length === 0 || v.length % 12 !== 0) return lengthError("a non-zero multiple of 12");
      const large: LargeCommunity[] = [];
      for (let i = 0; i < v.length; i += 12) large.push({ globalAdmin: v.readUInt32BE(i), localData1: v.readUInt32BE(i + 4), localData2: v.readUInt32BE(i + 8) });
      attrs.largeCommunities = large;
      return undefined;
    }
    case AttrType.As4Path: {
      const path = decodeAsPath(v, 4);
      if (path === undefined) return problem(UpdateSubcode.MalformedASPath, "malformed AS4_PATH");
      attrs.as4Path = path;
      return undefined;
    }
    case AttrType.MpReachNlri: {
      const mp = decodeMpReachValue(v, raw, ctx.extendedNextHop ?? false);
      if (!mp.ok) return mp.error;
      if (mp.value === undefined) return problem(UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI for an unsupported AFI/SAFI", "attribute-discard");
      attrs.mpReach = mp.value;
      return undefined;
    }
    case AttrType.MpUnreachNlri: {
      const mp = decodeMpUnreachValue(v, raw);
      if (!mp.ok) return mp.error;
      if (mp.value === undefined) return problem(UpdateSubcode.OptionalAttributeError, "MP_UNREACH_NLRI for an unsupported AFI/SAFI", "attribute-discard");
      attrs.mpUnreach = mp.value;
      return undefined;
    }
  }
  return undefined;
}
