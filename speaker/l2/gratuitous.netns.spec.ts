/**
 * Periodic gratuitous announcements on the wire, as root: the L2 bed (three node namespaces running
 * the data plane, the client namespace's br0 joining them) with two services, one with a periodic
 * interval of 1 s (lodestone.dev/gratuitous-interval, carried as gratuitousIntervalMs) and one
 * without. A packet capture in the client namespace records every ARP frame and Neighbor
 * Advertisement; the test waits on its output lines, never on time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spawned } from "../../hack/netns/process";
import { gratuitousFrames } from "../../protocols/l2/announcer";
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
    const requests = timesOf(request).slice(0, 12);
    const replies = timesOf(reply).slice(0, 12);
    expect(requests).toHaveLength(12);
    expect(replies).toHaveLength(12);
    const t0 = requests[0] as number;
    // Burst at 0, 1.1, 2.2, 3.3, 4.4 s; periodic at 5 .. 11 s (1 .. 4 s fall inside the burst and are skipped).
    const expected = [0, 1100, 2200, 3300, 4400, 5000, 6000, 7000, 8000, 9000, 10_000, 11_000];
    for (const [i, at] of expected.entries()) {
      expect(Math.abs((requests[i] as number) - t0 - at), `request ${i} at ${(requests[i] as number) - t0} ms, scheduled ${at} ms`).toBeLessThan(SLACK_MS);
      expect(Math.abs((replies[i] as number) - (requests[i] as number))).toBeLessThan(SLACK_MS);
    }
    // Only the owner sends them.
    for (const n of NODE_NAMES.filter(n => n !== owner)) expect(timesOf(gratuitousFrames(VIP4, l2.host(n).mac)[0] as Buffer)).toEqual([]);
  });

  it("IPv6: the owner's exact unsolicited Neighbor Advertisement to ff02::1 once per interval after the burst", () => {
    const [na] = gratuitousFrames(VIP6, l2.host(owner).mac) as [Buffer];
    const times = timesOf(na);
    expect(times.length).toBeGreaterThanOrEqual(11);
    const t0 = times[0] as number;
    const periodic = times.slice(5, 11).map(t => t - t0);
    for (const [i, at] of [5000, 6000, 7000, 8000, 9000, 10_000].entries()) {
      expect(Math.abs((periodic[i] as number) - at), `NA ${i + 5} at ${periodic[i]} ms, scheduled ${at} ms`).toBeLessThan(SLACK_MS);
    }
  });

  it("off: the service without an interval gets its takeover burst (5 rounds) and nothing after it", () => {
    const [request, reply] = gratuitousFrames(QUIET4, l2.host(quietOwner).mac) as [Buffer, Buffer];
    const requests = timesOf(request);
    const t0 = requests[0] as number;
    expect(requests).toHaveLength(5);
    expect(timesOf(reply)).toHaveLength(5);
    expect((requests[4] as number) - t0).toBeLessThan(4400 + SLACK_MS);
    // The capture ran on for several intervals after that burst ended.
    const last = captured().at(-1)?.ms ?? 0;
    expect(last - t0).toBeGreaterThan(8000);
  });
});
