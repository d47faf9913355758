/**
 * The shared BFD receiving socket over loopback: packets go to the session of the peer that sent
 * them, sessions send with TTL 255 from their own port, and (with the native addon) packets below
 * TTL 255 never arrive.
 */
import { createSocket, type Socket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { bfdSockets } from "./bfd-udp";
import { EventQueue } from "./testkit/routers";

const PORT = 43784; // not 3784, so a BFD daemon on this machine is never in the way

async function peerSocket(address: string): Promise<{ socket: Socket; received: EventQueue<{ msg: Buffer; port: number }> }> {
  const socket = createSocket("udp4");
  const received = new EventQueue<{ msg: Buffer; port: number }>();
  socket.on("message", (msg, rinfo) => received.push({ msg, port: rinfo.port }));
  await new Promise<void>(r => socket.bind(PORT + 1, address, r));
  return { socket, received };
}

const send = (s: Socket, msg: string, ttl = 255) =>
  new Promise<void>((resolve, reject) => {
    s.setTTL(ttl);
    s.send(Buffer.from(msg), PORT, "127.0.0.1", e => (e ? reject(e) : resolve()));
  });

describe("bfdSockets", () => {
  it("shares one receiving socket per local address and hands each packet to its peer's session", async () => {
    const open = bfdSockets({ port: PORT, peerPort: PORT + 1, ttlFilter: () => undefined });
    const fromB = new EventQueue<string>();
    const fromC = new EventQueue<string>();
    const b = await peerSocket("127.0.0.2");
    const c = await peerSocket("127.0.0.3");
    const toB = await open("127.0.0.1", "127.0.0.2", p => fromB.push(p.toString()));
    const toC = await open("127.0.0.1", "127.0.0.3", p => fromC.push(p.toString()));
    await expect(open("127.0.0.1", "127.0.0.2", () => undefined)).rejects.toThrow("a BFD session with 127.0.0.2 from 127.0.0.1 is already open");

    await send(b.socket, "to-b-session");
    await send(c.socket, "to-c-session");
    expect(await fromB.next()).toBe("to-b-session");
    expect(await fromC.next()).toBe("to-c-session");

    toB.send(Buffer.from("hello b"));
    const got = await b.received.next();
    expect(got.msg.toString()).toBe("hello b");
    expect(got.port).toBeGreaterThanOrEqual(49152);

    // Closing one session keeps the shared socket for the other.
    toB.close();
    await send(c.socket, "still here");
    expect(await fromC.next()).toBe("still here");
    toC.close();
    b.socket.close();
    c.socket.close();
    expect(fromB.pending + fromC.pending).toBe(0);
  });

  it("drops packets below TTL 255 with the native filter (GTSM)", async () => {
    const open = bfdSockets({ port: PORT + 2, peerPort: PORT + 1 });
    const got = new EventQueue<string>();
    const peer = createSocket("udp4");
    await new Promise<void>(r => peer.bind(0, "127.0.0.2", r));
    const session = await open("127.0.0.1", "127.0.0.2", p => got.push(p.toString()));
    const to = (msg: string, ttl: number) =>
      new Promise<void>((resolve, reject) => {
        peer.setTTL(ttl);
        peer.send(Buffer.from(msg), PORT + 2, "127.0.0.1", e => (e ? reject(e) : resolve()));
      });
    await to("ttl 64", 64);
    await to("ttl 255", 255);
    expect(await got.next()).toBe("ttl 255");
    expect(got.pending).toBe(0);
    session.close();
    peer.close();
  });
});
