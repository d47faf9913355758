/**
 * Special-purpose addresses (net/special.ts) and the cluster's Service range are never handed out:
 * the allocator skips them as avoidBuggyIPs skips .0/.255, refuses a request for one as
 * `ReservedIP`, and drops a held one (a status written before this rule, or by someone else).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIP, parseIP, type IPAddress, type IPFamily } from "../net/ip";
import { reservedRangeOf, SPECIAL_RANGES } from "../net/special";
import { Allocator } from "./allocator";
import { runSteps, type Step } from "../../test/allocation/allocator.steps";
import { isBuggyIP, PoolState } from "./pool-state";
import { makePool, requestOf } from "../../test/allocation/testing";

const v6 = { clusterIPs: ["fd00::10"] };

const cases: Array<[string, Step[]]> = [
  ["a 0.0.0.0/0 pool starts at 1.0.0.0 and refuses loopback, multicast and broadcast requests", [
    { pools: [makePool("all", ["0.0.0.0/0"])] },
    { svc: "first", expect: { ips: ["1.0.0.0"], pool: "all" } },
    { svc: "lo", with: { loadBalancerIP: "127.0.0.1" }, expect: { error: '"127.0.0.1" is never handed out: it lies in 127.0.0.0/8 (loopback)', reason: "ReservedIP" } },
    { svc: "ospf", with: { loadBalancerIP: "224.0.0.5" }, expect: { error: '"224.0.0.5" is never handed out: it lies in 224.0.0.0/4 (multicast)', reason: "ReservedIP" } },
    { svc: "bcast", with: { loadBalancerIP: "255.255.255.255" }, expect: { error: '"255.255.255.255" is never handed out: it lies in 255.255.255.255/32 (limited broadcast)', reason: "ReservedIP" } },
    { svc: "zero", with: { loadBalancerIP: "0.0.0.0" }, expect: { error: '"0.0.0.0" is never handed out: it lies in 0.0.0.0/8 (this network)', reason: "ReservedIP" } },
    { svc: "meta", with: { loadBalancerIP: "169.254.169.254" }, expect: { error: '"169.254.169.254" is never handed out: it lies in 169.254.0.0/16 (link-local)', reason: "ReservedIP" } },
    { svc: "class-e", with: { loadBalancerIP: "240.0.0.1" }, expect: { error: '"240.0.0.1" is never handed out: it lies in 240.0.0.0/4 (reserved)', reason: "ReservedIP" } },
    { svc: "fine", with: { loadBalancerIP: "192.0.2.1" }, expect: { ips: ["192.0.2.1"], pool: "all" } },
  ]],
  ["a request for a reserved address outside every pool is ReservedIP, not NotAllowedInConfig", [
    { pools: [makePool("p", ["192.0.2.0/24"])] },
    { svc: "lo", with: { loadBalancerIP: "127.0.0.1" }, expect: { reason: "ReservedIP" } },
  ]],
  ["IPv6: a ::/0 pool starts at ::2 and refuses ::1, fe80::1 and ff02::1", [
    { pools: [makePool("all6", ["::/0"])] },
    { svc: "first", with: v6, expect: ["::2"] },
    { svc: "lo", with: { ...v6, loadBalancerIP: "::1" }, expect: { error: '"::1" is never handed out: it lies in ::1/128 (loopback)', reason: "ReservedIP" } },
    { svc: "ll", with: { ...v6, loadBalancerIP: "fe80::1" }, expect: { error: '"fe80::1" is never handed out: it lies in fe80::/10 (link-local)', reason: "ReservedIP" } },
    { svc: "mc", with: { ...v6, loadBalancerIP: "ff02::1" }, expect: { error: '"ff02::1" is never handed out: it lies in ff00::/8 (multicast)', reason: "ReservedIP" } },
  ]],
  ["the cluster's Service range inside a pool is skipped and refused on request", [
    { pools: [makePool("p", ["10.95.255.254-10.96.0.2"], { clusterReserved: ["10.96.0.0/12"] })] },
    { svc: "a", expect: ["10.95.255.254"] },
    { svc: "b", expect: ["10.95.255.255"] },
    { svc: "c", expect: { error: 'no available IPs in pool "p"', reason: "PoolExhausted" } },
    { svc: "api", with: { loadBalancerIP: "10.96.0.1" }, expect: { error: "\"10.96.0.1\" is never handed out: it lies in 10.96.0.0/12 (the cluster's Service range)", reason: "ReservedIP" } },
  ]],
  ["a held reserved address (status written before the rule) is dropped and a usable one given", [
    { pools: [makePool("p", ["127.255.255.254-128.0.0.1"])] },
    { svc: "a", with: { statusIPs: ["127.255.255.255"] }, expect: { ips: ["128.0.0.0"] } },
  ]],
];

describe("reserved addresses in the allocator", () => {
  for (const [name, steps] of cases) it(name, () => runSteps(steps));

  it("restore does not re-adopt a reserved status IP", () => {
    const a = new Allocator();
    a.setPools([makePool("p", ["223.255.255.254-224.0.0.1"])]);
    const results = a.restore([requestOf("a", { statusIPs: ["224.0.0.0"] })]);
    const r = results.get("default/a");
    expect(r?.ok && r.ips.map(formatIP)).toEqual(["223.255.255.254"]);
    expect(r?.ok && r.cleared).toBe('"224.0.0.0" is never handed out: it lies in 224.0.0.0/4 (multicast)');
  });

  it("counts only usable addresses: 0.0.0.0/0 less every special block", () => {
    const s = new PoolState(makePool("all", ["0.0.0.0/0"]));
    // 2^32 - 0/8 - 127/8 - 169.254/16 - 224/4 - 240/4 (which holds the limited broadcast).
    expect(s.total("IPv4")).toBe(2n ** 32n - 2n * 2n ** 24n - 2n ** 16n - 2n * 2n ** 28n);
    const buggy = new PoolState(makePool("b", ["126.255.255.0-128.0.0.255"], { avoidBuggyIPs: true }));
    // 126.255.255.0/24 and 128.0.0.0/24 are left, less their .0 and .255.
    expect(buggy.total("IPv4")).toBe(2n * 254n);
    expect(formatIP(buggy.lowestFree("IPv4")?.ip as IPAddress)).toBe("126.255.255.1");
  });
});

/** Interesting edges: each special block's first and last address, and a cluster range's. */
const CLUSTER = "10.96.0.0/28";
const edges = [...SPECIAL_RANGES.map(r => r.range), { family: "IPv4" as IPFamily, first: (parseIP("10.96.0.0") as IPAddress).value, last: (parseIP("10.96.0.15") as IPAddress).value }]
  .flatMap(r => [{ family: r.family, value: r.first }, { family: r.family, value: r.last }]);
