/**
 * The data plane's per-interface sockets. For every usable interface (interfaces.ts): one packet
 * socket for ARP (ETH_P_ARP, ARP filter) when it does ARP, one for IPv6 (ETH_P_IPV6, filter passing
 * only Neighbor Solicitations) when it does NDP, and a Responder answering on them. The IPv6 socket
 * is a member of exactly the solicited-node groups (33:33:ff:xx:xx:xx) of the IPv6 addresses this
 * node owns on that interface, so multicast solicitations reach it without allmulti.
 *
 * `sync` follows the interface list (opening, closing, reopening when an interface's index, MAC or
 * protocols change); a socket that fails to open is retried on the next sync.
 */
import { gratuitousFrames } from "../../protocols/l2/announcer";
import type { L2Metrics } from "../../protocols/l2/metrics";
import type { OwnershipTable } from "../../core/election/ownership";
import { Responder, type Decision, type ResponderInterface } from "../../protocols/l2/responder";
import type { UsableInterface } from "./interfaces";
import type { BpfInsn } from "../../native/bpf";
import { ownedArpFilter, ownedNdpFilter } from "./arp-filter";
import { SafePacketConn, type ConnErrorKind, type FrameSocket } from "./socket-conn";

export type PortProtocol = "arp" | "ndp";

export interface MembershipSocket extends FrameSocket {
  addMembership(mac: string): void;
  dropMembership(mac: string): void;
  /** Replaces the socket's kernel filter. */
  setFilter(program: readonly BpfInsn[]): void;
}

/** Opens the packet socket of one protocol on one interface (native in production, fakes in tests). */
export type OpenSocket = (ifname: string, protocol: PortProtocol) => MembershipSocket;

export interface PortEvents {
  readonly onConnError?: (ifname: string, protocol: PortProtocol, kind: ConnErrorKind, error: Error) => void;
  readonly onOpenError?: (ifname: string, protocol: PortProtocol, error: Error) => void;
  readonly onDecision?: (ifname: string, decision: Decision) => void;
}

interface Port {
  readonly iface: UsableInterface;
  readonly arp: { conn: SafePacketConn; socket: MembershipSocket; filterKey: string | undefined } | undefined;
  readonly ndp: { conn: SafePacketConn; socket: MembershipSocket; groups: Set<string>; filterKey: string | undefined } | undefined;
  readonly responder: Responder;
}

const sameInterface = (a: UsableInterface, b: UsableInterface): boolean =>
  a.index === b.index && a.mac === b.mac && a.arp === b.arp && a.ndp === b.ndp;

export class InterfacePorts {
  private readonly ports = new Map<string, Port>();

  constructor(
    private readonly open: OpenSocket,
    private readonly ownership: OwnershipTable,
    private readonly metrics: L2Metrics,
    private readonly events: PortEvents = {},
  ) {}

  /** Brings the open sockets in line with `usable`. */
  sync(usable: readonly UsableInterface[]): void {
    const wanted = new Map(usable.map(u => [u.name, u]));
    for (const [name, port] of [...this.ports]) {
      const want = wanted.get(name);
      if (want === undefined || !sameInterface(port.iface, want)) this.closePort(name);
    }
    for (const iface of usable) if (!this.ports.has(iface.name)) this.openPort(iface);
    this.syncOwned();
  }

