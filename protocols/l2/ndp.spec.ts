import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatIP } from "../../core/net/ip";
import { macToBytes } from "./ethernet";
import {
  AdvertisementTemplate,
  checkNeighborSolicitation,
  decodeNdpFrame,
  encodeNeighborAdvertisement,
  encodeNeighborSolicitation,
  encodeSolicitedAdvertisement,
  encodeUnsolicitedAdvertisement,
  icmpv6Checksum,
  ipv6FromBytes,
  ipv6ToBytes,
  multicastMac,
  NO_SOURCE_OPTION,
  solicitedNodeMac,
  solicitedNodeMulticast,
  type NeighborSolicitation,
} from "./ndp";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const VIP = "20010db8 00000000 00000000 00000010"; // 2001:db8::10
const CLIENT = "20010db8 00000000 00000000 00000001"; // 2001:db8::1
const SOLICITED_NODE = "ff020000 00000000 00000001 ff000010"; // ff02::1:ff00:10

// Checksums below were computed with an independent implementation (Python, RFC 8200 pseudo-header).
const NS = hex(`
  3333ff000010 0200000000aa 86dd
  60000000 0020 3a ff ${CLIENT} ${SOLICITED_NODE}
  87 00 1b62 00000000 ${VIP} 01 01 0200000000aa`);

const DAD_NS = hex(`
  3333ff000010 0200000000aa 86dd
  60000000 0018 3a ff ${"00".repeat(16)} ${SOLICITED_NODE}
  87 00 4ccf 00000000 ${VIP}`);

const UNICAST_NS_NO_OPTION = hex(`
  020000000001 0200000000aa 86dd
  60000000 0018 3a ff ${CLIENT} ${VIP}
  87 00 ef60 00000000 ${VIP}`);

describe("helpers", () => {
  it("computes the solicited-node group and its MAC", () => {
    expect(solicitedNodeMulticast("2001:db8::abcd:1234:5678")).toBe("ff02::1:ff34:5678");
    expect(multicastMac("ff02::1:ff34:5678")).toBe("33:33:ff:34:56:78");
    expect(multicastMac("ff02::1")).toBe("33:33:00:00:00:01");
    expect(solicitedNodeMac("2001:db8::abcd:200")).toBe("33:33:ff:cd:02:00");
  });

  it("formats addresses exactly as formatIP does (RFC 5952)", () => {
    expect(ipv6FromBytes(hex("00000000000000000000ffff01020304"), 0)).toBe("::ffff:102:304");
    expect(ipv6FromBytes(hex("20010db8000000010000000000000001"), 0)).toBe("2001:db8:0:1::1");
    expect(ipv6FromBytes(hex("20010db8000000000001000000000001"), 0)).toBe("2001:db8::1:0:0:1");
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(fc.nat(7), { maxLength: 6 }), (bytes, zeroGroups) => {
        const b = Buffer.from(bytes);
        for (const g of zeroGroups) b.writeUInt16BE(0, g * 2);
        let value = 0n;
        for (const x of b) value = (value << 8n) | BigInt(x);
        expect(ipv6FromBytes(b, 0)).toBe(formatIP({ family: "IPv6", value }));
        expect(ipv6ToBytes(ipv6FromBytes(b, 0)).equals(b)).toBe(true);
      }),
    );
  });

  it("a message carrying its own checksum sums to zero", () => {
    const icmp = NS.subarray(54);
    expect(icmpv6Checksum(NS.subarray(22, 38), NS.subarray(38, 54), icmp)).toBe(0);
  });
});

