import { once } from "node:events";
import { Duplex, PassThrough, Transform } from "node:stream";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import { decodeBgpMessage, KEEPALIVE } from "./codec/message";
import { encodeOpen } from "./codec/open";
import type { PeerSettings } from "./open-checks";
import { BgpSession, type ReceivedUpdate } from "./session";
import { MessageFramer } from "./framing";
import { buildOpen } from "./open-checks";

const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const MARKER = "ffffffffffffffffffffffffffffffff";

/** Splits every write into pieces of at most `size` octets, so reads arrive cut mid-message. */
const chopper = (size: number) =>
  new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = 0; i < chunk.length; i += size) this.push(chunk.subarray(i, i + size));
      done();
    },
  });

/** Two connected in-memory streams; bytes from `a` to `b` arrive in 7-octet pieces. */
function duplexPair(): [Duplex, Duplex] {
  const ab = chopper(7);
  const ba = new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

const settingsA: PeerSettings = { myAsn: 64512, peerAsn: 64513, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4", "IPv6"] };
const settingsB: PeerSettings = { myAsn: 64513, peerAsn: 64512, routerId: 0xc0000202, holdTimeS: 9, families: ["IPv4", "IPv6"], gracefulRestart: { restartTimeS: 120 } };

/** Two sessions wired to each other: A dials, B's dial waits for A's. Each may have a clock of its own. */
function pair(a = settingsA, b = settingsB, clock = new FakeClock(), clockB = clock) {
  let waiting: ((d: Duplex) => void) | undefined;
  const A = new BgpSession({
    settings: a,
    clock,
    connect: async () => {
      const [x, y] = duplexPair();
      waiting?.(y);
      return x;
    },
  });
  const B = new BgpSession({ settings: b, clock: clockB, connect: () => new Promise<Duplex>(resolve => (waiting = resolve)) });
  return { A, B, clock };
}

/** Queues every UPDATE a session receives, so none is missed between two awaits. */
function updates(s: BgpSession): () => Promise<ReceivedUpdate> {
  const queue: ReceivedUpdate[] = [];
  let wake: (() => void) | undefined;
  s.on("update", u => {
    queue.push(u);
    wake?.();
  });
  return async () => {
    while (queue.length === 0) await new Promise<void>(r => (wake = r));
    return queue.shift() as ReceivedUpdate;
  };
}
const ebgpA = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [64512] }] };

