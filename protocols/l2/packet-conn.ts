/**
 * The narrow seam between the L2 core and raw sockets. The native addon's PacketSocket (AF_PACKET,
 * one per interface) satisfies this; tests use RecordingPacketConn. Frames are whole Ethernet frames
 * without the FCS.
 */
export interface PacketConn {
  /** Sends one whole Ethernet frame. */
  send(frame: Buffer): void;
  /** Registers the receiver of every frame the socket sees; returns a function that unregisters it. */
  onFrame(listener: (frame: Buffer) => void): () => void;
  close(): void;
}

/** A PacketConn that records what is sent and lets a test inject received frames. */
export class RecordingPacketConn implements PacketConn {
  readonly sent: Buffer[] = [];
  closed = false;
  private listeners = new Set<(frame: Buffer) => void>();

  send(frame: Buffer): void {
    if (this.closed) throw new Error("send on a closed PacketConn");
    // Copy, so a caller that reuses its buffer cannot rewrite history.
    this.sent.push(Buffer.from(frame));
  }

  onFrame(listener: (frame: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  /** Delivers a frame as if the wire had carried it. */
  receive(frame: Buffer): void {
    for (const l of [...this.listeners]) l(frame);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
