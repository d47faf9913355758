/**
 * Sample Ethernet frames for the addon's and the BPF programs' tests. Deliberately minimal: the real
 * ARP/NDP codecs belong to the L2 capability; these only build what the tests send and check.
 */

export const BROADCAST = Buffer.from("ffffffffffff", "hex");

const ipv4Bytes = (text: string): Buffer => Buffer.from(text.split(".").map(Number));

/** An ARP (Ethernet/IPv4) frame: op 1 request, 2 reply. */
export function arpFrame(options: {
  op: 1 | 2;
  dstMac: Buffer;
  srcMac: Buffer;
  senderMac: Buffer;
  senderIp: string;
  targetMac: Buffer;
  targetIp: string;
}): Buffer {
  return Buffer.concat([
    options.dstMac,
    options.srcMac,
    Buffer.from([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, options.op]),
    options.senderMac,
    ipv4Bytes(options.senderIp),
    options.targetMac,
    ipv4Bytes(options.targetIp),
  ]);
}

export interface ArpSummary {
  readonly op: number;
  readonly dstMac: string;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
}

const macText = (bytes: Buffer): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");

/** Reads the fields the tests assert on; undefined when the frame is not Ethernet/IPv4 ARP. */
export function readArp(frame: Buffer): ArpSummary | undefined {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0806 || frame.readUInt32BE(14) !== 0x00010800) return undefined;
  return {
    op: frame.readUInt16BE(20),
    dstMac: macText(frame.subarray(0, 6)),
    senderMac: macText(frame.subarray(22, 28)),
    senderIp: Array.from(frame.subarray(28, 32)).join("."),
    targetIp: Array.from(frame.subarray(38, 42)).join("."),
  };
}

/** An IPv4/UDP frame (checksums zero: the filters never look at them). */
export function udp4Frame(options: { ttl: number; dstPort: number; ihl?: number; fragmentOffset?: number; payload?: Buffer }): Buffer {
  const ihl = options.ihl ?? 5;
  const payload = options.payload ?? Buffer.from("bfd");
  const ip = Buffer.alloc(ihl * 4);
  ip[0] = 0x40 | ihl;
  ip.writeUInt16BE(ihl * 4 + 8 + payload.length, 2);
  ip.writeUInt16BE(options.fragmentOffset ?? 0, 6);
  ip[8] = options.ttl;
  ip[9] = 17;
  ipv4Bytes("192.0.2.1").copy(ip, 12);
  ipv4Bytes("192.0.2.11").copy(ip, 16);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(49152, 0);
  udp.writeUInt16BE(options.dstPort, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([Buffer.alloc(12, 0x02), Buffer.from([0x08, 0x00]), ip, udp, payload]);
}

/** An IPv6 frame with next header `nextHeader`, hop limit and payload (ICMPv6 type first, or UDP header). */
export function ipv6Frame(options: { nextHeader: number; hopLimit: number; payload: Buffer }): Buffer {
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(options.payload.length, 4);
  ip[6] = options.nextHeader;
  ip[7] = options.hopLimit;
  Buffer.from("20010db8000000000000000000000001", "hex").copy(ip, 8);
  Buffer.from("20010db8000000000000000000000011", "hex").copy(ip, 24);
  return Buffer.concat([Buffer.from("3333ff000011", "hex"), Buffer.alloc(6, 0x02), Buffer.from([0x86, 0xdd]), ip, options.payload]);
}

/** ICMPv6 message of `type` with a 20-byte body (enough for an NS/NA target). */
export const icmpv6 = (type: number): Buffer => Buffer.concat([Buffer.from([type, 0, 0, 0]), Buffer.alloc(20)]);

/** UDP header to `dstPort` with a short payload. */
export function udpHeader(dstPort: number): Buffer {
  const udp = Buffer.alloc(11);
  udp.writeUInt16BE(49152, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(11, 4);
  udp.write("bfd", 8);
  return udp;
}
