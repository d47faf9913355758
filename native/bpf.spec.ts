import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ACCEPT,
  DROP,
  SKF_NET_OFF,
  arpFilter,
  assemble,
  bfdFrameFilter,
  jeq,
  label,
  ldb,
  ndpFilter,
  ret,
  ttlSocketFilter,
} from "./bpf";
import { runProgram } from "../test/native/bpf-interpreter";
import { BROADCAST, arpFrame, icmpv6, ipv6Frame, udp4Frame, udpHeader } from "../test/native/frames";

const mac = (hex: string): Buffer => Buffer.from(hex, "hex");
const request = arpFrame({
  op: 1,
  dstMac: BROADCAST,
  srcMac: mac("020000000001"),
  senderMac: mac("020000000001"),
  senderIp: "192.0.2.1",
  targetMac: Buffer.alloc(6),
  targetIp: "192.0.2.200",
});
const reply = arpFrame({ ...{ dstMac: mac("020000000001"), srcMac: mac("020000000002") }, op: 2, senderMac: mac("020000000002"), senderIp: "192.0.2.200", targetMac: mac("020000000001"), targetIp: "192.0.2.1" });

/** Applies byte mutations and a truncation to a valid frame: reaches both accepting and dropping paths. */
const mutated = (base: Buffer, interesting: number[]) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(base.length + 8), fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 }))), { maxLength: 3 }),
      fc.nat(base.length + 8),
    )
    .map(([changes, length]) => {
      const frame = Buffer.concat([base, Buffer.alloc(8)]);
      for (const [at, value] of changes) frame[at % frame.length] = value;
      return frame.subarray(0, Math.min(length, frame.length));
    });

