import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { nextHopRemovedAt, parseRouteMonitor, type RouteEvent } from "./routes";

// Captured from a lab run (`ip -ts monitor route` in the router namespace, FRR 8.4 with nexthop groups).
const CAPTURED = [
  "[2026-11-22T03:07:24.616723] 198.51.100.161 nhid 12 via 192.0.2.13 dev br0 proto bgp metric 20 ",
  "[2026-11-22T03:07:26.519382] 198.51.100.161 nhid 17 proto bgp metric 20 ",
  "\tnexthop via 192.0.2.13 dev br0 weight 1 ",
  "\tnexthop via 192.0.2.11 dev br0 weight 1 ",
  "\tnexthop via 192.0.2.12 dev br0 weight 1 ",
  "[2026-11-22T03:07:28.238191] 198.51.100.160 nhid 23 proto bgp metric 20 ",
  "\tnexthop via 192.0.2.13 dev br0 weight 1 ",
  "\tnexthop via 192.0.2.12 dev br0 weight 1 ",
  "[2026-11-22T03:07:31.296799] 198.51.100.161 nhid 38 proto bgp metric 20 ",
  "\tnexthop via 192.0.2.13 dev br0 weight 1 ",
  "\tnexthop via 192.0.2.11 dev br0 weight 1 ",
  "[2026-11-22T03:07:40.000001] Deleted 198.51.100.161 nhid 38 proto bgp metric 20 ",
  "\tnexthop via 192.0.2.13 dev br0 weight 1 ",
  "\tnexthop via 192.0.2.11 dev br0 weight 1 ",
];

const at = (iso: string, micro: number): number => Date.parse(`${iso}Z`) + micro / 1000;

describe("parseRouteMonitor", () => {
  it("reads one event per message, with its next hops and the microsecond timestamp as UTC", () => {
    expect(parseRouteMonitor(CAPTURED)).toEqual([
      { atMs: at("2026-11-22T03:07:24", 616723), deleted: false, destination: "198.51.100.161", nextHops: ["192.0.2.13"] },
      { atMs: at("2026-11-22T03:07:26", 519382), deleted: false, destination: "198.51.100.161", nextHops: ["192.0.2.13", "192.0.2.11", "192.0.2.12"] },
      { atMs: at("2026-11-22T03:07:28", 238191), deleted: false, destination: "198.51.100.160", nextHops: ["192.0.2.13", "192.0.2.12"] },
      { atMs: at("2026-11-22T03:07:31", 296799), deleted: false, destination: "198.51.100.161", nextHops: ["192.0.2.13", "192.0.2.11"] },
      { atMs: at("2026-11-22T03:07:40", 1), deleted: true, destination: "198.51.100.161", nextHops: ["192.0.2.13", "192.0.2.11"] },
    ]);
  });

  it("reads a prefix route without a gateway and skips lines that belong to no message", () => {
    expect(
      parseRouteMonitor(["\tnexthop via 192.0.2.99 dev br0 weight 1", "Timestamp: whatever", "[2026-11-22T03:07:24.000000] 198.51.100.0/24 dev br0 proto kernel scope link src 198.51.100.1 "]),
    ).toEqual([{ atMs: at("2026-11-22T03:07:24", 0), deleted: false, destination: "198.51.100.0/24", nextHops: [] }]);
  });

  it("drops a message whose timestamp is not a real time", () => {
    expect(parseRouteMonitor(["[2026-02-31T03:07:24.000000] 198.51.100.161 via 192.0.2.11 dev br0 ", "[2026-11-22T24:00:00.000000] 198.51.100.161 via 192.0.2.11 dev br0 "])).toEqual([]);
  });

  it("never throws, and every event it returns has a finite time and a destination (property)", () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom(...CAPTURED),
      fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.string()).map(
        ([y, mo, d, rest]) => `[${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}T01:02:03.000004] ${rest}`,
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        for (const e of parseRouteMonitor(lines)) {
          expect(Number.isFinite(e.atMs)).toBe(true);
          expect(e.destination).not.toBe("");
        }
      }),
    );
  });
});

describe("nextHopRemovedAt", () => {
  const events = parseRouteMonitor(CAPTURED);
  const ecmpAt = at("2026-11-22T03:07:26", 519382);

  it("finds the first replacement of the VIP's route that leaves the gateway out, after the kill", () => {
    expect(nextHopRemovedAt(events, "198.51.100.161", "192.0.2.12", ecmpAt)?.atMs).toBe(at("2026-11-22T03:07:31", 296799));
  });

  it("ignores other destinations, events before the kill and replacements that keep the gateway", () => {
    // 198.51.100.160 lost .11 at 03:07:28, but that is another route; .161 kept .11 until it was deleted.
    expect(nextHopRemovedAt(events, "198.51.100.161", "192.0.2.11", ecmpAt)?.atMs).toBe(at("2026-11-22T03:07:40", 1));
    expect(nextHopRemovedAt(events, "198.51.100.161", "192.0.2.12", at("2026-11-22T03:07:32", 0))).toBeUndefined();
    expect(nextHopRemovedAt(events, "198.51.100.162", "192.0.2.12", 0)).toBeUndefined();
  });

  it("treats 198.51.100.161/32 as the host route 198.51.100.161", () => {
    const e: RouteEvent = { atMs: 5, deleted: false, destination: "198.51.100.161/32", nextHops: ["192.0.2.11"] };
    expect(nextHopRemovedAt([e], "198.51.100.161", "192.0.2.12", 0)).toBe(e);
  });

  it("a deletion that names other gateways only is not this gateway's removal", () => {
    const e: RouteEvent = { atMs: 5, deleted: true, destination: "198.51.100.161", nextHops: ["192.0.2.11"] };
    expect(nextHopRemovedAt([e], "198.51.100.161", "192.0.2.12", 0)).toBeUndefined();
  });
});
