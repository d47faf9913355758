/**
 * UDP for the data plane's BFD sessions: single hop (RFC 5881) and multihop (RFC 5883, for
 * ebgpMultiHop peers). A node may run BFD with several peers from the same address, and only one
 * socket can usefully receive on (address, port): so there is one receiving socket per local address and kind (3784 single hop,
 * 4784 multihop), packets go to the session of the peer that sent them, and each session sends from
 * its own socket (a source port of its own, TTL 255).
 *
 * TTL checks on arrival. Node cannot read a datagram's TTL, so socket filters from the native addon
 * drop the packets before they reach us: single hop, GTSM (RFC 5881 5): TTL 255 exactly; multihop,
 * each peer's BFDProfile minimumTtl (default 254, as FRR's bfdd), one program for the whole socket
 * that looks at the source address first (protocols/bfd/peer-ttl-filter.ts), re-attached as sessions come
 * and go.
 */
import { createSocket, type Socket } from "node:dgram";
import { ttlSocketFilter, type BpfInsn } from "../../native/bpf";
import { attachFilter, attachTtlFilter, openUdpSocket, socketFd } from "../../native/index";
import { MULTI_HOP_PORT, SINGLE_HOP_PORT } from "../../protocols/bfd/packet";
import { peerTtlFilter } from "../../protocols/bfd/peer-ttl-filter";

/** What a BFD session sends through. */
export interface BfdTransport {
  send(packet: Buffer): void;
  close(): void;
}

/** How a BFD session reaches its peer. */
export interface BfdPath {
  /** RFC 5883: port 4784, and the TTL checked against minimumTtl instead of GTSM's 255. */
  readonly multihop: boolean;
  /** Lowest TTL accepted from this peer when multihop (BFDProfile minimumTtl). */
  readonly minimumTtl?: number;
  /** The VRF device the session's sockets are bound to (BGPPeer vrf): its addresses and routes are the VRF's. */
  readonly device?: string;
}

/** Default minimum TTL of a multihop session: one router between us, as FRR's bfdd assumes. */
export const DEFAULT_MULTIHOP_MIN_TTL = 254;

export type OpenBfdTransport = (localAddress: string, peerAddress: string, onPacket: (packet: Buffer) => void, path?: BfdPath) => Promise<BfdTransport>;

interface Handler {
  readonly onPacket: (packet: Buffer) => void;
  readonly minimumTtl: number;
}

interface Receiver {
  readonly ready: Promise<Socket>;
  readonly handlers: Map<string, Handler>;
}

/**
 * Binds `socket` to address:port; in a VRF (`device`), to a socket the addon made and bound to the VRF
 * device first: only a socket already in the VRF may bind an address of the VRF's interfaces.
 */
