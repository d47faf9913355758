import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeArpFrame, encodeArpFrame, encodeArpReply, encodeGratuitousArpRequest, ipv4ToNumber } from "./arp";
import { CountingL2Metrics } from "./metrics";
import { decodeNdpFrame, encodeNeighborAdvertisement, encodeNeighborSolicitation, encodeSolicitedAdvertisement } from "./ndp";
import { OwnershipTable } from "../../core/election/ownership";
import { RecordingPacketConn } from "./packet-conn";
import { decideAnswer, InterfaceAnswers, Responder, type Decision, type InterfaceInfo, type Ownership } from "./responder";

const OUR_MAC = "02:00:00:00:00:01";
const CLIENT_MAC = "02:00:00:00:00:aa";
const eth0 = { name: "eth0", mac: OUR_MAC };

const arpRequest = (targetIP: string, ethernetDestination = "ff:ff:ff:ff:ff:ff", operation: 1 | 2 = 1): Buffer =>
  encodeArpFrame({
    ethernetDestination, ethernetSource: CLIENT_MAC, operation,
    senderMac: CLIENT_MAC, senderIP: "192.0.2.1", targetMac: "00:00:00:00:00:00", targetIP,
  });

const solicitation = (targetIP: string, opts: { unicast?: boolean; option?: boolean } = {}): Buffer =>
  encodeNeighborSolicitation({
    ethernetDestination: opts.unicast ? OUR_MAC : "33:33:ff:00:00:10",
    ethernetSource: CLIENT_MAC,
    sourceIP: "2001:db8::1",
    destinationIP: opts.unicast ? targetIP : "ff02::1:ff00:10",
    targetIP,
    ...(opts.option === false ? {} : { sourceLinkLayer: CLIENT_MAC }),
  });

const owning = (...entries: [string, string[]][]): OwnershipTable => {
  const t = new OwnershipTable();
  for (const [ip, ifs] of entries) t.set(ip, ifs);
  return t;
};

describe("decideAnswer", () => {
  const own = owning(["192.0.2.10", []], ["2001:db8::10", []], ["192.0.2.20", ["eth1"]]);

  it("answers a broadcast ARP request for an owned IP with our MAC", () => {
    const d = decideAnswer(arpRequest("192.0.2.10"), eth0, own);
    expect(d).toMatchObject({ kind: "answer", protocol: "arp", ip: "192.0.2.10" });
    const reply = Buffer.from("0200000000aa02000000000108060001080006040002020000000001c000020a0200000000aac0000201" + "00".repeat(18), "hex");
    expect(d.kind === "answer" && d.frame.equals(reply)).toBe(true);
  });

  it("answers an ARP request sent to our MAC (a cache refresh)", () => {
    expect(decideAnswer(arpRequest("192.0.2.10", OUR_MAC), eth0, own).kind).toBe("answer");
  });

  it.each([
    ["an ARP reply", arpRequest("192.0.2.10", "ff:ff:ff:ff:ff:ff", 2), "arp-reply"],
    ["a request to another host's MAC", arpRequest("192.0.2.10", "02:00:00:00:00:99"), "arp-not-for-us"],
    ["another host's gratuitous ARP", encodeGratuitousArpRequest("192.0.2.10", CLIENT_MAC), "arp-gratuitous"],
    ["an IP we do not own", arpRequest("192.0.2.11"), "not-owned"],
    ["an NS for an IPv6 we do not own", solicitation("2001:db8::11"), "not-owned"],
    ["a multicast NS without a source option", solicitation("2001:db8::10", { option: false }), "ndp-no-source-option"],
    [
      "a neighbor advertisement",
      encodeNeighborAdvertisement({ ethernetDestination: "33:33:00:00:00:01", ethernetSource: CLIENT_MAC, sourceIP: "2001:db8::1", destinationIP: "ff02::1", targetIP: "2001:db8::10", router: false, solicited: false, override: true }),
      "not-neighbor-solicitation",
    ],
    [
      "a DAD probe",
      encodeNeighborSolicitation({ ethernetDestination: "33:33:ff:00:00:10", ethernetSource: CLIENT_MAC, sourceIP: "::", destinationIP: "ff02::1:ff00:10", targetIP: "2001:db8::10" }),
      "ndp-dad",
    ],
    ["an IPv4 packet", Buffer.concat([Buffer.from("020000000001" + "0200000000aa" + "0800", "hex"), Buffer.alloc(46)]), "not-arp-or-ipv6"],
    ["a VLAN-tagged frame", Buffer.concat([Buffer.from("ffffffffffff" + "0200000000aa" + "8100", "hex"), Buffer.alloc(46)]), "vlan-tagged"],
  ])("ignores %s", (_name, frame, reason) => {
    expect(decideAnswer(frame, eth0, own)).toMatchObject({ kind: "ignore", reason });
  });

  it("refuses an owned IP on an interface its advertisements do not allow", () => {
    expect(decideAnswer(arpRequest("192.0.2.20"), eth0, own)).toEqual({ kind: "ignore", reason: "interface-not-allowed", ownedIP: "192.0.2.20" });
    expect(decideAnswer(arpRequest("192.0.2.20"), { name: "eth1", mac: OUR_MAC }, own).kind).toBe("answer");
  });

  it("answers a multicast NS with a source option, and a unicast probe without one", () => {
    const ns = solicitation("2001:db8::10");
    const d = decideAnswer(ns, eth0, own);
    expect(d).toMatchObject({ kind: "answer", protocol: "ndp", ip: "2001:db8::10" });
    const probe = decideAnswer(solicitation("2001:db8::10", { unicast: true, option: false }), eth0, own);
    expect(probe).toMatchObject({ kind: "answer", protocol: "ndp", ip: "2001:db8::10" });
    // Same NA bytes as the codec's solicited advertisement: to the client, S+O, target option.
    expect(probe.kind === "answer" && probe.frame.subarray(54).toString("hex")).toBe(
      "88008a566000000020010db80000000000000000000000100201020000000001",
    );
    expect(d.kind === "answer" && d.frame.subarray(0, 6).toString("hex")).toBe("0200000000aa");
  });

  it("drops malformed frames with their reason and never throws", () => {
    expect(decideAnswer(Buffer.alloc(5), eth0, own)).toEqual({ kind: "drop", reason: "ethernet-truncated" });
    expect(decideAnswer(arpRequest("192.0.2.10").subarray(0, 30), eth0, own)).toEqual({ kind: "drop", reason: "arp-truncated" });
    const seeds = [arpRequest("192.0.2.10"), solicitation("2001:db8::10")];
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(85), fc.nat(255)), { maxLength: 5 }), fc.nat(90), (seed, edits, cut) => {
        const f = Buffer.from(seed);
        for (const [at, v] of edits) if (at < f.length) f[at] = v;
        expect(["answer", "drop", "ignore"]).toContain(decideAnswer(f.subarray(0, cut), eth0, own).kind);
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), b => void decideAnswer(Buffer.from(b), eth0, own)));
  });
});

