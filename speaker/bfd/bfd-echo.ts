/**
 * The wire edge of BFD echo (RFC 5881 4) for single-hop IPv4 sessions, in the BFD process.
 *
 * Sending: an echo is addressed to our own IP address and to the peer's MAC, so the peer's kernel
 * forwards it straight back to us (the peer needs IP forwarding, as every router has). A UDP socket
 * cannot send that (the kernel would deliver a datagram to our own address locally), so each frame is
 * built whole (protocols/bfd/echo.ts) and sent on an AF_PACKET socket of the interface that reaches the
 * peer. The peer's MAC and that interface come from the kernel's neighbour table (/proc/net/arp,
 * complete entries), which the control packets keep fresh; FRR's bfdd reads the same table
 * (SIOCGARP, bfd_peer_mac_set in bfdd/bfd_packet.c). Until the entry is there no echo goes out, and
 * the session keeps to control packets.
 *
 * Receiving: a returned echo has our address as its source, which the kernel's IP layer drops as a
 * martian (unless accept_local is set), so it is read on the same AF_PACKET socket, before IP, as FRR's
 * bfdd does too. A classic BPF filter lets through only IPv4 UDP to 3785 with TTL 254 (sent with 255,
 * forwarded once by the peer), and the session is found by the discriminator in our payload.
 *
 * The other direction, the peer's echoes through us, needs nothing here: the node's kernel forwards
 * them (net.ipv4.ip_forward=1, which Kubernetes nodes have for pod traffic).
 */
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { isIPv4 } from "node:net";
import { ACCEPT, assemble, DROP, ETH_P_IP, jeq, jset, label, ldb, ldh, ldhInd, ldxIpHeaderLength, ret, type BpfInsn } from "../../native/bpf";
import { PacketSocket } from "../../native/index";
import { decodeEchoFrame, ECHO_PORT, encodeEchoFrame, type EchoPayload } from "../../protocols/bfd/echo";

export interface EchoTransport {
  /** False when the echo cannot go out yet (peer's MAC unknown, socket unavailable). */
  send(payload: EchoPayload): boolean;
  close(): void;
}

export type OpenEchoTransport = (localAddress: string, peerAddress: string, discriminator: number, onEcho: (echo: EchoPayload) => void) => EchoTransport;

/** A complete entry of the kernel's IPv4 neighbour table. */
export interface ArpEntry {
  readonly ip: string;
  readonly mac: string;
  readonly device: string;
}

/** ATF_COM (include/uapi/linux/if_arp.h): the entry has a hardware address. */
const ATF_COM = 0x2;

/** Parses /proc/net/arp: complete entries only (incomplete ones show 00:00:00:00:00:00). */
export function parseArpTable(text: string): ArpEntry[] {
  const entries: ArpEntry[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [ip, , flags, mac, , device] = line.trim().split(/\s+/);
    if (ip === undefined || flags === undefined || mac === undefined || device === undefined) continue;
    if ((Number.parseInt(flags, 16) & ATF_COM) === 0 || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) || mac === "00:00:00:00:00:00") continue;
    entries.push({ ip, mac: mac.toLowerCase(), device });
  }
  return entries;
}

/** Frames an echo socket wakes for: IPv4, UDP, not a later fragment, TTL 254, destination port 3785. */
export function echoFrameFilter(): BpfInsn[] {
  return assemble([
    ldh(12), jeq(ETH_P_IP, undefined, "drop"),
    ldb(23), jeq(17, undefined, "drop"),
    ldb(22), jeq(254, undefined, "drop"),
    ldh(20), jset(0x1fff, "drop"),
    ldxIpHeaderLength(14), ldhInd(14 + 2), jeq(ECHO_PORT, "accept", "drop"),
    label("accept"), ret(ACCEPT),
    label("drop"), ret(DROP),
  ]);
}

const macBytes = (mac: string): Buffer => Buffer.from(mac.split(":").map(h => Number.parseInt(h, 16)));

export interface EchoSocketOptions {
  /** The neighbour table's text (default: /proc/net/arp). */
  readonly readArpTable?: () => string;
  /** An interface's MAC (default: os.networkInterfaces()). */
  readonly interfaceMac?: (device: string) => string | undefined;
  /** Opens the frame socket of an interface (default: the native addon's AF_PACKET socket). */
  readonly openSocket?: (device: string) => FrameSocket;
  /** How long a neighbour entry is trusted before it is read again. */
  readonly refreshMs?: number;
  readonly now?: () => number;
  /** An interface's IPv4 forwarding setting ("1" or "0"; default: /proc/sys/net/ipv4/conf/<dev>/forwarding). */
  readonly readForwarding?: (device: string) => string;
  /** Told once per interface when its echo socket cannot be opened, or when it does not forward. */
  readonly onError?: (message: string) => void;
}

/** What the transport needs of a packet socket (PacketSocket; tests use a fake). */
export interface FrameSocket {
  send(frame: Uint8Array): number;
  onFrame(cb: (frame: Buffer) => void): void;
  close(): void;
}

const REFRESH_MS = 5000;

function defaultInterfaceMac(device: string): string | undefined {
  return networkInterfaces()[device]?.find(a => a.mac !== "00:00:00:00:00:00")?.mac;
}

