/**
 * Answers ARP requests and Neighbor Solicitations for the service IPs this node owns, on the
 * interfaces each IP may be announced on, with the MAC of the interface the question came in on.
 *
 * `decideAnswer` is the whole policy as a pure function of (frame, interface, ownership); the
 * Responder class only wires it to PacketConns and metrics.
 */
import { decodeArpFrame, encodeArpReply } from "./arp";
import { ignore, type Dropped, type Ignored } from "./drop";
import { BROADCAST_MAC, decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6, ETHERTYPE_VLAN } from "./ethernet";
import type { L2Metrics } from "./metrics";
import { decodeNdpFrame, encodeSolicitedAdvertisement } from "./ndp";
import type { PacketConn } from "./packet-conn";

/** Which IPs this node answers for, and where. IPs are canonical text (formatIP). */
export interface Ownership {
  owns(ip: string): boolean;
  /** Whether `ip` may be announced on interface `ifName` (the L2Advertisements' interfaces, or all). */
  allowedOn(ip: string, ifName: string): boolean;
}

export interface InterfaceInfo {
  readonly name: string;
  readonly mac: string;
}

export interface Answer {
  readonly kind: "answer";
  readonly protocol: "arp" | "ndp";
  readonly ip: string;
  readonly frame: Buffer;
}

/** An ignored question about an owned IP still counts as a received request. */
export type Decision = Answer | Dropped | (Ignored & { readonly ownedIP?: string });

function checkOwnership(ip: string, iface: InterfaceInfo, ownership: Ownership): Decision | undefined {
  if (!ownership.owns(ip)) return ignore("not-owned");
  if (!ownership.allowedOn(ip, iface.name)) return { ...ignore("interface-not-allowed"), ownedIP: ip };
  return undefined;
}

export function decideAnswer(frame: Buffer, iface: InterfaceInfo, ownership: Ownership): Decision {
  const eth = decodeEthernet(frame);
  if ("kind" in eth) return eth;
  switch (eth.etherType) {
    case ETHERTYPE_ARP: {
      const arp = decodeArpFrame(frame);
      if ("kind" in arp) return arp;
      if (arp.operation !== 1) return ignore("arp-reply");
      if (arp.ethernetDestination !== BROADCAST_MAC && arp.ethernetDestination !== iface.mac) return ignore("arp-not-for-us");
      // Another host announcing an address (sender IP = target IP) asks no question.
      if (arp.senderIP === arp.targetIP) return ignore("arp-gratuitous");
      const refused = checkOwnership(arp.targetIP, iface, ownership);
      if (refused) return refused;
      return { kind: "answer", protocol: "arp", ip: arp.targetIP, frame: encodeArpReply(arp, iface.mac) };
    }
    case ETHERTYPE_IPV6: {
      const nd = decodeNdpFrame(frame);
      if ("kind" in nd) return nd;
      if (nd.type !== "solicitation") return ignore("not-neighbor-solicitation");
      // DAD probes come from a host about to configure the address; we neither answer nor defend
      // (as MetalLB): a conflicting static address is an operator error better surfaced than fought.
      if (nd.dad) return ignore("ndp-dad");
      const refused = checkOwnership(nd.targetIP, iface, ownership);
      if (refused) return refused;
      // Multicast solicitations carry the asker's MAC in the option (as MetalLB requires); unicast
      // reachability probes may omit it, and then the frame's source MAC is where the answer goes.
      const unicast = !nd.destinationIP.startsWith("ff");
      if (nd.sourceLinkLayer === undefined && !unicast) return { ...ignore("ndp-no-source-option"), ownedIP: nd.targetIP };
      return { kind: "answer", protocol: "ndp", ip: nd.targetIP, frame: encodeSolicitedAdvertisement(nd, iface.mac) };
    }
    case ETHERTYPE_VLAN:
      return ignore("vlan-tagged");
    default:
      return ignore("not-arp-or-ipv6");
  }
}

export interface ResponderInterface extends InterfaceInfo {
  readonly conn: PacketConn;
}

export class Responder {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    interfaces: readonly ResponderInterface[],
    private readonly ownership: Ownership,
    private readonly metrics: L2Metrics,
    /** Called with every decision (for debug logging and tests); must not throw. */
    private readonly observe: (iface: string, decision: Decision) => void = () => {},
  ) {
    for (const iface of interfaces) {
      this.unsubscribe.push(iface.conn.onFrame(frame => this.handle(iface, frame)));
    }
  }

  private handle(iface: ResponderInterface, frame: Buffer): void {
    const decision = decideAnswer(frame, iface, this.ownership);
    if (decision.kind === "answer") {
      this.metrics.requestReceived(decision.ip);
      iface.conn.send(decision.frame);
      this.metrics.responseSent(decision.ip);
    } else if (decision.kind === "drop") {
      this.metrics.malformedDropped(decision.reason);
    } else if (decision.ownedIP !== undefined) {
      this.metrics.requestReceived(decision.ownedIP);
    }
    this.observe(iface.name, decision);
  }

  /** Stops listening; the PacketConns belong to the caller and stay open. */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }
}
