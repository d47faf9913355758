import { describe, expect, it } from "vitest";
import { runProgram } from "../../test/native/bpf-interpreter";
import { decodeEchoFrame, encodeEchoFrame } from "../../protocols/bfd/echo";
import { bfdEchoSockets, echoFrameFilter, parseArpTable, type FrameSocket } from "./bfd-echo";

const ARP = `IP address       HW type     Flags       HW address            Mask     Device
192.0.2.1        0x1         0x2         02:6C:73:00:00:01     *        eth0
192.0.2.9        0x1         0x0         00:00:00:00:00:00     *        eth0
198.51.100.1     0x1         0x6         02:00:00:00:00:aa     *        eth1
`;

const frameTo = (address: string, payload: { discriminator: number; sequence: number }, ttl = 254) => {
  const f = encodeEchoFrame({ destinationMac: Buffer.from("020000000011", "hex"), sourceMac: Buffer.from("026c73000001", "hex"), address, sourcePort: 49153, ipId: 1, payload });
  // As the peer forwards it: one TTL less, header checksum patched (RFC 1624 incremental update).
  if (ttl !== 255) {
    f[22] = ttl;
    f.writeUInt16BE(0, 24);
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    f.writeUInt16BE(~sum & 0xffff, 24);
  }
  return f;
};

function fakeSockets() {
  const sockets = new Map<string, { sent: Buffer[]; deliver: (f: Buffer) => void; closed: boolean }>();
  const openSocket = (device: string): FrameSocket => {
    const s = { sent: [] as Buffer[], deliver: (_f: Buffer) => undefined as void, closed: false };
    sockets.set(device, s);
    return { send: f => (s.sent.push(Buffer.from(f)), f.length), onFrame: cb => (s.deliver = cb), close: () => (s.closed = true) };
  };
  return { sockets, openSocket };
}

