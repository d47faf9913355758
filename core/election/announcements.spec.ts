import { describe, expect, it } from "vitest";
import { Announcer } from "../../protocols/l2/announcer";
import { L2Announcements, type AnnouncedService } from "./announcements";
import { FakeClock } from "../clock";
import { electedOwner } from "./election";
import type { Heartbeat } from "../../protocols/l2/heartbeat";
import { Membership } from "./liveness";
import { OwnershipTable } from "./ownership";

const WALL = 1_800_000_000_000;
const NODES = ["node-a", "node-b", "node-c", "node-d"];

const service = (name: string, ips: string[], over: Partial<AnnouncedService["election"]> = {}, interfaces: string[] = []): AnnouncedService => ({
  name, ips, interfaces,
  election: {
    nodes: NODES.map(n => ({ name: n, labels: {}, networkUnavailable: false })),
    advertisements: [{ nodeSelectors: [] }],
    externalTrafficPolicy: "Cluster",
    endpointNodes: new Set(),
    anyReadyEndpoint: true,
    ...over,
  },
});

/** An IP that node-a owns when everyone is alive, and one it does not. */
function pickIPs(): { mine: string; theirs: string } {
  let mine = "";
  let theirs = "";
  for (let i = 1; i < 250 && (!mine || !theirs); i++) {
    const ip = `192.0.2.${i}`;
    const owner = electedOwner({ ...service("x", [ip]).election, firstIP: ip, liveSpeakers: new Set(NODES) });
    if (owner === "node-a" && !mine) mine = ip;
    if (owner !== "node-a" && !theirs) theirs = ip;
  }
  return { mine, theirs };
}

const setup = () => {
  const clock = new FakeClock();
  const membership = new Membership(clock, { self: "node-a", wallNow: () => WALL + clock.now() });
  membership.setExpectedPeers(NODES);
  const ownership = new OwnershipTable();
  const rounds: string[] = [];
  const announcer = new Announcer(clock, ip => rounds.push(ip));
  let ackChanges = 0;
  const ann = new L2Announcements(membership, ownership, announcer, () => ackChanges++);
  let seq = 0;
  const beat = (node: string, over: Partial<Heartbeat> = {}): void =>
    void membership.receive({ node, incarnation: 1n, sequence: ++seq, sentAtMs: WALL + clock.now(), leaving: false, acks: [], ...over });
  const everyone = (): void => ["node-b", "node-c", "node-d"].forEach(n => beat(n));
  return { clock, membership, ownership, rounds, announcer, ann, beat, everyone, acks: () => ackChanges };
};

