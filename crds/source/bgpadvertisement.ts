/** BGPAdvertisement: announce pools to BGP peers, with the route attributes to use. */
import type { KindSource } from "./kind";
import { int32, int64, list, obj, str } from "./schema";
import { selectorList } from "./shared";

export const bgpAdvertisement: KindSource = {
  kind: "BGPAdvertisement",
  plural: "bgpadvertisements",
  singular: "bgpadvertisement",
  origin: "metallb",
  typesFile: "bgpadvertisement",
  examples: [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "BGPAdvertisement",
      metadata: { name: "to-core", namespace: "metallb-system" },
      spec: { ipAddressPools: ["team-a"], aggregationLength: 32, localPref: 100, communities: ["65535:65282"], peers: ["core-router"] },
    },
  ],
  description:
    "Announces the addresses of some pools to BGP peers: every eligible node advertises a route with itself as the next hop.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
        { name: "IPAddressPool Selectors", type: "string", jsonPath: ".spec.ipAddressPoolSelectors" },
        { name: "Peers", type: "string", jsonPath: ".spec.peers" },
        // MetalLB shows node selectors only with -o wide, as for L2Advertisement.
        { name: "Node Selectors", type: "string", jsonPath: ".spec.nodeSelectors", priority: 10 },
      ],
      spec: obj(
        "Which pools are advertised, to which peers, from which nodes, with which attributes.",
        {
          aggregationLength: int32(
            "Prefix length of the IPv4 routes: 32 advertises each address, a shorter length advertises the covering prefix once.",
            { minimum: 1, default: 32 },
          ),
          aggregationLengthV6: int32("Prefix length of the IPv6 routes, as aggregationLength for IPv4.", { default: 128 }),
          localPref: int64("The LOCAL_PREF attribute of the routes; sent to internal (iBGP) peers only.", {
            minimum: 0,
            maximum: 4294967295,
          }),
          communities: list(
            "BGP communities attached to the routes: `AA:NN` (two 16-bit numbers), `large:A:B:C` (three 32-bit numbers), or the name of an alias defined in a Community object.",
            str("One community value or alias."),
          ),
          ipAddressPools: list(
            "Pools to advertise, by name. When neither this nor ipAddressPoolSelectors is set, every pool is advertised.",
            str("An IPAddressPool name."),
          ),
          ipAddressPoolSelectors: selectorList("Pools to advertise, by label; a pool matching any selector is advertised."),
          nodeSelectors: selectorList("Nodes that advertise (and so receive traffic), by label; every node when empty."),
          peers: list("BGPPeer names to advertise to; every peer when empty.", str("A BGPPeer name.")),
          serviceSelectors: selectorList(
            "Services this advertisement applies to, by label; every Service when empty. Only allowed with the default aggregation lengths (32 and 128).",
          ),
        },
        {
          "x-kubernetes-validations": [
            {
              rule: "!has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))",
              message: "serviceSelectors can only be used with aggregationLength 32 and aggregationLengthV6 128",
            },
          ],
        },
      ),
      status: obj("Empty: a BGPAdvertisement has no status.", {}),
    },
  ],
};
