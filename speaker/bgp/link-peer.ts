/**
 * The sockets and netlink side of BGP unnumbered (protocols/bgp/router-discovery.ts has the frames and the
 * choice): Router Advertisements on the session's interface while the session exists, so the router
 * learns our link-local address (FRR accepts a connection on an interface neighbour only from an
 * address it heard advertise), and finding the router's link-local address in the kernel's
 * neighbour table, after a Router Solicitation that makes it advertise now.
 */
// The rtnetlink part only: the package index also loads its nl80211, WireGuard and generic-netlink code.
import { createRtNetlink } from "netlink/dist/rt/rt";
import { PacketSocket } from "../../native/index";
import { ETHERTYPE_IPV6 } from "../../protocols/l2/ethernet";
import { formatIP } from "../../core/net/ip";
import { chooseLinkPeer, encodeRouterAdvertisement, encodeRouterSolicitation, type LinkNeighbour } from "../../protocols/bgp/router-discovery";

const AF_INET6 = 10;
/** How often we advertise ourselves on an unnumbered link: FRR's default for unnumbered interfaces (10 s). */
export const ADVERTISE_INTERVAL_MS = 10_000;

const macOf = (address: Uint8Array | undefined): string | undefined =>
  address && address.length === 6 ? [...address].map(b => b.toString(16).padStart(2, "0")).join(":") : undefined;

/** The interface's index and MAC, from netlink. */
async function linkInfo(ifname: string): Promise<{ index: number; mac: string }> {
  const socket = createRtNetlink();
  try {
    const links = await socket.getLinks();
    const link = links.find(l => l.attrs.ifname === ifname);
    const index = link?.data.index;
    const mac = macOf(link?.attrs.address);
    if (index === undefined) throw new Error(`interface ${ifname} does not exist`);
    if (mac === undefined) throw new Error(`interface ${ifname} has no Ethernet address`);
    return { index, mac };
  } finally {
    socket.socket.close();
  }
}

/** The IPv6 neighbours the kernel knows on `ifindex`. */
export async function linkNeighbours(ifindex: number): Promise<LinkNeighbour[]> {
  const socket = createRtNetlink();
  try {
    const entries = await socket.getNeighbors({ family: AF_INET6 });
    return entries.flatMap(e => {
      const dst = e.attrs.dst;
      if (e.data.ifindex !== ifindex || !dst || dst.length !== 16) return [];
      let value = 0n;
      for (const b of dst) value = (value << 8n) | BigInt(b);
      const state = Object.entries(e.data.state ?? {}).find(([k, v]) => k !== "__unknown" && v === true)?.[0] ?? "none";
      return [{ address: formatIP({ family: "IPv6", value }), router: e.data.flags?.router === true, state }];
    });
  } finally {
    socket.socket.close();
  }
}

/** Sends Router Advertisements on `ifname` from `linkLocal` now and every ADVERTISE_INTERVAL_MS; the result stops them. */
export function advertiseOnLink(ifname: string, linkLocal: string, onError: (error: Error) => void): { solicit(): void; stop(): void } {
  let socket: PacketSocket | undefined;
  let mac: string | undefined;
  let stopped = false;
  const ready = linkInfo(ifname).then(info => {
    if (stopped) return;
    mac = info.mac;
    socket = PacketSocket.open(ifname, ETHERTYPE_IPV6);
  });
  const send = (frame: (mac: string) => Buffer) => {
    void ready
      .then(() => {
        if (!stopped && socket && mac) socket.send(frame(mac));
      })
      .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
  };
  const advertise = () => send(m => encodeRouterAdvertisement(m, linkLocal));
  advertise();
  const timer = setInterval(advertise, ADVERTISE_INTERVAL_MS);
  timer.unref();
  return {
    /** A Router Solicitation and an advertisement of our own: the router answers, and learns us. */
    solicit: () => {
      send(m => encodeRouterSolicitation(m, linkLocal));
      advertise();
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
      socket?.close();
    },
  };
}

/**
 * The link-local address of the router on `ifname`, waiting up to `timeoutMs` for it to show up in
 * the neighbour table (a Router Advertisement files it there); rejects with a reason naming the interface.
 */
export async function findLinkPeer(ifname: string, timeoutMs: number, pollMs = 100): Promise<string> {
  const { index } = await linkInfo(ifname);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const peer = chooseLinkPeer(await linkNeighbours(index));
    if (peer !== undefined) return peer;
    if (Date.now() >= deadline) throw new Error(`no IPv6 router found on ${ifname} (no Router Advertisement heard in ${timeoutMs} ms)`);
    await new Promise(resolve => setTimeout(resolve, pollMs));
  }
}
