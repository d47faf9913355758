import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StringTable } from "./shared-strings";

describe("StringTable", () => {
  it("leaves every object equal to what it was, at any depth (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), v => {
        const before = structuredClone(v);
        expect(new StringTable(8, 12).share(v)).toEqual(before);
      }),
    );
  });

  it("holds each distinct string value once, whatever object or array it is in, and not the keys", () => {
    const t = new StringTable();
    const svc = (name: string): unknown => ({ kind: "Service", metadata: { name, creationTimestamp: "2026-12-06T18:09:10Z" }, spec: { type: "LoadBalancer", ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4"] } });
    t.share(svc("a"));
    t.share(svc("b"));
    t.share([svc("c"), "LoadBalancer", 3, null, true]);
    // The timestamp, LoadBalancer and SingleStack; shorter values are shared by JSON.parse already.
    expect(t.size).toBe(3);
  });

  it("leaves alone the values that name one object or one Service's address", () => {
    const t = new StringTable();
    t.share({
      metadata: { name: "a-long-service-name", uid: "0b0f4a53-6c55-4d2c-9d10-3f3d7bb3e0a1", resourceVersion: "1234567890" },
      spec: { clusterIP: "10.96.100.200", clusterIPs: ["10.96.100.200"], loadBalancerIP: "198.51.100.10" },
      status: { loadBalancer: { ingress: [{ ip: "198.51.100.10" }] } },
    });
    expect(t.size).toBe(0);
    // The same keys holding something else than strings are walked as usual.
    t.share({ name: { first: "a-long-first-name" } });
    expect(t.size).toBe(1);
  });

  it("leaves values shorter than 10 or longer than maxLength alone, and starts over when full", () => {
    const t = new StringTable(3, 12);
    t.share({ a: "1234567890123", b: "xxxxxxxxxx", c: "yyyyyyyyyy", d: "short" });
    expect(t.size).toBe(2);
    t.share(["zzzzzzzzzz", "wwwwwwwwww"]);
    // z made three; w found the table full, so it holds only w now.
    expect(t.size).toBe(1);
  });

  it("stops at depth 64 (a cycle does not loop)", () => {
    const o: Record<string, unknown> = { s: "a value of some length" };
    o.self = o;
    const t = new StringTable();
    expect(t.share(o)).toBe(o);
    expect(t.size).toBe(1);
  });
});
