/**
 * Periodic gratuitous announcements on the wire, as root: the L2 bed (three node namespaces running
 * the data plane, the client namespace's br0 joining them) with two services, one with a periodic
 * interval of 1 s (lodestone.dev/gratuitous-interval, carried as gratuitousIntervalMs) and one
 * without. A packet capture in the client namespace records every ARP frame and Neighbor
 * Advertisement; the test waits on its output lines, never on time. The frames must follow the
 * announcer's schedule exactly; a node may restart it only as often as its agent saw a lost peer
 * return (test/l2/announce-schedule.ts), which is what happened on a loaded CI machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spawned } from "../../hack/netns/process";
import { gratuitousFrames } from "../../protocols/l2/announcer";
import { matchSchedule, refreshesAfterAnnouncing, type ScheduleMatch } from "../../test/l2/announce-schedule";
import { L2Bed, NODE_NAMES, VIP4, VIP6, waitForLineWhere } from "../../test/l2/l2-bed";

/** The service without a period. */
const QUIET4 = "192.0.2.101";
const PERIOD_MS = 1000;
/** How far a frame may be from its scheduled time (two shared cores, a bridge, a capture process). */
const SLACK_MS = 300;

let l2: L2Bed;
let capture: Spawned;
let owner: string;
let quietOwner: string;

interface Captured {
  readonly ms: number;
  readonly hex: string;
}
const captured = (): Captured[] =>
  capture.stdoutLines.flatMap(line => {
    const [kind, ms, hex] = line.split(" ");
    return kind === "frame" && ms !== undefined && hex !== undefined ? [{ ms: Number(ms), hex }] : [];
  });
/** Capture times of the frames equal, byte for byte, to `frame`. */
const timesOf = (frame: Buffer): number[] => captured().filter(c => c.hex === frame.toString("hex")).map(c => c.ms);
/** The refreshes `node` could have made to `ip` (a peer it had lost came back: heartbeats late on a loaded machine). */
const refreshes = (node: string, ip: string): number => refreshesAfterAnnouncing(l2.agent(node).stdoutLines, ip);
const problemOf = (match: ScheduleMatch | { problem: string }): string => ("problem" in match ? match.problem : "");
const membershipOf = (node: string): string => `${node}'s agent: ${l2.agent(node).stdoutLines.filter(l => l.startsWith("membership ") || l.startsWith("status ")).join(" | ")}`;

beforeAll(async () => {
  l2 = await L2Bed.create([VIP4, VIP6, QUIET4]);
  capture = l2.bed.router.runNode("test/l2/frame-capture.ts", ["br0"]);
  await capture.waitForLine("ready", 20_000);
  l2.setServices([
    { name: "default/periodic", ips: [VIP4, VIP6], gratuitousIntervalMs: PERIOD_MS },
    { name: "default/quiet", ips: [QUIET4] },
  ]);
  await Promise.all(NODE_NAMES.map(n => l2.startAgent(n)));
  owner = l2.electionOrder(VIP4)[0] as string;
  quietOwner = l2.electionOrder(QUIET4)[0] as string;
  await l2.waitForAnnouncement(owner, VIP4);
  await l2.waitForAnnouncement(quietOwner, QUIET4);
  // Event-driven: wait until the periodic service's 12th round has been captured whole (the 5 burst
  // rounds at 0..4.4 s, then periodic rounds at 5, 6, ..., 11 s after its takeover).
  const frames = [...gratuitousFrames(VIP4, l2.host(owner).mac), ...gratuitousFrames(VIP6, l2.host(owner).mac)];
  await waitForLineWhere(capture, () => frames.every(f => timesOf(f).length >= 12), 40_000);
}, 90_000);

afterAll(async () => {
  await l2?.destroy();
});

describe("periodic gratuitous announcements on the wire", () => {
  it("IPv4: the owner's exact ARP request and reply, in the burst and then once per configured interval", () => {
    const [request, reply] = gratuitousFrames(VIP4, l2.host(owner).mac) as [Buffer, Buffer];
    const requests = timesOf(request);
    const replies = timesOf(reply);
    expect(requests.length).toBeGreaterThanOrEqual(12);
    // Burst at 0, 1.1, 2.2, 3.3, 4.4 s; periodic at 5, 6, 7 ... s (1 .. 4 s fall inside the burst and are skipped).
    expect(problemOf(matchSchedule(requests, PERIOD_MS, refreshes(owner, VIP4), SLACK_MS)), membershipOf(owner)).toBe("");
    // Each request's reply follows it (the newest request's reply may still be on its way to the capture).
    expect(replies.length).toBeGreaterThanOrEqual(requests.length - 1);
    for (const [i, at] of replies.entries()) expect(Math.abs(at - (requests[i] as number))).toBeLessThan(SLACK_MS);
    // Only the owner sends them.
    for (const n of NODE_NAMES.filter(n => n !== owner)) expect(timesOf(gratuitousFrames(VIP4, l2.host(n).mac)[0] as Buffer)).toEqual([]);
  });

  it("IPv6: the owner's exact unsolicited Neighbor Advertisement to ff02::1 once per interval after the burst", () => {
    const [na] = gratuitousFrames(VIP6, l2.host(owner).mac) as [Buffer];
    const times = timesOf(na);
    expect(times.length).toBeGreaterThanOrEqual(11);
    expect(problemOf(matchSchedule(times, PERIOD_MS, refreshes(owner, VIP6), SLACK_MS)), membershipOf(owner)).toBe("");
  });

  it("off: the service without an interval gets its takeover burst (5 rounds) and nothing after it", () => {
    const [request, reply] = gratuitousFrames(QUIET4, l2.host(quietOwner).mac) as [Buffer, Buffer];
    const requests = timesOf(request);
    const match = matchSchedule(requests, undefined, refreshes(quietOwner, QUIET4), SLACK_MS);
    expect(problemOf(match), membershipOf(quietOwner)).toBe("");
    // A burst of five from each start (the takeover, then each refresh), and nothing after the last.
    const starts = "starts" in match ? match.starts : [];
    expect(requests).toHaveLength(5 * starts.length);
    expect(timesOf(reply)).toHaveLength(requests.length);
    // The capture ran on for several intervals after that burst ended.
    const last = captured().at(-1)?.ms ?? 0;
    expect(last - (starts.at(-1) as number)).toBeGreaterThan(8000);
  });
});
