/**
 * The shared BFD receiving sockets over loopback: packets go to the session of the peer that sent
 * them, sessions send with TTL 255 from their own port, and (with the native addon) packets below
 * TTL 255 never arrive on the single-hop socket, nor packets below a peer's minimumTtl on the
 * multihop one (loopback does not decrement the TTL, so the sender's TTL is what arrives).
 */
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../hack/netns/bed";
import { bfdSockets, DEFAULT_MULTIHOP_MIN_TTL } from "./bfd-udp";
import { EventQueue } from "../../test/bgp/dataplane/routers";

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

  it("runs multihop sessions on their own socket and port, each peer held to its own minimum TTL", async () => {
    const MH = PORT + 10;
    const open = bfdSockets({ port: PORT + 3, peerPort: PORT + 1, multihopPort: MH, multihopPeerPort: PORT + 11 });
    const fromB = new EventQueue<string>();
    const fromC = new EventQueue<string>();
    const b = createSocket("udp4");
    const c = createSocket("udp4");
    const listener = createSocket("udp4");
    const atListener = new EventQueue<number>();
    listener.on("message", (_m, rinfo) => atListener.push(rinfo.port));
    await Promise.all([
      new Promise<void>(r => b.bind(0, "127.0.0.2", r)),
      new Promise<void>(r => c.bind(0, "127.0.0.3", r)),
      new Promise<void>(r => listener.bind(PORT + 11, "127.0.0.2", r)),
    ]);
    const toB = await open("127.0.0.1", "127.0.0.2", p => fromB.push(p.toString()), { multihop: true });
    const toC = await open("127.0.0.1", "127.0.0.3", p => fromC.push(p.toString()), { multihop: true, minimumTtl: 200 });
    // A single-hop session with the same peer is another session, on the other socket.
    const single = await open("127.0.0.1", "127.0.0.2", () => undefined);
    await expect(open("127.0.0.1", "127.0.0.2", () => undefined, { multihop: true })).rejects.toThrow("a multihop BFD session with 127.0.0.2 from 127.0.0.1 is already open");
    const to = (s: Socket, msg: string, ttl: number) =>
      new Promise<void>((resolve, reject) => {
        s.setTTL(ttl);
        s.send(Buffer.from(msg), MH, "127.0.0.1", e => (e ? reject(e) : resolve()));
      });

    expect(DEFAULT_MULTIHOP_MIN_TTL).toBe(254);
    await to(b, "b 253", 253);
    await to(b, "b 254", 254);
    await to(c, "c 199", 199);
    await to(c, "c 200", 200);
    expect([await fromB.next(), await fromC.next()]).toEqual(["b 254", "c 200"]);

    // Sent to the multihop port, from a port of its own, TTL 255 (the listener would not care; the peer's filter would).
    toB.send(Buffer.from("hello"));
    expect(await atListener.next()).toBeGreaterThanOrEqual(49152);

    // C leaves: the program is rebuilt without it, and B is still held to 254.
    toC.close();
    await to(b, "b 200", 200);
    await to(b, "b 255", 255);
    expect(await fromB.next()).toBe("b 255");
    expect(fromB.pending + fromC.pending).toBe(0);
    toB.close();
    single.close();
    for (const s of [b, c, listener]) s.close();
  });

  it("tells onFilterError when a multihop filter cannot be attached, and still delivers", async () => {
    const errors: string[] = [];
    const open = bfdSockets({
      multihopPort: PORT + 20,
      attachProgram: () => {
        throw new Error("no addon");
      },
      onFilterError: e => errors.push((e as Error).message),
    });
    const got = new EventQueue<string>();
    const peer = createSocket("udp4");
    await new Promise<void>(r => peer.bind(0, "127.0.0.2", r));
    const session = await open("127.0.0.1", "127.0.0.2", p => got.push(p.toString()), { multihop: true });
    await new Promise<void>((resolve, reject) => peer.send(Buffer.from("unfiltered"), PORT + 20, "127.0.0.1", e => (e ? reject(e) : resolve())));
    expect(await got.next()).toBe("unfiltered");
    // Once when the socket is bound (no peers yet), once when the session registered.
    expect(errors).toEqual(["no addon", "no addon"]);
    session.close();
    peer.close();
  });

  // Every BGP speaker with BFD opens these sockets: reading their fds once printed DEP0112
  // (dgram's Socket.prototype._handle) into its log. --throw-deprecation turns any warning into a crash.
  it("opens single-hop and multihop sockets, filters attached, without a deprecation warning", async () => {
    const script = `
      const { bfdSockets } = require("./speaker/bfd/bfd-udp.ts");
      (async () => {
        const open = bfdSockets({ port: ${PORT + 20}, peerPort: ${PORT + 21}, multihopPort: ${PORT + 22}, multihopPeerPort: ${PORT + 23},
          onFilterError: e => console.log("filter-error " + e.message) });
        const single = await open("127.0.0.1", "127.0.0.2", () => undefined);
        const multi = await open("127.0.0.1", "127.0.0.3", () => undefined, { multihop: true });
        single.close();
        multi.close();
        console.log("closed");
      })();`;
    const tsx = pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve => {
      const child = execFile(process.execPath, ["--throw-deprecation", "--import", tsx, "-e", script], { cwd: REPO_ROOT }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(run).toEqual({ code: 0, stdout: "closed\n", stderr: "" });
  });
});
