import { describe, expect, it } from "vitest";
import { Announcer, gratuitousFrames, gratuitousSender } from "./announcer";
import { FakeClock } from "../../core/clock";
import { CountingL2Metrics } from "./metrics";
import { OwnershipTable } from "../../core/election/ownership";
import { RecordingPacketConn } from "./packet-conn";

const setup = (policy?: { intervalMs: number; durationMs: number }) => {
  const clock = new FakeClock(1000);
  const rounds: [number, string][] = [];
  const a = new Announcer(clock, ip => rounds.push([clock.now() - 1000, ip]), policy);
  return { clock, rounds, a };
};

describe("Announcer burst schedule", () => {
  it("sends at once, then every 1.1 s until 5 s have passed", () => {
    const { clock, rounds, a } = setup();
    a.gain("192.0.2.10");
    expect(rounds).toEqual([[0, "192.0.2.10"]]);
    clock.advance(10_000);
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 2200, 3300, 4400]);
    expect(a.isBursting("192.0.2.10")).toBe(false);
    expect(clock.pendingCount()).toBe(0);
  });

  it("refresh starts a new burst, unless one began less than an interval ago", () => {
    const { clock, rounds, a } = setup();
    a.gain("192.0.2.10");
    clock.advance(1099);
    a.refresh("192.0.2.10");
    expect(rounds.map(r => r[0])).toEqual([0]);
    clock.advance(1);
    expect(rounds.map(r => r[0])).toEqual([0, 1100]);
    a.refresh("192.0.2.10");
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 1100]);
    clock.advance(20_000);
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 1100, 2200, 3300, 4400, 5500]);
    // After the burst has ended, a refresh always starts one.
    a.refresh("192.0.2.10");
    expect(rounds.at(-1)).toEqual([21_100, "192.0.2.10"]);
    a.stopAll();
  });

  it("stops at once when the IP is lost", () => {
    const { clock, rounds, a } = setup();
    a.gain("192.0.2.10");
    clock.advance(2500);
    a.lose("192.0.2.10");
    clock.advance(10_000);
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 2200]);
    expect(clock.pendingCount()).toBe(0);
  });

  it("keeps one schedule per IP; a second gain does not restart it, a gain after a loss does", () => {
    const { clock, rounds, a } = setup();
    a.gain("192.0.2.10");
    clock.advance(500);
    a.gain("2001:db8::10");
    a.gain("192.0.2.10");
    clock.advance(700);
    expect(rounds).toEqual([[0, "192.0.2.10"], [500, "2001:db8::10"], [1100, "192.0.2.10"]]);
    a.lose("192.0.2.10");
    a.gain("192.0.2.10");
    expect(rounds.at(-1)).toEqual([1200, "192.0.2.10"]);
    a.stopAll();
    clock.advance(10_000);
    expect(rounds).toHaveLength(4);
  });

  it("ends the burst when the IP is lost from inside a round", () => {
    const clock = new FakeClock();
    let rounds = 0;
    const a: Announcer = new Announcer(clock, ip => {
      rounds++;
      if (rounds === 2) a.lose(ip);
    });
    a.gain("192.0.2.10");
    clock.advance(10_000);
    expect(rounds).toBe(2);
    expect(a.isBursting("192.0.2.10")).toBe(false);
    expect(clock.pendingCount()).toBe(0);
  });

  it("follows a configured policy", () => {
    const { clock, rounds, a } = setup({ intervalMs: 200, durationMs: 1000 });
    a.gain("192.0.2.10");
    clock.advance(5000);
    expect(rounds.map(r => r[0])).toEqual([0, 200, 400, 600, 800]);
    expect(() => new Announcer(clock, () => {}, { intervalMs: 0, durationMs: 1 })).toThrow("burst interval must be positive, got 0");
  });
});

