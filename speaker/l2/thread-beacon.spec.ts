/**
 * The addon's heartbeat sending thread (native/beacon_thread.c) through ThreadBeacon, on loopback: what
 * it sends is byte for byte what protocols/l2/heartbeat.ts encodes for that sequence and time, under the
 * signing key of the moment; it sends every interval with the sequence growing by one, to each peer,
 * follows a new template, and stops.
 */
import dgram from "node:dgram";
import { afterEach, expect, it } from "vitest";
import { encodeHeartbeat, encodeHeartbeatBody, type Heartbeat } from "../../protocols/l2/heartbeat";
import { socketFd, startBeaconThread } from "../../native/index";
import { ThreadBeacon } from "./thread-beacon";

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

/** Decodes the sequence and send time the thread wrote (offsets 14 and 18). */
const stamped = (p: Buffer) => ({ sequence: p.readUInt32BE(14), sentAtMs: Number(p.readBigUInt64BE(18)) });

it("sends the encoded heartbeat every interval to each peer, sequence by one, MAC as encodeHeartbeat's", async () => {
  const from = await bound("127.0.0.1");
  const peerA = await bound("127.0.0.2");
  const peerB = await bound("127.0.0.3");
  let acks = ["node-c"];
  let standby = true;
  let key = KEY;
  const beacon = new ThreadBeacon(
    { self: "node-a", incarnation: 0x0102030405060708n, key: () => key, send: () => undefined, acks: () => acks, standby: () => standby, intervalMs: 20 },
    { fd: () => socketFd(from), peers: () => [{ node: "b", address: "127.0.0.2", port: peerA.address().port }, { node: "c", address: "127.0.0.3", port: peerB.address().port }] },
    0,
  );
  stops.push(() => beacon.stop());
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
  expect(beacon.stats()).toMatchObject({ failed: 0, scheduling: "default" });
  expect(beacon.stats()?.sent).toBeGreaterThanOrEqual(2 * (sequence - 1));
});

it("stops: nothing is sent after stop()", async () => {
  const from = await bound("127.0.0.1");
  const peer = await bound("127.0.0.2");
  const thread = startBeaconThread(socketFd(from), 10, 0);
  stops.push(() => thread.stop());
  const got: Buffer[] = [];
  const three = receive(peer, 3);
  peer.on("message", data => void got.push(data));
  thread.set(encodeHeartbeatBody({ node: "node-a", incarnation: 1n, sequence: 0, sentAtMs: 0, leaving: false, acks: [] }), KEY, [{ address: "127.0.0.2", port: peer.address().port }]);
  await three;
  thread.stop();
  const last = thread.stats().sequence;
  await new Promise(r => setTimeout(r, 100));
  expect(last).toBeGreaterThanOrEqual(3);
  expect(got.map(p => stamped(p).sequence)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
});

it("refuses bad arguments with the field named", async () => {
  const from = await bound("127.0.0.1");
  const fd = socketFd(from);
  expect(() => startBeaconThread(fd, 0, 0)).toThrow("intervalMs must be 1..60000");
  expect(() => startBeaconThread(fd, 75, 100)).toThrow("priority must be 0..99 (0: leave it)");
  const thread = startBeaconThread(fd, 75, 0);
  stops.push(() => thread.stop());
  expect(() => thread.set(Buffer.alloc(10), KEY, [])).toThrow("body must be a Buffer of 26..1024 bytes");
  expect(() => thread.set(Buffer.alloc(40), Buffer.alloc(0), [])).toThrow("key must be a Buffer of 1..64 bytes");
  expect(() => thread.set(Buffer.alloc(40), KEY, [{ address: "2001:db8::1", port: 7946 }])).toThrow("peer address 2001:db8::1 is not an IPv4 address");
  expect(() => thread.set(Buffer.alloc(40), KEY, [{ address: "127.0.0.2", port: 0 }])).toThrow("a peer is {address, port} with port 1..65535");
});
