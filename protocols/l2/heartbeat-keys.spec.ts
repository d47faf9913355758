import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FakeClock } from "../../core/clock";
import { HeartbeatKeyRing, heartbeatKeysFromSecret } from "./heartbeat-keys";
import { SimCluster, simService } from "../../test/l2/sim-cluster";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("heartbeatKeysFromSecret", () => {
  it("reads secretkey, then previouskey", () => {
    expect(heartbeatKeysFromSecret({ data: { secretkey: b64("k".repeat(16)) } })).toEqual({ ok: true, keys: [Buffer.from("k".repeat(16))] });
    expect(heartbeatKeysFromSecret({ data: { secretkey: b64("n".repeat(32)), previouskey: b64("o".repeat(32)) } })).toEqual({
      ok: true,
      keys: [Buffer.from("n".repeat(32)), Buffer.from("o".repeat(32))],
    });
  });

  it.each([
    [{}, "Secret has no data.secretkey"],
    [{ data: { previouskey: b64("o".repeat(32)) } }, "Secret has no data.secretkey"],
    [{ data: { secretkey: "not base64!" } }, "data.secretkey is not base64"],
    [{ data: { secretkey: "abc" } }, "data.secretkey is not base64"],
    [{ data: { secretkey: b64("short") } }, "data.secretkey must decode to at least 16 bytes, got 5"],
    [{ data: { secretkey: b64("k".repeat(16)), previouskey: "" } }, "data.previouskey must decode to at least 16 bytes, got 0"],
  ])("refuses %j", (secret, message) => {
    expect(heartbeatKeysFromSecret(secret)).toEqual({ ok: false, message });
  });

  it("never throws, and any key it returns is at least 16 bytes", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("secretkey", "previouskey", "other"), fc.oneof(fc.string(), fc.base64String())), data => {
        const r = heartbeatKeysFromSecret({ data });
        if (r.ok) for (const k of r.keys) expect(k.length).toBeGreaterThanOrEqual(16);
      }),
    );
  });
});

describe("HeartbeatKeyRing", () => {
  const K0 = Buffer.alloc(32, 0xa0);
  const K1 = Buffer.alloc(32, 0xa1);
  const K2 = Buffer.alloc(32, 0xa2);
  const P = Buffer.alloc(32, 0xbb);
  const hex = (keys: readonly Buffer[]): string[] => keys.map(k => k.toString("hex").slice(0, 2));

  it("accepts a new key at once, signs with it after the switch delay, drops the old one after the retention", () => {
    const clock = new FakeClock(1000);
    const ring = new HeartbeatKeyRing(clock, [K0], { switchAfterMs: 30_000, retainOldMs: 60_000 });
    expect(hex(ring.acceptedKeys())).toEqual(["a0"]);
    ring.update([K1]);
    expect(ring.signingKey()).toEqual(K0);
    expect(hex(ring.acceptedKeys())).toEqual(["a0", "a1"]);
    clock.advance(29_999);
    expect(ring.signingKey()).toEqual(K0);
    clock.advance(1);
    expect(ring.signingKey()).toEqual(K1);
    expect(hex(ring.acceptedKeys())).toEqual(["a1", "a0"]);
    clock.advance(29_999);
    expect(hex(ring.acceptedKeys())).toEqual(["a1", "a0"]);
    clock.advance(1);
    expect(hex(ring.acceptedKeys())).toEqual(["a1"]);
  });

  it("accepts the Secret's previouskey for as long as it is there", () => {
    const clock = new FakeClock();
    const ring = new HeartbeatKeyRing(clock, [K0, P]);
    clock.advance(3_600_000);
    expect(hex(ring.acceptedKeys())).toEqual(["a0", "bb"]);
    ring.update([K0]);
    expect(hex(ring.acceptedKeys())).toEqual(["a0"]);
  });

  it("the same Secret read again changes nothing; rotating back before the switch keeps signing and still accepts the abandoned key", () => {
    const clock = new FakeClock();
    const ring = new HeartbeatKeyRing(clock, [K0], { switchAfterMs: 100, retainOldMs: 200 });
    ring.update([K1]);
    clock.advance(50);
    ring.update([K1]);
    clock.advance(50);
    expect(ring.signingKey()).toEqual(K1);
    ring.update([K0]);
    clock.advance(99);
    expect(ring.signingKey()).toEqual(K1);
    clock.advance(1);
    expect(ring.signingKey()).toEqual(K0);
    ring.update([K2]);
    ring.update([K0]);
    expect(ring.signingKey()).toEqual(K0);
    expect(hex(ring.acceptedKeys())).toEqual(["a0", "a1", "a2"]);
    clock.advance(200);
    expect(hex(ring.acceptedKeys())).toEqual(["a0"]);
  });

  it("ignores an empty reading and refuses to start without a key", () => {
    const ring = new HeartbeatKeyRing(new FakeClock(), [K0]);
    ring.update([]);
    expect(ring.signingKey()).toEqual(K0);
    expect(() => new HeartbeatKeyRing(new FakeClock(), [])).toThrow("a key ring needs at least one key");
  });

  it("property: a node always accepts what any peer signs with, when peers see the rotations at most (retain - switch) apart", () => {
    const keys = [K0, K1, K2, P];
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 200_000 }), key: fc.integer({ min: 0, max: 3 }), lags: fc.tuple(fc.nat(30_000), fc.nat(30_000), fc.nat(30_000)) }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 20 }),
        (rotations, checks) => {
          const clock = new FakeClock();
          const rings = [0, 1, 2].map(() => new HeartbeatKeyRing(clock, [K0], { switchAfterMs: 30_000, retainOldMs: 60_000 }));
          // Rotations at least retain apart (an operator waits for one to finish before the next).
          const spaced = [...rotations].sort((a, b) => a.at - b.at).map((r, i) => ({ ...r, at: i * 100_000 + (r.at % 30_000) }));
          const events = spaced.flatMap(r => r.lags.map((lag, node) => ({ t: r.at + lag, node, key: keys[r.key] as Buffer })));
          const timeline = [...events.map(e => ({ ...e, check: false })), ...checks.map(t => ({ t, node: -1, key: K0, check: true }))].sort((a, b) => a.t - b.t || Number(a.check) - Number(b.check));
          for (const e of timeline) {
            clock.advance(e.t - clock.now());
            if (!e.check) {
              rings[e.node]?.update([e.key]);
              continue;
            }
            for (const sender of rings) for (const receiver of rings) expect(receiver.acceptedKeys().some(k => k.equals(sender.signingKey()))).toBe(true);
          }
        },
      ),
    );
  });
});

