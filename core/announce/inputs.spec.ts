import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { endpointConditions, ingressIPs, readEndpointSlice, readNode, readService } from "./inputs";

const service = (more: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  metadata: { name: "web", namespace: "shop", uid: "u1", labels: { app: "web" }, annotations: { "metallb.io/ip-allocated-from-pool": "p1", "metallb.io/allow-shared-ip": "k" } },
  spec: { type: "LoadBalancer", clusterIP: "10.0.0.1", externalTrafficPolicy: "Local", ...spec },
  status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }, { ip: "2001:0db8::0001" }] } },
  ...more,
});

describe("readService", () => {
  it("reads what announcing depends on, IPs canonical", () => {
    expect(readService(service())).toEqual({
      key: "shop/web",
      namespace: "shop",
      name: "web",
      uid: "u1",
      labels: { app: "web" },
      ips: ["192.0.2.1", "2001:db8::1"],
      externalTrafficPolicy: "Local",
      sharingKey: "k",
      allocatedPool: "p1",
    });
  });

  it("reads publishNotReadyAddresses when true, and only then", () => {
    expect(readService(service({}, { publishNotReadyAddresses: true }))?.publishNotReadyAddresses).toBe(true);
    expect(readService(service({}, { publishNotReadyAddresses: false }))).not.toHaveProperty("publishNotReadyAddresses");
    expect(readService(service({}, { publishNotReadyAddresses: "true" }))).not.toHaveProperty("publishNotReadyAddresses");
  });

  it("reads the deprecated pool annotation", () => {
    const s = { ...service(), metadata: { name: "web", namespace: "shop", annotations: { "metallb.universe.tf/ip-allocated-from-pool": "old" } } };
    expect(readService(s)?.allocatedPool).toBe("old");
  });

  it.each([
    ["not a LoadBalancer", service({}, { type: "ClusterIP" }), undefined],
    ["another class", service({}, { loadBalancerClass: "other" }), undefined],
    ["no ingress yet", service({ status: {} }), undefined],
  ])("ignores a service with %s", (_, s, lbClass) => {
    expect(readService(s, lbClass)).toBeUndefined();
  });

  it("handles only its own class when one is set", () => {
    expect(readService(service({}, { loadBalancerClass: "lodestone" }), "lodestone")?.key).toBe("shop/web");
    expect(readService(service(), "lodestone")).toBeUndefined();
  });

  it("skips ingress entries that are not one IP and repeats", () => {
    expect(ingressIPs({ status: { loadBalancer: { ingress: [{ ip: "x" }, { hostname: "h" }, { ip: "192.0.2.1" }, { ip: "192.0.2.1" }] } } })).toEqual(["192.0.2.1"]);
  });
});

describe("endpointConditions (discovery.k8s.io/v1 EndpointConditions)", () => {
  it.each([
    [{}, { ready: true, serving: true }],
    [{ ready: null }, { ready: true, serving: true }],
    [{ ready: true, serving: true, terminating: false }, { ready: true, serving: true }],
    [{ ready: false, serving: true, terminating: true }, { ready: false, serving: true }],
    [{ ready: false, serving: false, terminating: false }, { ready: false, serving: false }],
    [{ ready: false }, { ready: false, serving: false }],
    [{ ready: true, serving: false, terminating: true }, { ready: true, serving: false }],
    [undefined, { ready: true, serving: true }],
  ])("%j reads as %j", (conditions, expected) => {
    expect(endpointConditions(conditions)).toEqual(expected);
  });
});

describe("readEndpointSlice", () => {
  it("reads the service key, readiness and node of each endpoint", () => {
    const slice = {
      metadata: { name: "web-abc", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
      endpoints: [
        { addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "n1" },
        { addresses: ["10.1.0.2"], conditions: { ready: false, serving: false, terminating: false }, nodeName: "n2" },
        { addresses: ["10.1.0.3"] },
      ],
    };
    expect(readEndpointSlice(slice)).toEqual({ serviceKey: "shop/web", endpoints: [{ ready: true, serving: true, nodeName: "n1" }, { ready: false, serving: false, nodeName: "n2" }, { ready: true, serving: true }] });
  });

  it("ignores a slice without the service-name label", () => {
    expect(readEndpointSlice({ metadata: { name: "x", namespace: "shop" }, endpoints: [] })).toBeUndefined();
  });
});

describe("readNode", () => {
  it("reads NetworkUnavailable=True only", () => {
    const node = (status: string) => ({ metadata: { name: "n1", labels: { a: "b" } }, status: { conditions: [{ type: "Ready", status: "True" }, { type: "NetworkUnavailable", status }] } });
    expect(readNode(node("True"))).toEqual({ name: "n1", labels: { a: "b" }, networkUnavailable: true });
    expect(readNode(node("False"))).toEqual({ name: "n1", labels: { a: "b" }, networkUnavailable: false });
    expect(readNode({ metadata: {} })).toBeUndefined();
  });
});

describe("readers never throw on arbitrary JSON", () => {
  it("holds for any value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), v => {
        readService(v);
        readEndpointSlice(v);
        readNode(v);
        ingressIPs(v);
        expect(Object.keys(endpointConditions(v))).toEqual(["ready", "serving"]);
      }),
      { numRuns: 500 },
    );
  });

  it("holds for objects shaped like the real ones with arbitrary leaves", () => {
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    const shaped = fc.record({
      metadata: fc.record({ name: leaf, namespace: leaf, labels: fc.dictionary(fc.string(), leaf), annotations: fc.dictionary(fc.string(), leaf) }),
      spec: fc.record({ type: fc.oneof(fc.constant("LoadBalancer"), leaf), externalTrafficPolicy: leaf, clusterIP: leaf }),
      status: fc.record({ loadBalancer: fc.record({ ingress: fc.array(fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6(), leaf) })) }), conditions: fc.array(fc.record({ type: leaf, status: leaf })) }),
      endpoints: fc.array(fc.record({ conditions: fc.record({ ready: leaf, serving: leaf }), nodeName: leaf })),
    });
    fc.assert(
      fc.property(shaped, v => {
        const s = readService(v);
        if (s) for (const ip of s.ips) expect(ip).toMatch(/^[0-9a-f:.]+$/);
        const e = readEndpointSlice(v);
        if (e) expect(e.endpoints.length).toBe(v.endpoints.length);
        readNode(v);
      }),
      { numRuns: 500 },
    );
  });
});
