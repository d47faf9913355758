/**
 * Random sequences of what users do (create, change, delete Services; edit pools) against the
 * recording fake. After every sequence the cluster must be consistent, and a restarted controller
 * must find nothing to write.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIP } from "../core/net/ip";
import { Bench, NS, pool, service } from "../test/controller/testing";

type Op =
  | { op: "create"; name: string; ip?: number; ports: number[] }
  | { op: "type"; name: string; lb: boolean }
  | { op: "delete"; name: string }
  | { op: "pools"; size: number; shift: number };

const names = ["a", "b", "c", "d", "e", "f"];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), name: fc.constantFrom(...names), ip: fc.option(fc.integer({ min: 0, max: 11 }), { nil: undefined }), ports: fc.array(fc.constantFrom(80, 443), { minLength: 1, maxLength: 2 }) }),
  fc.record({ op: fc.constant("type" as const), name: fc.constantFrom(...names), lb: fc.boolean() }),
  fc.record({ op: fc.constant("delete" as const), name: fc.constantFrom(...names) }),
  fc.record({ op: fc.constant("pools" as const), size: fc.integer({ min: 1, max: 6 }), shift: fc.integer({ min: 0, max: 4 }) }),
);

const poolOf = (size: number, shift: number) => pool("p", [`192.168.172.${160 + shift}-192.168.172.${160 + shift + size - 1}`]);

function apply(b: Bench, o: Op): void {
  const existing = "name" in o ? b.api.get("Service", "default", o.name) : undefined;
  switch (o.op) {
    case "create": {
      const ip = o.ip === undefined ? undefined : `192.168.172.${160 + o.ip}`;
      b.put("Service", service(o.name, { ports: [...new Set(o.ports)], ...(ip ? { loadBalancerIP: ip } : {}) }));
      return;
    }
    case "type":
      if (existing) b.put("Service", { ...existing, spec: { ...(existing.spec as object), type: o.lb ? "LoadBalancer" : "ClusterIP" } });
      return;
    case "delete":
      if (existing) b.api.remove("Service", "default", o.name);
      return;
    case "pools":
      b.put("IPAddressPool", poolOf(o.size, o.shift));
  }
}

function checkConsistent(b: Bench): void {
  const p = b.api.get("IPAddressPool", NS, "p");
  const [first, last] = String((p?.spec as { addresses: string[] }).addresses[0]).split("-").map(t => parseIP(t)?.value ?? -1n);
  const seen = new Map<string, string>();
  for (const svc of b.api.objects("Service")) {
    const name = svc.metadata?.name ?? "";
    const lb = (svc.spec as { type: string }).type === "LoadBalancer";
    const ips = b.ingress(name);
    const annotation = svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"];
    const condition = b.condition(name);
    if (!lb) {
      expect({ ips, annotation, condition }, name).toEqual({ ips: [], annotation: undefined, condition: undefined });
      continue;
    }
    if (ips.length === 0) {
      expect(annotation, name).toBeUndefined();
      expect(condition?.status, name).toBe("False");
      continue;
    }
    expect(ips, name).toHaveLength(1);
    const ip = parseIP(ips[0] as string)?.value ?? -1n;
    expect(ip >= (first ?? 0n) && ip <= (last ?? -1n), `${name} holds ${ips[0]} outside the pool`).toBe(true);
    expect(annotation, name).toBe("p");
    expect(condition, name).toMatchObject({ status: "True", message: `allocated ${ips[0]} from pool p` });
    const requested = (svc.spec as { loadBalancerIP?: string }).loadBalancerIP;
    if (requested) expect(ips[0], name).toBe(requested);
    expect(seen.get(ips[0] as string), `${ips[0]} held twice`).toBeUndefined();
    seen.set(ips[0] as string, name);
  }
}

describe("reconciler under random user actions", () => {
  it("keeps Services consistent with the pool, and a restart writes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async ops => {
        const b = new Bench();
        b.put("IPAddressPool", poolOf(4, 0));
        await b.start();
        try {
          for (const o of ops) {
            apply(b, o);
            await b.settled();
          }
          checkConsistent(b);
          await b.stop();
          const before = b.api.writes.length;
          await b.start();
          expect(b.api.writes.slice(before).filter(w => w.verb !== "writeConfigurationState")).toEqual([]);
        } finally {
          await b.stop();
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
