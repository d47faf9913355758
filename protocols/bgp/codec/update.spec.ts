import { describe, expect, it } from "vitest";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../../core/net/ip";
import { decodeBgpMessage } from "./message";
import { decodeUpdateBody, encodeUpdate, encodeUpdateBody, endOfRib, type UpdateMessage } from "./update";
import type { BgpError } from "./errors";
import type { CodecContext } from "./attributes";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const ctx4 = { fourOctetAs: true };
const ctx2 = { fourOctetAs: false };
const MARKER = "ffffffffffffffffffffffffffffffff";

/** An UPDATE body around the given attribute bytes and NLRI bytes. */
const body = (attrs: string, nlri = "20 c6336407", withdrawn = "") => {
  const a = hex(attrs);
  const w = hex(withdrawn);
  const len = (n: number) => n.toString(16).padStart(4, "0");
  return hex(`${len(w.length)} ${w.toString("hex")} ${len(a.length)} ${a.toString("hex")} ${nlri}`);
};
const ORIGIN = "40 01 01 00";
const AS_PATH = "40 02 06 02 01 0000fc00";
const NEXT_HOP = "40 03 04 c000020a";

const problems = (b: Buffer, ctx: CodecContext = ctx4) => {
  const r = decodeUpdateBody(b, ctx);
  if (!r.ok) throw new Error(`unexpected reset: ${r.error.message}`);
  return r.value.problems.map((p: BgpError) => [p.code, p.subcode, p.action, p.message, p.data.toString("hex")]);
};
const reset = (b: Buffer, ctx = ctx4) => {
  const r = decodeUpdateBody(b, ctx);
  return r.ok ? undefined : [r.error.code, r.error.subcode, r.error.action, r.error.message];
};

describe("UPDATE encoding", () => {
  const ipv4: UpdateMessage = {
    withdrawn: [cidr("203.0.113.0/24")],
    attributes: { origin: 0, asPath: [{ type: 2, asns: [64512] }], nextHop: ip("192.0.2.10"), communities: [((64512 << 16) | 100) >>> 0] },
    nlri: [cidr("198.51.100.7/32"), cidr("198.51.100.128/25")],
  };
  const ipv4Wire = hex(`${MARKER} 0040 02  0004 18cb0071  001b ${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 04 fc000064  20c6336407 19c6336480`);

  it("encodes classic IPv4 routes to exact bytes", () => {
    expect(encodeUpdate(ipv4, ctx4).toString("hex")).toBe(ipv4Wire.toString("hex"));
  });

  it("decodes them back", () => {
    expect(decodeBgpMessage(ipv4Wire, ctx4)).toEqual({ ok: true, value: { type: "update", update: ipv4, problems: [], treatAsWithdraw: false } });
  });

  it("encodes IPv6 routes in MP_REACH_NLRI with large communities and LOCAL_PREF", () => {
    const u: UpdateMessage = {
      withdrawn: [],
      attributes: {
        origin: 0,
        asPath: [],
        localPref: 200,
        mpReach: { afi: 2, safi: 1, nextHops: [ip("2001:db8::1")], nlri: [cidr("2001:db8:1::5/128")] },
        largeCommunities: [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }],
      },
      nlri: [],
    };
    const wire = `0000 0046 ${ORIGIN} 40 02 00  40 05 04 000000c8
      80 0e 26 0002 01 10 20010db8000000000000000000000001 00 80 20010db8000100000000000000000005
      c0 20 0c fa56ea01 00000001 00000002`;
    expect(encodeUpdateBody(u, ctx4).toString("hex")).toBe(hex(wire).toString("hex"));
    const back = decodeUpdateBody(hex(wire), ctx4);
    expect(back).toEqual({ ok: true, value: { update: u, problems: [], treatAsWithdraw: false } });
  });

  it("towards a 2-octet-AS peer, puts AS_TRANS in AS_PATH and the real path in AS4_PATH", () => {
    const u: UpdateMessage = {
      withdrawn: [],
      attributes: { origin: 0, asPath: [{ type: 2, asns: [4200000001, 64512] }], nextHop: ip("192.0.2.10"), aggregator: { asn: 4200000001, address: ip("192.0.2.1") } },
      nlri: [cidr("198.51.100.7/32")],
    };
    const wire = `0000 0035 ${ORIGIN} 40 02 06 02 02 5ba0 fc00 ${NEXT_HOP} c0 07 06 5ba0 c0000201
      c0 11 0a 02 02 fa56ea01 0000fc00  c0 12 08 fa56ea01 c0000201  20 c6336407`;
    expect(encodeUpdateBody(u, ctx2).toString("hex")).toBe(hex(wire).toString("hex"));
    const back = decodeUpdateBody(hex(wire), ctx2);
    expect(back.ok && back.value.update.attributes.as4Path).toEqual([{ type: 2, asns: [4200000001, 64512] }]);
    expect(back.ok && back.value.update.attributes.asPath).toEqual([{ type: 2, asns: [23456, 64512] }]);
  });

  it("uses the extended length flag only past 255 octets", () => {
    const communities = Array.from({ length: 64 }, (_, i) => i);
    const b = encodeUpdateBody({ withdrawn: [], attributes: { communities }, nlri: [] }, ctx4);
    expect(b.subarray(0, 8).toString("hex")).toBe("00000104d0080100");
    expect(decodeUpdateBody(b, ctx4)).toEqual({ ok: true, value: { update: { withdrawn: [], attributes: { communities }, nlri: [] }, problems: [], treatAsWithdraw: false } });
  });

  it("encodes End-of-RIB markers", () => {
    expect(encodeUpdate(endOfRib("IPv4"), ctx4).toString("hex")).toBe(`${MARKER}001702` + "00000000");
    expect(encodeUpdate(endOfRib("IPv6"), ctx4).toString("hex")).toBe(`${MARKER}001d02` + "0000000680 0f 03 0002 01".replace(/ /g, ""));
  });

  it("refuses to encode more than 4096 octets", () => {
    const nlri = Array.from({ length: 1000 }, (_, i) => ({ family: "IPv4" as const, base: 0xc6120000n + BigInt(i), prefix: 32 }));
    expect(() => encodeUpdate({ withdrawn: [], attributes: {}, nlri }, ctx4)).toThrow("UPDATE of 5023 octets exceeds 4096");
  });
});