describe("decodeNdpFrame", () => {
  it("decodes a multicast solicitation with a source link-layer option", () => {
    expect(decodeNdpFrame(NS)).toEqual({
      type: "solicitation",
      ethernetDestination: "33:33:ff:00:00:10",
      ethernetSource: "02:00:00:00:00:aa",
      sourceIP: "2001:db8::1",
      destinationIP: "ff02::1:ff00:10",
      hopLimit: 255,
      targetIP: "2001:db8::10",
      sourceLinkLayer: "02:00:00:00:00:aa",
      dad: false,
    });
  });

  it("decodes a DAD probe (unspecified source, no option)", () => {
    expect(decodeNdpFrame(DAD_NS)).toMatchObject({ type: "solicitation", sourceIP: "::", dad: true });
    expect(decodeNdpFrame(DAD_NS)).not.toHaveProperty("sourceLinkLayer");
  });

  it("decodes a unicast probe without an option", () => {
    expect(decodeNdpFrame(UNICAST_NS_NO_OPTION)).toMatchObject({ type: "solicitation", destinationIP: "2001:db8::10", dad: false });
  });

  const mutate = (at: number, bytes: string, base = NS): Buffer => {
    const b = Buffer.from(base);
    hex(bytes).copy(b, at);
    return b;
  };

  it.each([
    ["a short Ethernet header", NS.subarray(0, 10), "ethernet-truncated"],
    ["a short IPv6 header", NS.subarray(0, 50), "ipv6-truncated"],
    ["version 4", mutate(14, "40"), "ipv6-bad-version"],
    ["a payload length past the frame", mutate(18, "0040"), "ipv6-bad-payload-length"],
    ["a 3-byte ICMPv6 message", Buffer.concat([mutate(18, "0003").subarray(0, 57)]), "icmpv6-truncated"],
    ["a 20-byte solicitation", Buffer.concat([mutate(18, "0014").subarray(0, 74)]), "icmpv6-truncated"],
    ["a wrong checksum", mutate(56, "1b63"), "icmpv6-bad-checksum"],
    // Hop limit 64 with the checksum unchanged (the hop limit is not in the pseudo-header).
    ["hop limit 64", mutate(21, "40"), "ndp-bad-hop-limit"],
    // The next three keep a valid checksum (recomputed independently) so the later check is reached.
    ["code 1", mutate(55, "01 1b61"), "ndp-bad-code"],
    ["a multicast target", mutate(56, "3c60 00000000 ff02"), "ndp-multicast-target"],
    // Option length 0 would loop forever without the check.
    ["a zero-length option", mutate(56, "1b63 00000000").fill(0, 79, 80), "ndp-bad-option-length"],
  ])("drops %s", (_name, frame, reason) => {
    const r = decodeNdpFrame(frame);
    expect(r).toEqual({ kind: "drop", reason });
  });

  it("drops a DAD probe carrying a source link-layer option", () => {
    const frame = encodeNeighborSolicitation({
      ethernetDestination: "33:33:ff:00:00:10", ethernetSource: "02:00:00:00:00:aa",
      sourceIP: "::", destinationIP: "ff02::1:ff00:10", targetIP: "2001:db8::10", sourceLinkLayer: "02:00:00:00:00:aa",
    });
    expect(decodeNdpFrame(frame)).toEqual({ kind: "drop", reason: "ndp-dad-with-source-option" });
  });

  it("drops a DAD probe sent to a non-solicited-node address", () => {
    const frame = encodeNeighborSolicitation({
      ethernetDestination: "33:33:00:00:00:01", ethernetSource: "02:00:00:00:00:aa",
      sourceIP: "::", destinationIP: "ff02::1", targetIP: "2001:db8::10",
    });
    expect(decodeNdpFrame(frame)).toEqual({ kind: "drop", reason: "ndp-dad-bad-destination" });
  });

  it("ignores other ICMPv6 and other next headers", () => {
    expect(decodeNdpFrame(mutate(54, "80"))).toEqual({ kind: "ignore", reason: "not-neighbor-solicitation" });
    expect(decodeNdpFrame(mutate(20, "11"))).toEqual({ kind: "ignore", reason: "not-icmpv6" });
  });

  it("never throws on random or mutated frames", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), bytes => void decodeNdpFrame(Buffer.from(bytes))));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(NS.length - 1), fc.nat(255)), { maxLength: 4 }), fc.nat(NS.length), (edits, cut) => {
        const frame = Buffer.from(NS);
        for (const [at, v] of edits) frame[at] = v;
        expect(decodeNdpFrame(frame.subarray(0, cut))).toBeTypeOf("object");
      }),
    );
  });
});

