import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIP } from "../../core/net/ip";
import { DEFAULT_EXCLUDE_L2, ipFromAttribute, macFromAttribute, usableInterfaces, type LinkSnapshot } from "./interfaces";

const link = (over: Partial<LinkSnapshot> & { name: string }): LinkSnapshot => ({
  index: 2,
  mac: "02:00:00:00:00:01",
  up: true,
  broadcast: true,
  noarp: false,
  master: undefined,
  addresses: ["fe80::1"],
  ...over,
});

describe("usableInterfaces (MetalLB's interface rule)", () => {
  it.each([
    ["eth0, up, broadcast, link-local", link({ name: "eth0" }), { arp: true, ndp: true }],
    ["no IPv6 link-local: ARP only", link({ name: "eth0", addresses: ["192.0.2.11"] }), { arp: true, ndp: false }],
    ["no address at all (a VLAN without IPs) is still used", link({ name: "eth0.10", addresses: [] }), { arp: true, ndp: false }],
    ["no broadcast flag but link-local: NDP only", link({ name: "wg0", broadcast: false }), { arp: false, ndp: true }],
    ["a global IPv6 address alone gives no NDP", link({ name: "eth1", broadcast: false, addresses: ["2001:db8::11"] }), "no-protocol"],
    ["down", link({ name: "eth0", up: false }), "down"],
    ["enslaved to a bond or bridge", link({ name: "eth0", master: 5 }), "enslaved"],
    ["NOARP", link({ name: "eth0", noarp: true }), "noarp"],
    ["no hardware address", link({ name: "tun0", mac: undefined }), "no-mac"],
    ["lo is excluded by default", link({ name: "lo" }), "excluded"],
    ["docker0", link({ name: "docker0" }), "excluded"],
    ["veth pairs of pods", link({ name: "veth1234" }), "excluded"],
    ["Cilium lxc", link({ name: "lxc_health" }), "excluded"],
    ["kube-ipvs0", link({ name: "kube-ipvs0" }), "excluded"],
    ["calico", link({ name: "cali12ab" }), "excluded"],
    ["flannel.1", link({ name: "flannel.1" }), "excluded"],
    ["cni0", link({ name: "cni0" }), "excluded"],
    ["nodelocaldns", link({ name: "nodelocaldns" }), "excluded"],
    ["a name merely containing lo is not excluded", link({ name: "lo0" }), { arp: true, ndp: true }],
    ["bond0 (the master itself) is used", link({ name: "bond0" }), { arp: true, ndp: true }],
  ])("%s", (_title, l, expected) => {
    const verdict = usableInterfaces([l]);
    if (typeof expected === "string") {
      expect(verdict).toEqual({ usable: [], skipped: [{ name: l.name, reason: expected }] });
    } else {
      expect(verdict).toEqual({ usable: [{ index: l.index, name: l.name, mac: l.mac, ...expected }], skipped: [] });
    }
  });

  it("excluded wins over every other reason, then down, enslaved, noarp", () => {
    const all = { up: false, master: 3, noarp: true };
    expect(usableInterfaces([link({ name: "docker0", ...all })]).skipped).toEqual([{ name: "docker0", reason: "excluded" }]);
    expect(usableInterfaces([link({ name: "eth0", ...all })]).skipped).toEqual([{ name: "eth0", reason: "down" }]);
    expect(usableInterfaces([link({ name: "eth0", master: 3, noarp: true })]).skipped).toEqual([{ name: "eth0", reason: "enslaved" }]);
  });

  it("a custom exclude list replaces the default one", () => {
    const verdict = usableInterfaces([link({ name: "lo" }), link({ name: "eth0", index: 3 })], [/^eth/]);
    expect(verdict.usable.map(u => u.name)).toEqual(["lo"]);
    expect(verdict.skipped).toEqual([{ name: "eth0", reason: "excluded" }]);
  });

  it("sorts by name, whatever the dump order", () => {
    const verdict = usableInterfaces([link({ name: "eth1", index: 3 }), link({ name: "bond0", index: 4 }), link({ name: "eth0", index: 2 })]);
    expect(verdict.usable.map(u => u.name)).toEqual(["bond0", "eth0", "eth1"]);
  });

  it("the default list is MetalLB's 14 patterns", () => {
    expect(DEFAULT_EXCLUDE_L2.map(r => r.source)).toEqual([
      "^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo$", "^cali.*",
      "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^nodelocaldns.*", "^lxc.*",
    ]);
  });

  it("every link lands in exactly one of usable or skipped (property)", () => {
    const arbLink = fc.record({
      index: fc.integer({ min: 1, max: 1000 }),
      name: fc.string({ minLength: 1, maxLength: 15 }),
      mac: fc.option(fc.constant("02:00:00:00:00:09"), { nil: undefined }),
      up: fc.boolean(),
      broadcast: fc.boolean(),
      noarp: fc.boolean(),
      master: fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
      addresses: fc.array(fc.constantFrom("fe80::1", "192.0.2.1", "2001:db8::1"), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbLink, { maxLength: 8 }), links => {
        const v = usableInterfaces(links);
        expect(v.usable.length + v.skipped.length).toBe(links.length);
        for (const u of v.usable) expect(u.arp || u.ndp).toBe(true);
      }),
    );
  });
});

describe("netlink attribute decoding", () => {
  it("formats MACs and refuses non-MAC hardware addresses", () => {
    expect(macFromAttribute(Buffer.from("0242c0a80002", "hex"))).toBe("02:42:c0:a8:00:02");
    expect(macFromAttribute(Buffer.alloc(6))).toBeUndefined();
    expect(macFromAttribute(Buffer.alloc(4, 1))).toBeUndefined();
    expect(macFromAttribute(undefined)).toBeUndefined();
  });

  it("formats addresses canonically", () => {
    expect(ipFromAttribute(Buffer.from([192, 0, 2, 11]))).toBe("192.0.2.11");
    expect(ipFromAttribute(Buffer.from("fe800000000000000000000000000001", "hex"))).toBe("fe80::1");
    expect(ipFromAttribute(Buffer.from("20010db8000000000000000000000011", "hex"))).toBe("2001:db8::11");
    expect(ipFromAttribute(Buffer.alloc(5))).toBeUndefined();
  });

  it("any 4- or 16-byte attribute decodes to an address that parses back to the same bytes (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), bytes => {
        const text = ipFromAttribute(bytes);
        expect(text).toBeDefined();
        const back = parseIP(text ?? "");
        // An IPv4-mapped IPv6 address parses as IPv4 (as Go does); compare values only otherwise.
        let value = 0n;
        for (const b of bytes) value = (value << 8n) | BigInt(b);
        expect(back === undefined ? undefined : back.value & ((1n << 32n) - 1n)).toBe(value & ((1n << 32n) - 1n));
      }),
    );
  });

  it("never throws on any attribute (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), bytes => {
        macFromAttribute(bytes);
        ipFromAttribute(bytes);
      }),
    );
  });
});
