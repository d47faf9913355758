/**
 * Which network interfaces the L2 responders use, as MetalLB decides it (reference 4.2):
 *   - not matching any exclude regex (MetalLB's shipped excludel2 list by default),
 *   - UP, not enslaved to a bond or bridge (the bond/bridge itself is used), not NOARP;
 *   - ARP on it when it has the BROADCAST flag, NDP when it has an IPv6 link-local address;
 *   - an interface without any IP address is still used (VLANs without IPs).
 *
 * `usableInterfaces` is that rule as a pure function of a link snapshot. `InterfaceWatcher` is the thin
 * netlink edge: it dumps links and addresses, and re-dumps on every link or address event (the
 * netlink package's high-level events drop NEW vs DEL, and a full dump takes ~20 ms, so a fresh
 * snapshot is simpler and never wrong), coalescing bursts of events into one dump.
 */
// The rtnetlink part only: the package index also loads its nl80211, WireGuard and generic-netlink code.
import { createRtNetlink, type RtNetlinkSocket } from "netlink/dist/rt/rt";
import { formatIP } from "../../core/net/ip";

/** MetalLB's default `announcedInterfacesToExclude` (the excludel2 ConfigMap shipped with 0.13.10+). */
export const DEFAULT_EXCLUDE_L2: readonly RegExp[] = [
  /^docker.*/, /^cbr.*/, /^dummy.*/, /^virbr.*/, /^lxcbr.*/, /^veth.*/, /^lo$/, /^cali.*/,
  /^tunl.*/, /^flannel.*/, /^kube-ipvs.*/, /^cni.*/, /^nodelocaldns.*/, /^lxc.*/,
];

/** One link as netlink reports it, reduced to what the rule needs. */
export interface LinkSnapshot {
  readonly index: number;
  readonly name: string;
  /** Lower-case colon-separated; undefined for links without a 6-byte hardware address. */
  readonly mac: string | undefined;
  readonly up: boolean;
  readonly broadcast: boolean;
  readonly noarp: boolean;
  /** ifindex of the bond/bridge this link is enslaved to. */
  readonly master: number | undefined;
  /** Canonical text of every address on the link. */
  readonly addresses: readonly string[];
}

export interface UsableInterface {
  readonly index: number;
  readonly name: string;
  readonly mac: string;
  readonly arp: boolean;
  readonly ndp: boolean;
}

export type SkipReason = "excluded" | "down" | "enslaved" | "noarp" | "no-mac" | "no-protocol";

export interface InterfaceVerdict {
  readonly usable: UsableInterface[];
  readonly skipped: { readonly name: string; readonly reason: SkipReason }[];
}

const isLinkLocalV6 = (ip: string): boolean => /^fe[89ab][0-9a-f]:/i.test(ip);

