import { describe, expect, it } from "vitest";
import { clusterServiceRanges } from "./service-range";

const serviceCIDR = (name: string, cidrs: unknown) => ({ apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", metadata: { name }, spec: { cidrs } });
const kubernetes = { metadata: { name: "kubernetes", namespace: "default" }, spec: { clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1", "fd00:10:96::1"] } };

describe("the cluster's Service range", () => {
  it("comes from every ServiceCIDR's spec.cidrs, ignoring text that is no CIDR", () => {
    const ranges = clusterServiceRanges([serviceCIDR("kubernetes", ["10.96.0.0/16", "fd00:10:96::/108"]), serviceCIDR("extra", ["nope", 7])], kubernetes);
    expect(ranges.map(r => `${r.text} ${r.what}`)).toEqual([
      "10.96.0.0/16 the cluster's Service range, ServiceCIDR kubernetes",
      "fd00:10:96::/108 the cluster's Service range, ServiceCIDR kubernetes",
    ]);
  });

  it("falls back to the kubernetes Service's ClusterIPs, one address each", () => {
    expect(clusterServiceRanges([], kubernetes).map(r => r.text)).toEqual(["10.96.0.1/32", "fd00:10:96::1/128"]);
    expect(clusterServiceRanges([serviceCIDR("empty", [])], { spec: { clusterIP: "10.0.0.1" } }).map(r => r.text)).toEqual(["10.0.0.1/32"]);
  });

  it("is empty when nothing is known", () => {
    expect(clusterServiceRanges([], undefined)).toEqual([]);
    expect(clusterServiceRanges([], { spec: { clusterIP: "None" } })).toEqual([]);
  });
});
