/**
 * Test-only: one single-hop BFD session on sockets of its own, for the BFD test speaker and the interop
 * testkit (the speaker's data plane shares sockets between sessions: speaker/bfd/bfd-udp.ts).
 * The UDP edge of single-hop BFD (RFC 5881): control packets arrive on port 3784 and leave from
 * a source port in 49152-65535 with TTL 255. Node cannot read a received packet's TTL, so the
 * GTSM check on arrival (TTL must be 255) needs the native addon's socket filter
 * (native/index.ts attachTtlFilter).
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { SINGLE_HOP_PORT } from "../../protocols/bfd/packet";
import type { BfdTransport } from "../../speaker/bfd/bfd-udp";

export interface SingleHopOptions {
  readonly localAddress: string;
  readonly peerAddress: string;
  /** Source port for what we send; RFC 5881 4 asks for 49152-65535. */
  readonly sourcePort?: number;
  readonly onPacket: (packet: Buffer) => void;
}

const bind = (socket: Socket, port: number, address: string) =>
  new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.removeListener("error", reject);
      resolve();
    });
  });

export async function openSingleHop(o: SingleHopOptions): Promise<BfdTransport> {
  const type = isIPv6(o.peerAddress) ? "udp6" : "udp4";
  const rx = createSocket({ type, reuseAddr: true });
  const tx = createSocket({ type });
  rx.on("message", (msg, rinfo) => {
    if (rinfo.address === o.peerAddress) o.onPacket(msg);
  });
  await bind(rx, SINGLE_HOP_PORT, o.localAddress);
  await bind(tx, o.sourcePort ?? 49152 + Math.floor(Math.random() * 16384), o.localAddress);
  tx.setTTL(255);
  return {
    send: packet => tx.send(packet, SINGLE_HOP_PORT, o.peerAddress),
    close: () => {
      rx.close();
      tx.close();
    },
  };
}
