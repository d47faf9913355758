import { describe, expect, it } from "vitest";
import { FakeClock } from "../clock";
import { electedOwner } from "./election";
import { Handover } from "./handover";
import { SimCluster, simService } from "../../test/l2/sim-cluster";

describe("Handover", () => {
  it("releases each IP when its next owner acks, keeps orphans to the end", async () => {
    const clock = new FakeClock();
    const released: string[][] = [];
    const h = new Handover(clock, new Map([["192.0.2.1", "b"], ["192.0.2.2", "c"], ["192.0.2.3", undefined]]), ips => released.push(ips));
    h.update(new Set(["x"]));
    expect(released).toEqual([]);
    h.update(new Set(["c"]));
    expect(released).toEqual([["192.0.2.2"]]);
    h.update(new Set(["c", "b"]));
    expect(released).toEqual([["192.0.2.2"], ["192.0.2.1"], ["192.0.2.3"]]);
    expect(await h.finished).toBe("acked");
    expect(clock.pendingCount()).toBe(0);
  });

  it("gives up waiting at the deadline and releases everything", async () => {
    const clock = new FakeClock();
    const released: string[][] = [];
    const h = new Handover(clock, new Map([["192.0.2.1", "b"]]), ips => released.push(ips), 1000);
    clock.advance(999);
    expect(h.result()).toBeUndefined();
    clock.advance(1);
    expect(released).toEqual([["192.0.2.1"]]);
    expect(await h.finished).toBe("timeout");
  });

  it("finishes at once when nothing needs an heir", async () => {
    const released: string[][] = [];
    const h = new Handover(new FakeClock(), new Map(), ips => released.push(ips));
    expect(await h.finished).toBe("acked");
    expect(released).toEqual([]);
  });
});

describe("graceful handover between speakers (simulated network)", () => {
  const NAMES = ["node-a", "node-b", "node-c"];
  const V4 = "192.0.2.10";
  const V6 = "2001:db8::10";
  const service = simService("default/web", [V4, V6], NAMES);
  const ownerAmong = (names: string[]): string => electedOwner({ ...service.election, firstIP: V4, liveSpeakers: new Set(names) }) ?? "";

  it("hands both IPs of a dual-stack service to the next owner with no gap", async () => {
    const sim = new SimCluster(NAMES, { latencyMs: 2 });
    sim.setServices([service]);
    sim.clock.advance(300);
    const owner = ownerAmong(NAMES);
    const heir = ownerAmong(NAMES.filter(n => n !== owner));
    expect(sim.announcers(V4)).toEqual([owner]);

    const leaving = sim.node(owner);
    const start = sim.clock.now();
    const h = leaving.announcements.beginHandover(sim.clock);
    leaving.beacon.startLeaving();
    const seen: string[][] = [];
    for (let t = 0; t < 20; t++) {
      sim.clock.advance(1);
      seen.push(sim.announcers(V4));
      expect(sim.announcers(V6)).toEqual(sim.announcers(V4));
    }
    // Leaving heartbeat arrives at 2 ms, the heir takes over and acks at once, the ack arrives at 4 ms.
    expect(seen.slice(0, 3)).toEqual([[owner], [owner, heir].sort(), [owner, heir].sort()]);
    expect(seen.slice(3).every(s => s.length === 1 && s[0] === heir)).toBe(true);
    expect(await h.finished).toBe("acked");
    expect(sim.node(heir).rounds.filter(r => r[0] > start)).toEqual([[start + 2, V4], [start + 2, V6]]);
    // Every other node now elects the heir and no longer counts the leaver as live.
    for (const n of NAMES.filter(x => x !== owner)) expect(sim.node(n).membership.liveSpeakers().has(owner)).toBe(false);
  });

  it("keeps answering until the deadline when the heir cannot be reached", async () => {
    const sim = new SimCluster(NAMES, { latencyMs: 1 });
    sim.setServices([service]);
    sim.clock.advance(300);
    const owner = ownerAmong(NAMES);
    const heir = ownerAmong(NAMES.filter(n => n !== owner));
    sim.partition([owner], [heir]);
    const h = sim.node(owner).announcements.beginHandover(sim.clock, 1000);
    sim.node(owner).beacon.startLeaving();
    sim.clock.advance(999);
    expect(sim.announcers(V4)).toContain(owner);
    sim.clock.advance(1);
    expect(await h.finished).toBe("timeout");
    expect(sim.node(owner).ownership.owns(V4)).toBe(false);
  });
});