const bind = (socket: Socket, port: number, address: string, device?: string, reuseAddr = false) =>
  new Promise<void>((resolve, reject) => {
    let fd: number;
    try {
      fd = device === undefined ? -1 : openUdpSocket({ family: address.includes(":") ? 6 : 4, localAddress: address, localPort: port, device, reuseAddr });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    socket.once("error", reject);
    const bound = () => {
      socket.removeListener("error", reject);
      resolve();
    };
    if (fd >= 0) socket.bind({ fd }, bound);
    else socket.bind(port, address, bound);
  });

export interface BfdSocketOptions {
  /** Single-hop receive port (default 3784; tests use their own). */
  readonly port?: number;
  /** Port single-hop peers listen on (default 3784). */
  readonly peerPort?: number;
  /** Multihop receive port (default 4784). */
  readonly multihopPort?: number;
  /** Port multihop peers listen on (default 4784). */
  readonly multihopPeerPort?: number;
  /** Drops packets below TTL 255 on a single-hop socket's fd; default: the native addon's filter. */
  readonly ttlFilter?: (fd: number) => void;
  /** Attaches a multihop socket's per-peer program; default: the native addon. */
  readonly attachProgram?: (fd: number, program: readonly BpfInsn[]) => void;
  /** Told when a filter cannot be attached (no addon): BFD then runs without the TTL check. */
  readonly onFilterError?: (error: unknown) => void;
}

/** Returns an opener that shares one receiving socket per local address and kind among all its sessions. */
export function bfdSockets(options: BfdSocketOptions = {}): OpenBfdTransport {
  const receivers = new Map<string, Receiver>();
  const singleHopFilter = options.ttlFilter ?? ((fd: number) => attachTtlFilter(fd, 255));
  const attachProgram = options.attachProgram ?? attachFilter;
  const guarded = (attach: () => void) => {
    try {
      attach();
    } catch (error) {
      options.onFilterError?.(error);
    }
  };

  /** The multihop program for the peers now registered; the lowest minimum for all when too many for one program. */
  const refilter = (rx: Socket, handlers: Map<string, Handler>) =>
    guarded(() => {
      const table = new Map([...handlers].map(([peer, h]) => [peer, h.minimumTtl]));
      let program: BpfInsn[];
      try {
        program = peerTtlFilter(table);
      } catch {
        program = ttlSocketFilter(Math.min(...table.values()));
      }
      attachProgram(socketFd(rx), program);
    });

  const receiverFor = (key: string, local: string, multihop: boolean, device: string | undefined): Receiver => {
    const existing = receivers.get(key);
    if (existing) return existing;
    const handlers = new Map<string, Handler>();
    const rx = createSocket({ type: local.includes(":") ? "udp6" : "udp4", reuseAddr: true });
    rx.on("message", (msg, rinfo) => handlers.get(rinfo.address)?.onPacket(msg));
    const port = multihop ? (options.multihopPort ?? MULTI_HOP_PORT) : (options.port ?? SINGLE_HOP_PORT);
    const ready = bind(rx, port, local, device, true).then(() => {
      // Multihop: nothing gets through until a peer is registered (refilter on each change).
      if (multihop) refilter(rx, handlers);
      else guarded(() => singleHopFilter(socketFd(rx)));
      return rx;
    });
    const receiver: Receiver = { ready, handlers };
    receivers.set(key, receiver);
    ready.catch(() => receivers.delete(key));
    return receiver;
  };

  return async (local, peer, onPacket, path) => {
    const multihop = path?.multihop ?? false;
    const device = path?.device;
    const key = `${multihop ? "multihop" : "single"} ${local}${device !== undefined ? ` vrf ${device}` : ""}`;
    let receiver = receiverFor(key, local, multihop, device);
    let rx = await receiver.ready;
    // The last session on this address may have closed the socket while we waited for it.
    while (receivers.get(key) !== receiver) {
      receiver = receiverFor(key, local, multihop, device);
      rx = await receiver.ready;
    }
    if (receiver.handlers.has(peer)) throw new Error(`a ${multihop ? "multihop " : ""}BFD session with ${peer} from ${local} is already open`);
    receiver.handlers.set(peer, { onPacket, minimumTtl: multihop ? (path?.minimumTtl ?? DEFAULT_MULTIHOP_MIN_TTL) : 255 });
    if (multihop) refilter(rx, receiver.handlers);
    let tx: Socket | undefined;
    for (let attempt = 0; tx === undefined; attempt++) {
      const candidate = createSocket({ type: local.includes(":") ? "udp6" : "udp4" });
      try {
        // RFC 5881 4 / RFC 5883 5: source port 49152-65535; port 0 would let the kernel pick outside that range.
        await bind(candidate, 49152 + Math.floor(Math.random() * 16384), local, device);
        tx = candidate;
      } catch (error) {
        candidate.close();
        if (attempt >= 4) {
          receiver.handlers.delete(peer);
          if (multihop) refilter(rx, receiver.handlers);
          throw error;
        }
      }
    }
    const sender = tx;
    sender.setTTL(255);
    const peerPort = multihop ? (options.multihopPeerPort ?? MULTI_HOP_PORT) : (options.peerPort ?? SINGLE_HOP_PORT);
    let open = true;
    // Sends still on their way: dgram resolves the address before it sends, so a close() right after
    // send() would drop the packet (the AdminDown a closing session sends last). Close after them.
    let inFlight = 0;
    let closeWhenSent = false;
    const sent = () => {
      inFlight--;
      if (closeWhenSent && inFlight === 0) sender.close();
    };
    return {
      send: packet => {
        if (!open) return;
        inFlight++;
        sender.send(packet, peerPort, peer, sent);
      },
      close: () => {
        if (!open) return;
        open = false;
        if (inFlight === 0) sender.close();
        else closeWhenSent = true;
        receiver.handlers.delete(peer);
        if (receiver.handlers.size === 0 && receivers.get(key) === receiver) {
          receivers.delete(key);
          rx.close();
        } else if (multihop) {
          refilter(rx, receiver.handlers);
        }
      },
    };
  };
}
