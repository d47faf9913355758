import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isIPv4 } from "node:net";
import {
  ARP_REPLY,
  ARP_REQUEST,
  ArpReplyTemplate,
  checkArpRequest,
  decodeArpFrame,
  encodeArpFrame,
  encodeArpReply,
  encodeGratuitousArpReply,
  encodeGratuitousArpRequest,
  ipv4FromNumber,
  ipv4ToNumber,
  macWords,
  type ArpPacket,
} from "./arp";
import { macToBytes } from "./ethernet";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const PAD18 = "00".repeat(18);

// Who has 192.0.2.10? Tell 192.0.2.1 (from 02:00:00:00:00:aa), broadcast, unpadded (42 bytes).
const REQUEST = hex(`
  ffffffffffff 0200000000aa 0806
  0001 0800 06 04 0001 0200000000aa c0000201 000000000000 c000020a`);

describe("decodeArpFrame", () => {
  it("decodes a request", () => {
    expect(decodeArpFrame(REQUEST)).toEqual({
      ethernetDestination: "ff:ff:ff:ff:ff:ff",
      ethernetSource: "02:00:00:00:00:aa",
      operation: ARP_REQUEST,
      senderMac: "02:00:00:00:00:aa",
      senderIP: "192.0.2.1",
      targetMac: "00:00:00:00:00:00",
      targetIP: "192.0.2.10",
    });
  });

  it("accepts trailing Ethernet padding", () => {
    const padded = Buffer.concat([REQUEST, Buffer.alloc(18)]);
    expect(decodeArpFrame(padded)).toEqual(decodeArpFrame(REQUEST));
  });

  it.each([
    ["short Ethernet header", REQUEST.subarray(0, 13), "ethernet-truncated"],
    ["short ARP body", REQUEST.subarray(0, 41), "arp-truncated"],
    ["hardware type 6", Buffer.concat([REQUEST.subarray(0, 14), hex("0006"), REQUEST.subarray(16)]), "arp-unsupported-hardware"],
    ["hardware length 8", Buffer.concat([REQUEST.subarray(0, 18), hex("08"), REQUEST.subarray(19)]), "arp-unsupported-hardware"],
    ["protocol IPv6", Buffer.concat([REQUEST.subarray(0, 16), hex("86dd"), REQUEST.subarray(18)]), "arp-unsupported-protocol"],
    ["protocol length 16", Buffer.concat([REQUEST.subarray(0, 19), hex("10"), REQUEST.subarray(20)]), "arp-unsupported-protocol"],
    ["operation 3 (RARP)", Buffer.concat([REQUEST.subarray(0, 20), hex("0003"), REQUEST.subarray(22)]), "arp-bad-operation"],
  ])("drops a frame with %s", (_name, frame, reason) => {
    expect(decodeArpFrame(frame)).toEqual({ kind: "drop", reason });
  });

  it("never throws on random or mutated frames", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), bytes => {
        decodeArpFrame(Buffer.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.nat(41), fc.nat(255), fc.nat(42), (at, value, cut) => {
        const frame = Buffer.from(REQUEST);
        frame[at] = value;
        const r = decodeArpFrame(frame.subarray(0, cut));
        expect(r).toBeTypeOf("object");
      }),
    );
  });
});

