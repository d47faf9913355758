/**
 * A native PacketSocket seen as the L2 core's PacketConn, hardened for the data plane: sending never
 * throws (a link going down makes send fail with ENETDOWN until the netlink watcher closes the
 * socket), a throwing listener never reaches the addon's callback, and receive errors are reported
 * instead of becoming uncaught exceptions. The data plane must never crash on a frame.
 */
import type { PacketConn } from "../../protocols/l2/packet-conn";

/** The part of native PacketSocket this adapter uses (a fake in unit tests). */
export interface FrameSocket {
  readonly ifname: string;
  send(frame: Uint8Array): number;
  onFrame(cb: (frame: Buffer) => void, options: { onError: (error: Error) => void }): void;
  close(): void;
}

export type ConnErrorKind = "send" | "receive" | "listener";

export class SafePacketConn implements PacketConn {
  private readonly listeners = new Set<(frame: Buffer) => void>();
  private closed = false;

  constructor(
    private readonly socket: FrameSocket,
    private readonly onError: (kind: ConnErrorKind, error: Error) => void,
  ) {
    socket.onFrame(frame => this.deliver(frame), { onError: error => this.report("receive", error) });
  }

  private report(kind: ConnErrorKind, error: unknown): void {
    try {
      this.onError(kind, error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A failing error reporter must not take the data plane down either.
    }
  }

  private deliver(frame: Buffer): void {
    for (const listener of this.listeners) {
      try {
        listener(frame);
      } catch (error) {
        this.report("listener", error);
      }
    }
  }

  send(frame: Buffer): void {
    if (this.closed) return;
    try {
      this.socket.send(frame);
    } catch (error) {
      this.report("send", error);
    }
  }

  onFrame(listener: (frame: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.socket.close();
  }
}
