/**
 * UDP for the data plane's single-hop BFD sessions (RFC 5881). Unlike ../../bfd/udp.ts (one
 * session, one receiving socket), a node may run BFD with several peers from the same address, and
 * only one socket can usefully receive on (address, 3784): so there is one receiving socket per
 * local address, packets go to the session of the peer that sent them, and each session sends from
 * its own socket (a source port of its own, TTL 255).
 *
 * GTSM (RFC 5881 5): packets must arrive with TTL 255. Node cannot read a datagram's TTL, so a
 * socket filter from the native addon drops the others before they reach us.
 */
import { createSocket, type Socket } from "node:dgram";
import { attachTtlFilter, socketFd } from "../../../native/index";
import { SINGLE_HOP_PORT } from "../../bfd/packet";
import type { BfdTransport } from "../../bfd/udp";

export type OpenBfdTransport = (localAddress: string, peerAddress: string, onPacket: (packet: Buffer) => void) => Promise<BfdTransport>;

interface Receiver {
  readonly ready: Promise<Socket>;
  readonly handlers: Map<string, (packet: Buffer) => void>;
}

const bind = (socket: Socket, port: number, address: string) =>
  new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.removeListener("error", reject);
      resolve();
    });
  });

export interface BfdSocketOptions {
  /** Receive port (default 3784; tests use their own). */
  readonly port?: number;
  /** Port the peers listen on (default 3784). */
  readonly peerPort?: number;
  /** Drops packets below TTL 255 on a socket's fd; default: the native addon's filter. */
  readonly ttlFilter?: (fd: number) => void;
  /** Told when the filter cannot be attached (no addon): BFD then runs without the GTSM check. */
  readonly onFilterError?: (error: unknown) => void;
}

/** Returns an opener that shares one receiving socket per local address among all its sessions. */
export function bfdSockets(options: BfdSocketOptions = {}): OpenBfdTransport {
  const receivers = new Map<string, Receiver>();
  const port = options.port ?? SINGLE_HOP_PORT;
  const peerPort = options.peerPort ?? SINGLE_HOP_PORT;
  const filter = options.ttlFilter ?? ((fd: number) => attachTtlFilter(fd, 255));

  const receiverFor = (local: string): Receiver => {
    const existing = receivers.get(local);
    if (existing) return existing;
    const handlers = new Map<string, (packet: Buffer) => void>();
    const rx = createSocket({ type: local.includes(":") ? "udp6" : "udp4", reuseAddr: true });
    rx.on("message", (msg, rinfo) => handlers.get(rinfo.address)?.(msg));
    const ready = bind(rx, port, local).then(() => {
      try {
        filter(socketFd(rx));
      } catch (error) {
        options.onFilterError?.(error);
      }
      return rx;
    });
    const receiver: Receiver = { ready, handlers };
    receivers.set(local, receiver);
    ready.catch(() => receivers.delete(local));
    return receiver;
  };

  return async (local, peer, onPacket) => {
    let receiver = receiverFor(local);
    let rx = await receiver.ready;
    // The last session on this address may have closed the socket while we waited for it.
    while (receivers.get(local) !== receiver) {
      receiver = receiverFor(local);
      rx = await receiver.ready;
    }
    if (receiver.handlers.has(peer)) throw new Error(`a BFD session with ${peer} from ${local} is already open`);
    receiver.handlers.set(peer, onPacket);
    let tx: Socket | undefined;
    for (let attempt = 0; tx === undefined; attempt++) {
      const candidate = createSocket({ type: local.includes(":") ? "udp6" : "udp4" });
      try {
        // RFC 5881 4: source port 49152-65535; port 0 would let the kernel pick outside that range.
        await bind(candidate, 49152 + Math.floor(Math.random() * 16384), local);
        tx = candidate;
      } catch (error) {
        candidate.close();
        if (attempt >= 4) {
          receiver.handlers.delete(peer);
          throw error;
        }
      }
    }
    const sender = tx;
    sender.setTTL(255);
    let open = true;
    return {
      send: packet => {
        if (open) sender.send(packet, peerPort, peer);
      },
      close: () => {
        if (!open) return;
        open = false;
        sender.close();
        receiver.handlers.delete(peer);
        if (receiver.handlers.size === 0 && receivers.get(local) === receiver) {
          receivers.delete(local);
          rx.close();
        }
      },
    };
  };
}