/** MetalLB's interface rule over a snapshot; sorted by name so the result is stable. */
export function usableInterfaces(links: readonly LinkSnapshot[], exclude: readonly RegExp[] = DEFAULT_EXCLUDE_L2): InterfaceVerdict {
  const usable: UsableInterface[] = [];
  const skipped: { name: string; reason: SkipReason }[] = [];
  for (const link of [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const skip = (reason: SkipReason): void => void skipped.push({ name: link.name, reason });
    if (exclude.some(re => re.test(link.name))) skip("excluded");
    else if (!link.up) skip("down");
    else if (link.master !== undefined) skip("enslaved");
    else if (link.noarp) skip("noarp");
    else if (link.mac === undefined) skip("no-mac");
    else {
      const arp = link.broadcast;
      const ndp = link.addresses.some(isLinkLocalV6);
      if (!arp && !ndp) skip("no-protocol");
      else usable.push({ index: link.index, name: link.name, mac: link.mac, arp, ndp });
    }
  }
  return { usable, skipped };
}

/* ------------------------------------------------------------------------------------------------ */
/* netlink edge                                                                                      */

const hex2 = (b: number): string => b.toString(16).padStart(2, "0");

/** A hardware address attribute as a MAC, when it is one (6 bytes, not all zero). */
export function macFromAttribute(address: Uint8Array | undefined): string | undefined {
  if (address === undefined || address.length !== 6 || address.every(b => b === 0)) return undefined;
  return [...address].map(hex2).join(":");
}

/** An address attribute (4 or 16 bytes) as canonical text; undefined for any other length. */
export function ipFromAttribute(address: Uint8Array | undefined): string | undefined {
  if (address === undefined || (address.length !== 4 && address.length !== 16)) return undefined;
  let value = 0n;
  for (const b of address) value = (value << 8n) | BigInt(b);
  return formatIP({ family: address.length === 4 ? "IPv4" : "IPv6", value });
}

/** Reads one snapshot of every link with its addresses. */
export async function dumpLinks(socket: RtNetlinkSocket): Promise<LinkSnapshot[]> {
  // One dump at a time: two multipart dumps in flight on one socket interleave their parts.
  const links = await socket.getLinks();
  const addresses = await socket.getAddresses();
  const byIndex = new Map<number, string[]>();
  for (const a of addresses) {
    const index = a.data.index;
    const ip = ipFromAttribute(a.attrs.address ?? a.attrs.local);
    if (index === undefined || ip === undefined) continue;
    byIndex.set(index, [...(byIndex.get(index) ?? []), ip]);
  }
  const out: LinkSnapshot[] = [];
  for (const l of links) {
    const index = l.data.index;
    const name = l.attrs.ifname;
    if (index === undefined || name === undefined) continue;
    const flags = l.data.flags ?? {};
    out.push({
      index,
      name,
      mac: macFromAttribute(l.attrs.address),
      up: flags.up === true,
      broadcast: flags.broadcast === true,
      noarp: flags.noarp === true,
      master: l.attrs.master !== undefined && l.attrs.master !== 0 ? l.attrs.master : undefined,
      addresses: (byIndex.get(index) ?? []).sort(),
    });
  }
  return out;
}

const RETRY_MS = 100;

/** Watches links and addresses over netlink and reports each new snapshot (only when it changed). */
export class InterfaceWatcher {
  private closed = false;
  private dumping = false;
  private again = false;
  private lastKey = "";

  private constructor(
    private readonly socket: RtNetlinkSocket,
    private readonly onSnapshot: (links: LinkSnapshot[]) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Opens the watcher; resolves after the first snapshot has been delivered. */
  static async open(onSnapshot: (links: LinkSnapshot[]) => void, onError: (error: Error) => void = () => {}): Promise<InterfaceWatcher> {
    const socket = createRtNetlink();
    const watcher = new InterfaceWatcher(socket, onSnapshot, onError);
    for (const group of ["LINK", "IPV4_IFADDR", "IPV6_IFADDR"] as const) socket.addMembership(group);
    socket.on("message", () => watcher.refresh());
    // Only the subscription's events are unsolicited; the socket must not keep the process alive.
    socket.socket.ref(false);
    await watcher.dump();
    return watcher;
  }

  /** Dumps again (coalescing: one dump in flight, at most one queued). */
  refresh(): void {
    if (this.closed) return;
    if (this.dumping) {
      this.again = true;
      return;
    }
    void this.dump();
  }

  private async dump(): Promise<void> {
    this.dumping = true;
    try {
      do {
        this.again = false;
        const links = await dumpLinks(this.socket);
        if (this.closed) return;
        const key = JSON.stringify(links);
        if (key !== this.lastKey) {
          this.lastKey = key;
          this.onSnapshot(links);
        }
      } while (this.again && !this.closed);
    } catch (error) {
      if (!this.closed) {
        this.onError(error instanceof Error ? error : new Error(String(error)));
        // A failed dump leaves the view stale: try again shortly rather than waiting for an event.
        setTimeout(() => this.refresh(), RETRY_MS).unref();
      }
    } finally {
      this.dumping = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.socket.close();
  }
}
