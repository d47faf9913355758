/**
 * The thin socket edge of the heartbeat on node:dgram: one UDP socket, sending each heartbeat to every
 * peer by unicast and handing verified heartbeats to the Membership (tests on a fake clock, and tools;
 * the speaker's socket is its heartbeat thread's, native/heartbeat_thread.c). Port 7946 by default:
 * the port MetalLB's memberlist used, so clusters' existing firewall rules keep working.
 */
import dgram from "node:dgram";
import { decodeHeartbeat, type Heartbeat, type HeartbeatRejectReason } from "../../protocols/l2/heartbeat";

export const DEFAULT_HEARTBEAT_PORT = 7946;

export interface HeartbeatPeer {
  readonly node: string;
  readonly address: string;
  readonly port: number;
}

export interface UdpHeartbeatOptions {
  readonly bindAddress: string;
  readonly port?: number;
  /** Keys accepted on receive (current first), read per datagram so a rotated Secret applies at once. */
  readonly keys: () => readonly Buffer[];
  /** A verified heartbeat; `datagram` is its bytes as they arrived. */
  readonly onHeartbeat: (hb: Heartbeat, from: { address: string; port: number }, datagram: Buffer) => void;
  readonly onReject?: (reason: HeartbeatRejectReason, from: { address: string; port: number }) => void;
  readonly onSendError?: (peer: HeartbeatPeer, error: Error) => void;
  /** One datagram handed to the kernel for `peer` (counted by PromHeartbeatMetrics). */
  readonly onSent?: (peer: HeartbeatPeer) => void;
}

export class UdpHeartbeatTransport {
  private peers: readonly HeartbeatPeer[] = [];

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly options: UdpHeartbeatOptions,
  ) {
    socket.on("message", (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      const d = decodeHeartbeat(msg, options.keys());
      if (d.kind === "ok") options.onHeartbeat(d.heartbeat, from, msg);
      else options.onReject?.(d.reason, from);
    });
  }

  static open(options: UdpHeartbeatOptions): Promise<UdpHeartbeatTransport> {
    const type = options.bindAddress.includes(":") ? "udp6" : "udp4";
    const socket = dgram.createSocket({ type, reuseAddr: false });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port ?? DEFAULT_HEARTBEAT_PORT, options.bindAddress, () => {
        socket.off("error", reject);
        // After binding, socket errors (ICMP unreachable on some platforms) are not fatal.
        socket.on("error", () => {});
        resolve(new UdpHeartbeatTransport(socket, options));
      });
    });
  }

  /** The speakers to send to (from the API: node name, node IP, port). */
  setPeers(peers: readonly HeartbeatPeer[]): void {
    this.peers = peers;
  }

  /** Fans one encoded heartbeat out to every peer; a failing peer never stops the others. */
  send(packet: Buffer): void {
    for (const peer of this.peers) {
      try {
        this.socket.send(packet, peer.port, peer.address, err => {
          if (err) this.options.onSendError?.(peer, err);
          else this.options.onSent?.(peer);
        });
      } catch (error) {
        // Node throws at once for some bad destinations (port 0, say); the other peers still get theirs.
        this.options.onSendError?.(peer, error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  /** The peers heartbeats go to now. */
  peerList(): readonly HeartbeatPeer[] {
    return this.peers;
  }

  localPort(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise(resolve => this.socket.close(() => resolve()));
  }
}
