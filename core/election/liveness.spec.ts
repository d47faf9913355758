import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FakeClock } from "../clock";
import { electedOwner } from "./election";
import type { Heartbeat } from "../../protocols/l2/heartbeat";
import { DEFAULT_COLD_START_GRACE_MS, Membership } from "./liveness";
import { SIM_WALL_START, SimCluster, simService } from "../../test/l2/sim-cluster";

const hb = (node: string, sequence: number, over: Partial<Heartbeat> = {}): Heartbeat => ({
  node, incarnation: 5n, sequence, sentAtMs: SIM_WALL_START, leaving: false, acks: [], ...over,
});

const membership = (opts: { policy?: "availability" | "majority" } = {}) => {
  const clock = new FakeClock();
  const m = new Membership(clock, { self: "a", wallNow: () => SIM_WALL_START + clock.now(), partitionPolicy: opts.policy ?? "availability" });
  m.setExpectedPeers(["a", "b", "c"]);
  return { clock, m };
};

describe("Membership", () => {
  it("holds announcements back during start-up until every peer is heard", () => {
    const { m } = membership();
    expect(m.canAnnounce()).toBe(false);
    m.receive(hb("b", 1));
    expect(m.canAnnounce()).toBe(false);
    m.receive(hb("c", 1));
    expect(m.canAnnounce()).toBe(true);
    expect([...m.liveSpeakers()].sort()).toEqual(["a", "b", "c"]);
  });

  it("or until one timeout has passed when a peer stays silent while another announces (a running cluster)", () => {
    const { clock, m } = membership();
    let changes = 0;
    m.receive(hb("b", 1));
    m.onChange(() => changes++);
    clock.advance(200);
    m.receive(hb("b", 2));
    clock.advance(49);
    expect(m.canAnnounce()).toBe(false);
    clock.advance(1);
    expect(m.canAnnounce()).toBe(true);
    expect(changes).toBe(1);
  });

  it("waits for silent peers up to the cold-start grace while no peer heard announces (a cluster starting)", () => {
    const { clock, m } = membership();
    // b is heard but on standby (starting too); c is silent.
    m.receive(hb("b", 1, { standby: true }));
    clock.advance(DEFAULT_COLD_START_GRACE_MS - 1);
    m.receive(hb("b", 2, { standby: true }));
    expect(m.canAnnounce()).toBe(false);
    clock.advance(1);
    expect(m.canAnnounce()).toBe(true);
  });

  it("ends the cold-start wait as soon as the last silent peer is heard, or a peer heard starts announcing", () => {
    const late = membership();
    late.clock.advance(3000);
    late.m.receive(hb("b", 1, { standby: true }));
    expect(late.m.canAnnounce()).toBe(false);
    late.m.receive(hb("c", 1, { standby: true }));
    expect(late.m.canAnnounce()).toBe(true);

    const running = membership();
    running.m.receive(hb("b", 1, { standby: true }));
    running.clock.advance(2000);
    expect(running.m.canAnnounce()).toBe(false);
    running.m.receive(hb("b", 2));
    expect(running.m.canAnnounce()).toBe(true);
  });

  it("announces nothing before the peers are known, and runs the grace from when they are", () => {
    const clock = new FakeClock();
    const m = new Membership(clock, { self: "a", wallNow: () => SIM_WALL_START + clock.now() });
    // The API's list of speakers takes 1 s to arrive: no grace has passed meanwhile.
    clock.advance(1000);
    expect(m.canAnnounce()).toBe(false);
    m.setExpectedPeers(["a", "b", "c"]);
    expect(m.canAnnounce()).toBe(false);
    m.receive(hb("b", 1));
    clock.advance(249);
    expect(m.canAnnounce()).toBe(false);
    clock.advance(1);
    expect(m.canAnnounce()).toBe(true);
    // A list that changes later does not restart the grace.
    m.setExpectedPeers(["a", "b", "c", "d"]);
    expect(m.canAnnounce()).toBe(true);
  });

  it("announces at once when the API says it is the only speaker", () => {
    const clock = new FakeClock();
    const m = new Membership(clock, { self: "a", wallNow: () => SIM_WALL_START + clock.now() });
    m.setExpectedPeers(["a"]);
    expect(m.canAnnounce()).toBe(true);
    expect([...m.liveSpeakers()]).toEqual(["a"]);
  });

  it("keeps a peer on standby a candidate, and says it is on standby until a heartbeat says otherwise", () => {
    const { m } = membership();
    let changes = 0;
    m.onChange(() => changes++);
    m.receive(hb("b", 1, { standby: true }));
    expect([...m.liveSpeakers()].sort()).toEqual(["a", "b"]);
    expect([...m.standbyPeers()]).toEqual(["b"]);
    m.receive(hb("b", 2));
    expect([...m.standbyPeers()]).toEqual([]);
    expect(changes).toBe(2);
  });

  it("a blind peer is no candidate and not on standby, until a heartbeat without the flag", () => {
    const { m } = membership();
    m.receive(hb("b", 1));
    m.receive(hb("c", 1, { standby: true, blind: true }));
    expect([...m.liveSpeakers()].sort()).toEqual(["a", "b"]);
    expect([...m.standbyPeers()]).toEqual([]);
    expect([...m.blindPeers()]).toEqual(["c"]);
    m.receive(hb("c", 2, { standby: true }));
    expect([...m.liveSpeakers()].sort()).toEqual(["a", "b", "c"]);
    expect([...m.standbyPeers()]).toEqual(["c"]);
    expect([...m.blindPeers()]).toEqual([]);
  });

  it("announces nothing while its own view is not current, and counts a blind peer towards a majority", () => {
    const { m } = membership({ policy: "majority" });
    m.receive(hb("b", 1, { standby: true, blind: true }));
    m.receive(hb("c", 1));
    expect(m.canAnnounce()).toBe(true);
    let changes = 0;
    m.onChange(() => changes++);
    m.setViewCurrent(false);
    expect(m.isBlind()).toBe(true);
    expect(m.canAnnounce()).toBe(false);
    m.setViewCurrent(true);
    expect(m.canAnnounce()).toBe(true);
    expect(changes).toBe(2);
  });

  it("declares a peer dead exactly one timeout after its last heartbeat", () => {
    const { clock, m } = membership();
    m.receive(hb("b", 1));
    clock.advance(100);
    m.receive(hb("b", 2));
    clock.advance(249);
    expect(m.liveSpeakers().has("b")).toBe(true);
    clock.advance(1);
    expect(m.liveSpeakers().has("b")).toBe(false);
  });

  it("takes the usual heartbeat without a new timer or a change: after a second of them, still dead one timeout after the last", () => {
    const clock = new FakeClock();
    let timers = 0;
    const counting = { now: () => clock.now(), wallNow: () => clock.wallNow(), setTimeout: (fn: () => void, ms: number) => (timers++, clock.setTimeout(fn, ms)) };
    const m = new Membership(counting, { self: "a", wallNow: () => SIM_WALL_START + clock.now() });
    m.setExpectedPeers(["a", "b", "c"]);
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    let changes = 0;
    m.onChange(() => changes++);
    const timersBefore = timers;
    for (let seq = 2; seq <= 14; seq++) {
      clock.advance(75);
      m.receive(hb("b", seq));
      m.receive(hb("c", seq));
    }
    // 26 heartbeats in 975 ms: each peer's expiry timer re-armed when it fires (every 225 ms), not per heartbeat.
    expect(timers - timersBefore).toBeLessThanOrEqual(10);
    expect(changes).toBe(0);
    // b says something new (standby): that is a change, at once.
    m.receive(hb("b", 15, { standby: true }));
    expect(changes).toBe(1);
    expect([...m.standbyPeers()]).toEqual(["b"]);
    // Both last heard at the same moment (c's 14th, b's 15th): both dead one timeout later, not a ms before.
    clock.advance(249);
    expect(m.liveSpeakers()).toEqual(new Set(["a", "b", "c"]));
    clock.advance(1);
    expect(m.liveSpeakers()).toEqual(new Set(["a"]));
    expect(changes).toBe(3);
  });

  it("a stall in the middle of steady heartbeats: the late expiry re-checks, the queued heartbeat keeps the peer", () => {
    const { clock, m } = membership();
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    for (let seq = 2; seq <= 5; seq++) {
      clock.advance(75);
      m.receive(hb("b", seq));
      m.receive(hb("c", seq));
    }
    // Held 600 ms: every timer is overdue; the heartbeats queued meanwhile are read after the timers.
    clock.stall(600);
    clock.advance(0);
    m.receive(hb("b", 6));
    m.receive(hb("c", 6));
    clock.advance(100);
    expect(m.liveSpeakers()).toEqual(new Set(["a", "b", "c"]));
    expect(m.stalls).toBe(2);
    // Silent since: dead one timeout after those queued heartbeats (read at 900), not after the re-check.
    clock.advance(149);
    expect(m.liveSpeakers()).toEqual(new Set(["a", "b", "c"]));
    clock.advance(1);
    expect(m.liveSpeakers()).toEqual(new Set(["a"]));
  });

  it("reads repeats taken elsewhere: alive one timeout after the last of them, replays judged by them, forgotten peers told", () => {
    const { clock, m } = membership();
    // What a heartbeat thread took of b's repeats since b's last accepted heartbeat (RepeatFilter).
    const taken = new Map<string, { sequence: number; at: number }>();
    const forgotten: string[] = [];
    m.useRepeatFilter({
      heard: node => {
        const r = taken.get(node);
        return r ? { sequence: r.sequence, msAgo: clock.now() - r.at } : undefined;
      },
      forget: node => void forgotten.push(node),
    });
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    // b's repeats (sequences 2 to 9) reach the filter only, the last at 600 ms; c falls silent.
    for (let t = 75, seq = 2; t <= 600; t += 75, seq++) {
      clock.advance(75);
      taken.set("b", { sequence: seq, at: clock.now() });
    }
    expect([...m.liveSpeakers()].sort()).toEqual(["a", "b"]);
    expect(forgotten).toEqual(["c"]);
    // A heartbeat from b older than the last repeat is a replay; a newer one is taken.
    expect(m.receive(hb("b", 9))).toBe("replay");
    expect(m.receive(hb("b", 10))).toBe("accepted");
    taken.delete("b");
    // Dead exactly one timeout after the last heartbeat (sequence 10, at 600 ms).
    clock.advance(249);
    expect(m.liveSpeakers().has("b")).toBe(true);
    clock.advance(1);
    expect(m.liveSpeakers().has("b")).toBe(false);
    expect(forgotten).toEqual(["c", "b"]);
  });

  it("judges heartbeats: replays, stale clocks, strangers and itself are refused and counted", () => {
    const { clock, m } = membership();
    expect(m.receive(hb("b", 3))).toBe("accepted");
    expect(m.receive(hb("b", 3))).toBe("replay");
    expect(m.receive(hb("b", 2))).toBe("replay");
    expect(m.receive(hb("b", 9, { incarnation: 4n }))).toBe("replay");
    expect(m.receive(hb("b", 1, { incarnation: 6n }))).toBe("accepted");
    expect(m.receive(hb("b", 2, { sentAtMs: SIM_WALL_START - 30_001 }))).toBe("stale");
    expect(m.receive(hb("b", 2, { sentAtMs: SIM_WALL_START + 30_001 }))).toBe("stale");
    expect(m.receive(hb("z", 1))).toBe("unknown-peer");
    expect(m.receive(hb("a", 1))).toBe("self");
    // Once dead, the peer is forgotten: a restart with a lower incarnation (clock stepped back) is taken.
    clock.advance(300);
    expect(m.receive(hb("b", 1, { incarnation: 2n, sentAtMs: SIM_WALL_START + 300 }))).toBe("accepted");
    expect(Object.fromEntries(m.verdicts)).toEqual({ accepted: 3, replay: 3, stale: 2, "unknown-peer": 1, self: 1 });
  });

  it("does not declare peers dead because its own event loop stalled", () => {
    const { clock, m } = membership();
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    clock.advance(100);
    clock.stall(1000); // our loop is blocked for 1 s while b's heartbeats queue in the socket
    clock.advance(0); // the expiry timers fire 850 ms late: postponed, not judged
    expect(m.liveSpeakers()).toEqual(new Set(["a", "b", "c"]));
    expect(m.stalls).toBe(2);
    m.receive(hb("b", 2, { sentAtMs: SIM_WALL_START + 1100 })); // the queued datagram is read
    clock.advance(100); // the re-check: c really is silent
    expect(m.liveSpeakers()).toEqual(new Set(["a", "b"]));
  });

  it("postpones an expiry once only: under sustained starvation (every timer late) a silent peer is still declared dead", () => {
    const { clock, m } = membership();
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    clock.advance(100);
    m.receive(hb("b", 2, { sentAtMs: SIM_WALL_START + 100 }));
    clock.stall(1000);
    clock.advance(0); // both expiries fire late: postponed
    expect(m.stalls).toBe(2);
    clock.stall(1000);
    clock.advance(0); // the re-checks fire late too: judged anyway, nothing was heard in between
    expect(m.stalls).toBe(2);
    expect(m.liveSpeakers()).toEqual(new Set(["a"]));
  });

  it("forgets peers the API no longer lists", () => {
    const { m } = membership();
    m.receive(hb("b", 1));
    m.setExpectedPeers(["c"]);
    expect(m.liveSpeakers().has("b")).toBe(false);
    expect(m.receive(hb("b", 2))).toBe("unknown-peer");
  });

  it("under the majority policy announces only while it sees a strict majority", () => {
    const { clock, m } = membership({ policy: "majority" });
    m.receive(hb("b", 1));
    m.receive(hb("c", 1));
    expect(m.canAnnounce()).toBe(true);
    clock.advance(100);
    m.receive(hb("b", 2));
    clock.advance(200); // c is dead, b alive: 2 of 3
    expect(m.canAnnounce()).toBe(true);
    clock.advance(100); // b dead too: 1 of 3
    expect(m.canAnnounce()).toBe(false);
  });

  it("does not count a speaker that left gracefully against the majority", () => {
    const { clock, m } = membership({ policy: "majority" });
    m.receive(hb("b", 1, { leaving: true }));
    m.receive(hb("c", 1, { leaving: true }));
    expect(m.liveSpeakers()).toEqual(new Set(["a"]));
    expect(m.leavingPeers()).toEqual(new Set(["b", "c"]));
    clock.advance(300);
    expect(m.canAnnounce()).toBe(true);
    // A departed speaker that comes back is a voter again.
    m.receive(hb("b", 1, { incarnation: 9n, sentAtMs: SIM_WALL_START + 300 }));
    expect(m.canAnnounce()).toBe(true);
  });
});