describe("BgpSession", () => {
  it("reaches Established with a second instance and exchanges routes both ways", async () => {
    const { A, B } = pair();
    const nextUpdate = updates(B);
    A.advertise([{ prefix: cidr("198.51.100.7/32"), nextHop: ip("192.0.2.1"), attributes: { ...ebgpA, communities: [0xfc000064] } }]);
    B.start();
    A.start();
    const [[negA], [negB]] = await Promise.all([once(A, "established"), once(B, "established")]);
    expect(negA).toEqual({ holdTimeS: 9, keepaliveS: 3, fourOctetAs: true, routeRefresh: true, extendedNextHop: false, families: ["IPv4", "IPv6"], peerAsn: 64513, peerRouterId: 0xc0000202, });
    expect(negB).toMatchObject({ holdTimeS: 9, keepaliveS: 3, peerAsn: 64512, peerRouterId: 0xc0000201 });

    // The route given before the session came up arrives once it is Established.
    expect(await nextUpdate()).toEqual({
      update: { withdrawn: [], attributes: { ...ebgpA, nextHop: ip("192.0.2.1"), communities: [0xfc000064] }, nlri: [cidr("198.51.100.7/32")] },
      treatAsWithdraw: false,
    });

    A.advertise([{ prefix: cidr("2001:db8:1::5/128"), nextHop: ip("2001:db8::1"), attributes: ebgpA }]);
    expect((await nextUpdate()).update.attributes.mpReach).toEqual({ afi: 2, safi: 1, nextHops: [ip("2001:db8::1")], nlri: [cidr("2001:db8:1::5/128")] });

    expect(A.announcedCount).toBe(2);
    A.withdraw([cidr("198.51.100.7/32"), cidr("203.0.113.9/32")]);
    expect(await nextUpdate()).toEqual({ update: { withdrawn: [cidr("198.51.100.7/32")], attributes: {}, nlri: [] }, treatAsWithdraw: false });
    expect(A.advertised.map(r => r.prefix)).toEqual([cidr("2001:db8:1::5/128")]);

    // B announced graceful restart, A did not: only B sends End-of-RIB markers (empty UPDATEs).
    expect(A.stats).toMatchObject({ opensSent: 1, opensReceived: 1, updatesSent: 3, notificationsSent: 0 });
    expect(B.stats).toMatchObject({ updatesSent: 0, updatesReceived: 3 });

    const down = once(B, "down");
    const aDown = once(A, "down");
    A.stop();
    // Each side says whose NOTIFICATION it was: A sent it, B received it.
    expect(await aDown).toEqual(["administrative shutdown", { code: 6, subcode: 2, data: Buffer.alloc(0) }, true]);
    expect(await down).toEqual(["notification received: code 6 subcode 2", { code: 6, subcode: 2, data: Buffer.alloc(0) }, false]);
    expect([A.state, B.state]).toEqual(["Idle", "Idle"]);
    B.stop();
  });

  it("stays up over keepalives on the clock", async () => {
    const { A, B, clock } = pair();
    B.start();
    A.start();
    await Promise.all([once(A, "established"), once(B, "established")]);
    for (let s = 0; s < 60; s++) {
      clock.advance(1000);
      await new Promise(r => setImmediate(r));
    }
    expect([A.state, B.state]).toEqual(["Established", "Established"]);
    expect(A.stats.keepalivesSent).toBe(1 + 20);
    A.stop();
    B.stop();
  });

  it("does not drop the peer when its KEEPALIVEs sit unread after a late event loop, and still does when it is silent", async () => {
    const clockA = new FakeClock();
    const clockB = new FakeClock();
    const { A, B } = pair(settingsA, settingsB, clockA, clockB);
    B.start();
    A.start();
    await Promise.all([once(A, "established"), once(B, "established")]);
    const received = A.stats.keepalivesReceived;
    const receivedB = B.stats.keepalivesReceived;
    // B sent its KEEPALIVEs on time (at 3 s and 6 s); A's main thread was blocked for the whole
    // 9 s hold time and wakes with them unread: its hold timer fires first, in the same run.
    clockB.advance(6000);
    clockA.advance(9000);
    const downs: string[] = [];
    A.on("down", reason => downs.push(reason));
    await new Promise(r => setImmediate(r));
    await new Promise(r => setImmediate(r));
    expect(A.stats.keepalivesReceived).toBe(received + 2);
    // A's own KEEPALIVEs (due at 3, 6 and 9 s) all went out as its loop ran again, before any hold decision.
    expect(B.stats.keepalivesReceived).toBe(receivedB + 3);
    expect(downs).toEqual([]);
    expect([A.state, B.state]).toEqual(["Established", "Established"]);

    // B is silent now (its clock stands still): A's hold timer expires for real.
    const down = once(A, "down");
    clockA.advance(9000);
    expect((await down)[0]).toBe("hold timer expired");
    expect(A.state).toBe("Idle");
    B.stop();
  });

  it("resets with the decoder's NOTIFICATION when the peer sends a malformed UPDATE", async () => {
    const [mine, theirs] = duplexPair();
    const session = new BgpSession({ settings: settingsA, clock: new FakeClock(), connect: async () => mine });
    const framer = new MessageFramer();
    const received: string[] = [];
    // Our hang-up destroys the shared in-memory streams; the test's end sees that as an abort.
    theirs.on("error", () => undefined);
    theirs.on("data", (c: Buffer) => {
      for (const f of framer.push(c)) if (f.ok) received.push(f.message.toString("hex"));
    });
    const opened = new Promise<void>(r => session.on("state", to => to === "OpenSent" && r()));
    session.start();
    await opened;
    theirs.write(encodeOpen(buildOpen(settingsB)));
    theirs.write(KEEPALIVE);
    await once(session, "established");
    const down = once(session, "down");
    // NLRI 198.51.100.7/33: a prefix length the IPv4 field cannot hold.
    theirs.write(Buffer.from(`${MARKER}001c02 0000 0000 21c6336407`.replace(/ /g, ""), "hex"));
    expect(await down).toEqual(["IPv4 prefix length 33 exceeds 32", { code: 3, subcode: 10, data: Buffer.alloc(0) }, true]);
    await new Promise(r => setImmediate(r));
    expect(received.at(-1)).toBe(`${MARKER}001503030a`);
    const sentOpen = decodeBgpMessage(Buffer.from(received[0] as string, "hex"), { fourOctetAs: true });
    expect(sentOpen.ok && sentOpen.value.type).toBe("open");
    session.stop();
  });

  describe("batches route changes", () => {
    const v4 = (i: number): Cidr => ({ family: "IPv4", base: 0xc6120000n + BigInt(i), prefix: 32 }); // 198.18.0.0/15
    const route = (i: number, nextHop = "192.0.2.1") => ({ prefix: v4(i), nextHop: ip(nextHop), attributes: ebgpA });
    const flushed = () => new Promise<void>(r => queueMicrotask(r));

    async function established() {
      const { A, B } = pair();
      const next = updates(B);
      B.start();
      A.start();
      await Promise.all([once(A, "established"), once(B, "established")]);
      return { A, B, next };
    }

    it("sends the whole table at Established in the minimum number of UPDATEs, none before", async () => {
      const { A, B } = pair();
      const next = updates(B);
      A.advertise(Array.from({ length: 2000 }, (_, i) => route(i)));
      A.withdraw([v4(5), v4(7)]);
      A.advertise([route(5)]);
      await flushed();
      expect(A.stats.updatesSent).toBe(0);
      B.start();
      A.start();
      await once(A, "established");
      // 810 /32s fit beside these attributes (4096 - 23 - 20 = 4053 octets, 5 each): 810 + 810 + 379.
      expect(A.stats.updatesSent).toBe(3);
      const got = [await next(), await next(), await next()].map(u => u.update);
      expect(got.map(u => u.nlri.length)).toEqual([810, 810, 379]);
      expect(got.flatMap(u => u.nlri)).toEqual(Array.from({ length: 2000 }, (_, i) => v4(i)).filter(p => p.base !== v4(7).base));
      expect(got.every(u => u.withdrawn.length === 0)).toBe(true);
      A.stop();
      B.stop();
    });

    it("packs every change of one run into one flush: withdrawals fill the announcing UPDATE's room, then their own", async () => {
      const { A, B, next } = await established();
      A.advertise(Array.from({ length: 1000 }, (_, i) => route(i)));
      await flushed();
      expect(A.stats.updatesSent).toBe(2);
      await next();
      await next();
      const before = A.stats.updatesSent;
      // Route by route, as a caller reacting to Services one at a time would.
      for (let i = 1000; i < 1010; i++) A.advertise([route(i)]);
      for (let i = 0; i < 1000; i++) A.withdraw([v4(i)]);
      await flushed();
      // One UPDATE with the 10 routes and as many withdrawals as fit beside them, one with the rest:
      // 4096 - 23 - 20 - 10 x 5 = 4003 octets hold 800 withdrawals, 200 remain.
      expect(A.stats.updatesSent - before).toBe(2);
      const [first, second] = [(await next()).update, (await next()).update];
      expect(first.nlri).toEqual(Array.from({ length: 10 }, (_, i) => v4(1000 + i)));
      expect(first.withdrawn).toEqual(Array.from({ length: 800 }, (_, i) => v4(i)));
      expect(second).toEqual({ withdrawn: Array.from({ length: 200 }, (_, i) => v4(800 + i)), attributes: {}, nlri: [] });
      A.stop();
      B.stop();
    });

    it("keeps the last intent for a prefix changed several times in one run", async () => {
      const { A, B, next } = await established();
      A.advertise([route(1), route(2)]);
      await flushed();
      await next();
      const before = A.stats.updatesSent;
      A.withdraw([v4(1)]);
      A.advertise([route(1, "192.0.2.9")]); // withdrawn, then announced again through another next hop
      A.advertise([route(3)]);
      A.withdraw([v4(3)]); // announced, then withdrawn
      A.change({ advertise: [route(2, "192.0.2.7")], withdraw: [v4(2)] }); // both in one batch: withdrawals apply last
      A.withdraw([v4(4)]); // never announced: nothing to withdraw
      await flushed();
      expect(A.stats.updatesSent - before).toBe(1);
      expect((await next()).update).toEqual({ withdrawn: [v4(2), v4(3)], attributes: { ...ebgpA, nextHop: ip("192.0.2.9") }, nlri: [v4(1)] });
      expect(A.advertised).toEqual([route(1, "192.0.2.9")]);
      A.stop();
      B.stop();
    });

    it("never sends a family the peer did not agree to, whether it comes first, last or between", async () => {
      const { A, B } = pair(settingsA, { ...settingsB, families: ["IPv4"] });
      const next = updates(B);
      B.start();
      A.start();
      await Promise.all([once(A, "established"), once(B, "established")]);
      const v6: Cidr = { family: "IPv6", base: 0x20010db8000000000000000000000001n, prefix: 128 };
      const v6route = { prefix: v6, nextHop: ip("2001:db8::9"), attributes: ebgpA };
      A.advertise([v6route, route(1), v6route, route(2), v6route]);
      await flushed();
      expect(A.stats.updatesSent).toBe(1);
      expect((await next()).update).toEqual({ withdrawn: [], attributes: { ...ebgpA, nextHop: ip("192.0.2.1") }, nlri: [v4(1), v4(2)] });
      A.change({ withdraw: [v4(1), v6] });
      await flushed();
      expect((await next()).update).toEqual({ withdrawn: [v4(1)], attributes: {}, nlri: [] });
      expect(A.stats.updatesSent).toBe(2);
      A.stop();
      B.stop();
    });

    it("sends a prefix announced twice in one run, with no withdrawal in it, once with its last route", async () => {
      const { A, B, next } = await established();
      A.advertise([route(1)]);
      await flushed();
      await next();
      const before = A.stats.updatesSent;
      A.advertise([route(2), route(2, "192.0.2.7")]); // twice in one batch
      A.advertise([route(1, "192.0.2.7")]); // replaces a route sent in an earlier run
      A.advertise([route(3, "192.0.2.9")]);
      A.advertise([route(3, "192.0.2.7")]); // twice across batches of one run
      await flushed();
      expect(A.stats.updatesSent - before).toBe(1);
      expect((await next()).update).toEqual({ withdrawn: [], attributes: { ...ebgpA, nextHop: ip("192.0.2.7") }, nlri: [v4(1), v4(2), v4(3)] });
      A.stop();
      B.stop();
    });
  });
});
