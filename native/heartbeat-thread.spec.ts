/**
 * The addon's heartbeat thread (native/heartbeat_thread.c), on loopback.
 * Sending, through ThreadBeacon: what it sends is byte for byte what protocols/l2/heartbeat.ts encodes
 * for that sequence and time, under the signing key of the moment; every interval with the sequence
 * growing by one, to each peer; it follows a new template, and stops.
 * Receiving: it takes a peer's heartbeat that repeats the last one learned (and says when), and queues
 * every other datagram, byte for byte: a change, a replay, a wrong key, a stale time, another node,
 * garbage, and everything from a peer forgotten.
 */
import dgram from "node:dgram";
import { afterEach, expect, it } from "vitest";
import { encodeHeartbeat, encodeHeartbeatBody, type Heartbeat } from "../protocols/l2/heartbeat";
import { startHeartbeatThread, type HeartbeatThread } from "./index";
import { ThreadBeacon } from "../speaker/l2/thread-beacon";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const NEW_KEY = Buffer.from("fedcba9876543210fedcba9876543210");
const sockets: dgram.Socket[] = [];
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await Promise.all(sockets.splice(0).map(s => new Promise<void>(r => s.close(() => r()))));
});

async function bound(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  sockets.push(s);
  await new Promise<void>(r => s.bind(0, address, () => r()));
  return s;
}

/** Collects datagrams arriving on `s` until `n` have come. */
function receive(s: dgram.Socket, n: number): Promise<{ data: Buffer }[]> {
  const got: { data: Buffer }[] = [];
  return new Promise(resolve => {
    s.on("message", data => {
      got.push({ data });
      if (got.length === n) resolve(got);
    });
  });
}

/** A thread bound to `address` (any port) whose queued datagrams are collected. */
function started(address: string, intervalMs = 75): { thread: HeartbeatThread; port: number; queued: (n: number) => Promise<Buffer[]> } {
  const got: Buffer[] = [];
  let waiting: { n: number; resolve: (b: Buffer[]) => void } | undefined;
  const check = (): void => {
    if (waiting && got.length >= waiting.n) {
      const { n, resolve } = waiting;
      waiting = undefined;
      resolve(got.splice(0, n));
    }
  };
  const thread = startHeartbeatThread({
    bindAddress: address,
    port: 0,
    intervalMs,
    realtimePriority: 0,
    onQueued: () => {
      got.push(...thread.take());
      check();
    },
  });
  stops.push(() => thread.stop());
  return {
    thread,
    port: thread.stats().port,
    queued: n => new Promise(resolve => {
      waiting = { n, resolve };
      check();
    }),
  };
}

/** Decodes the sequence and send time the thread wrote (offsets 14 and 18). */
const stamped = (p: Buffer) => ({ sequence: p.readUInt32BE(14), sentAtMs: Number(p.readBigUInt64BE(18)) });

it("sends the encoded heartbeat every interval to each peer, sequence by one, MAC as encodeHeartbeat's", async () => {
  const peerA = await bound("127.0.0.2");
  const peerB = await bound("127.0.0.3");
  let acks = ["node-c"];
  let standby = true;
  let key = KEY;
  const { thread } = started("127.0.0.1", 20);
  const beacon = new ThreadBeacon(
    { self: "node-a", incarnation: 0x0102030405060708n, key: () => key, send: () => undefined, acks: () => acks, standby: () => standby, intervalMs: 20 },
    thread,
    () => [{ node: "b", address: "127.0.0.2", port: peerA.address().port }, { node: "c", address: "127.0.0.3", port: peerB.address().port }],
  );
  const before = Date.now();
  const atA = receive(peerA, 6);
  const atB = receive(peerB, 6);
  beacon.start();
  const [gotA, gotB] = await Promise.all([atA, atB]);
  const base: Heartbeat = { node: "node-a", incarnation: 0x0102030405060708n, sequence: 0, sentAtMs: 0, leaving: false, standby: true, acks: ["node-c"] };
  gotA.forEach(({ data }, i) => {
    const { sequence, sentAtMs } = stamped(data);
    expect(sequence).toBe(i + 1);
    expect(sentAtMs).toBeGreaterThanOrEqual(before);
    expect(sentAtMs).toBeLessThanOrEqual(Date.now());
    expect(data.toString("hex")).toBe(encodeHeartbeat({ ...base, sequence, sentAtMs }, KEY).toString("hex"));
  });
  expect(gotB.map(g => g.data.toString("hex"))).toEqual(gotA.map(g => g.data.toString("hex")));
  // The first at once, then every 20 ms: five intervals between six sends, by the send times they carry (ms).
  const span = stamped(gotA[5]?.data ?? Buffer.alloc(26)).sentAtMs - stamped(gotA[0]?.data ?? Buffer.alloc(26)).sentAtMs;
  // (each may be a few ms late, by the scheduler: a rhythm, not a stopwatch)
  expect(span).toBeGreaterThanOrEqual(5 * 20 - 5);

  // A new template: leaving, no standby, another ack, another key.
  acks = ["node-d"];
  standby = false;
  key = NEW_KEY;
  const next = receive(peerA, 7);
  beacon.startLeaving();
  const after = (await next).slice(6).map(g => g.data);
  const [first] = after;
  if (!first) throw new Error("nothing after the new template");
  const { sequence, sentAtMs } = stamped(first);
  expect(first.toString("hex")).toBe(encodeHeartbeat({ ...base, standby: undefined, leaving: true, acks: ["node-d"], sequence, sentAtMs }, NEW_KEY).toString("hex"));
  expect(thread.stats()).toMatchObject({ failed: 0, scheduling: "default" });
  expect(thread.stats().sent).toBeGreaterThanOrEqual(2 * (sequence - 1));
});

