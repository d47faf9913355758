import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCEPT, DROP } from "../../native/bpf";
import { runProgram } from "../../test/native/bpf-interpreter";
import { peerTtlFilter } from "./peer-ttl-filter";

/** An IP packet as a UDP socket filter sees it (network header at SKF_NET_OFF, here offset 0). */
function ipv4(source: readonly number[], ttl: number): Buffer {
  const b = Buffer.alloc(20 + 8 + 24);
  b[0] = 0x45;
  b[8] = ttl;
  b[9] = 17;
  Buffer.from(source).copy(b, 12);
  Buffer.from([192, 0, 2, 11]).copy(b, 16);
  b.writeUInt16BE(4784, 22);
  return b;
}

function ipv6(source: string, hops: number): Buffer {
  const b = Buffer.alloc(40 + 8 + 24);
  b[0] = 0x60;
  b[6] = 17;
  b[7] = hops;
  Buffer.from(source, "hex").copy(b, 8);
  Buffer.from("20010db8000000000000000000000011", "hex").copy(b, 24);
  return b;
}

const run = (program: ReturnType<typeof peerTtlFilter>, packet: Buffer) => runProgram(program, packet, { networkOffset: 0 });

describe("peerTtlFilter", () => {
  it("applies each peer's own minimum TTL and drops other sources", () => {
    const program = peerTtlFilter(new Map([["198.51.100.1", 254], ["198.51.100.2", 250]]));
    expect([254, 253].map(t => run(program, ipv4([198, 51, 100, 1], t)))).toEqual([ACCEPT, DROP]);
    expect([250, 249].map(t => run(program, ipv4([198, 51, 100, 2], t)))).toEqual([ACCEPT, DROP]);
    expect(run(program, ipv4([198, 51, 100, 3], 255))).toBe(DROP);
  });

  it("compares all 128 bits of an IPv6 source", () => {
    const program = peerTtlFilter(new Map([["2001:db8::1", 254]]));
    expect(run(program, ipv6("20010db8000000000000000000000001", 254))).toBe(ACCEPT);
    expect(run(program, ipv6("20010db8000000000000000000000001", 253))).toBe(DROP);
    expect(run(program, ipv6("20010db8000000000000000000000101", 255))).toBe(DROP);
    expect(run(program, ipv6("20010db9000000000000000000000001", 255))).toBe(DROP);
    // A socket of one family: an IPv4 packet is not for it.
    expect(run(program, ipv4([32, 1, 13, 184], 255))).toBe(DROP);
  });

  it("drops everything when no peer is registered", () => {
    expect(run(peerTtlFilter(new Map()), ipv4([198, 51, 100, 1], 255))).toBe(DROP);
  });

  it("refuses bad input with a message", () => {
    expect(() => peerTtlFilter(new Map([["nope", 1]]))).toThrow("bfd filter: nope is not an IP address");
    expect(() => peerTtlFilter(new Map([["198.51.100.1", 256]]))).toThrow("bfd filter: minimum TTL 256 for 198.51.100.1 is not 0..255");
    expect(() => peerTtlFilter(new Map([["198.51.100.1", 1], ["2001:db8::1", 1]]))).toThrow("bfd filter: peers of both families on one socket");
    // 4 + 6 per IPv4 peer + 1: 1,000 peers are more than the kernel's 4,096.
    const many = new Map(Array.from({ length: 1000 }, (_, i) => [`198.18.${i >> 8}.${i & 255}`, 254] as const));
    expect(() => peerTtlFilter(many)).toThrow("bfd filter: 6005 instructions for 1000 peers is more than the kernel takes");
  });

  it("accepts exactly a registered source at or above its minimum (property)", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const addr = fc.tuple(fc.constant(198), fc.constant(51), fc.constant(100), octet);
    fc.assert(
      fc.property(fc.array(fc.tuple(addr, octet), { maxLength: 30 }), addr, octet, (peers, source, ttl) => {
        const table = new Map(peers.map(([a, t]) => [a.join("."), t]));
        const min = table.get(source.join("."));
        expect(run(peerTtlFilter(table), ipv4(source, ttl))).toBe(min !== undefined && ttl >= min ? ACCEPT : DROP);
      }),
      { numRuns: 2000 },
    );
  });
});
