import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arpFilter, BPF_MAXINSNS, ICMPV6_NEIGHBOR_SOLICITATION, ndpFilter } from "../../native/bpf";
import { checkProgram, runProgram } from "../../test/native/bpf-interpreter";
import { encodeArpFrame } from "../../protocols/l2/arp";
import { BROADCAST_MAC, ZERO_MAC } from "../../protocols/l2/ethernet";
import { encodeNeighborAdvertisement, encodeNeighborSolicitation, solicitedNodeMulticast } from "../../protocols/l2/ndp";
import { MAX_FILTERED_IPS, MAX_FILTERED_IPV6, ownedArpFilter, ownedNdpFilter } from "./arp-filter";

const MAC = "02:00:00:00:00:99";
const request = (target: string, operation: 1 | 2 = 1): Buffer =>
  encodeArpFrame({ ethernetDestination: BROADCAST_MAC, ethernetSource: MAC, operation, senderMac: MAC, senderIP: "192.0.2.1", targetMac: ZERO_MAC, targetIP: target });

describe("ownedArpFilter", () => {
  it("passes requests for owned IPv4 addresses only", () => {
    const program = ownedArpFilter(["192.0.2.100", "2001:db8::100", "198.51.100.7"]);
    expect(checkProgram(program)).toBeUndefined();
    expect(runProgram(program, request("192.0.2.100"))).toBeGreaterThan(0);
    expect(runProgram(program, request("198.51.100.7"))).toBeGreaterThan(0);
    expect(runProgram(program, request("192.0.2.101"))).toBe(0);
    expect(runProgram(program, request("192.0.2.100", 2))).toBe(0);
    expect(runProgram(program, request("192.0.2.100").subarray(0, 30))).toBe(0);
  });

  it("drops every ARP frame when nothing is owned", () => {
    expect(runProgram(ownedArpFilter([]), request("192.0.2.100"))).toBe(0);
  });

  it("falls back to the general ARP filter beyond the jump range", () => {
    const many = Array.from({ length: MAX_FILTERED_IPS + 1 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
    expect(ownedArpFilter(many)).toEqual(arpFilter());
    const most = many.slice(0, MAX_FILTERED_IPS);
    expect(checkProgram(ownedArpFilter(most))).toBeUndefined();
    expect(runProgram(ownedArpFilter(most), request(most[MAX_FILTERED_IPS - 1] as string))).toBeGreaterThan(0);
  });

  it("a frame passes exactly when it is a request for an owned address (property)", () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `198.18.${a}.${b}`);
    fc.assert(
      fc.property(fc.uniqueArray(ip, { maxLength: 20 }), ip, fc.constantFrom<1 | 2>(1, 2), (owned, target, op) => {
        const passed = runProgram(ownedArpFilter(owned), request(target, op)) > 0;
        expect(passed).toBe(op === 1 && owned.includes(target));
      }),
    );
  });

  it("never accepts arbitrary bytes it cannot read as an owned request (property)", () => {
    const program = ownedArpFilter(["192.0.2.100"]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
        if (runProgram(program, bytes) > 0) {
          expect(Buffer.from(bytes).subarray(38, 42)).toEqual(Buffer.from([192, 0, 2, 100]));
        }
      }),
    );
  });
});

describe("ownedNdpFilter", () => {
  const ns = (target: string, hopLimit = 255): Buffer => {
    const f = encodeNeighborSolicitation({
      ethernetDestination: "33:33:ff:00:01:00", ethernetSource: MAC, sourceIP: "2001:db8::1",
      destinationIP: solicitedNodeMulticast(target), targetIP: target, sourceLinkLayer: MAC,
    });
    f[21] = hopLimit;
    return f;
  };

  it("passes solicitations for owned IPv6 addresses only", () => {
    const program = ownedNdpFilter(["2001:db8::100", "192.0.2.100", "2001:db8:1::7"]);
    expect(checkProgram(program)).toBeUndefined();
    expect(runProgram(program, ns("2001:db8::100"))).toBeGreaterThan(0);
    expect(runProgram(program, ns("2001:db8:1::7"))).toBeGreaterThan(0);
    // Same solicited-node group (last 24 bits) as an owned address, different address: dropped.
    expect(runProgram(program, ns("2001:db8:2::100"))).toBe(0);
    expect(runProgram(program, ns("2001:db8::100", 64))).toBe(0);
    const na = encodeNeighborAdvertisement({
      ethernetDestination: "33:33:00:00:00:01", ethernetSource: MAC, sourceIP: "2001:db8::100", destinationIP: "ff02::1",
      targetIP: "2001:db8::100", router: false, solicited: false, override: true,
    });
    expect(runProgram(program, na)).toBe(0);
    expect(runProgram(program, ns("2001:db8::100").subarray(0, 70))).toBe(0);
    expect(runProgram(program, request("192.0.2.100"))).toBe(0);
  });

  it("drops everything when nothing is owned, and falls back to the general filter beyond its size", () => {
    expect(runProgram(ownedNdpFilter([]), ns("2001:db8::100"))).toBe(0);
    const many = Array.from({ length: MAX_FILTERED_IPV6 + 1 }, (_, i) => `2001:db8::${i.toString(16)}`);
    expect(ownedNdpFilter(many)).toEqual(ndpFilter([ICMPV6_NEIGHBOR_SOLICITATION]));
    const most = ownedNdpFilter(many.slice(0, MAX_FILTERED_IPV6));
    expect(most.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(checkProgram(most)).toBeUndefined();
    expect(runProgram(most, ns(many[MAX_FILTERED_IPV6 - 1] as string))).toBeGreaterThan(0);
  });

  it("a solicitation passes exactly when its target is owned (property)", () => {
    const ip = fc.tuple(fc.nat(3), fc.nat(0xffff)).map(([a, b]) => `2001:db8:${a}::${b.toString(16)}`);
    fc.assert(
      fc.property(fc.uniqueArray(ip, { maxLength: 20 }), ip, (owned, target) => {
        expect(runProgram(ownedNdpFilter(owned), ns(target)) > 0).toBe(owned.includes(target));
      }),
    );
  });
});
