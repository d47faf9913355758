import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/controller-port";
import { mergePatch } from "../test/kube/merge-patch";
import { carriesOurMarks, ingressIPs, planServiceWrite, type ServiceDesired, type ServiceWrite } from "./service-status";

const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const allocated: ServiceDesired = { state: "allocated", ips: ["192.0.2.10"], pool: "blue" };
const exhausted: ServiceDesired = { state: "failed", reason: "PoolExhausted", message: 'no available IPs in pool "blue"' };

/** What the API server stores after the controller's two merge patches. */
function applied(svc: KubeObject, write: ServiceWrite): KubeObject {
  let next = svc;
  if (write.status) {
    next = { ...next, status: mergePatch(next.status, { loadBalancer: { ingress: write.status.ingress }, conditions: write.status.conditions }) };
  }
  if (write.annotations) {
    const md = next.metadata ?? {};
    next = { ...next, metadata: { ...md, annotations: mergePatch(md.annotations ?? {}, write.annotations) as Record<string, string> } };
  }
  return next;
}

describe("planServiceWrite", () => {
  it("writes ingress, condition and annotation for an allocation, then nothing more", () => {
    const svc: KubeObject = { metadata: { name: "web", namespace: "shop" }, status: { loadBalancer: {} } };
    const write = planServiceWrite(svc, allocated, T0);
    expect(write).toEqual({
      status: {
        ingress: [{ ip: "192.0.2.10" }],
        conditions: [
          { type: "lodestone.dev/IPAllocated", status: "True", reason: "Allocated", message: "allocated 192.0.2.10 from pool blue", lastTransitionTime: "2026-11-22T01:00:00Z" },
        ],
      },
      annotations: { "metallb.io/ip-allocated-from-pool": "blue" },
    });
    expect(planServiceWrite(applied(svc, write), allocated, T0 + 60_000)).toEqual({});
  });

  it("keeps lastTransitionTime while the status stays, and moves it when the status flips", () => {
    const svc = applied({ metadata: { name: "web" } }, planServiceWrite({ metadata: { name: "web" } }, exhausted, T0));
    const other: ServiceDesired = { state: "failed", reason: "NoAvailableIPs", message: "no available IPs" };
    const stillFalse = planServiceWrite(svc, other, T0 + 5000);
    expect(stillFalse.status?.conditions?.[0]).toMatchObject({ status: "False", reason: "NoAvailableIPs", lastTransitionTime: "2026-11-22T01:00:00Z" });
    const flipped = planServiceWrite(svc, allocated, T0 + 5000);
    expect(flipped.status?.conditions?.[0]).toMatchObject({ status: "True", lastTransitionTime: "2026-11-22T01:00:05Z" });
  });

  it("records observedGeneration when the object has a generation", () => {
    const write = planServiceWrite({ metadata: { name: "web", generation: 3 } }, allocated, T0);
    expect(write.status?.conditions?.[0]?.observedGeneration).toBe(3);
  });

  it("releases only what it wrote, keeping other writers' conditions and annotations", () => {
    const other = { type: "example.com/Ready", status: "True", reason: "Ok", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" };
    const svc: KubeObject = {
      metadata: { name: "web", annotations: { "metallb.io/ip-allocated-from-pool": "blue", "metallb.universe.tf/ip-allocated-from-pool": "blue", team: "net" } },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] }, conditions: [other, { type: "lodestone.dev/IPAllocated", status: "True" }] },
    };
    expect(carriesOurMarks(svc)).toBe(true);
    const write = planServiceWrite(svc, { state: "released" }, T0);
    expect(write).toEqual({
      status: { ingress: null, conditions: [other] },
      annotations: { "metallb.io/ip-allocated-from-pool": null, "metallb.universe.tf/ip-allocated-from-pool": null },
    });
    const after = applied(svc, write);
    expect(carriesOurMarks(after)).toBe(false);
    expect(after.metadata?.annotations).toEqual({ team: "net" });
    expect(planServiceWrite(after, { state: "released" }, T0)).toEqual({});
  });

  it("converges in one write from any status and metadata a Service may carry (property)", () => {
    const desired = fc.oneof(
      fc.record({ state: fc.constant("allocated" as const), ips: fc.array(fc.ipV4(), { minLength: 1, maxLength: 2 }), pool: fc.string({ minLength: 1 }) }),
      fc.record({ state: fc.constant("failed" as const), reason: fc.constantFrom("PoolExhausted" as const, "SharingConflict" as const), message: fc.string() }),
      fc.constant({ state: "released" as const }),
    );
    const condition = fc.record({ type: fc.constantFrom("lodestone.dev/IPAllocated", "x/Other"), status: fc.anything(), lastTransitionTime: fc.anything() }, { requiredKeys: ["type"] });
    const status = fc.oneof(
      fc.anything(),
      fc.record({ loadBalancer: fc.record({ ingress: fc.array(fc.record({ ip: fc.oneof(fc.ipV4(), fc.anything()) })) }), conditions: fc.array(condition, { maxLength: 3 }) }),
    );
    const annotations = fc.dictionary(fc.constantFrom("metallb.io/ip-allocated-from-pool", "metallb.universe.tf/ip-allocated-from-pool", "team"), fc.string());
    fc.assert(
      fc.property(status, annotations, desired, (st, ann, want) => {
        const svc: KubeObject = { metadata: { name: "s", annotations: ann }, status: st };
        const after = applied(svc, planServiceWrite(svc, want, T0));
        expect(planServiceWrite(after, want, T0 + 1000)).toEqual({});
      }),
      { numRuns: 2000 },
    );
  });
});

describe("ingressIPs", () => {
  it("reads an ingress ip that is not a string as \"\" instead of coercing it (found by the property above: an object whose toString is not a function)", () => {
    const svc = { metadata: { name: "s" }, status: { loadBalancer: { ingress: [{ ip: { toString: {} } }, { ip: "192.0.2.7" }] } } } as unknown as KubeObject;
    expect(ingressIPs(svc)).toEqual(["", "192.0.2.7"]);
  });
});