describe("UPDATE errors (RFC 7606)", () => {
  const ok = `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`;

  it("accepts a well-formed message without problems", () => {
    expect(problems(body(ok))).toEqual([]);
  });
  it("treats an undefined ORIGIN as withdraw", () => {
    expect(problems(body(`40 01 01 03 ${AS_PATH} ${NEXT_HOP}`))).toEqual([
      [3, 6, "treat-as-withdraw", "invalid ORIGIN 3", "40010103"],
    ]);
  });
  it("treats ORIGIN with the optional flag as withdraw (Attribute Flags Error)", () => {
    expect(problems(body(`c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`))).toEqual([
      [3, 4, "treat-as-withdraw", "ORIGIN has flags 0xc0", "c0010100"],
    ]);
  });
  it("discards a malformed ATOMIC_AGGREGATE and AGGREGATOR but keeps the route", () => {
    const r = decodeUpdateBody(body(`${ok} 40 06 01 00 c0 07 07 0000fc00 c00002`), ctx4);
    expect(r.ok && r.value.problems.map(p => [p.subcode, p.action, p.message])).toEqual([
      [5, "attribute-discard", "ATOMIC_AGGREGATE length 1, want 0"],
      [5, "attribute-discard", "AGGREGATOR length 7, want 8"],
    ]);
    expect(r.ok && r.value.treatAsWithdraw).toBe(false);
    expect(r.ok && r.value.update.nlri).toEqual([cidr("198.51.100.7/32")]);
  });
  it("treats COMMUNITIES of a length not a multiple of 4 as withdraw", () => {
    expect(problems(body(`${ok} c0 08 03 000001`))).toEqual([[3, 5, "treat-as-withdraw", "COMMUNITIES length 3, want a non-zero multiple of 4", "c00803000001"]]);
  });
  it("treats LARGE_COMMUNITY of a bad length as withdraw", () => {
    expect(problems(body(`${ok} c0 20 04 00000001`))).toEqual([[3, 5, "treat-as-withdraw", "LARGE_COMMUNITY length 4, want a non-zero multiple of 12", "c0200400000001"]]);
  });
  it("treats a missing NEXT_HOP as withdraw when there is NLRI, not otherwise", () => {
    expect(problems(body(`${ORIGIN} ${AS_PATH}`))).toEqual([[3, 3, "treat-as-withdraw", "missing well-known attribute NEXT_HOP", "03"]]);
    expect(problems(body(`${ORIGIN} ${AS_PATH}`, ""))).toEqual([]);
  });
  it("treats a zero AS_PATH segment length as withdraw (Malformed AS_PATH)", () => {
    expect(problems(body(`${ORIGIN} 40 02 02 02 00 ${NEXT_HOP}`))).toEqual([[3, 11, "treat-as-withdraw", "malformed AS_PATH", "4002020200"]]);
  });
  it("treats NEXT_HOP 0.0.0.0 as withdraw (Invalid NEXT_HOP)", () => {
    expect(problems(body(`${ORIGIN} ${AS_PATH} 40 03 04 00000000`))).toEqual([[3, 8, "treat-as-withdraw", "invalid NEXT_HOP 0.0.0.0", "40030400000000"]]);
  });
  it("discards LOCAL_PREF from an external peer", () => {
    expect(problems(body(`${ok} 40 05 04 00000064`), { fourOctetAs: true, external: true })).toEqual([
      [3, 1, "attribute-discard", "LOCAL_PREF from an external peer", "40050400000064"],
    ]);
  });
  it("keeps the first of duplicate attributes", () => {
    const r = decodeUpdateBody(body(`${ok} 40 01 01 02`), ctx4);
    expect(r.ok && [r.value.update.attributes.origin, r.value.problems.map(p => p.message)]).toEqual([0, ["duplicate attribute ORIGIN"]]);
  });
  it("keeps an unknown optional transitive attribute and drops an unknown optional non-transitive one", () => {
    const r = decodeUpdateBody(body(`${ok} c0 63 02 abcd 80 64 01 ff`), ctx4);
    expect(r.ok && r.value.update.attributes.unknown).toEqual([{ flags: 0xc0, type: 0x63, value: hex("abcd") }]);
  });
  it("treats an attribute overrunning the attribute field as withdraw", () => {
    expect(problems(body(`${ok} c0 08 08 00000001`))).toEqual([[3, 5, "treat-as-withdraw", "attribute 8 length 8 overruns the attribute field", "080800000001"]]);
  });
  it("discards MP_REACH_NLRI of an unsupported AFI/SAFI", () => {
    expect(problems(body(`${ok} 80 0e 05 0019 46 00 00`))).toEqual([[3, 9, "attribute-discard", "MP_REACH_NLRI for an unsupported AFI/SAFI", "800e050019460000"]]);
  });

  it("resets the session on an unrecognized well-known attribute", () => {
    expect(reset(body(`${ok} 40 63 00`))).toEqual([3, 2, "session-reset", "unrecognized well-known attribute 99"]);
  });
  it("resets the session on a duplicate MP_REACH_NLRI", () => {
    const mp = "80 0e 15 0002 01 10 20010db8000000000000000000000001 00";
    expect(reset(body(`${ORIGIN} ${AS_PATH} ${mp} ${mp}`, ""))).toEqual([3, 1, "session-reset", "duplicate attribute MP_REACH_NLRI"]);
  });
  it("resets the session on an MP_REACH_NLRI next hop of the wrong length", () => {
    expect(reset(body(`${ORIGIN} ${AS_PATH} 80 0e 0a 0002 01 05 2001db8000 00`, ""))).toEqual([3, 9, "session-reset", "MP_REACH_NLRI next hop length 5 is invalid for IPv6"]);
  });
  it("resets the session on an MP_REACH_NLRI with the wrong flags", () => {
    expect(reset(body(`${ORIGIN} ${AS_PATH} c0 0e 05 0002 01 00 00`, ""))).toEqual([3, 4, "session-reset", "MP_REACH_NLRI has flags 0xc0"]);
  });
  it("resets the session on an NLRI prefix longer than 32", () => {
    expect(reset(body(ok, "21 c633640700"))).toEqual([3, 10, "session-reset", "IPv4 prefix length 33 exceeds 32"]);
  });
  it("resets the session on truncated withdrawn routes", () => {
    expect(reset(body(ok, "", "20 cb00"))).toEqual([3, 10, "session-reset", "IPv4 prefix of length 32 truncated"]);
  });
  it("resets the session when the total attribute length overruns the message", () => {
    expect(reset(hex("0000 00ff 40010100"))).toEqual([3, 1, "session-reset", "total path attribute length 255 overruns the message"]);
  });
});