describe("encoders", () => {
  const request = decodeArpFrame(REQUEST) as ArpPacket;

  it("replies to the requester with our MAC for the target address", () => {
    expect(encodeArpReply(request, "02:00:00:00:00:01").toString("hex")).toBe(
      hex(`0200000000aa 020000000001 0806
           0001 0800 06 04 0002 020000000001 c000020a 0200000000aa c0000201 ${PAD18}`).toString("hex"),
    );
  });

  it("encodes the gratuitous request (target MAC zero, sender IP = target IP)", () => {
    expect(encodeGratuitousArpRequest("203.0.113.7", "02:00:00:00:00:01").toString("hex")).toBe(
      hex(`ffffffffffff 020000000001 0806
           0001 0800 06 04 0001 020000000001 cb007107 000000000000 cb007107 ${PAD18}`).toString("hex"),
    );
  });

  it("encodes the gratuitous reply (broadcast target MAC)", () => {
    expect(encodeGratuitousArpReply("203.0.113.7", "02:00:00:00:00:01").toString("hex")).toBe(
      hex(`ffffffffffff 020000000001 0806
           0001 0800 06 04 0002 020000000001 cb007107 ffffffffffff cb007107 ${PAD18}`).toString("hex"),
    );
  });

  const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map(b => [...b].map(x => x.toString(16).padStart(2, "0")).join(":"));
  const ipArb = fc.ipV4();

  it("round-trips every field through encode and decode", () => {
    fc.assert(
      fc.property(macArb, macArb, fc.constantFrom(ARP_REQUEST, ARP_REPLY), macArb, ipArb, macArb, ipArb, (d, s, op, sm, si, tm, ti) => {
        const fields = { ethernetDestination: d, ethernetSource: s, operation: op, senderMac: sm, senderIP: si, targetMac: tm, targetIP: ti };
        expect(decodeArpFrame(encodeArpFrame(fields))).toEqual(fields);
      }),
    );
  });
});

describe("IPv4 numbers", () => {
  it("converts exactly and refuses what is not dotted-quad text", () => {
    expect(ipv4ToNumber("192.0.2.10")).toBe(0xc000020a);
    expect(ipv4ToNumber("255.255.255.255")).toBe(0xffffffff);
    expect(ipv4ToNumber("0.0.0.0")).toBe(0);
    expect(ipv4FromNumber(0xc000020a)).toBe("192.0.2.10");
    expect(ipv4FromNumber(0xffffffff)).toBe("255.255.255.255");
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..3.4", "1.2.3.", ".1.2.3", "1.2.3.a", " 1.2.3.4", "1.2.3.-4"]) {
      expect(ipv4ToNumber(bad)).toBeUndefined();
    }
  });

  it("agrees with node:net on any text and round-trips every address", () => {
    fc.assert(fc.property(fc.ipV4(), ip => void expect(ipv4FromNumber(ipv4ToNumber(ip) ?? -1)).toBe(ip)));
    fc.assert(fc.property(fc.nat(0xffffffff), n => void expect(ipv4ToNumber(ipv4FromNumber(n))).toBe(n)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 16 }), fc.stringMatching(/^[0-9.]{0,16}$/)), text => {
        expect(ipv4ToNumber(text) !== undefined).toBe(isIPv4(text));
      }),
    );
  });

  it("refuses to encode a frame with a bad address", () => {
    expect(() => encodeArpReply({ ...(decodeArpFrame(REQUEST) as ArpPacket), targetIP: "192.0.2.300" }, "02:00:00:00:00:01")).toThrow(
      'not an IPv4 address: "192.0.2.300"',
    );
  });
});

