/**
 * Answers ARP requests and Neighbor Solicitations for the service IPs this node owns, on the
 * interfaces each IP may be announced on, with the MAC of the interface the question came in on.
 *
 * `decideAnswer` is the whole policy as a pure function of (frame, interface, ownership); the
 * Responder class only wires it to PacketConns and metrics.
 */
import { ARP_TARGET_IP_OFFSET, ArpReplyTemplate, checkArpRequest, ipv4FromNumber, macWords, type MacWords } from "./arp";
import { ignore, refusal, type Dropped, type Ignored } from "./drop";
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, ETHERTYPE_IPV6, ETHERTYPE_VLAN, macToBytes } from "./ethernet";
import type { L2Metrics } from "./metrics";
import { AdvertisementTemplate, checkNeighborSolicitation, ipv6FromBytes, NS_TARGET_IP_OFFSET, NO_SOURCE_OPTION, solicitationIsMulticast } from "./ndp";
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

/**
 * A reply to send. `frame` is the reply template of (interface, IP), patched for this request: it is
 * reused by the next answer for the same IP on the same interface, so send (or copy) it right away.
 */
export interface Answer {
  readonly kind: "answer";
  readonly protocol: "arp" | "ndp";
  readonly ip: string;
  readonly frame: Buffer;
}

/** An ignored question about an owned IP still counts as a received request. */
export type Decision = Answer | Dropped | (Ignored & { readonly ownedIP?: string });

/** What the answers for one IP on one interface need, built on the first question about it. */
interface Entry {
  readonly ip: string;
  /** The answer object itself is reused: its frame is the template, refilled per request. */
  readonly answer: Answer;
  readonly notAllowed: Ignored & { readonly ownedIP: string };
}

interface ArpEntry extends Entry {
  readonly template: ArpReplyTemplate;
}

interface NdpEntry extends Entry {
  readonly template: AdvertisementTemplate;
  /** The address as four big-endian words, compared against the solicitation's target in place. */
  readonly words: readonly [number, number, number, number];
}

/* Module-local copies of the constants the per-frame path reads: under tsx an imported binding is a
 * getter call on every use. */
const ETH_HEADER = ETHERNET_HEADER_LENGTH;
const TYPE_ARP = ETHERTYPE_ARP;
const TYPE_IPV6 = ETHERTYPE_IPV6;
const TYPE_VLAN = ETHERTYPE_VLAN;
const ARP_TARGET_AT = ARP_TARGET_IP_OFFSET;
const NS_TARGET_AT = NS_TARGET_IP_OFFSET;
const NO_OPTION = NO_SOURCE_OPTION;

/** Beyond this many remembered IPs per interface the tables start over (owned IPs are far fewer). */
const MAX_ENTRIES = 4096;

/**
 * The responder's state for one interface: its MAC as bytes and words, and a reply template per IP
 * asked about and owned, found by the 32-bit target address (ARP) or the last word of the 16-byte
 * target (NDP, then a 4-word compare). Only owned IPs get an entry, and ownership is still asked on
 * every frame (two Map lookups with the entry's text), so losing an IP stops its answers at once.
 */
export class InterfaceAnswers {
  readonly macBytes: Buffer;
  readonly mac: MacWords;
  private readonly arp = new Map<number, ArpEntry>();
  private readonly ndp = new Map<number, NdpEntry[]>();
  private ndpCount = 0;

  constructor(readonly iface: InterfaceInfo) {
    this.macBytes = macToBytes(iface.mac);
    this.mac = macWords(this.macBytes);
  }

  /** The entry for the ARP target in `frame` when that IP is owned (`ip` text only built on a miss). */
  arpEntry(frame: Buffer, ownership: Ownership): ArpEntry | undefined {
    const key = frame.readUInt32BE(ARP_TARGET_AT);
    const known = this.arp.get(key);
    if (known !== undefined) return known;
    const ip = ipv4FromNumber(key);
    if (!ownership.owns(ip)) return undefined;
    if (this.arp.size >= MAX_ENTRIES) this.arp.clear();
    const template = new ArpReplyTemplate(key, this.macBytes);
    const entry: ArpEntry = { ip, template, ...entryAnswers("arp", ip, template.frame) };
    this.arp.set(key, entry);
    return entry;
  }

