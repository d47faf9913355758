import { once } from "node:events";
import { Duplex, PassThrough, Transform } from "node:stream";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../l2/clock";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../net/ip";
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

/** Two sessions wired to each other: A dials, B's dial waits for A's. */
function pair(a = settingsA, b = settingsB) {
  const clock = new FakeClock();
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
  const B = new BgpSession({ settings: b, clock, connect: () => new Promise<Duplex>(resolve => (waiting = resolve)) });
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
    expect(negA).toEqual({ holdTimeS: 9, keepaliveS: 3, fourOctetAs: true, routeRefresh: true, families: ["IPv4", "IPv6"], peerAsn: 64513, peerRouterId: 0xc0000202, });
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
    A.stop();
    expect(await down).toEqual(["notification received: code 6 subcode 2", { code: 6, subcode: 2, data: Buffer.alloc(0) }]);
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
    expect(await down).toEqual(["IPv4 prefix length 33 exceeds 32", { code: 3, subcode: 10, data: Buffer.alloc(0) }]);
    await new Promise(r => setImmediate(r));
    expect(received.at(-1)).toBe(`${MARKER}001503030a`);
    const sentOpen = decodeBgpMessage(Buffer.from(received[0] as string, "hex"), { fourOctetAs: true });
    expect(sentOpen.ok && sentOpen.value.type).toBe("open");
    session.stop();
  });
});