describe("gratuitous frames", () => {
  it("IPv4: request then reply; IPv6: one unsolicited NA", () => {
    const [req, rep] = gratuitousFrames("192.0.2.10", "02:00:00:00:00:01");
    expect(req?.subarray(12, 22).toString("hex")).toBe("08060001080006040001");
    expect(rep?.subarray(12, 22).toString("hex")).toBe("08060001080006040002");
    const v6 = gratuitousFrames("2001:db8::10", "02:00:00:00:00:01");
    expect(v6).toHaveLength(1);
    expect(v6[0]?.subarray(0, 6).toString("hex")).toBe("333300000001");
    expect(v6[0]?.[54]).toBe(136);
    expect(v6[0]?.[58]).toBe(0x20);
  });

  it("sends on allowed interfaces only and counts each frame", () => {
    const c0 = new RecordingPacketConn();
    const c1 = new RecordingPacketConn();
    const own = new OwnershipTable();
    own.set("192.0.2.10", ["eth1"]);
    own.set("2001:db8::10", []);
    const metrics = new CountingL2Metrics();
    const ifs = [{ name: "eth0", mac: "02:00:00:00:00:01", conn: c0 }, { name: "eth1", mac: "02:00:00:00:00:02", conn: c1 }];
    const send = gratuitousSender(() => ifs, own, metrics);
    send("192.0.2.10");
    send("2001:db8::10");
    expect(c0.sent).toHaveLength(1);
    expect(c1.sent).toHaveLength(3);
    expect(c1.sent[0]?.subarray(6, 12).toString("hex")).toBe("020000000002");
    expect(Object.fromEntries(metrics.gratuitous)).toEqual({ "192.0.2.10": 2, "2001:db8::10": 2 });
  });
});

