/**
 * The speaker's heartbeats (heartbeat-control.ts threadHeartbeat): two on loopback addresses hear each
 * other, the observer gets the datagrams the addon's thread sent and the repeats it took (the main
 * thread judges only what changed), a main thread held for 600 ms (longer
 * than the 250 ms timeout, both nodes' at once, as this test runs them on one thread) loses nobody, a
 * view not current is heard as blind, and one that closes is timed out by the other.
 */
import { randomBytes } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import type { HeartbeatObserver, Membership, MembershipSnapshot } from "../../core/election/liveness";
import { membershipSnapshot } from "../../core/election/liveness";
import { threadHeartbeat, type HeartbeatLink } from "./heartbeat-control";

const KEY = randomBytes(32);
const PORT = 41000 + Math.floor(Math.random() * 8000);
const PEERS = [
  { node: "node-a", address: "127.0.0.1" },
  { node: "node-b", address: "127.0.0.2" },
];
const links: HeartbeatLink[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map(l => l.close()));
});

function counting(): HeartbeatObserver & { counts: { sent: number; accepted: number } } {
  const counts = { sent: 0, accepted: 0 };
  return {
    counts,
    sent: () => void counts.sent++,
    sendFailed: () => undefined,
    accepted: () => void counts.accepted++,
    refused: () => undefined,
    peers: () => undefined,
  };
}

async function start(node: string, address: string, observer?: HeartbeatObserver): Promise<HeartbeatLink> {
  const link = await threadHeartbeat({ realtimePriority: 0 })({ nodeName: node, keys: [KEY], bindAddress: address, port: PORT, coldStartGraceMs: 300 }, observer);
  links.push(link);
  link.setPeers(PEERS);
  link.start();
  return link;
}

/** Resolves with the first snapshot of `link`'s membership (current or to come) that `done` accepts. */
function until(link: HeartbeatLink, done: (s: MembershipSnapshot) => boolean): Promise<MembershipSnapshot> {
  return new Promise(resolve => {
    const check = (): boolean => {
      const s = membershipSnapshot(link.membership);
      if (!done(s)) return false;
      off();
      resolve(s);
      return true;
    };
    const off = link.membership.onChange(() => void check());
    check();
  });
}

it("sends from the addon's thread: peers heard, counted, kept through a held main thread, blind heard, timed out when gone", async () => {
  const observer = counting();
  const [a, b] = await Promise.all([start("node-a", "127.0.0.1", observer), start("node-b", "127.0.0.2")]);
  expect(a.port()).toBe(PORT);
  const both = { live: ["node-a", "node-b"], standby: [], leaving: [], ackedMe: [], canAnnounce: true };
  // Each announces once it has heard the other, and then says so in its heartbeats (standby no more:
  // the thread's template follows the membership).
  expect(await until(a, s => s.canAnnounce && s.standby.length === 0)).toEqual(both);
  expect(await until(b, s => s.canAnnounce && s.standby.length === 0)).toEqual(both);

  // The main thread is held for 600 ms: the thread keeps sending; on waking, the late expiries re-check
  // after the socket is read (liveness.ts STALL_TOLERANCE_MS) and nobody is lost.
  const lost: string[] = [];
  const watch = (link: HeartbeatLink, peer: string) => link.membership.onChange(() => {
    if (!link.membership.liveSpeakers().has(peer)) lost.push(peer);
  });
  const offA = watch(a, "node-b");
  const offB = watch(b, "node-a");
  const end = performance.now() + 600;
  while (performance.now() < end) {
    // busy, as a relist of 10,000 Services is
  }
  await new Promise(resolve => setTimeout(resolve, 300));
  offA();
  offB();
  expect(lost).toEqual([]);
  expect(membershipSnapshot(a.membership)).toEqual(both);

  // The thread's totals reach the observer once a second: every 75 ms to one peer, and B's accepted.
  await new Promise<void>(resolve => {
    const t = setInterval(() => {
      if (observer.counts.sent >= 10 && observer.counts.accepted >= 10) {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });
  expect(a.rejects()).toEqual({});
  // Most of B's heartbeats were repeats, taken by A's thread: A's main thread judged only those that
  // changed something (the first, standby ended) and the few that arrived before it learned one.
  expect((a.membership as Membership).verdicts.get("accepted")).toBeLessThan(6);

  // The view not current: A stops announcing at once, and B hears A's heartbeat say blind.
  a.setViewCurrent(false);
  expect(a.membership.canAnnounce()).toBe(false);
  expect(await until(b, s => !s.live.includes("node-a"))).toEqual({ ...both, live: ["node-b"] });
  a.setViewCurrent(true);
  expect(await until(b, s => s.live.includes("node-a"))).toEqual(both);

  // A goes (its thread stops): B times it out.
  await a.close();
  expect(await until(b, s => !s.live.includes("node-a"))).toMatchObject({ live: ["node-b"] });
}, 30_000);
