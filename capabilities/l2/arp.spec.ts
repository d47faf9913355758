import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ARP_REPLY,
  ARP_REQUEST,
  decodeArpFrame,
  encodeArpFrame,
  encodeArpReply,
  encodeGratuitousArpReply,
  encodeGratuitousArpRequest,
  type ArpPacket,
} from "./arp";

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
