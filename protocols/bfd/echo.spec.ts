import { describe, expect, it } from "vitest";
import { decodeEchoFrame, decodeEchoPayload, encodeEchoFrame, encodeEchoPayload, ECHO_FRAME_LENGTH } from "./echo";

// Checksums computed independently (Python's struct and a plain one's-complement sum).
const FRAME_HEX =
  "026c73000001" + "020000000011" + "0800" + // to the peer's MAC, from ours, IPv4
  "45c0002c12340000ff1124b6c000020bc000020b" + // IPv4: TOS 0xc0, length 44, id 0x1234, TTL 255, UDP, 192.0.2.11 -> 192.0.2.11
  "c0000ec90018a7c0" + // UDP 49152 -> 3785, length 24, checksum
  "01100000" + "00000000" + "01020304" + "00000007"; // version 1, length 16, zero, discriminator, sequence 7

const spec = {
  destinationMac: Buffer.from("026c73000001", "hex"),
  sourceMac: Buffer.from("020000000011", "hex"),
  address: "192.0.2.11",
  sourcePort: 49152,
  ipId: 0x1234,
  payload: { discriminator: 0x01020304, sequence: 7 },
};

describe("BFD echo frames", () => {
  it("builds the exact frame: our address both ways, the peer's MAC, TTL 255, UDP to 3785", () => {
    const frame = encodeEchoFrame(spec);
    expect(frame.toString("hex")).toBe(FRAME_HEX);
    expect(frame.length).toBe(ECHO_FRAME_LENGTH);
  });

  it("reads back what it built, with the TTL the frame carries", () => {
    const frame = Buffer.from(FRAME_HEX, "hex");
    frame[22] = 254; // the peer's forwarding took one off ...
    frame.writeUInt16BE(0x25b6, 24); // ... and rewrote the header checksum
    expect(decodeEchoFrame(frame)).toEqual({ ok: true, echo: { source: "192.0.2.11", destination: "192.0.2.11", ttl: 254, payload: { discriminator: 0x01020304, sequence: 7 } } });
  });

  it.each([
    ["a short frame", (f: Buffer) => f.subarray(0, 30), "short-frame"],
    ["an IPv6 frame", (f: Buffer) => (f.writeUInt16BE(0x86dd, 12), f), "not-ipv4"],
    ["a total length past the frame", (f: Buffer) => (f.writeUInt16BE(200, 16), f), "bad-ip-header"],
    ["a broken IP checksum", (f: Buffer) => (f.writeUInt16BE(0x24b7, 24), f), "bad-ip-checksum"],
    ["a broken UDP checksum", (f: Buffer) => (f.writeUInt16BE(0xa7c1, 40), f), "bad-udp-checksum"],
    ["FRR's echo (its discriminator at octet 4)", (f: Buffer) => (f.writeUInt32BE(5, 46), f.writeUInt16BE(0, 40), f), "not-our-echo"],
    ["a control packet's port", (f: Buffer) => (f.writeUInt16BE(3784, 36), f), "not-echo-port"],
  ])("drops %s", (_name, mutate, reason) => {
    expect(decodeEchoFrame(mutate(Buffer.from(FRAME_HEX, "hex")))).toEqual({ ok: false, reason });
  });

  it("accepts a frame without UDP checksum (zero: none computed)", () => {
    const f = Buffer.from(FRAME_HEX, "hex");
    f.writeUInt16BE(0, 40);
    expect(decodeEchoFrame(f).ok).toBe(true);
  });

  it("payload round trip; a zero discriminator is not ours", () => {
    expect(decodeEchoPayload(encodeEchoPayload({ discriminator: 0xffffffff, sequence: 0xffffffff }))).toEqual({ discriminator: 0xffffffff, sequence: 0xffffffff });
    expect(decodeEchoPayload(encodeEchoPayload({ discriminator: 0, sequence: 1 }))).toBeUndefined();
  });
});