  private openSocket(iface: UsableInterface, protocol: PortProtocol): { conn: SafePacketConn; socket: MembershipSocket } | undefined {
    try {
      const socket = this.open(iface.name, protocol);
      const conn = new SafePacketConn(socket, (kind, error) => this.events.onConnError?.(iface.name, protocol, kind, error));
      return { conn, socket };
    } catch (error) {
      this.events.onOpenError?.(iface.name, protocol, error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }

  private openPort(iface: UsableInterface): void {
    const arp = iface.arp ? this.openSocket(iface, "arp") : undefined;
    const ndp = iface.ndp ? this.openSocket(iface, "ndp") : undefined;
    // Half an interface is worse than none only if nothing opened; otherwise serve what we can and
    // retry the rest on the next sync (the port is reopened when it is found incomplete).
    if ((iface.arp && !arp) || (iface.ndp && !ndp)) {
      arp?.conn.close();
      ndp?.conn.close();
      return;
    }
    const conns: ResponderInterface[] = [];
    if (arp) conns.push({ name: iface.name, mac: iface.mac, conn: arp.conn });
    if (ndp) conns.push({ name: iface.name, mac: iface.mac, conn: ndp.conn });
    const responder = new Responder(conns, this.ownership, this.metrics, (name, decision) => this.events.onDecision?.(name, decision));
    this.ports.set(iface.name, {
      iface,
      arp: arp ? { ...arp, filterKey: undefined } : undefined,
      ndp: ndp ? { ...ndp, groups: new Set(), filterKey: undefined } : undefined,
      responder,
    });
  }

  private closePort(name: string): void {
    const port = this.ports.get(name);
    if (!port) return;
    this.ports.delete(name);
    port.responder.close();
    port.arp?.conn.close();
    port.ndp?.conn.close();
  }

  /**
   * Follows the owned IPs: each socket's kernel filter passes only ARP requests / Neighbor
   * Solicitations for them (arp-filter.ts), and each IPv6 socket joins exactly their solicited-node groups.
   */
  syncOwned(): void {
    const owned = this.ownership.ips();
    const ownedV4 = owned.filter(ip => !ip.includes(":")).sort();
    const ownedV6 = owned.filter(ip => ip.includes(":")).sort();
    const filterKey = ownedV4.join(",");
    const ndpFilterKey = ownedV6.join(",");
    for (const [name, port] of this.ports) {
      if (port.arp && port.arp.filterKey !== filterKey) {
        try {
          port.arp.socket.setFilter(ownedArpFilter(ownedV4));
          port.arp.filterKey = filterKey;
        } catch (error) {
          this.events.onConnError?.(name, "arp", "send", error instanceof Error ? error : new Error(String(error)));
        }
      }
      if (!port.ndp) continue;
      if (port.ndp.filterKey !== ndpFilterKey) {
        try {
          port.ndp.socket.setFilter(ownedNdpFilter(ownedV6));
          port.ndp.filterKey = ndpFilterKey;
        } catch (error) {
          this.events.onConnError?.(name, "ndp", "send", error instanceof Error ? error : new Error(String(error)));
        }
      }
      const want = this.ownership.solicitedNodeMacs(name);
      const { socket, groups } = port.ndp;
      for (const mac of [...groups]) {
        if (want.has(mac)) continue;
        try {
          socket.dropMembership(mac);
        } catch (error) {
          this.events.onConnError?.(name, "ndp", "send", error instanceof Error ? error : new Error(String(error)));
        }
        groups.delete(mac);
      }
      for (const mac of want) {
        if (groups.has(mac)) continue;
        try {
          socket.addMembership(mac);
          groups.add(mac);
        } catch (error) {
          this.events.onConnError?.(name, "ndp", "send", error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
  }

  /** One gratuitous round for `ip` (Announcer's sendRound): every open interface it may use. */
  sendGratuitous(ip: string): void {
    const v6 = ip.includes(":");
    for (const [name, port] of this.ports) {
      if (!this.ownership.allowedOn(ip, name)) continue;
      const conn = v6 ? port.ndp?.conn : port.arp?.conn;
      if (!conn) continue;
      for (const frame of gratuitousFrames(ip, port.iface.mac)) {
        conn.send(frame);
        this.metrics.gratuitousSent(ip);
      }
    }
  }

  /** The interfaces with open sockets, by name. */
  interfaces(): UsableInterface[] {
    return [...this.ports.values()].map(p => p.iface).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Solicited-node groups joined on `name` (for tests and debugging). */
  groups(name: string): string[] {
    return [...(this.ports.get(name)?.ndp?.groups ?? [])].sort();
  }

  close(): void {
    for (const name of [...this.ports.keys()]) this.closePort(name);
  }
}
