/**
 * The heartbeats in the timing process (heartbeat-isolated.ts), over its IPC seam: two runners on
 * loopback addresses hear each other, the speaker side's MembershipMirror follows, the observer gets
 * the datagram counts, a main thread held for 600 ms (longer than the 250 ms timeout) loses nobody, and
 * a runner that goes is timed out by the other; a runner killed is started again and heard again.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import type { HeartbeatObserver, MembershipSnapshot } from "../../core/election/liveness";
import { membershipSnapshot } from "../../core/election/liveness";
import type { HeartbeatLink } from "./heartbeat-control";
import { isolatedHeartbeat } from "./heartbeat-isolated";

const KEY = randomBytes(32).toString("hex");
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
  const link = await isolatedHeartbeat({ priority: null })({ nodeName: node, keys: [KEY], bindAddress: address, port: PORT, coldStartGraceMs: 300 }, observer);
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

it("runs the heartbeats in a process of their own: peers heard, counted, kept through a held main thread, timed out when gone", async () => {
  const observer = counting();
  const [a, b] = await Promise.all([start("node-a", "127.0.0.1", observer), start("node-b", "127.0.0.2")]);
  expect(a.port()).toBe(PORT);
  const both = { live: ["node-a", "node-b"], standby: [], leaving: [], ackedMe: [], canAnnounce: true };
  // Each announces once it has heard the other, and then says so in its heartbeats (standby no more).
  expect(await until(a, s => s.canAnnounce && s.standby.length === 0)).toEqual(both);
  expect(await until(b, s => s.canAnnounce && s.standby.length === 0)).toEqual(both);

  // The speaker's main thread (this test's) is held for 600 ms: the runners go on without it.
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
  // Anything the runners said meanwhile is read now; then a few more heartbeats' worth of time.
  await new Promise(resolve => setTimeout(resolve, 300));
  offA();
  offB();
  expect(lost).toEqual([]);
  expect(membershipSnapshot(a.membership)).toEqual(both);

  // The counts arrive once a second: sent to one peer every 75 ms, and B's accepted.
  await new Promise<void>(resolve => {
    const t = setInterval(() => {
      if (observer.counts.sent >= 10 && observer.counts.accepted >= 10) {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });
  expect(a.rejects()).toEqual({});

  // The view not current: A's mirror stops announcing at once, and B hears A's heartbeat say blind.
  a.setViewCurrent(false);
  expect(a.membership.canAnnounce()).toBe(false);
  expect(await until(b, s => !s.live.includes("node-a"))).toEqual({ ...both, live: ["node-b"] });
  a.setViewCurrent(true);
  expect(await until(b, s => s.live.includes("node-a"))).toEqual(both);

  // A's runner goes: B times it out.
  await a.close();
  expect(await until(b, s => !s.live.includes("node-a"))).toMatchObject({ live: ["node-b"] });
}, 30_000);

/** The PID of the heartbeat process this test process forked for `node` (read from /proc). */
function runnerPid(node: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (ppid === process.pid && cmdline.includes("heartbeat-isolated-main") && cmdline.includes(`"nodeName":"${node}"`)) return Number(entry);
    } catch {
      // a process that ended meanwhile
    }
  }
  throw new Error(`no heartbeat process for ${node}`);
}

it("starts a killed heartbeat process again: announcing nothing meanwhile, heard again after", async () => {
  const [a, b] = await Promise.all([start("node-a", "127.0.0.1"), start("node-b", "127.0.0.2")]);
  const both = { live: ["node-a", "node-b"], standby: [], leaving: [], ackedMe: [], canAnnounce: true };
  await until(a, s => s.canAnnounce && s.standby.length === 0);
  await until(b, s => s.canAnnounce && s.standby.length === 0);
  const alone = until(a, s => !s.canAnnounce);
  const gone = until(b, s => !s.live.includes("node-a"));
  process.kill(runnerPid("node-a"), "SIGKILL");
  // The speaker side knows nothing now: alone, announcing nothing; B times A out.
  expect(await alone).toEqual({ live: ["node-a"], standby: [], leaving: [], ackedMe: [], canAnnounce: false });
  expect(await gone).toMatchObject({ live: ["node-b"] });
  // A new runner (a new incarnation, its sequence from 1 again) is heard, and hears B.
  expect(await until(b, s => s.live.includes("node-a") && s.standby.length === 0)).toEqual(both);
  expect(await until(a, s => s.canAnnounce)).toEqual(both);
}, 30_000);