describe("checkArpRequest (byte-level path)", () => {
  const ours = macWords(macToBytes("02:00:00:00:00:01"));
  const frame = (edit: string): Buffer => {
    const f = Buffer.from(REQUEST);
    const [at, bytes] = edit.split("=") as [string, string];
    hex(bytes).copy(f, Number(at));
    return f;
  };

  it.each([
    ["a broadcast request", REQUEST, undefined],
    ["a request sent to our MAC", frame("0=020000000001"), undefined],
    ["a padded request", Buffer.concat([REQUEST, Buffer.alloc(18)]), undefined],
    ["13 bytes", REQUEST.subarray(0, 13), "ethernet-truncated"],
    ["41 bytes", REQUEST.subarray(0, 41), "arp-truncated"],
    ["hardware type 6", frame("14=0006"), "arp-unsupported-hardware"],
    ["hardware length 8", frame("18=08"), "arp-unsupported-hardware"],
    ["protocol IPv6", frame("16=86dd"), "arp-unsupported-protocol"],
    ["protocol length 16", frame("19=10"), "arp-unsupported-protocol"],
    ["operation 3", frame("20=0003"), "arp-bad-operation"],
    ["a reply", frame("20=0002"), "arp-reply"],
    ["a request to another MAC", frame("0=020000000099"), "arp-not-for-us"],
    ["a request to a MAC differing in its last byte", frame("0=020000000002"), "arp-not-for-us"],
    ["a gratuitous request", frame("28=c000020a"), "arp-gratuitous"],
  ])("%s: %s", (_name, f, expected) => {
    expect(checkArpRequest(f, ours)).toBe(expected);
  });

  /** What the text decoder and the responder's original checks say of the same frame. */
  const reference = (f: Buffer): string | undefined => {
    const arp = decodeArpFrame(f);
    if ("kind" in arp) return arp.reason;
    if (arp.operation !== ARP_REQUEST) return "arp-reply";
    if (arp.ethernetDestination !== "ff:ff:ff:ff:ff:ff" && arp.ethernetDestination !== "02:00:00:00:00:01") return "arp-not-for-us";
    if (arp.senderIP === arp.targetIP) return "arp-gratuitous";
    return undefined;
  };

  it("refuses exactly what the decoder refuses, for the same reason, and never throws", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(45), fc.constantFrom(0, 1, 2, 4, 6, 0x08, 0x10, 0xff, 0x02)), { maxLength: 4 }), fc.nat(64), (edits, cut) => {
        const f = Buffer.concat([REQUEST, Buffer.alloc(6)]);
        for (const [at, v] of edits) if (at < f.length) f[at] = v;
        const g = f.subarray(0, cut);
        expect(checkArpRequest(g, ours)).toBe(reference(g));
      }),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), b => void expect(checkArpRequest(Buffer.from(b), ours)).toBe(reference(Buffer.from(b)))));
  });
});

describe("ArpReplyTemplate", () => {
  const ourMac = macToBytes("02:00:00:00:00:01");

  it("fills the exact reply bytes: to the requester, our MAC as sender hardware address, padded to 60", () => {
    const t = new ArpReplyTemplate(0xc000020a, ourMac);
    expect(t.fill(REQUEST).toString("hex")).toBe(
      hex(`0200000000aa 020000000001 0806
           0001 0800 06 04 0002 020000000001 c000020a 0200000000aa c0000201 ${PAD18}`).toString("hex"),
    );
    // The same frame object is refilled for the next requester: nothing of the first one is left.
    const other = Buffer.from(REQUEST);
    hex("0200000000bb").copy(other, 22);
    hex("c6120001").copy(other, 28);
    expect(t.fill(other).toString("hex")).toBe(
      hex(`0200000000bb 020000000001 0806
           0001 0800 06 04 0002 020000000001 c000020a 0200000000bb c6120001 ${PAD18}`).toString("hex"),
    );
  });

  it("builds the same bytes as the text encoder for any request", () => {
    const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map(b => Buffer.from(b));
    fc.assert(
      fc.property(macArb, macArb, fc.ipV4(), fc.ipV4(), (requester, ours, sender, target) => {
        const request = encodeArpFrame({
          ethernetDestination: "ff:ff:ff:ff:ff:ff", ethernetSource: macText(requester), operation: ARP_REQUEST,
          senderMac: macText(requester), senderIP: sender, targetMac: "00:00:00:00:00:00", targetIP: target,
        });
        const expected = encodeArpReply(decodeArpFrame(request) as ArpPacket, macText(ours));
        expect(new ArpReplyTemplate(ipv4ToNumber(target) ?? -1, ours).fill(request).equals(expected)).toBe(true);
      }),
    );
  });
});

const macText = (b: Buffer): string => [...b].map(x => x.toString(16).padStart(2, "0")).join(":");