const MAX = { IPv4: (1n << 32n) - 1n, IPv6: (1n << 128n) - 1n };

describe("reserved addresses (property)", () => {
  it("lowestFree and total agree with walking every address; no address given is ever reserved", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...edges),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 30 }),
        (edge, below, above, avoidBuggyIPs, withCluster, taken) => {
          const lo = edge.value - BigInt(below) < 0n ? 0n : edge.value - BigInt(below);
          const hi = edge.value + BigInt(above) > MAX[edge.family] ? MAX[edge.family] : edge.value + BigInt(above);
          const text = `${formatIP({ family: edge.family, value: lo })}-${formatIP({ family: edge.family, value: hi })}`;
          const clusterReserved = withCluster ? [CLUSTER] : [];
          const state = new PoolState(makePool("p", [text], { avoidBuggyIPs, clusterReserved }));
          const usable = (v: bigint): boolean => {
            const ip = { family: edge.family, value: v };
            return !(avoidBuggyIPs && isBuggyIP(ip)) && reservedRangeOf(ip, state.pool.clusterReserved) === undefined;
          };
          const all: bigint[] = [];
          for (let v = lo; v <= hi; v++) if (usable(v)) all.push(v);
          for (const t of taken) {
            const v = all[t % Math.max(all.length, 1)];
            if (v !== undefined) state.markInUse({ family: edge.family, value: v });
          }
          const free = all.filter(v => !state.isInUse({ family: edge.family, value: v }));
          expect(state.total(edge.family)).toBe(BigInt(all.length));
          const got = state.lowestFree(edge.family)?.ip;
          expect(got?.value).toBe(free[0]);
          if (got) {
            expect(reservedRangeOf(got, state.pool.clusterReserved)).toBeUndefined();
            expect(state.isUsable(got)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("an allocator over pools that straddle special blocks never hands out a reserved address", () => {
    const pools = [
      makePool("a", ["126.255.255.250-127.0.0.3", "223.255.255.253-224.0.0.2"]),
      makePool("b", ["255.255.255.250-255.255.255.255", "169.253.255.254-169.254.0.1"], { avoidBuggyIPs: true }),
      makePool("c", ["::-::3", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:fffe-fe80::1"]),
      makePool("d", ["10.95.255.255-10.96.0.1"], { clusterReserved: ["10.96.0.0/12"] }),
    ];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.boolean()), { maxLength: 40 }), ops => {
        const alloc = new Allocator();
        alloc.setPools(pools);
        ops.forEach(([pool, release], i) => {
          const name = `s${i % 12}`;
          if (release) alloc.release(`default/${name}`);
          const r = alloc.allocate(requestOf(name, { annotations: { "metallb.io/address-pool": pool }, clusterIPs: pool === "c" ? ["fd00::1"] : ["10.96.0.10"] }));
          if (r.ok) {
            const state = new PoolState(pools.find(p => p.name === r.pool) as (typeof pools)[number]);
            for (const ip of r.ips) expect(state.reservedAt(ip), formatIP(ip)).toBeUndefined();
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});