describe("L2Announcements", () => {
  const { mine, theirs } = pickIPs();

  it("owns nothing during start-up, then exactly the IPs it wins", () => {
    const s = setup();
    s.ann.setServices([service("default/a", [mine]), service("default/b", [theirs])]);
    expect(s.ann.ownedIPs()).toEqual([]);
    s.everyone();
    expect(s.ann.ownedIPs()).toEqual([mine]);
    expect(s.ownership.owns(mine)).toBe(true);
    expect(s.rounds).toEqual([mine]);
    expect(s.ann.electedOwners().get("default/a")).toBe("node-a");
    expect(s.ann.electedOwners().get("default/b")).not.toBe("node-a");
  });

  it("elects a service it was given again only when the live speakers changed", () => {
    const s = setup();
    let elections = 0;
    const nodes = service("x", [mine]).election.nodes;
    // elect() walks the candidate nodes once per election.
    const counted = new Proxy(nodes, { get: (target, key, receiver) => (key === Symbol.iterator && elections++, Reflect.get(target, key, receiver)) });
    const svc = service("default/a", [mine], { nodes: counted });
    s.everyone();
    s.ann.setServices([svc]);
    expect(elections).toBe(1);
    expect(s.ann.ownedIPs()).toEqual([mine]);
    s.ann.setServices([svc]);
    s.ann.setServices([svc]);
    expect(elections).toBe(1);
    // The same inputs in a new object (a service that changed) are elected again.
    s.ann.setServices([{ ...svc }]);
    expect(elections).toBe(2);
    // node-b falls silent: every service is elected again, with the speakers left.
    s.clock.advance(200);
    for (const n of ["node-c", "node-d"]) s.beat(n);
    s.clock.advance(50);
    expect(elections).toBe(3);
    expect(s.ann.ownedIPs()).toEqual([mine]);
  });

  it("takes over when the owner dies and lets go when it comes back", () => {
    const s = setup();
    s.ann.setServices([service("default/b", [theirs])]);
    s.everyone();
    const owner = s.ann.electedOwners().get("default/b") ?? "";
    const heir = electedOwner({ ...service("x", [theirs]).election, firstIP: theirs, liveSpeakers: new Set(NODES.filter(n => n !== owner)) });
    s.clock.advance(200);
    for (const n of ["node-b", "node-c", "node-d"].filter(n => n !== owner)) s.beat(n);
    s.clock.advance(50); // the owner's heartbeat is now 250 ms old
    expect(s.ann.electedOwners().get("default/b")).toBe(heir);
    expect(s.ann.ownedIPs()).toEqual(heir === "node-a" ? [theirs] : []);
    s.beat(owner);
    expect(s.ann.ownedIPs()).toEqual([]);
    expect(s.announcer.isBursting(theirs)).toBe(false);
  });

  it("answers at once for a blind owner's IPs, one it never held included, and gives them back when the owner sees again", () => {
    const s = setup();
    s.ann.setServices([service("default/b", [theirs])]);
    s.everyone();
    const owner = s.ann.electedOwners().get("default/b") ?? "";
    const heir = electedOwner({ ...service("x", [theirs]).election, firstIP: theirs, liveSpeakers: new Set(NODES.filter(n => n !== owner)) });
    s.beat(owner, { standby: true, blind: true });
    expect(s.ann.electedOwners().get("default/b")).toBe(heir);
    expect(s.ann.ownedIPs()).toEqual(heir === "node-a" ? [theirs] : []);
    // A Service created while the owner is blind: its winner among the others answers without holding it first.
    const fresh = [...Array(200).keys()].map(i => `198.51.100.${i + 1}`).find(ip => electedOwner({ ...service("x", [ip]).election, firstIP: ip, liveSpeakers: new Set(NODES) }) === owner && electedOwner({ ...service("x", [ip]).election, firstIP: ip, liveSpeakers: new Set(NODES.filter(n => n !== owner)) }) === "node-a") ?? "";
    expect(fresh).not.toBe("");
    s.ann.setServices([service("default/b", [theirs]), service("default/new", [fresh])]);
    expect(s.ann.ownedIPs()).toContain(fresh);
    s.beat(owner);
    expect(s.ann.ownedIPs()).not.toContain(fresh);
    expect(s.ann.ownedIPs()).not.toContain(theirs);
  });

  it("a blind node itself answers for nothing", () => {
    const s = setup();
    s.ann.setServices([service("default/a", [mine])]);
    s.everyone();
    expect(s.ann.ownedIPs()).toEqual([mine]);
    s.membership.setViewCurrent(false);
    expect(s.ann.ownedIPs()).toEqual([]);
    s.membership.setViewCurrent(true);
    expect(s.ann.ownedIPs()).toEqual([mine]);
  });

  it("follows service updates: removed IPs stop at once, interface changes update the table without a new burst", () => {
    const s = setup();
    s.everyone();
    s.ann.setServices([service("default/a", [mine], {}, ["eth0"])]);
    expect(s.ownership.allowedOn(mine, "eth1")).toBe(false);
    s.ann.setServices([service("default/a", [mine], {}, ["eth0", "eth1"])]);
    expect(s.ownership.allowedOn(mine, "eth1")).toBe(true);
    expect(s.rounds).toEqual([mine]);
    s.ann.setServices([]);
    expect(s.ownership.owns(mine)).toBe(false);
    expect(s.announcer.isBursting(mine)).toBe(false);
  });

  it("sends the periodic rounds of a service's gratuitous interval while it owns its IPs, and stops when it no longer does", () => {
    const s = setup();
    const times: number[] = [];
    const announcer = new Announcer(s.clock, () => times.push(s.clock.now()));
    const ann = new L2Announcements(s.membership, s.ownership, announcer);
    const alive = (ms: number): void => {
      for (let t = 0; t < ms; t += 100) {
        s.clock.advance(100);
        s.everyone();
      }
    };
    s.everyone();
    ann.setServices([{ ...service("default/a", [mine]), gratuitousIntervalMs: 10_000 }]);
    alive(25_000);
    expect(times).toEqual([0, 1100, 2200, 3300, 4400, 10_000, 20_000]);
    // The interval changed: counted from the change (at 25 s).
    ann.setServices([{ ...service("default/a", [mine]), gratuitousIntervalMs: 3000 }]);
    alive(7000);
    expect(times.slice(7)).toEqual([28_000, 31_000]);
    // No interval any more: nothing after the burst.
    ann.setServices([service("default/a", [mine])]);
    alive(30_000);
    expect(times).toHaveLength(9);
    // Owned again with an interval, then the service goes: nothing more is sent.
    ann.setServices([{ ...service("default/a", [mine]), gratuitousIntervalMs: 2000 }]);
    alive(2000);
    ann.setServices([]);
    alive(30_000);
    expect(times.slice(9)).toEqual([64_000]);
    ann.close();
  });

  it("announces nothing for a Local service without a local endpoint", () => {
    const s = setup();
    s.everyone();
    s.ann.setServices([service("default/a", [mine], { externalTrafficPolicy: "Local", endpointNodes: new Set(["node-c"]) })]);
    expect(s.ann.ownedIPs()).toEqual([]);
    expect(s.ann.electedOwners().get("default/a")).toBe("node-c");
  });

  it("acks leaving peers after re-electing without them, and reports when the ack list changes", () => {
    const s = setup();
    s.ann.setServices([service("default/b", [theirs])]);
    s.everyone();
    const before = s.acks();
    s.beat("node-d", { leaving: true });
    expect(s.ann.acksToSend()).toEqual(["node-d"]);
    expect(s.acks()).toBe(before + 1);
    expect(s.ann.electedOwners().get("default/b")).not.toBe("node-d");
  });

  it("on handover keeps its IPs until the heir acks, and gains nothing new meanwhile", async () => {
    const s = setup();
    s.ann.setServices([service("default/a", [mine, "2001:db8::5"])]);
    s.everyone();
    expect(s.ann.ownedIPs()).toEqual([mine, "2001:db8::5"].sort());
    const heir = electedOwner({ ...service("x", [mine]).election, firstIP: mine, liveSpeakers: new Set(NODES.filter(n => n !== "node-a")) }) ?? "";
    const h = s.ann.beginHandover(s.clock);
    s.ann.setServices([service("default/a", [mine, "2001:db8::5"]), service("default/z", ["198.51.100.1"])]);
    expect(s.ann.ownedIPs()).toEqual([mine, "2001:db8::5"].sort());
    for (const n of NODES.filter(n => n !== "node-a" && n !== heir)) s.beat(n, { acks: ["node-a"] });
    expect(s.ann.ownedIPs()).toHaveLength(2);
    s.beat(heir, { acks: ["node-a"] });
    expect(s.ann.ownedIPs()).toEqual([]);
    expect(await h.finished).toBe("acked");
  });
});