describe("periodic gratuitous rounds", () => {
  const hex = (s: string): string => s.replace(/\s+/g, "");
  const MAC = "02:00:00:00:00:01";
  /** The exact frames of one round for 192.0.2.10 / 2001:db8::10 from 02:00:00:00:00:01. */
  const ARP_REQUEST = hex(`ffffffffffff 020000000001 0806  0001 0800 06 04 0001  020000000001 c000020a  000000000000 c000020a  ${"00".repeat(18)}`); // padded to the 60-byte minimum
  const ARP_REPLY = hex(`ffffffffffff 020000000001 0806  0001 0800 06 04 0002  020000000001 c000020a  ffffffffffff c000020a  ${"00".repeat(18)}`);
  const UNSOLICITED_NA = hex(`333300000001 020000000001 86dd
    60000000 0020 3a ff 20010db8000000000000000000000010 ff020000000000000000000000000001
    88 00 f90c 20000000 20010db8000000000000000000000010 02 01 020000000001`);

  /** An announcer sending real frames on one recorded interface, with the time of each frame. */
  const wired = () => {
    const clock = new FakeClock(1000);
    const conn = new RecordingPacketConn();
    const own = new OwnershipTable();
    const sent: [number, string][] = [];
    const send = gratuitousSender(() => [{ name: "eth0", mac: MAC, conn }], own, new CountingL2Metrics());
    const a = new Announcer(clock, ip => {
      const before = conn.sent.length;
      send(ip);
      for (const f of conn.sent.slice(before)) sent.push([clock.now() - 1000, f.toString("hex")]);
    });
    return { clock, own, sent, a };
  };

  it("is off by default: after the takeover burst nothing more is sent, however long the IP is owned", () => {
    const { clock, own, sent, a } = wired();
    own.set("192.0.2.10", []);
    a.gain("192.0.2.10");
    clock.advance(3_600_000);
    expect(sent.map(s => s[0])).toEqual([0, 0, 1100, 1100, 2200, 2200, 3300, 3300, 4400, 4400]);
    expect(clock.pendingCount()).toBe(0);
  });

  it("IPv4: an ARP request and reply every period after the burst, exact bytes, exact times", () => {
    const { clock, own, sent, a } = wired();
    own.set("192.0.2.10", []);
    a.setPeriodic("192.0.2.10", 60_000);
    a.gain("192.0.2.10");
    clock.advance(4400);
    sent.length = 0;
    clock.advance(180_000 - 4400);
    expect(sent).toEqual([
      [60_000, ARP_REQUEST], [60_000, ARP_REPLY],
      [120_000, ARP_REQUEST], [120_000, ARP_REPLY],
      [180_000, ARP_REQUEST], [180_000, ARP_REPLY],
    ]);
  });

  it("IPv6: one unsolicited NA with the Override flag to ff02::1 every period", () => {
    const { clock, own, sent, a } = wired();
    own.set("2001:db8::10", []);
    a.setPeriodic("2001:db8::10", 30_000);
    a.gain("2001:db8::10");
    clock.advance(90_000);
    expect(sent.filter(s => s[0] > 5000)).toEqual([[30_000, UNSOLICITED_NA], [60_000, UNSOLICITED_NA], [90_000, UNSOLICITED_NA]]);
  });

  it("a period shorter than the burst skips the rounds that fall while the burst runs", () => {
    const { clock, rounds, a } = setup();
    a.setPeriodic("192.0.2.10", 2000);
    a.gain("192.0.2.10");
    clock.advance(10_000);
    // Burst 0..4400; periodic 2000 and 4000 are skipped (the burst covers them), then 6000, 8000, 10000.
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 2200, 3300, 4400, 6000, 8000, 10_000]);
    a.stopAll();
    expect(clock.pendingCount()).toBe(0);
  });

  it("stops when the IP is lost and resumes from the next takeover, with the period kept", () => {
    const { clock, rounds, a } = setup();
    a.setPeriodic("192.0.2.10", 10_000);
    a.gain("192.0.2.10");
    clock.advance(25_000);
    a.lose("192.0.2.10");
    expect(clock.pendingCount()).toBe(0);
    clock.advance(100_000);
    expect(rounds.map(r => r[0])).toEqual([0, 1100, 2200, 3300, 4400, 10_000, 20_000]);
    a.gain("192.0.2.10");
    clock.advance(20_000);
    expect(rounds.map(r => r[0]).slice(7)).toEqual([125_000, 126_100, 127_200, 128_300, 129_400, 135_000, 145_000]);
    a.stopAll();
  });

  it("a changed period applies at once, counted from the change; the same period keeps its schedule; undefined turns it off", () => {
    const { clock, rounds, a } = setup();
    a.setPeriodic("192.0.2.10", 10_000);
    a.gain("192.0.2.10");
    clock.advance(15_000);
    a.setPeriodic("192.0.2.10", 10_000);
    clock.advance(5000);
    expect(rounds.map(r => r[0]).slice(5)).toEqual([10_000, 20_000]);
    a.setPeriodic("192.0.2.10", 3000);
    clock.advance(7000);
    expect(rounds.map(r => r[0]).slice(7)).toEqual([23_000, 26_000]);
    a.setPeriodic("192.0.2.10", undefined);
    clock.advance(60_000);
    expect(rounds).toHaveLength(9);
    expect(clock.pendingCount()).toBe(0);
  });

  it("setting a period for an IP not owned sends nothing until it is gained", () => {
    const { clock, rounds, a } = setup();
    a.setPeriodic("192.0.2.10", 5000);
    clock.advance(60_000);
    expect(rounds).toEqual([]);
    expect(clock.pendingCount()).toBe(0);
  });

  it("after a stall the missed rounds are skipped, not sent back to back, and the schedule does not drift", () => {
    const { clock, rounds, a } = setup();
    a.setPeriodic("192.0.2.10", 10_000);
    a.gain("192.0.2.10");
    clock.advance(9000);
    clock.stall(33_000);
    clock.advance(0);
    clock.advance(18_000);
    // Due at 10 s, fired late at 42 s; then 50 s and 60 s (from the takeover, not from 42 s).
    expect(rounds.map(r => r[0]).slice(5)).toEqual([42_000, 50_000, 60_000]);
    a.stopAll();
  });

  it("stopAll ends everything: a period set afterwards starts nothing until the next gain", () => {
    const { clock, rounds, a } = setup();
    a.gain("192.0.2.10");
    clock.advance(10_000);
    a.stopAll();
    a.setPeriodic("192.0.2.10", 1000);
    clock.advance(10_000);
    expect(rounds).toHaveLength(5);
    expect(clock.pendingCount()).toBe(0);
  });

  it("refuses a period that is not positive", () => {
    const { a } = setup();
    expect(() => a.setPeriodic("192.0.2.10", 0)).toThrow("periodic interval must be positive, got 0");
    expect(() => a.setPeriodic("192.0.2.10", Number.NaN)).toThrow("periodic interval must be positive, got NaN");
  });
});
