import { describe, expect, it } from "vitest";
import { eventsPath, metallbPath, servicePath, watchedCollectionPath } from "./api-paths";
import { isListedClusterWide, type WatchedResource } from "./controller-port";

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
  it("lists the controller's resources where isListedClusterWide says: cluster-wide, or in the Lodestone namespace", () => {
    const all: WatchedResource[] = ["Service", "Namespace", "IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community", "ServiceL2Status", "ServiceBGPStatus", "EndpointSlice", "Node"];
    expect(Object.fromEntries(all.map(r => [r, watchedCollectionPath(r, "metallb-system")]))).toEqual({
      Service: "/api/v1/services",
      Namespace: "/api/v1/namespaces",
      IPAddressPool: "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools",
      L2Advertisement: "/apis/metallb.io/v1beta1/namespaces/metallb-system/l2advertisements",
      BGPAdvertisement: "/apis/metallb.io/v1beta1/namespaces/metallb-system/bgpadvertisements",
      BGPPeer: "/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers",
      BFDProfile: "/apis/metallb.io/v1beta1/namespaces/metallb-system/bfdprofiles",
      Community: "/apis/metallb.io/v1beta1/namespaces/metallb-system/communities",
      ServiceL2Status: "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses",
      ServiceBGPStatus: "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicebgpstatuses",
      EndpointSlice: "/apis/discovery.k8s.io/v1/endpointslices",
      Node: "/api/v1/nodes",
    });
    for (const r of all) expect(watchedCollectionPath(r, "ns").includes("/namespaces/ns/")).toBe(!isListedClusterWide(r));
  });
});
