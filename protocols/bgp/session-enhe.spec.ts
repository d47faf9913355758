/**
 * RFC 8950 between two sessions: an IPv4 route with an IPv6 next hop reaches a peer that agreed to
 * the extended next hop capability, in MP_REACH_NLRI AFI 1, and never one that did not.
 */
import { once } from "node:events";
import { Duplex, PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../core/clock";
import { parseCidr, parseIP, type Cidr, type IPAddress } from "../../core/net/ip";
import type { PeerSettings } from "./open-checks";
import { BgpSession, type ReceivedUpdate } from "./session";

const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const ip = (s: string): IPAddress => parseIP(s) as IPAddress;
const attributes = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [64512] }] };

function pair(a: PeerSettings, b: PeerSettings) {
  const clock = new FakeClock();
  let waiting: ((d: Duplex) => void) | undefined;
  const ab = new PassThrough();
  const ba = new PassThrough();
  const A = new BgpSession({
    settings: a,
    clock,
    connect: async () => {
      waiting?.(Duplex.from({ readable: ab, writable: ba }));
      return Duplex.from({ readable: ba, writable: ab });
    },
  });
  const B = new BgpSession({ settings: b, clock, connect: () => new Promise<Duplex>(resolve => (waiting = resolve)) });
  const received: ReceivedUpdate[] = [];
  B.on("update", u => received.push(u));
  return { A, B, received };
}

const unnumbered: PeerSettings = { myAsn: 64512, peerAsn: 64513, routerId: 0xc0000201, holdTimeS: 90, families: ["IPv4", "IPv6"], extendedNextHop: true };
const router = (extendedNextHop: boolean): PeerSettings => ({ myAsn: 64513, peerAsn: 64512, routerId: 0xc0000202, holdTimeS: 90, families: ["IPv4", "IPv6"], extendedNextHop });

async function run(routerOffers: boolean) {
  const { A, B, received } = pair(unnumbered, router(routerOffers));
  A.advertise([
    { prefix: cidr("198.51.100.10/32"), nextHop: ip("2001:db8::a"), linkLocalNextHop: ip("fe80::a"), attributes },
    { prefix: cidr("2001:db8:5::10/128"), nextHop: ip("2001:db8::a"), linkLocalNextHop: ip("fe80::a"), attributes },
  ]);
  B.start();
  A.start();
  const [[negotiated]] = await Promise.all([once(A, "established"), once(B, "established")]);
  // Both routes were sent in the run that completed the handshake; one more turn delivers them.
  await new Promise(resolve => setImmediate(resolve));
  const count = A.announcedCount;
  A.stop();
  B.stop();
  return { negotiated: negotiated as { extendedNextHop: boolean }, received, count };
}

describe("RFC 8950 between sessions", () => {
  it("sends the IPv4 route in MP_REACH_NLRI AFI 1 with both next hops when the peer agreed", async () => {
    const { negotiated, received, count } = await run(true);
    expect(negotiated.extendedNextHop).toBe(true);
    expect(received.map(r => r.update.attributes.mpReach)).toEqual([
      { afi: 1, safi: 1, nextHops: [ip("2001:db8::a"), ip("fe80::a")], nlri: [cidr("198.51.100.10/32")] },
      { afi: 2, safi: 1, nextHops: [ip("2001:db8::a"), ip("fe80::a")], nlri: [cidr("2001:db8:5::10/128")] },
    ]);
    expect(count).toBe(2);
  });

  it("keeps it from a peer that did not, and sends only the IPv6 route", async () => {
    const { negotiated, received, count } = await run(false);
    expect(negotiated.extendedNextHop).toBe(false);
    expect(received.map(r => r.update.attributes.mpReach?.afi)).toEqual([2]);
    expect(count).toBe(1);
  });
});