describe("key rotation across a simulated cluster", () => {
  it("replacing secretkey, seen by the nodes 0 to 20 s apart, never makes a node look dead", () => {
    const NAMES = ["node-a", "node-b", "node-c"];
    const K0 = Buffer.alloc(32, 1);
    const K1 = Buffer.alloc(32, 2);
    const sim = new SimCluster(NAMES, { keyRing: (_n, clock) => new HeartbeatKeyRing(clock, [K0]) });
    sim.setServices([simService("default/web", ["192.0.2.10"], NAMES)]);
    sim.clock.advance(300);
    const owner = sim.announcers("192.0.2.10");
    expect(owner).toHaveLength(1);
    const lags = [0, 7_000, 20_000];
    let seen = 0;
    for (let t = 0; t <= 90_000; t += 100) {
      NAMES.forEach((n, i) => {
        if (t === lags[i]) {
          sim.node(n).ring?.update([K1]);
          seen++;
        }
      });
      sim.clock.advance(100);
      expect(sim.announcers("192.0.2.10")).toEqual(owner);
      for (const n of NAMES) expect([...sim.node(n).membership.liveSpeakers()].sort()).toEqual(NAMES);
    }
    expect(seen).toBe(3);
    for (const n of NAMES) {
      expect(sim.node(n).ring?.signingKey()).toEqual(K1);
      expect(sim.node(n).ring?.acceptedKeys()).toEqual([K1]);
      expect(sim.node(n).membership.rejects.get("bad-mac")).toBeUndefined();
    }
  });

  it("without the ring (every node switching at once when it sees the Secret) the same lag makes nodes look dead", () => {
    const NAMES = ["node-a", "node-b", "node-c"];
    const sim = new SimCluster(NAMES, { keys: Object.fromEntries(NAMES.map(n => [n, Buffer.alloc(32, 1)])) });
    sim.setServices([simService("default/web", ["192.0.2.10"], NAMES)]);
    sim.clock.advance(300);
    sim.node("node-a").key = Buffer.alloc(32, 2);
    sim.clock.advance(1000);
    expect(sim.node("node-b").membership.liveSpeakers().has("node-a")).toBe(false);
    expect(sim.announcers("192.0.2.10").length).toBeGreaterThanOrEqual(1);
    expect(sim.node("node-b").membership.rejects.get("bad-mac")).toBeGreaterThan(0);
  });
});