function defaultOpenSocket(device: string): FrameSocket {
  const socket = PacketSocket.open(device, ETH_P_IP, echoFrameFilter());
  return {
    send: frame => socket.send(frame),
    onFrame: cb => {
      socket.onFrame(frame => cb(frame));
      // The sessions' timers keep the BFD process alive; a receiving socket must not on its own.
      socket.unref();
    },
    close: () => socket.close(),
  };
}

interface Receiver {
  readonly socket: FrameSocket;
  /** By discriminator: the session's local address and what to tell it. */
  readonly sessions: Map<number, { readonly local: string; readonly onEcho: (echo: EchoPayload) => void }>;
}

/** Returns an opener sharing one frame socket per interface among the echo transports on it. */
export function bfdEchoSockets(options: EchoSocketOptions = {}): OpenEchoTransport {
  const readArpTable = options.readArpTable ?? (() => readFileSync("/proc/net/arp", "utf8"));
  const interfaceMac = options.interfaceMac ?? defaultInterfaceMac;
  const openSocket = options.openSocket ?? defaultOpenSocket;
  const refreshMs = options.refreshMs ?? REFRESH_MS;
  const readForwarding = options.readForwarding ?? ((device: string) => readFileSync(`/proc/sys/net/ipv4/conf/${device}/forwarding`, "utf8"));
  const now = options.now ?? (() => performance.now());
  const receivers = new Map<string, Receiver>();
  const failed = new Set<string>();

  const receiverFor = (device: string): Receiver | undefined => {
    const existing = receivers.get(device);
    if (existing) return existing;
    let socket: FrameSocket;
    try {
      socket = openSocket(device);
    } catch (error) {
      if (!failed.has(device)) options.onError?.(`no BFD echo on ${device}, sessions there keep to control packets: ${error instanceof Error ? error.message : String(error)}`);
      failed.add(device);
      return undefined;
    }
    // The peer's echoes come back through this node only if its kernel forwards them (RFC 5881 4).
    try {
      if (readForwarding(device).trim() === "0")
        options.onError?.(`IPv4 forwarding is off on ${device} (net.ipv4.conf.${device}.forwarding=0): a peer's BFD echoes cannot come back through this node, and a peer that runs echo will take the session down`);
    } catch {
      // No such file (not Linux, no procfs): nothing to say.
    }
    const receiver: Receiver = { socket, sessions: new Map() };
    socket.onFrame(frame => {
      const d = decodeEchoFrame(frame);
      if (!d.ok || d.echo.ttl !== 254 || d.echo.source !== d.echo.destination) return;
      const session = receiver.sessions.get(d.echo.payload.discriminator);
      if (session && session.local === d.echo.source) session.onEcho(d.echo.payload);
    });
    receivers.set(device, receiver);
    return receiver;
  };

  return (localAddress, peerAddress, discriminator, onEcho) => {
    if (!isIPv4(localAddress) || !isIPv4(peerAddress)) throw new Error(`BFD echo runs over IPv4 only, not ${localAddress} -> ${peerAddress}`);
    let path: { device: string; receiver: Receiver; peerMac: Buffer; ourMac: Buffer } | undefined;
    let readAt = -Infinity;
    let closed = false;
    const sourcePort = 49152 + Math.floor(Math.random() * 16384);
    let ipId = Math.floor(Math.random() * 0x10000);

    const detach = () => {
      if (!path) return;
      const { device, receiver } = path;
      receiver.sessions.delete(discriminator);
      if (receiver.sessions.size === 0 && receivers.get(device) === receiver) {
        receivers.delete(device);
        receiver.socket.close();
      }
      path = undefined;
    };

    /** The peer's MAC and our interface, read again every refreshMs (a replaced peer, a moved link). */
    const resolve = () => {
      // Without a path yet, every echo tick looks again (the entry appears with the first control packets).
      if (path && now() - readAt < refreshMs) return;
      readAt = now();
      let entry: ArpEntry | undefined;
      try {
        entry = parseArpTable(readArpTable()).find(e => e.ip === peerAddress);
      } catch {
        entry = undefined;
      }
      const ourMac = entry && interfaceMac(entry.device);
      if (!entry || !ourMac) {
        // Keep a path we had: a neighbour entry may be briefly away while the kernel re-resolves it.
        return;
      }
      if (path && path.device === entry.device) {
        path.peerMac = macBytes(entry.mac);
        path.ourMac = macBytes(ourMac);
        return;
      }
      detach();
      const receiver = receiverFor(entry.device);
      if (!receiver) return;
      receiver.sessions.set(discriminator, { local: localAddress, onEcho });
      path = { device: entry.device, receiver, peerMac: macBytes(entry.mac), ourMac: macBytes(ourMac) };
    };

    return {
      send: payload => {
        if (closed) return false;
        resolve();
        if (!path) return false;
        ipId = (ipId + 1) & 0xffff;
        const frame = encodeEchoFrame({ destinationMac: path.peerMac, sourceMac: path.ourMac, address: localAddress, sourcePort, ipId, payload });
        try {
          path.receiver.socket.send(frame);
          return true;
        } catch {
          // ENETDOWN and the like: the echo is lost, as on a broken link.
          return true;
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        detach();
      },
    };
  };
}
