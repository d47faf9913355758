/** The controller learns the cluster's Service range from the API and never hands it out. */
import { afterEach, describe, expect, it } from "vitest";
import { Bench, pool, service } from "../test/controller/testing";

const T0 = "2026-11-22T01:00:00Z";
let bench: Bench;

afterEach(async () => {
  await bench?.stop();
});

const kubernetes = service("kubernetes", { type: "ClusterIP", clusterIPs: ["10.96.0.1"] });

describe("the cluster's Service range", () => {
  it("falls back to the kubernetes Service's ClusterIP: that address is skipped and refused as ReservedIP", async () => {
    bench = new Bench();
    const b = bench;
    b.put("Service", kubernetes);
    b.put("IPAddressPool", pool("careless", ["10.96.0.0-10.96.0.2"]));
    await b.start();
    b.put("Service", service("a"));
    await b.settled();
    b.put("Service", service("b"));
    b.put("Service", service("api", { loadBalancerIP: "10.96.0.1" }));
    await b.settled();
    expect(b.ingress("a")).toEqual(["10.96.0.0"]);
    expect(b.ingress("b")).toEqual(["10.96.0.2"]);
    expect(b.ingress("api")).toEqual([]);
    expect(b.condition("api")).toEqual({
      type: "lodestone.dev/IPAllocated",
      status: "False",
      reason: "ReservedIP",
      message: '"10.96.0.1" is never handed out: it lies in 10.96.0.1/32 (the ClusterIP of Service default/kubernetes, near which the cluster\'s Service range probably lies)',
      lastTransitionTime: T0,
    });
  });

  it("takes the whole range from ServiceCIDR objects, and refuses a configuration whose only pool lies inside it", async () => {
    bench = new Bench();
    const b = bench;
    b.api.serviceCIDRs = [{ apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", metadata: { name: "kubernetes" }, spec: { cidrs: ["10.96.0.0/16"] } }];
    b.put("Service", kubernetes);
    b.put("IPAddressPool", pool("inside", ["10.96.1.0/24"]));
    await b.start();
    expect(b.api.get("ConfigurationState", "metallb-system", "controller")?.status).toMatchObject({
      result: "Invalid",
      errorSummary: expect.stringContaining("IPAddressPool/inside: spec.addresses: every address of the pool is one that is never handed out (10.96.0.0/16 the cluster's Service range, ServiceCIDR kubernetes)"),
    });
  });

  it("a 0.0.0.0/0 pool gives 1.0.0.0 first and a multicast request fails as ReservedIP", async () => {
    bench = new Bench();
    const b = bench;
    b.put("IPAddressPool", pool("everything", ["0.0.0.0/0"]));
    await b.start();
    b.put("Service", service("first"));
    await b.settled();
    b.put("Service", service("ospf", { loadBalancerIP: "224.0.0.5" }));
    await b.settled();
    expect(b.ingress("first")).toEqual(["1.0.0.0"]);
    expect(b.condition("ospf")).toMatchObject({ reason: "ReservedIP", message: '"224.0.0.5" is never handed out: it lies in 224.0.0.0/4 (multicast)' });
  });
});