describe("encoders", () => {
  const ns = decodeNdpFrame(NS) as NeighborSolicitation;

  it("answers a solicitation: from the target, S+O flags, hop limit 255, target option", () => {
    expect(encodeSolicitedAdvertisement(ns, "02:00:00:00:00:01").toString("hex")).toBe(
      hex(`0200000000aa 020000000001 86dd
           60000000 0020 3a ff ${VIP} ${CLIENT}
           88 00 8a56 60000000 ${VIP} 02 01 020000000001`).toString("hex"),
    );
  });

  it("answers an optionless unicast probe at the frame's source MAC", () => {
    const probe = decodeNdpFrame(UNICAST_NS_NO_OPTION) as NeighborSolicitation;
    const reply = encodeSolicitedAdvertisement(probe, "02:00:00:00:00:01");
    expect(reply.subarray(0, 6).toString("hex")).toBe("0200000000aa");
    expect(reply.subarray(54).toString("hex")).toBe(hex(`88 00 8a56 60000000 ${VIP} 02 01 020000000001`).toString("hex"));
  });

  it("encodes the unsolicited advertisement to all nodes with only the O flag", () => {
    expect(encodeUnsolicitedAdvertisement("2001:db8::10", "02:00:00:00:00:01").toString("hex")).toBe(
      hex(`333300000001 020000000001 86dd
           60000000 0020 3a ff ${VIP} ff020000000000000000000000000001
           88 00 f90c 20000000 ${VIP} 02 01 020000000001`).toString("hex"),
    );
  });

  const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map(b => [...b].map(x => x.toString(16).padStart(2, "0")).join(":"));
  const unicastV6 = fc.ipV6().filter(ip => !ip.toLowerCase().startsWith("ff") && !/^[:0]*$/.test(ip));

  it("round-trips solicitations and advertisements", () => {
    fc.assert(
      fc.property(macArb, macArb, unicastV6, fc.ipV6(), unicastV6, fc.option(macArb, { nil: undefined }), (d, s, src, dst, target, ll) => {
        const fields = { ethernetDestination: d, ethernetSource: s, sourceIP: src, destinationIP: dst, targetIP: target };
        const norm = (ip: string): string => (decodeNdpFrame(encodeUnsolicitedAdvertisement(ip, s)) as { targetIP: string }).targetIP;
        const nsr = decodeNdpFrame(encodeNeighborSolicitation({ ...fields, ...(ll ? { sourceLinkLayer: ll } : {}) }));
        expect(nsr).toMatchObject({ type: "solicitation", ethernetDestination: d, ethernetSource: s, targetIP: norm(target), dad: false, hopLimit: 255 });
        expect((nsr as NeighborSolicitation).sourceLinkLayer).toBe(ll);
        const na = decodeNdpFrame(encodeNeighborAdvertisement({ ...fields, router: true, solicited: false, override: true, ...(ll ? { targetLinkLayer: ll } : {}) }));
        expect(na).toMatchObject({ type: "advertisement", router: true, solicited: false, override: true, targetIP: norm(target) });
      }),
    );
  });
});

describe("checkNeighborSolicitation (byte-level path)", () => {
  it("finds the source link-layer option, or reports its absence", () => {
    expect(checkNeighborSolicitation(NS)).toBe(80);
    expect(NS.subarray(80, 86).toString("hex")).toBe("0200000000aa");
    expect(checkNeighborSolicitation(UNICAST_NS_NO_OPTION)).toBe(NO_SOURCE_OPTION);
    expect(checkNeighborSolicitation(Buffer.concat([NS, Buffer.alloc(4)]))).toBe(80); // trailing padding
  });

  it.each([
    ["a DAD probe", DAD_NS, "ndp-dad"],
    ["13 bytes", NS.subarray(0, 13), "ethernet-truncated"],
    ["53 bytes", NS.subarray(0, 53), "ipv6-truncated"],
    ["a payload longer than the frame", NS.subarray(0, 85), "ipv6-bad-payload-length"],
    ["a wrong checksum", Buffer.concat([NS.subarray(0, 56), hex("1b63"), NS.subarray(58)]), "icmpv6-bad-checksum"],
  ])("%s: %s", (_name, f, expected) => {
    expect(checkNeighborSolicitation(f)).toBe(expected);
  });

  /** What the text decoder and the responder's original checks say of the same frame. */
  const reference = (f: Buffer): string | number => {
    const nd = decodeNdpFrame(f);
    if ("kind" in nd) return nd.reason;
    if (nd.type !== "solicitation") return "not-neighbor-solicitation";
    if (nd.dad) return "ndp-dad";
    return nd.sourceLinkLayer === undefined ? NO_SOURCE_OPTION : nd.sourceLinkLayer;
  };
  const answer = (f: Buffer): string | number => {
    const r = checkNeighborSolicitation(f);
    return typeof r === "number" && r !== NO_SOURCE_OPTION ? (f.subarray(r, r + 6).toString("hex").match(/../g) ?? []).join(":") : r;
  };

  it("refuses exactly what the decoder refuses, for the same reason, finds the same option, and never throws", () => {
    const withOptions = hex(`
      3333ff000010 0200000000aa 86dd
      60000000 0030 3a ff ${CLIENT} ${SOLICITED_NODE}
      87 00 0000 00000000 ${VIP} 0e 01 000000000000 01 01 0200000000aa 01 01 0200000000bb`);
    // Fix the seed's checksum, then mutate: most mutations break it (a drop), the ones inside the
    // checked fields before it are seen first.
    withOptions.writeUInt16BE(icmpv6Checksum(withOptions.subarray(22, 38), withOptions.subarray(38, 54), withOptions.subarray(54)), 56);
    expect(answer(withOptions)).toBe("02:00:00:00:00:aa");
    const seeds = [NS, DAD_NS, UNICAST_NS_NO_OPTION, withOptions];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(101), fc.constantFrom(0, 1, 2, 3, 0x3a, 0x60, 0x86, 0x87, 0x88, 0xff)), { maxLength: 3 }),
        fc.nat(110),
        fc.boolean(),
        (seed, edits, cut, fixChecksum) => {
          const f = Buffer.from(seed);
          for (const [at, v] of edits) if (at < f.length) f[at] = v;
          // Re-sum over what the header claims, so mutations past the checksum get tested too.
          const end = 54 + f.readUInt16BE(18);
          if (fixChecksum && end <= f.length && f.length >= 58) {
            f.writeUInt16BE(0, 56);
            f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54, end)), 56);
          }
          const g = f.subarray(0, cut);
          expect(answer(g)).toBe(reference(g));
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), b => void expect(answer(Buffer.from(b))).toBe(reference(Buffer.from(b)))));
  });
});