/**
 * The policy as first written, on decoded text (kept here as the oracle): the byte-level path must
 * decide the same for every frame, down to the reason and the reply's bytes.
 */
function referenceDecision(frame: Buffer, iface: InterfaceInfo, ownership: Ownership): Decision {
  if (frame.length < 14) return { kind: "drop", reason: "ethernet-truncated" };
  const etherType = frame.readUInt16BE(12);
  const owned = (ip: string): Decision | undefined => {
    if (!ownership.owns(ip)) return { kind: "ignore", reason: "not-owned" };
    if (!ownership.allowedOn(ip, iface.name)) return { kind: "ignore", reason: "interface-not-allowed", ownedIP: ip };
    return undefined;
  };
  if (etherType === 0x0806) {
    const arp = decodeArpFrame(frame);
    if ("kind" in arp) return arp;
    if (arp.operation !== 1) return { kind: "ignore", reason: "arp-reply" };
    if (arp.ethernetDestination !== "ff:ff:ff:ff:ff:ff" && arp.ethernetDestination !== iface.mac) return { kind: "ignore", reason: "arp-not-for-us" };
    if (arp.senderIP === arp.targetIP) return { kind: "ignore", reason: "arp-gratuitous" };
    return owned(arp.targetIP) ?? { kind: "answer", protocol: "arp", ip: arp.targetIP, frame: encodeArpReply(arp, iface.mac) };
  }
  if (etherType === 0x86dd) {
    const nd = decodeNdpFrame(frame);
    if ("kind" in nd) return nd;
    if (nd.type !== "solicitation") return { kind: "ignore", reason: "not-neighbor-solicitation" };
    if (nd.dad) return { kind: "ignore", reason: "ndp-dad" };
    const refused = owned(nd.targetIP);
    if (refused) return refused;
    if (nd.sourceLinkLayer === undefined && nd.destinationIP.startsWith("ff")) return { kind: "ignore", reason: "ndp-no-source-option", ownedIP: nd.targetIP };
    return { kind: "answer", protocol: "ndp", ip: nd.targetIP, frame: encodeSolicitedAdvertisement(nd, iface.mac) };
  }
  return { kind: "ignore", reason: etherType === 0x8100 ? "vlan-tagged" : "not-arp-or-ipv6" };
}

const comparable = (d: Decision): unknown => (d.kind === "answer" ? { ...d, frame: d.frame.toString("hex") } : { ...d });