describe("speakers exchanging heartbeats (simulated network)", () => {
  const NAMES = ["node-a", "node-b", "node-c", "node-d", "node-e"];
  const IP = "192.0.2.10";
  const service = simService("default/web", [IP], NAMES);
  const ownerAmong = (names: string[]): string | undefined =>
    electedOwner({ ...service.election, firstIP: IP, liveSpeakers: new Set(names) });

  it("converges on one owner that sends a burst, and every node agrees", () => {
    const sim = new SimCluster(NAMES);
    sim.setServices([service]);
    sim.clock.advance(100);
    const owner = ownerAmong(NAMES);
    expect(sim.announcers(IP)).toEqual([owner]);
    expect(sim.node(owner ?? "").rounds[0]?.[1]).toBe(IP);
    for (const n of sim.nodes.values()) expect(n.announcements.electedOwners().get("default/web")).toBe(owner);
  });

  it("detects a dead owner within 300 ms whenever it dies, and the next owner takes over", () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 2000 }), deathAt => {
        const sim = new SimCluster(NAMES);
        sim.setServices([service]);
        sim.clock.advance(deathAt);
        const owner = ownerAmong(NAMES) ?? "";
        const heir = ownerAmong(NAMES.filter(n => n !== owner)) ?? "";
        sim.kill(owner);
        let detectedAfter = -1;
        for (let t = 1; t <= 400 && detectedAfter < 0; t++) {
          sim.clock.advance(1);
          if (sim.announcers(IP).includes(heir)) detectedAfter = t;
        }
        expect(detectedAfter).toBeGreaterThan(0);
        expect(detectedAfter).toBeLessThanOrEqual(300);
        expect(sim.announcers(IP)).toEqual([heir]);
        expect(sim.node(heir).rounds.at(-1)).toEqual([sim.clock.now(), IP]);
      }),
      { numRuns: 25 },
    );
  });

  it("a returning owner takes its IP back with no moment in which nobody answers (the heir keeps it while the owner is on standby)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 74 }), fc.integer({ min: 1, max: 20 }), (phase, latencyMs) => {
        const sim = new SimCluster(NAMES, { latencyMs });
        sim.setServices([service]);
        sim.clock.advance(1000);
        const owner = ownerAmong(NAMES) ?? "";
        const heir = ownerAmong(NAMES.filter(n => n !== owner)) ?? "";
        sim.kill(owner);
        sim.clock.advance(1000 + phase); // the restart falls anywhere in the others' heartbeat cycle
        expect(sim.announcers(IP)).toEqual([heir]);
        sim.addNode(owner, NAMES, 2n);
        sim.setServices([service]);
        const seen: string[][] = [];
        for (let t = 0; t < 600; t++) {
          sim.clock.advance(1);
          seen.push(sim.announcers(IP));
        }
        // Never nobody; back on the owner; both only for the time the owner's "no longer on standby" takes to arrive.
        expect(seen.filter(a => a.length === 0)).toEqual([]);
        expect(seen.at(-1)).toEqual([owner]);
        expect(seen.filter(a => a.length === 2).length).toBeLessThanOrEqual(latencyMs + 1);
      }),
      { numRuns: 30 },
    );
  });

  it("speakers starting seconds apart announce each IP from its final owner only: no IP moves at a cold start", () => {
    const ips = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14", "192.0.2.15"];
    const services = ips.map(ip => simService(`default/web-${ip}`, [ip], NAMES));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: NAMES.length, maxLength: NAMES.length }), fc.integer({ min: 1, max: 20 }), (starts, latencyMs) => {
        const sim = new SimCluster([], { latencyMs });
        const order = NAMES.map((name, i) => ({ name, at: starts[i] ?? 0 })).sort((a, b) => a.at - b.at);
        const announcers = new Map(ips.map(ip => [ip, new Set<string>()]));
        for (let t = 0; t <= 3500; t++) {
          for (const { name, at } of order) {
            if (at !== t) continue;
            sim.addNode(name, NAMES, 1n).announcements.setServices(services);
          }
          sim.clock.advance(1);
          for (const ip of ips) {
            const now = sim.announcers(ip);
            expect(now.length, `${ip} at ${t} ms`).toBeLessThanOrEqual(1);
            for (const n of now) announcers.get(ip)?.add(n);
          }
        }
        for (const ip of ips) {
          const owner = electedOwner({ ...simService("x", [ip], NAMES).election, firstIP: ip, liveSpeakers: new Set(NAMES) });
          expect([...(announcers.get(ip) ?? [])], ip).toEqual([owner]);
        }
      }),
      { numRuns: 10 },
    );
  });

  it("ignores and counts heartbeats signed with a wrong key", () => {
    const sim = new SimCluster(["node-a", "node-b"], { keys: { "node-b": Buffer.from("a-different-key-of-enough-length!") } });
    sim.clock.advance(1000);
    expect(sim.node("node-a").membership.liveSpeakers()).toEqual(new Set(["node-a"]));
    // 1000 ms / 75 ms: 14 heartbeats sent by node-b, all refused (hearing nobody, it is still in its
    // cold-start grace: no extra heartbeat for a cleared standby flag yet).
    expect(Object.fromEntries(sim.node("node-a").membership.rejects)).toEqual({ "bad-mac": 14 });
    expect(sim.node("node-a").membership.verdicts.size).toBe(0);
  });

  it("availability policy: each side of a partition announces (no side goes dark)", () => {
    const sim = new SimCluster(NAMES);
    sim.setServices([service]);
    // Past the first burst (0 to 4.4 s), so every later round is one this test caused.
    sim.clock.advance(6000);
    const owner = ownerAmong(NAMES) ?? "";
    const rest = NAMES.filter(n => n !== owner);
    const minority = [owner, rest[0] ?? ""];
    const majority = rest.slice(1);
    sim.partition(minority, majority);
    sim.clock.advance(400);
    expect(sim.announcers(IP)).toEqual([owner, ownerAmong(majority) ?? ""].sort());
    sim.heal();
    const healedAt = sim.clock.now();
    sim.clock.advance(200);
    expect(sim.announcers(IP)).toEqual([owner]);
    // The other side's owner repointed clients to itself; the owner starts a fresh burst when it
    // hears that side again, so clients come back at once rather than when their entries expire.
    const fresh = sim.node(owner).rounds.filter(([t]) => t > healedAt);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.[0]).toBeLessThanOrEqual(healedAt + 80);
    sim.clock.advance(1100);
    expect(sim.node(owner).rounds.filter(([t]) => t > healedAt)).toHaveLength(2);
  });

  it("a node that is not the owner sends nothing when a peer returns; the owner bursts once per return, not per heartbeat", () => {
    const sim = new SimCluster(NAMES);
    sim.setServices([service]);
    sim.clock.advance(500);
    const owner = ownerAmong(NAMES) ?? "";
    const bystander = NAMES.find(n => n !== owner) ?? "";
    const quiet = NAMES.find(n => n !== owner && n !== bystander) ?? "";
    sim.clock.advance(6000);
    const before = sim.node(owner).rounds.length;
    sim.partition([quiet], NAMES.filter(n => n !== quiet));
    sim.clock.advance(400);
    sim.heal();
    sim.clock.advance(1000);
    // One new round at the return (the next would come 1.1 s later), none from the bystander.
    expect(sim.node(owner).rounds.length - before).toBe(1);
    expect(sim.node(bystander).rounds).toEqual([]);
  });

  it("majority policy: the minority side stops announcing, the majority side takes over", () => {
    const sim = new SimCluster(NAMES, { policy: "majority" });
    sim.setServices([service]);
    sim.clock.advance(500);
    const owner = ownerAmong(NAMES) ?? "";
    const rest = NAMES.filter(n => n !== owner);
    sim.partition([owner, rest[0] ?? ""], rest.slice(1));
    sim.clock.advance(400);
    expect(sim.announcers(IP)).toEqual([ownerAmong(rest.slice(1))]);
    // A symmetric cut of an even cluster leaves nobody announcing: the price of this policy.
    const even = new SimCluster(NAMES.slice(0, 4), { policy: "majority" });
    even.setServices([simService("default/web", [IP], NAMES.slice(0, 4))]);
    even.clock.advance(500);
    even.partition(NAMES.slice(0, 2), NAMES.slice(2, 4));
    even.clock.advance(400);
    expect(even.announcers(IP)).toEqual([]);
  });
});
