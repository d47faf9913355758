/**
 * Random operation sequences against the allocator: whatever happens, no two Services hold the
 * same IP unless the sharing rules allow it, every held IP is a usable address of its pool and of
 * the Service's families, results agree with the state, counters agree with the holdings, a
 * restart (restore from status) reproduces every IP exactly, and nothing throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Pool } from "../config/types";
import { formatIP, type IPAddress } from "../net/ip";
import { Allocator } from "./allocator";
import { isBuggyIP } from "./pool-state";
import type { ServiceRequest } from "./service-request";
import { makePool, requestOf, selector, type ServiceOptions } from "../../test/allocation/testing";

const POOLS: Pool[] = [
  makePool("p1", ["192.0.2.0/30"]),
  makePool("p2", ["192.0.2.8-192.0.2.9", "2001:db8::/127"]),
  makePool("ns-a", ["198.51.100.0/31"], { serviceAllocation: { priority: 1, namespaces: ["a"] } }),
  makePool("gold", ["198.51.100.4/31", "2001:db8:1::/127"], { serviceAllocation: { priority: 2, namespaceSelectors: [selector({ tier: "gold" })] } }),
  makePool("manual", ["203.0.113.0/31"], { autoAssign: false }),
  makePool("buggy", ["192.0.2.254-192.0.3.1"], { avoidBuggyIPs: true }),
];
const IPS = ["192.0.2.0", "192.0.2.1", "192.0.2.9", "198.51.100.0", "203.0.113.1", "192.0.3.0", "10.0.0.1", "2001:db8::1", "2001:db8:1::"];

const serviceArb = fc.record({
  name: fc.constantFrom("s0", "s1", "s2", "s3", "s4", "s5"),
  namespace: fc.constantFrom("default", "a", "b"),
  sharingKey: fc.constantFrom("", "k1", "k2"),
  ports: fc.subarray(["tcp/80", "tcp/81", "udp/80"], { minLength: 1 }),
  etpLocal: fc.boolean(),
  selector: fc.constantFrom("x", "y"),
  requested: fc.oneof(fc.constant([] as string[]), fc.subarray(IPS, { minLength: 1, maxLength: 2 })),
  pool: fc.constantFrom(undefined, "p1", "manual", "gold", "nope"),
  stack: fc.constantFrom("v4", "v6", "prefer", "prefer6", "require"),
});
type ServiceSpec = typeof serviceArb extends fc.Arbitrary<infer T> ? T : never;

const opArb = fc.oneof(
  { weight: 6, arbitrary: serviceArb.map(s => ({ op: "allocate" as const, s })) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), key: fc.constantFrom("default/s0", "a/s1", "b/s2", "default/s3") }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("pools" as const), pools: fc.subarray(POOLS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("namespaces" as const), gold: fc.subarray(["a", "b", "default"]) }) },
  { weight: 1, arbitrary: fc.constant({ op: "reprocess" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "restart" as const }) },
);

function toRequest(s: ServiceSpec): ServiceRequest {
  const clusterIPs = { v4: ["10.96.0.1"], v6: ["fd00::1"], prefer: ["10.96.0.1", "fd00::1"], prefer6: ["fd00::1", "10.96.0.1"], require: ["10.96.0.1", "fd00::1"] }[s.stack];
  const annotations: Record<string, string> = {};
  if (s.sharingKey) annotations["metallb.io/allow-shared-ip"] = s.sharingKey;
  if (s.pool) annotations["metallb.io/address-pool"] = s.pool;
  if (s.requested.length) annotations["metallb.io/loadBalancerIPs"] = s.requested.join(",");
  const o: ServiceOptions = {
    namespace: s.namespace,
    clusterIPs,
    policy: s.stack === "require" ? "RequireDualStack" : s.stack.startsWith("prefer") ? "PreferDualStack" : "SingleStack",
    annotations,
    ports: s.ports,
    etpLocal: s.etpLocal,
    selector: { app: s.selector },
  };
  return requestOf(s.name, o);
}

const ipText = (ips: readonly IPAddress[] | undefined): string[] => (ips ?? []).map(formatIP);

function checkInvariants(a: Allocator, known: Map<string, ServiceRequest>, pools: Pool[]): void {
  const byIP = new Map<string, ServiceRequest[]>();
  const inUse = new Map<string, Set<string>>();
  for (const [key, request] of known) {
    const held = a.assignment(key);
    if (!held) continue;
    const pool = pools.find(p => p.name === held.pool);
    expect(pool, `${key} holds from a configured pool`).toBeDefined();
    const families = held.ips.map(ip => ip.family);
    if (request.requestedIPs.length) expect(new Set(families).size, `${key} families`).toBe(families.length);
    else expect(families, `${key} families`).toEqual(request.families.slice(0, held.ips.length));
    for (const f of families) expect(request.families).toContain(f);
    for (const ip of held.ips) {
      const inPool = pool?.blocks.some(b => b.range.family === ip.family && ip.value >= b.range.first && ip.value <= b.range.last);
      expect(inPool, `${key} ${formatIP(ip)} in ${held.pool}`).toBe(true);
      if (pool?.avoidBuggyIPs) expect(isBuggyIP(ip)).toBe(false);
      const t = formatIP(ip);
      byIP.set(t, [...(byIP.get(t) ?? []), request]);
      let set = inUse.get(held.pool);
      if (!set) inUse.set(held.pool, (set = new Set()));
      set.add(t);
    }
  }
  for (const [ip, holders] of byIP) {
    if (holders.length < 2) continue;
    const [first] = holders as [ServiceRequest];
    const ports = new Set<string>();
    for (const h of holders) {
      expect(h.sharingKey, `${ip} shared by ${h.key}`).not.toBe("");
      expect(h.sharingKey).toBe(first.sharingKey);
      expect(h.backendKey).toBe(first.backendKey);
      for (const p of h.ports) {
        const name = `${p.protocol}/${p.port}`;
        expect(ports.has(name), `${ip} port ${name} used twice`).toBe(false);
        ports.add(name);
      }
    }
  }
  for (const p of pools) {
    const c = a.poolCounters(p.name);
    const used = [...(inUse.get(p.name) ?? [])];
    expect(c?.assignedIPv4).toBe(BigInt(used.filter(t => !t.includes(":")).length));
    expect(c?.assignedIPv6).toBe(BigInt(used.filter(t => t.includes(":")).length));
  }
}

describe("Allocator (random operation sequences)", () => {
  it("keeps every invariant and never throws", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), ops => {
        let a = new Allocator();
        let pools: Pool[] = [];
        let namespaces = new Map<string, Record<string, string>>();
        const known = new Map<string, ServiceRequest>();
        for (const op of ops) {
          switch (op.op) {
            case "allocate": {
              const request = toRequest(op.s);
              known.set(request.key, request);
              const result = a.allocate(request);
              if (result.ok) expect(ipText(a.assignment(request.key)?.ips)).toEqual(ipText(result.ips));
              else expect(a.assignment(request.key)).toBeUndefined();
              break;
            }
            case "release":
              a.release(op.key);
              known.delete(op.key);
              expect(a.assignment(op.key)).toBeUndefined();
              break;
            case "pools":
              pools = op.pools;
              for (const c of a.setPools(pools).cleared) expect(a.assignment(c.key)).toBeUndefined();
              break;
            case "namespaces":
              namespaces = new Map(op.gold.map(ns => [ns, { tier: "gold" }]));
              for (const c of a.setNamespaces(namespaces).cleared) expect(a.assignment(c.key)).toBeUndefined();
              break;
            case "reprocess":
              for (const [key, r] of a.reprocess()) {
                expect(ipText(a.assignment(key)?.ips)).toEqual(r.ok ? ipText(r.ips) : []);
              }
              break;
            case "restart": {
              const next = new Allocator();
              next.setPools(pools);
              next.setNamespaces(namespaces);
              const requests = [...known.values()].map(r => ({ ...r, statusIPs: a.assignment(r.key)?.ips ?? [] }));
              next.restore(requests.reverse());
              for (const r of requests) {
                if (r.statusIPs.length) expect(ipText(next.assignment(r.key)?.ips), `restart keeps ${r.key}`).toEqual(ipText(r.statusIPs));
              }
              for (const r of requests) known.set(r.key, r);
              a = next;
              break;
            }
          }
          checkInvariants(a, known, pools);
        }
      }),
      { numRuns: 400 },
    );
  });
});