describe("AdvertisementTemplate", () => {
  const ourMac = macToBytes("02:00:00:00:00:01");

  it("fills the exact advertisement: hop limit 255, S+O flags, target link-layer option, checksum", () => {
    const t = new AdvertisementTemplate(ipv6ToBytes("2001:db8::10"), ourMac);
    expect(t.fill(NS, 80).toString("hex")).toBe(
      hex(`0200000000aa 020000000001 86dd
           60000000 0020 3a ff ${VIP} ${CLIENT}
           88 00 8a56 60000000 ${VIP} 02 01 020000000001`).toString("hex"),
    );
    // An optionless unicast probe from another address and MAC: answered at the frame's source MAC,
    // and the checksum follows the new destination (checked independently: the message sums to zero).
    const probe = hex(`
      020000000001 0200000000bb 86dd
      60000000 0018 3a ff 20010db8000000000000000000000002 ${VIP}
      87 00 0000 00000000 ${VIP}`);
    const reply = t.fill(probe, NO_SOURCE_OPTION);
    expect(reply.subarray(0, 6).toString("hex")).toBe("0200000000bb");
    expect(reply.subarray(38, 54).toString("hex")).toBe("20010db8000000000000000000000002");
    expect(reply.readUInt16BE(56)).toBe(0x8a55);
    expect(icmpv6Checksum(reply.subarray(22, 38), reply.subarray(38, 54), reply.subarray(54))).toBe(0);
  });

  it("builds the same bytes as the text encoder for any solicitation", () => {
    const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map(b => Buffer.from(b));
    const text = (b: Buffer): string => [...b].map(x => x.toString(16).padStart(2, "0")).join(":");
    const unicastV6 = fc.ipV6().filter(ip => !ip.toLowerCase().startsWith("ff") && !/^[:0]*$/.test(ip));
    fc.assert(
      fc.property(macArb, macArb, unicastV6, unicastV6, fc.boolean(), (requester, ours, source, target, withOption) => {
        const request = encodeNeighborSolicitation({
          ethernetDestination: "33:33:ff:00:00:10", ethernetSource: text(requester), sourceIP: source,
          destinationIP: solicitedNodeMulticast(target), targetIP: target, ...(withOption ? { sourceLinkLayer: text(requester) } : {}),
        });
        const macAt = checkNeighborSolicitation(request);
        expect(typeof macAt).toBe("number");
        const expected = encodeSolicitedAdvertisement(decodeNdpFrame(request) as NeighborSolicitation, text(ours));
        expect(new AdvertisementTemplate(ipv6ToBytes(target), ours).fill(request, macAt as number).toString("hex")).toBe(expected.toString("hex"));
      }),
    );
  });
});