it("sends at once when asked (leaving), not at the next tick", async () => {
  const peer = await bound("127.0.0.2");
  // An interval far longer than the test: only the first send and the asked one can arrive.
  const { thread } = started("127.0.0.1", 60_000);
  const beacon = new ThreadBeacon(
    { self: "node-a", incarnation: 1n, key: () => KEY, send: () => undefined, acks: () => [], intervalMs: 60_000 },
    thread,
    () => [{ node: "b", address: "127.0.0.2", port: peer.address().port }],
  );
  const got: Buffer[] = [];
  const one = receive(peer, 1);
  peer.on("message", data => void got.push(data));
  beacon.start();
  await one;
  const next = receive(peer, 1);
  beacon.startLeaving();
  await next;
  const [first, second] = got;
  if (!first || !second) throw new Error("two heartbeats expected");
  expect([stamped(first).sequence, first[5]]).toEqual([1, 0]);
  expect([stamped(second).sequence, second[5]]).toEqual([2, 0x01]);
});

it("stops: nothing is sent after stop()", async () => {
  const peer = await bound("127.0.0.2");
  const { thread } = started("127.0.0.1", 10);
  const got: Buffer[] = [];
  const three = receive(peer, 3);
  peer.on("message", data => void got.push(data));
  thread.set(encodeHeartbeatBody({ node: "node-a", incarnation: 1n, sequence: 0, sentAtMs: 0, leaving: false, acks: [] }), KEY, [{ address: "127.0.0.2", port: peer.address().port }]);
  await three;
  thread.stop();
  const last = thread.stats().sequence;
  // After stop, asking for a send or a new template sends nothing (the socket is closed) and throws nothing;
  // nor does a first template for a thread stopped before it had one.
  const body = encodeHeartbeatBody({ node: "node-a", incarnation: 1n, sequence: 0, sentAtMs: 0, leaving: true, acks: [] });
  thread.sendNow();
  thread.set(body, KEY, [{ address: "127.0.0.2", port: peer.address().port }]);
  const unarmed = started("127.0.0.1").thread;
  unarmed.stop();
  unarmed.set(body, KEY, [{ address: "127.0.0.2", port: peer.address().port }]);
  unarmed.sendNow();
  await new Promise(r => setTimeout(r, 100));
  expect(last).toBeGreaterThanOrEqual(3);
  expect(got.map(p => stamped(p).sequence)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
});

it("refuses bad arguments with the field named, and a port in use with the address", async () => {
  const options = { bindAddress: "127.0.0.1", port: 0, intervalMs: 75, realtimePriority: 0, onQueued: () => undefined };
  expect(() => startHeartbeatThread({ ...options, intervalMs: 0 })).toThrow("intervalMs must be 1..60000");
  expect(() => startHeartbeatThread({ ...options, realtimePriority: 100 })).toThrow("priority must be 0..99 (0: leave it)");
  expect(() => startHeartbeatThread({ ...options, bindAddress: "node-a" })).toThrow("bindAddress must be an IP address");
  const taken = await bound("127.0.0.1");
  expect(() => startHeartbeatThread({ ...options, port: taken.address().port })).toThrow(`bind 127.0.0.1:${taken.address().port}: Address already in use (EADDRINUSE)`);
  const { thread } = started("127.0.0.1");
  expect(() => thread.set(Buffer.alloc(10), KEY, [])).toThrow("body must be a Buffer of 26..1024 bytes");
  expect(() => thread.set(Buffer.alloc(40), Buffer.alloc(0), [])).toThrow("key must be a Buffer of 1..64 bytes");
  expect(() => thread.set(Buffer.alloc(40), KEY, [{ address: "2001:db8::1", port: 7946 }])).toThrow("peer address 2001:db8::1 is not an IPv4 address");
  expect(() => thread.set(Buffer.alloc(40), KEY, [{ address: "127.0.0.2", port: 0 }])).toThrow("a peer is {address, port} with port 1..65535");
});

const B: Heartbeat = { node: "node-b", incarnation: 7n, sequence: 1, sentAtMs: 0, leaving: false, acks: [] };
/** node-b's heartbeat with this sequence (sent now unless `sentAtMs`), signed with `key`. */
const fromB = (sequence: number, more: Partial<Heartbeat> = {}, key = KEY): Buffer => encodeHeartbeat({ ...B, sentAtMs: Date.now(), ...more, sequence }, key);

it("takes the repeats of a learned heartbeat and queues everything else, byte for byte", async () => {
  const { thread, port, queued } = started("127.0.0.1");
  const peer = await bound("127.0.0.2");
  const send = (d: Buffer): void => peer.send(d, port, "127.0.0.1");
  thread.listen([NEW_KEY, KEY], 30_000);

  // Nothing learned yet: queued, as every heartbeat of an unknown peer is.
  const first = fromB(1);
  send(first);
  expect((await queued(1)).map(d => d.toString("hex"))).toEqual([first.toString("hex")]);
  expect(thread.heard("node-b")).toBeUndefined();

  // Learned: its repeats (sequence 2, 3) are taken, not queued; the change after them is queued, and
  // by then the thread has read both (one socket, in order).
  thread.learn(first);
  send(fromB(2));
  send(fromB(3));
  const change = fromB(4, { standby: true });
  send(change);
  expect((await queued(1)).map(d => d.toString("hex"))).toEqual([change.toString("hex")]);
  expect(thread.stats().repeats).toBe(2);
  const heard = thread.heard("node-b");
  expect(heard?.sequence).toBe(3);
  expect(heard?.msAgo).toBeGreaterThanOrEqual(0);
  expect(heard?.msAgo).toBeLessThan(5_000);

  // Queued, each: a replay and an older one, the other key's MAC on a changed incarnation, a wrong key,
  // a time beyond the skew bound, another node, garbage, a truncated heartbeat.
  const others = [
    fromB(3),
    fromB(2),
    fromB(5, { incarnation: 8n }, NEW_KEY),
    fromB(5, {}, Buffer.from("ffffffffffffffffffffffffffffffff")),
    fromB(5, { sentAtMs: Date.now() - 60_000 }),
    encodeHeartbeat({ ...B, node: "node-c", sentAtMs: Date.now(), sequence: 5 }, KEY),
    Buffer.from("not a heartbeat"),
    fromB(5).subarray(0, 40),
  ];
  for (const d of others) send(d);
  expect((await queued(others.length)).map(d => d.toString("hex"))).toEqual(others.map(d => d.toString("hex")));
  expect(thread.stats()).toMatchObject({ repeats: 2, dropped: 0 });

  // A repeat signed with the other accepted key is taken too (the garbage after it: queued once it was read).
  send(fromB(6, {}, NEW_KEY));
  send(Buffer.from("marker"));
  expect((await queued(1)).map(d => d.toString())).toEqual(["marker"]);
  expect(thread.stats().repeats).toBe(3);
  // Forgotten: its repeats are queued again (a peer timed out is judged anew when it returns).
  thread.forget("node-b");
  expect(thread.heard("node-b")).toBeUndefined();
  const back = fromB(7);
  send(back);
  expect((await queued(1)).map(d => d.toString("hex"))).toEqual([back.toString("hex")]);
  expect(thread.stats().repeats).toBe(3);

  // Keys no longer accepted: a repeat under the old key is queued (the main thread refuses it).
  thread.learn(back);
  thread.listen([NEW_KEY], 30_000);
  const oldKey = fromB(8);
  send(oldKey);
  expect((await queued(1)).map(d => d.toString("hex"))).toEqual([oldKey.toString("hex")]);
  expect(thread.stats().repeats).toBe(3);
});

it("refuses bad receive-side arguments with the field named", () => {
  const { thread } = started("127.0.0.1");
  expect(() => thread.listen([KEY, KEY, KEY, KEY, KEY], 1000)).toThrow("at most 4 keys");
  expect(() => thread.listen([Buffer.alloc(0)], 1000)).toThrow("keys must be Buffers of 1..64 bytes");
  expect(() => thread.listen([KEY], -1)).toThrow("maxSkewMs must be a number >= 0");
  expect(() => thread.learn(Buffer.from("short"))).toThrow("datagram must be a heartbeat (a Buffer of 60..1056 bytes naming a node)");
  expect(() => thread.forget("")).toThrow("node must be a name of 1..253 bytes");
  expect(() => thread.heard("x".repeat(254))).toThrow("node must be a name of 1..253 bytes");
});

it("queues 64 datagrams for a main thread that does not take them, and counts the rest as dropped", async () => {
  const thread = startHeartbeatThread({ bindAddress: "127.0.0.1", port: 0, intervalMs: 75, realtimePriority: 0, onQueued: () => undefined });
  stops.push(() => thread.stop());
  const peer = await bound("127.0.0.2");
  const sent = Array.from({ length: 70 }, (_, i) => Buffer.from(`datagram ${i}`));
  for (const d of sent) peer.send(d, thread.stats().port, "127.0.0.1");
  // Nothing tells the main thread of a drop (that is the point): its count is read until it is there.
  const deadline = Date.now() + 5_000;
  while (thread.stats().dropped < 6 && Date.now() < deadline) await new Promise(r => setTimeout(r, 10));
  expect(thread.stats()).toMatchObject({ dropped: 6, repeats: 0 });
  expect(thread.take().map(d => d.toString())).toEqual(sent.slice(0, 64).map(d => d.toString()));
  expect(thread.take()).toEqual([]);
});
