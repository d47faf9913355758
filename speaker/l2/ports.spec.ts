import { describe, expect, it } from "vitest";
import type { BpfInsn } from "../../native/bpf";
import { ownedArpFilter, ownedNdpFilter } from "./arp-filter";
import { encodeArpFrame } from "../../protocols/l2/arp";
import { BROADCAST_MAC, ZERO_MAC } from "../../protocols/l2/ethernet";
import { CountingL2Metrics } from "../../protocols/l2/metrics";
import { encodeNeighborSolicitation, solicitedNodeMac, solicitedNodeMulticast } from "../../protocols/l2/ndp";
import { OwnershipTable } from "../../core/election/ownership";
import type { UsableInterface } from "./interfaces";
import { InterfacePorts, type MembershipSocket, type PortProtocol } from "./ports";
import { SafePacketConn } from "./socket-conn";

const CLIENT_MAC = "02:00:00:00:00:99";

class FakeSocket implements MembershipSocket {
  readonly sent: Buffer[] = [];
  readonly groups = new Set<string>();
  closed = false;
  failSend = false;
  private cb: ((frame: Buffer) => void) | undefined;
  onError: ((e: Error) => void) | undefined;
  constructor(readonly ifname: string, readonly protocol: PortProtocol) {}
  send(frame: Uint8Array): number {
    if (this.failSend) throw Object.assign(new Error("sendto eth0: Network is down (ENETDOWN)"), { code: "ENETDOWN" });
    this.sent.push(Buffer.from(frame));
    return frame.length;
  }
  onFrame(cb: (frame: Buffer) => void, options: { onError: (error: Error) => void }): void {
    this.cb = cb;
    this.onError = options.onError;
  }
  receive(frame: Buffer): void {
    this.cb?.(frame);
  }
  addMembership(mac: string): void {
    this.groups.add(mac);
  }
  dropMembership(mac: string): void {
    this.groups.delete(mac);
  }
  readonly filters: (readonly BpfInsn[])[] = [];
  setFilter(program: readonly BpfInsn[]): void {
    this.filters.push(program);
  }
  close(): void {
    this.closed = true;
  }
}

function setup() {
  const opened: FakeSocket[] = [];
  const openErrors: string[] = [];
  const ownership = new OwnershipTable();
  const metrics = new CountingL2Metrics();
  let failOpen = false;
  const ports = new InterfacePorts(
    (ifname, protocol) => {
      if (failOpen) throw new Error(`packetOpen ${ifname}: No such device (ENODEV)`);
      const s = new FakeSocket(ifname, protocol);
      opened.push(s);
      return s;
    },
    ownership,
    metrics,
    { onOpenError: (ifname, protocol, error) => openErrors.push(`${ifname}/${protocol}: ${error.message}`) },
  );
  const sock = (ifname: string, protocol: PortProtocol): FakeSocket => {
    const s = opened.filter(o => o.ifname === ifname && o.protocol === protocol && !o.closed).at(-1);
    if (!s) throw new Error(`no open ${protocol} socket on ${ifname}`);
    return s;
  };
  return { opened, openErrors, ownership, metrics, ports, sock, setFailOpen: (v: boolean) => void (failOpen = v) };
}

const eth0: UsableInterface = { index: 2, name: "eth0", mac: "02:00:00:00:00:01", arp: true, ndp: true };
const eth1: UsableInterface = { index: 3, name: "eth1", mac: "02:00:00:00:00:02", arp: true, ndp: false };

const arpRequest = (target: string): Buffer =>
  encodeArpFrame({ ethernetDestination: BROADCAST_MAC, ethernetSource: CLIENT_MAC, operation: 1, senderMac: CLIENT_MAC, senderIP: "192.0.2.1", targetMac: ZERO_MAC, targetIP: target });