  /** The entry for the NS target in `frame` when that IP is owned. */
  ndpEntry(frame: Buffer, ownership: Ownership): NdpEntry | undefined {
    const w0 = frame.readUInt32BE(NS_TARGET_AT);
    const w1 = frame.readUInt32BE(NS_TARGET_AT + 4);
    const w2 = frame.readUInt32BE(NS_TARGET_AT + 8);
    const w3 = frame.readUInt32BE(NS_TARGET_AT + 12);
    const bucket = this.ndp.get(w3);
    if (bucket !== undefined) {
      for (const e of bucket) if (e.words[0] === w0 && e.words[1] === w1 && e.words[2] === w2) return e;
    }
    const ip = ipv6FromBytes(frame, NS_TARGET_AT);
    if (!ownership.owns(ip)) return undefined;
    if (this.ndpCount >= MAX_ENTRIES) {
      this.ndp.clear();
      this.ndpCount = 0;
    }
    const template = new AdvertisementTemplate(frame.subarray(NS_TARGET_AT, NS_TARGET_AT + 16), this.macBytes);
    const entry: NdpEntry = { ip, template, words: [w0, w1, w2, w3], ...entryAnswers("ndp", ip, template.frame) };
    const list = this.ndp.get(w3);
    if (list === undefined) this.ndp.set(w3, [entry]);
    else list.push(entry);
    this.ndpCount++;
    return entry;
  }
}

function entryAnswers(protocol: "arp" | "ndp", ip: string, frame: Buffer): Pick<Entry, "answer" | "notAllowed"> {
  return {
    answer: Object.freeze({ kind: "answer", protocol, ip, frame }),
    notAllowed: Object.freeze({ ...ignore("interface-not-allowed"), ownedIP: ip }),
  };
}

const NOT_OWNED = ignore("not-owned");

/** Per-interface state for callers that pass only InterfaceInfo (tests, one-off decisions). */
const answersByInterface = new WeakMap<InterfaceInfo, InterfaceAnswers>();

function answersFor(iface: InterfaceInfo): InterfaceAnswers {
  let answers = answersByInterface.get(iface);
  if (answers === undefined || answers.iface.mac !== iface.mac) {
    answers = new InterfaceAnswers(iface);
    answersByInterface.set(iface, answers);
  }
  return answers;
}

/**
 * The whole answering policy: bytes of one received frame, the interface it came in on and what this
 * node owns in; the reply's bytes (or why there is none) out. Works on the frame's bytes in place;
 * the only allocations are on the first question about an owned IP.
 */
export function decideAnswer(frame: Buffer, iface: InterfaceInfo, ownership: Ownership, answers: InterfaceAnswers = answersFor(iface)): Decision {
  if (frame.length < ETH_HEADER) return refusal("ethernet-truncated");
  switch (frame.readUInt16BE(12)) {
    case TYPE_ARP: {
      const refused = checkArpRequest(frame, answers.mac);
      if (refused !== undefined) return refusal(refused);
      const entry = answers.arpEntry(frame, ownership);
      if (entry === undefined || !ownership.owns(entry.ip)) return NOT_OWNED;
      if (!ownership.allowedOn(entry.ip, iface.name)) return entry.notAllowed;
      entry.template.fill(frame);
      return entry.answer;
    }
    case TYPE_IPV6: {
      // DAD probes (refused as "ndp-dad") come from a host about to configure the address; we neither
      // answer nor defend (as MetalLB): a conflicting static address is an operator error better
      // surfaced than fought.
      const macAt = checkNeighborSolicitation(frame);
      if (typeof macAt === "string") return refusal(macAt);
      const entry = answers.ndpEntry(frame, ownership);
      if (entry === undefined || !ownership.owns(entry.ip)) return NOT_OWNED;
      if (!ownership.allowedOn(entry.ip, iface.name)) return entry.notAllowed;
      // Multicast solicitations carry the asker's MAC in the option (as MetalLB requires); unicast
      // reachability probes may omit it, and then the frame's source MAC is where the answer goes.
      if (macAt === NO_OPTION && solicitationIsMulticast(frame)) return { ...ignore("ndp-no-source-option"), ownedIP: entry.ip };
      entry.template.fill(frame, macAt);
      return entry.answer;
    }
    case TYPE_VLAN:
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
      const answers = new InterfaceAnswers(iface);
      this.unsubscribe.push(iface.conn.onFrame(frame => this.handle(iface, answers, frame)));
    }
  }

  private handle(iface: ResponderInterface, answers: InterfaceAnswers, frame: Buffer): void {
    const decision = decideAnswer(frame, iface, this.ownership, answers);
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
