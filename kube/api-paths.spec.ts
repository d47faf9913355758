import { describe, expect, it } from "vitest";
import { eventsPath, metallbPath, servicePath } from "./api-paths";

describe("REST paths", () => {
  it("takes each metallb.io kind's version and plural from the kinds table", () => {
    expect(metallbPath("IPAddressPool", "metallb-system", "p")).toBe("/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p");
    expect(metallbPath("BGPPeer", "ns", "peer")).toBe("/apis/metallb.io/v1beta2/namespaces/ns/bgppeers/peer");
    expect(metallbPath("ServiceBGPStatus", "ns")).toBe("/apis/metallb.io/v1beta1/namespaces/ns/servicebgpstatuses");
    expect(metallbPath("ConfigurationState", "ns", "controller")).toBe("/apis/metallb.io/v1beta1/namespaces/ns/configurationstates/controller");
  });
  it("encodes every path segment taken from an object", () => {
    expect(metallbPath("ServiceL2Status", "a b", "c/d")).toBe("/apis/metallb.io/v1beta1/namespaces/a%20b/servicel2statuses/c%2Fd");
    expect(servicePath({ namespace: "default", name: "x?y" })).toBe("/api/v1/namespaces/default/services/x%3Fy");
    expect(eventsPath("default")).toBe("/api/v1/namespaces/default/events");
    expect(eventsPath("default", "nginx.17a")).toBe("/api/v1/namespaces/default/events/nginx.17a");
  });
});