describe("InterfacePorts", () => {
  it("opens an ARP socket per ARP interface and an IPv6 socket per NDP interface", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    expect(t.opened.map(s => `${s.ifname}/${s.protocol}`)).toEqual(["eth0/arp", "eth0/ndp", "eth1/arp"]);
    expect(t.ports.interfaces().map(i => i.name)).toEqual(["eth0", "eth1"]);
  });

  it("answers ARP for an owned IP on the interface it came in on, with that interface's MAC", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    t.ownership.set("192.0.2.100", []);
    t.sock("eth1", "arp").receive(arpRequest("192.0.2.100"));
    const [reply] = t.sock("eth1", "arp").sent;
    expect(reply?.subarray(0, 12).toString("hex")).toBe("020000000099" + "020000000002");
    expect(t.sock("eth0", "arp").sent).toEqual([]);
    expect(t.metrics.responsesSent.get("192.0.2.100")).toBe(1);
  });

  it("does not answer on an interface the IP is not allowed on, nor for an IP it does not own", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    t.ownership.set("192.0.2.100", ["eth0"]);
    t.sock("eth1", "arp").receive(arpRequest("192.0.2.100"));
    t.sock("eth0", "arp").receive(arpRequest("192.0.2.101"));
    expect(t.sock("eth1", "arp").sent).toEqual([]);
    expect(t.sock("eth0", "arp").sent).toEqual([]);
  });

  it("joins exactly the owned IPv6 addresses' solicited-node groups, and leaves them", () => {
    const t = setup();
    t.ports.sync([eth0]);
    t.ownership.set("2001:db8::100", []);
    t.ownership.set("192.0.2.100", []);
    t.ports.syncOwned();
    expect([...t.sock("eth0", "ndp").groups]).toEqual(["33:33:ff:00:01:00"]);
    expect(t.ports.groups("eth0")).toEqual(["33:33:ff:00:01:00"]);
    t.ownership.delete("2001:db8::100");
    t.ports.syncOwned();
    expect([...t.sock("eth0", "ndp").groups]).toEqual([]);
  });

  it("narrows each ARP socket's kernel filter to the owned IPv4 addresses, only when they change", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    expect(t.sock("eth0", "arp").filters).toEqual([ownedArpFilter([])]);
    t.ownership.set("192.0.2.100", ["eth0"]);
    t.ownership.set("2001:db8::100", []);
    t.ports.syncOwned();
    t.ports.syncOwned();
    // Every owned IPv4 address, even one not allowed on the interface: the responder counts those.
    expect(t.sock("eth1", "arp").filters).toEqual([ownedArpFilter([]), ownedArpFilter(["192.0.2.100"])]);
  });

  it("narrows each IPv6 socket's kernel filter to Neighbor Solicitations for the owned IPv6 addresses, only when they change", () => {
    const t = setup();
    t.ports.sync([eth0]);
    expect(t.sock("eth0", "ndp").filters).toEqual([ownedNdpFilter([])]);
    t.ownership.set("2001:db8::100", []);
    t.ownership.set("192.0.2.100", []);
    t.ports.syncOwned();
    t.ports.syncOwned();
    t.ownership.set("2001:db8::7", []);
    t.ports.syncOwned();
    expect(t.sock("eth0", "ndp").filters).toEqual([ownedNdpFilter([]), ownedNdpFilter(["2001:db8::100"]), ownedNdpFilter(["2001:db8::100", "2001:db8::7"])]);
  });

  it("answers a Neighbor Solicitation for an owned IPv6 address", () => {
    const t = setup();
    t.ports.sync([eth0]);
    t.ownership.set("2001:db8::100", []);
    const ns = encodeNeighborSolicitation({
      ethernetDestination: solicitedNodeMac("2001:db8::100"),
      ethernetSource: CLIENT_MAC,
      sourceIP: "2001:db8::1",
      destinationIP: solicitedNodeMulticast("2001:db8::100"),
      targetIP: "2001:db8::100",
      sourceLinkLayer: CLIENT_MAC,
    });
    t.sock("eth0", "ndp").receive(ns);
    expect(t.sock("eth0", "ndp").sent).toHaveLength(1);
    expect(t.metrics.responsesSent.get("2001:db8::100")).toBe(1);
  });

  it("sends a gratuitous round on the right socket per family, only where allowed", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    t.ownership.set("192.0.2.100", ["eth1"]);
    t.ownership.set("2001:db8::100", []);
    t.ports.sendGratuitous("192.0.2.100");
    t.ports.sendGratuitous("2001:db8::100");
    expect(t.sock("eth1", "arp").sent).toHaveLength(2); // request and reply
    expect(t.sock("eth0", "arp").sent).toHaveLength(0);
    expect(t.sock("eth0", "ndp").sent).toHaveLength(1); // unsolicited NA; eth1 has no NDP
    expect(t.metrics.gratuitous).toEqual(new Map([["192.0.2.100", 2], ["2001:db8::100", 1]]));
  });

  it("closes the sockets of an interface that goes away and reopens one whose MAC changed", () => {
    const t = setup();
    t.ports.sync([eth0, eth1]);
    const first = t.sock("eth0", "arp");
    t.ports.sync([{ ...eth0, mac: "02:00:00:00:00:03" }]);
    expect(first.closed).toBe(true);
    expect(t.opened.filter(s => s.ifname === "eth1").every(s => s.closed)).toBe(true);
    expect(t.sock("eth0", "arp")).not.toBe(first);
    expect(t.ports.interfaces()).toEqual([{ ...eth0, mac: "02:00:00:00:00:03" }]);
  });

  it("skips an interface whose socket cannot open, reports it, and retries on the next sync", () => {
    const t = setup();
    t.setFailOpen(true);
    t.ports.sync([eth1]);
    expect(t.ports.interfaces()).toEqual([]);
    expect(t.openErrors).toEqual(["eth1/arp: packetOpen eth1: No such device (ENODEV)"]);
    t.setFailOpen(false);
    t.ports.sync([eth1]);
    expect(t.ports.interfaces().map(i => i.name)).toEqual(["eth1"]);
  });

  it("never throws on a frame: malformed frames are counted, a failing send is reported", () => {
    const t = setup();
    const errors: string[] = [];
    const ports = new InterfacePorts((ifname, protocol) => {
      const s = new FakeSocket(ifname, protocol);
      t.opened.push(s);
      return s;
    }, t.ownership, t.metrics, { onConnError: (ifname, protocol, kind, e) => errors.push(`${ifname}/${protocol} ${kind}: ${e.message}`) });
    ports.sync([eth0]);
    t.ownership.set("192.0.2.100", []);
    const arp = t.opened.find(s => s.protocol === "arp") as FakeSocket;
    arp.receive(Buffer.alloc(3));
    arp.receive(arpRequest("192.0.2.100").subarray(0, 30));
    expect(t.metrics.malformed).toEqual(new Map([["ethernet-truncated", 1], ["arp-truncated", 1]]));
    arp.failSend = true;
    expect(() => arp.receive(arpRequest("192.0.2.100"))).not.toThrow();
    expect(errors).toEqual(["eth0/arp send: sendto eth0: Network is down (ENETDOWN)"]);
  });
});

describe("SafePacketConn", () => {
  it("keeps delivering to other listeners when one throws, and reports receive errors", () => {
    const socket = new FakeSocket("eth0", "arp");
    const errors: string[] = [];
    const conn = new SafePacketConn(socket, (kind, e) => errors.push(`${kind}: ${e.message}`));
    const got: number[] = [];
    conn.onFrame(() => {
      throw new Error("boom");
    });
    conn.onFrame(f => got.push(f.length));
    socket.receive(Buffer.alloc(42));
    socket.onError?.(new Error("recvfrom eth0: Network is down (ENETDOWN)"));
    expect(got).toEqual([42]);
    expect(errors).toEqual(["listener: boom", "receive: recvfrom eth0: Network is down (ENETDOWN)"]);
    conn.close();
    conn.send(Buffer.alloc(60));
    expect(socket.closed).toBe(true);
    expect(socket.sent).toEqual([]);
  });
});
