/**
 * Cuts a TCP byte stream into BGP messages. Reads arrive in arbitrary pieces: a message may be
 * split over several chunks and one chunk may hold several messages. The header's length is
 * checked as soon as 19 octets are in, so a corrupt length never makes us wait for 64 KiB.
 */
import type { BgpError } from "./codec/errors";
import { decodeHeader, HEADER_LENGTH } from "./codec/header";

export type Frame = { readonly ok: true; readonly message: Buffer } | { readonly ok: false; readonly error: BgpError };

export class MessageFramer {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  /** Adds received bytes; returns the complete messages they finish, or the header error that ends the stream. */
  push(chunk: Buffer): Frame[] {
    if (this.broken) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_LENGTH) {
      const header = decodeHeader(this.pending.subarray(offset, offset + HEADER_LENGTH));
      if (!header.ok) {
        this.broken = true;
        this.pending = Buffer.alloc(0);
        frames.push({ ok: false, error: header.error });
        return frames;
      }
      if (this.pending.length - offset < header.value.length) break;
      frames.push({ ok: true, message: Buffer.from(this.pending.subarray(offset, offset + header.value.length)) });
      offset += header.value.length;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Octets held back waiting for the rest of a message. */
  get buffered(): number {
    return this.pending.length;
  }
}