describe("decideAnswer's byte-level path", () => {
  it("decides exactly as the text decoders would, for mutated frames and any ownership", () => {
    const ips = ["192.0.2.10", "192.0.2.20", "2001:db8::10", "2001:db8::20"];
    const seeds = [
      arpRequest("192.0.2.10"), arpRequest("192.0.2.20", OUR_MAC), arpRequest("192.0.2.30"),
      solicitation("2001:db8::10"), solicitation("2001:db8::20", { unicast: true, option: false }), solicitation("2001:db8::10", { option: false }),
    ];
    const ownershipArb = fc.array(fc.tuple(fc.constantFrom(...ips), fc.constantFrom<string[]>([], ["eth0"], ["eth1"])), { maxLength: 4 });
    fc.assert(
      fc.property(ownershipArb, fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(85), fc.nat(255)), { maxLength: 3 }), fc.nat(90), (entries, seed, edits, cut) => {
        const own = owning(...entries);
        const f = Buffer.from(seed);
        for (const [at, v] of edits) if (at < f.length) f[at] = v;
        const g = f.subarray(0, cut);
        // A shared InterfaceAnswers, as in a running Responder: its cached entries must not change the outcome.
        expect(comparable(decideAnswer(g, eth0, own, shared))).toEqual(comparable(referenceDecision(g, eth0, own)));
      }),
      { numRuns: 3000 },
    );
  });
  const shared = new InterfaceAnswers(eth0);

  it("follows ownership on every frame although the reply template is kept", () => {
    const own = owning(["192.0.2.10", []]);
    const answers = new InterfaceAnswers(eth0);
    expect(decideAnswer(arpRequest("192.0.2.10"), eth0, own, answers).kind).toBe("answer");
    own.set("192.0.2.10", ["eth1"]);
    expect(decideAnswer(arpRequest("192.0.2.10"), eth0, own, answers)).toEqual({ kind: "ignore", reason: "interface-not-allowed", ownedIP: "192.0.2.10" });
    own.delete("192.0.2.10");
    expect(decideAnswer(arpRequest("192.0.2.10"), eth0, own, answers)).toEqual({ kind: "ignore", reason: "not-owned" });
    own.set("192.0.2.10", []);
    const back = decideAnswer(arpRequest("192.0.2.10"), eth0, own, answers);
    expect(back.kind === "answer" && back.frame.subarray(0, 12).toString("hex")).toBe("0200000000aa020000000001");
  });

  it("keeps answering correctly when more IPs are asked about than it remembers (the table starts over)", () => {
    const ips = Array.from({ length: 4200 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
    const own = owning(...ips.map((ip): [string, string[]] => [ip, []]));
    const answers = new InterfaceAnswers(eth0);
    for (const ip of [...ips, ips[0] as string, ips[4199] as string]) {
      const d = decideAnswer(arpRequest(ip), eth0, own, answers);
      expect(d.kind === "answer" && d.ip).toBe(ip);
      expect(d.kind === "answer" && d.frame.readUInt32BE(28)).toBe(ipv4ToNumber(ip));
    }
  });

  it("answers a multicast NS with the exact advertisement bytes", () => {
    const own = owning(["2001:db8::10", []]);
    const d = decideAnswer(solicitation("2001:db8::10"), eth0, own, new InterfaceAnswers(eth0));
    const vip = "20010db8000000000000000000000010";
    expect(d.kind === "answer" && d.frame.toString("hex")).toBe(
      `0200000000aa02000000000186dd` + `6000000000203aff${vip}20010db8000000000000000000000001` + `88008a5660000000${vip}0201020000000001`,
    );
  });
});

describe("Responder", () => {
  it("replies on the interface the request came in on and counts as MetalLB does", () => {
    const c0 = new RecordingPacketConn();
    const c1 = new RecordingPacketConn();
    const own = owning(["192.0.2.10", ["eth0"]], ["2001:db8::10", []]);
    const metrics = new CountingL2Metrics();
    const r = new Responder([{ ...eth0, conn: c0 }, { name: "eth1", mac: "02:00:00:00:00:02", conn: c1 }], own, metrics);

    c0.receive(arpRequest("192.0.2.10"));
    c1.receive(arpRequest("192.0.2.10")); // not allowed on eth1: counted as received, not answered
    c0.receive(arpRequest("192.0.2.99")); // not owned: not counted at all
    c1.receive(solicitation("2001:db8::10"));
    c0.receive(Buffer.alloc(3));

    expect(c0.sent).toHaveLength(1);
    expect(c0.sent[0]?.subarray(6, 12).toString("hex")).toBe("020000000001");
    expect(c1.sent).toHaveLength(1);
    expect(c1.sent[0]?.subarray(6, 12).toString("hex")).toBe("020000000002");
    expect(Object.fromEntries(metrics.requestsReceived)).toEqual({ "192.0.2.10": 2, "2001:db8::10": 1 });
    expect(Object.fromEntries(metrics.responsesSent)).toEqual({ "192.0.2.10": 1, "2001:db8::10": 1 });
    expect(Object.fromEntries(metrics.malformed)).toEqual({ "ethernet-truncated": 1 });

    // Losing the IP stops the answers at once.
    own.delete("192.0.2.10");
    c0.receive(arpRequest("192.0.2.10"));
    expect(c0.sent).toHaveLength(1);

    r.close();
    expect(c0.listenerCount()).toBe(0);
    expect(c1.listenerCount()).toBe(0);
  });
});