describe("BFD echo transport", () => {
  it("reads complete neighbour entries only, MACs in lowercase", () => {
    expect(parseArpTable(ARP)).toEqual([
      { ip: "192.0.2.1", mac: "02:6c:73:00:00:01", device: "eth0" },
      { ip: "198.51.100.1", mac: "02:00:00:00:00:aa", device: "eth1" },
    ]);
  });

  it("filter: wakes for IPv4 UDP to 3785 at TTL 254 only", () => {
    const program = echoFrameFilter();
    const ok = frameTo("192.0.2.11", { discriminator: 1, sequence: 1 });
    expect(runProgram(program, ok)).toBeGreaterThan(0);
    expect(runProgram(program, frameTo("192.0.2.11", { discriminator: 1, sequence: 1 }, 255))).toBe(0);
    const control = Buffer.from(ok);
    control.writeUInt16BE(3784, 36);
    expect(runProgram(program, control)).toBe(0);
    const fragment = Buffer.from(ok);
    fragment.writeUInt16BE(0x0010, 20);
    expect(runProgram(program, fragment)).toBe(0);
  });

  it("sends the frame to the peer's MAC from the interface that reaches it, and hands back returned echoes to their session", () => {
    const { sockets, openSocket } = fakeSockets();
    const open = bfdEchoSockets({ readArpTable: () => ARP, interfaceMac: d => (d === "eth0" ? "02:00:00:00:00:11" : undefined), openSocket, readForwarding: () => "1\n" });
    const got: unknown[] = [];
    const t = open("192.0.2.11", "192.0.2.1", 7, e => got.push(e));
    expect(t.send({ discriminator: 7, sequence: 1 })).toBe(true);
    const eth0 = sockets.get("eth0");
    const sent = eth0?.sent[0] as Buffer;
    expect(sent.subarray(0, 12).toString("hex")).toBe("026c73000001" + "020000000011");
    expect(decodeEchoFrame(sent)).toMatchObject({ ok: true, echo: { source: "192.0.2.11", destination: "192.0.2.11", ttl: 255, payload: { discriminator: 7, sequence: 1 } } });
    // Back through the peer (TTL 254): ours. Not forwarded (255), another address, another discriminator: not.
    eth0?.deliver(frameTo("192.0.2.11", { discriminator: 7, sequence: 1 }));
    eth0?.deliver(frameTo("192.0.2.11", { discriminator: 7, sequence: 2 }, 255));
    eth0?.deliver(frameTo("192.0.2.12", { discriminator: 7, sequence: 3 }));
    eth0?.deliver(frameTo("192.0.2.11", { discriminator: 8, sequence: 4 }));
    expect(got).toEqual([{ discriminator: 7, sequence: 1 }]);
    t.close();
    expect(eth0?.closed).toBe(true);
  });

  it("sends nothing while the peer's MAC is unknown, and starts once the entry appears", () => {
    const { sockets, openSocket } = fakeSockets();
    let table = ARP.split("\n")[0] as string;
    const open = bfdEchoSockets({ readArpTable: () => table, interfaceMac: () => "02:00:00:00:00:11", openSocket });
    const t = open("192.0.2.11", "192.0.2.1", 7, () => undefined);
    expect(t.send({ discriminator: 7, sequence: 1 })).toBe(false);
    table = ARP;
    expect(t.send({ discriminator: 7, sequence: 2 })).toBe(true);
    expect(sockets.get("eth0")?.sent.length).toBe(1);
  });

  it("shares one socket per interface and closes it with its last session", () => {
    const { sockets, openSocket } = fakeSockets();
    const arp = `${ARP}192.0.2.2        0x1         0x2         02:00:00:00:00:22     *        eth0\n`;
    const open = bfdEchoSockets({ readArpTable: () => arp, interfaceMac: () => "02:00:00:00:00:11", openSocket });
    const a = open("192.0.2.11", "192.0.2.1", 1, () => undefined);
    const b = open("192.0.2.11", "192.0.2.2", 2, () => undefined);
    a.send({ discriminator: 1, sequence: 1 });
    b.send({ discriminator: 2, sequence: 1 });
    expect(sockets.get("eth0")?.sent.map(f => f.subarray(0, 6).toString("hex"))).toEqual(["026c73000001", "020000000022"]);
    a.close();
    expect(sockets.get("eth0")?.closed).toBe(false);
    b.close();
    expect(sockets.get("eth0")?.closed).toBe(true);
  });

  it("warns once per interface that does not forward IPv4: the peer's echoes would not come back", () => {
    const { openSocket } = fakeSockets();
    const errors: string[] = [];
    const arp = `${ARP}192.0.2.2        0x1         0x2         02:00:00:00:00:22     *        eth0\n`;
    const open = bfdEchoSockets({ readArpTable: () => arp, interfaceMac: () => "02:00:00:00:00:11", openSocket, readForwarding: d => (d === "eth0" ? "0\n" : "1\n"), onError: m => errors.push(m) });
    open("192.0.2.11", "192.0.2.1", 1, () => undefined).send({ discriminator: 1, sequence: 1 });
    open("192.0.2.11", "192.0.2.2", 2, () => undefined).send({ discriminator: 2, sequence: 1 });
    open("198.51.100.11", "198.51.100.1", 3, () => undefined).send({ discriminator: 3, sequence: 1 });
    expect(errors).toEqual([
      "IPv4 forwarding is off on eth0 (net.ipv4.conf.eth0.forwarding=0): a peer's BFD echoes cannot come back through this node, and a peer that runs echo will take the session down",
    ]);
  });

  it("says once why an interface has no echo socket, and sends nothing there", () => {
    const errors: string[] = [];
    const open = bfdEchoSockets({
      readArpTable: () => ARP,
      interfaceMac: () => "02:00:00:00:00:11",
      openSocket: () => {
        throw new Error("EPERM: operation not permitted");
      },
      onError: m => errors.push(m),
    });
    const t = open("192.0.2.11", "192.0.2.1", 1, () => undefined);
    expect([t.send({ discriminator: 1, sequence: 1 }), t.send({ discriminator: 1, sequence: 2 })]).toEqual([false, false]);
    expect(errors).toEqual(["no BFD echo on eth0, sessions there keep to control packets: EPERM: operation not permitted"]);
  });
});