describe("assemble", () => {
  it("resolves labels to forward offsets", () => {
    expect(assemble([ldb(0), jeq(1, "yes", "no"), label("yes"), ret(1), label("no"), ret(0)])).toEqual([
      { code: 0x30, jt: 0, jf: 0, k: 0 },
      { code: 0x15, jt: 0, jf: 1, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
  });

  it("refuses unknown labels, backward jumps and duplicate labels", () => {
    expect(() => assemble([jeq(1, "nowhere"), ret(0)])).toThrow("bpf: unknown label nowhere");
    expect(() => assemble([label("top"), ldb(0), jeq(1, "top"), ret(0)])).toThrow("bpf: jump to top out of range (-2)");
    expect(() => assemble([label("a"), label("a"), ret(0)])).toThrow("bpf: label a defined twice");
  });

  it("refuses jumps further than 255 instructions", () => {
    expect(() => assemble([jeq(1, "far"), ...Array.from({ length: 256 }, () => ldb(0)), label("far"), ret(0)])).toThrow(
      "bpf: jump to far out of range (256)",
    );
  });

  it("stores negative offsets as their 32-bit two's complement", () => {
    expect(ttlSocketFilter(255)[0]).toEqual({ code: 0x30, jt: 0, jf: 0, k: 0xfff00000 });
  });
});

describe("arpFilter", () => {
  it("is the expected instruction list", () => {
    expect(arpFilter()).toEqual([
      { code: 0x28, jt: 0, jf: 0, k: 12 },
      { code: 0x15, jt: 0, jf: 8, k: 0x806 },
      { code: 0x20, jt: 0, jf: 0, k: 14 },
      { code: 0x15, jt: 0, jf: 6, k: 0x10800 },
      { code: 0x28, jt: 0, jf: 0, k: 18 },
      { code: 0x15, jt: 0, jf: 4, k: 0x604 },
      { code: 0x28, jt: 0, jf: 0, k: 20 },
      { code: 0x15, jt: 1, jf: 0, k: 1 },
      { code: 0x15, jt: 0, jf: 1, k: 2 },
      { code: 0x06, jt: 0, jf: 0, k: 0x40000 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
  });

  it("accepts requests and replies, drops other frames", () => {
    expect(runProgram(arpFilter(), request)).toBe(ACCEPT);
    expect(runProgram(arpFilter(), reply)).toBe(ACCEPT);
    const rarp = Buffer.from(request);
    rarp[21] = 3;
    expect(runProgram(arpFilter(), rarp)).toBe(DROP);
    expect(runProgram(arpFilter(), udp4Frame({ ttl: 255, dstPort: 3784 }))).toBe(DROP);
    expect(runProgram(arpFilter(), request.subarray(0, 21))).toBe(DROP);
  });

  it("accepts exactly the Ethernet/IPv4 ARP requests and replies (property)", () => {
    const reference = (f: Buffer): boolean =>
      f.length >= 22 &&
      f.readUInt16BE(12) === 0x0806 &&
      f.readUInt32BE(14) === 0x00010800 &&
      f.readUInt16BE(18) === 0x0604 &&
      [1, 2].includes(f.readUInt16BE(20));
    fc.assert(
      fc.property(fc.oneof(mutated(request, [0, 1, 2, 3, 4, 6, 8, 0x86]), fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))), (frame) => {
        expect(runProgram(arpFilter(), frame)).toBe(reference(frame) ? ACCEPT : DROP);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("ndpFilter", () => {
  const ns = ipv6Frame({ nextHeader: 58, hopLimit: 255, payload: icmpv6(135) });
  const na = ipv6Frame({ nextHeader: 58, hopLimit: 255, payload: icmpv6(136) });

  it("accepts NS and NA with hop limit 255 only", () => {
    expect(runProgram(ndpFilter(), ns)).toBe(ACCEPT);
    expect(runProgram(ndpFilter(), na)).toBe(ACCEPT);
    expect(runProgram(ndpFilter(), ipv6Frame({ nextHeader: 58, hopLimit: 254, payload: icmpv6(135) }))).toBe(DROP);
    expect(runProgram(ndpFilter(), ipv6Frame({ nextHeader: 58, hopLimit: 255, payload: icmpv6(128) }))).toBe(DROP);
    expect(runProgram(ndpFilter(), ipv6Frame({ nextHeader: 17, hopLimit: 255, payload: icmpv6(135) }))).toBe(DROP);
    expect(runProgram(ndpFilter([135]), na)).toBe(DROP);
    expect(runProgram(ndpFilter([135]), ns)).toBe(ACCEPT);
    expect(runProgram(ndpFilter(), request)).toBe(DROP);
  });

  it("refuses an empty type list", () => {
    expect(() => ndpFilter([])).toThrow("bpf: ndpFilter needs at least one ICMPv6 type");
  });

  it("matches its definition on mutated frames (property)", () => {
    const reference = (f: Buffer): boolean =>
      f.length >= 55 && f.readUInt16BE(12) === 0x86dd && f[20] === 58 && f[21] === 255 && [135, 136].includes(f[54] ?? -1);
    fc.assert(
      fc.property(mutated(ns, [58, 255, 254, 135, 136, 137, 0x86, 0xdd]), (frame) => {
        expect(runProgram(ndpFilter(), frame)).toBe(reference(frame) ? ACCEPT : DROP);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("bfdFrameFilter", () => {
  it("accepts BFD over IPv4 and IPv6 with TTL 255, on both ports", () => {
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 3784 }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 4784 }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 3784, ihl: 6 }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(), ipv6Frame({ nextHeader: 17, hopLimit: 255, payload: udpHeader(3784) }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(), ipv6Frame({ nextHeader: 17, hopLimit: 255, payload: udpHeader(4784) }))).toBe(ACCEPT);
  });

  it("drops lower TTLs, other ports, later fragments and other protocols", () => {
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 254, dstPort: 3784 }))).toBe(DROP);
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 3785 }))).toBe(DROP);
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 3784, fragmentOffset: 0x2001 }))).toBe(DROP);
    expect(runProgram(bfdFrameFilter(), udp4Frame({ ttl: 255, dstPort: 3784, fragmentOffset: 0x4000 }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(), ipv6Frame({ nextHeader: 17, hopLimit: 1, payload: udpHeader(3784) }))).toBe(DROP);
    expect(runProgram(bfdFrameFilter(), ipv6Frame({ nextHeader: 6, hopLimit: 255, payload: udpHeader(3784) }))).toBe(DROP);
    expect(runProgram(bfdFrameFilter(), request)).toBe(DROP);
  });

  it("takes a lower minimum TTL and other ports for multi-hop", () => {
    expect(runProgram(bfdFrameFilter(250, [4784]), udp4Frame({ ttl: 251, dstPort: 4784 }))).toBe(ACCEPT);
    expect(runProgram(bfdFrameFilter(250, [4784]), udp4Frame({ ttl: 251, dstPort: 3784 }))).toBe(DROP);
    expect(() => bfdFrameFilter(255, [])).toThrow("bpf: bfdFrameFilter needs at least one port");
  });

  it("matches its definition on mutated IPv4 and IPv6 frames (property)", () => {
    const ports = [3784, 4784];
    const reference = (f: Buffer): boolean => {
      if (f.length < 14) return false;
      const type = f.readUInt16BE(12);
      if (type === 0x0800) {
        if (f.length < 24 || f[23] !== 17 || (f[22] ?? 0) < 255 || (f.readUInt16BE(20) & 0x1fff) !== 0) return false;
        const at = 14 + ((f[14] ?? 0) & 0x0f) * 4 + 2;
        return f.length >= at + 2 && ports.includes(f.readUInt16BE(at));
      }
      if (type === 0x86dd) return f.length >= 58 && f[20] === 17 && f[21] === 255 && ports.includes(f.readUInt16BE(56));
      return false;
    };
    const v4 = udp4Frame({ ttl: 255, dstPort: 3784 });
    const v6 = ipv6Frame({ nextHeader: 17, hopLimit: 255, payload: udpHeader(4784) });
    fc.assert(
      fc.property(fc.oneof(mutated(v4, [17, 255, 0x45, 0x46, 0x4f, 0x20, 0x0e, 0xd0]), mutated(v6, [17, 255, 0x12, 0xb0])), (frame) => {
        expect(runProgram(bfdFrameFilter(), frame)).toBe(reference(frame) ? ACCEPT : DROP);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("ttlSocketFilter", () => {
  // A socket filter sees the packet from the transport header; SKF_NET_OFF loads reach back to IP.
  const ipv4Packet = (ttl: number): Buffer => udp4Frame({ ttl, dstPort: 3784 }).subarray(14);
  const ipv6Packet = (hops: number): Buffer => ipv6Frame({ nextHeader: 17, hopLimit: hops, payload: udpHeader(3784) }).subarray(14);

  it("reads the TTL / hop limit through SKF_NET_OFF", () => {
    expect(runProgram(ttlSocketFilter(255), ipv4Packet(255), { networkOffset: 0 })).toBe(ACCEPT);
    expect(runProgram(ttlSocketFilter(255), ipv4Packet(254), { networkOffset: 0 })).toBe(DROP);
    expect(runProgram(ttlSocketFilter(255), ipv6Packet(255), { networkOffset: 0 })).toBe(ACCEPT);
    expect(runProgram(ttlSocketFilter(255), ipv6Packet(64), { networkOffset: 0 })).toBe(DROP);
    expect(runProgram(ttlSocketFilter(64), ipv6Packet(64), { networkOffset: 0 })).toBe(ACCEPT);
    expect(runProgram([...ttlSocketFilter(1)], Buffer.from([0x50, 0, 0, 0, 0, 0, 0, 0, 9]), { networkOffset: 0 })).toBe(DROP);
  });

  it("accepts exactly the packets with TTL >= minTtl (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (minTtl, ttl, v6) => {
        const packet = v6 ? ipv6Packet(ttl) : ipv4Packet(ttl);
        expect(runProgram(ttlSocketFilter(minTtl), packet, { networkOffset: 0 })).toBe(ttl >= minTtl ? ACCEPT : DROP);
      }),
    );
  });

  it("refuses a minimum outside 0..255", () => {
    expect(() => ttlSocketFilter(256)).toThrow("bpf: minTtl 256 is not 0..255");
    expect(() => ttlSocketFilter(1.5)).toThrow("bpf: minTtl 1.5 is not 0..255");
  });

  it("uses the network-offset base", () => {
    expect(ttlSocketFilter(255)[4]).toEqual({ code: 0x30, jt: 0, jf: 0, k: (SKF_NET_OFF + 8) >>> 0 });
  });
});
