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
