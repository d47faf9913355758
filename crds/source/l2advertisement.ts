/** L2Advertisement: announce pools on the local network by ARP (IPv4) and NDP (IPv6). */
import type { KindSource } from "./kind";
import { describedAs, int32, list, obj, str } from "./schema";
import { labelSelector, selectorList } from "./shared";


export const l2Advertisement: KindSource = {
  kind: "L2Advertisement",
  plural: "l2advertisements",
  singular: "l2advertisement",
  origin: "metallb",
  typesFile: "l2advertisement",
  examples: [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "l2adver", namespace: "metallb-system" },
      spec: { ipAddressPools: ["lb-ip-pool"] },
    },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "edge-nodes", namespace: "metallb-system" },
      spec: {
        ipAddressPoolSelectors: [{ matchLabels: { announce: "l2" } }],
        nodeSelectors: [{ matchLabels: { "node-role.kubernetes.io/edge": "" } }],
        interfaces: ["eth1"],
        preferredNodeSelectors: [{ weight: 50, preference: { matchLabels: { "topology.kubernetes.io/zone": "a" } } }],
      },
    },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "aging-switches", namespace: "metallb-system", annotations: { "lodestone.dev/gratuitous-interval": "60s" } },
      spec: { ipAddressPools: ["lb-ip-pool"] },
    },
  ],
  description:
    "Announces the addresses of some pools in layer 2 mode: one elected node answers ARP and NDP for each Service address.",
  annotations: [
    {
      name: "lodestone.dev/gratuitous-interval",
      description:
        "Periodic gratuitous announcements: while a node owns an address of these pools it repeats the gratuitous ARP request and reply (IPv4) or unsolicited Neighbor Advertisement (IPv6) of its takeover at this interval, for switches whose MAC tables age out before the routers' and hosts' ARP caches (MetalLB issue 2910). A Go duration from `1s` to `1h` (`30s`, `5m`); `0` or no annotation: none, only the takeover burst. When several advertisements select the node, the shortest interval applies. Rounds that fall within the takeover burst are skipped. A bad value is refused naming `metadata.annotations[lodestone.dev/gratuitous-interval]`.",
    },
  ],
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
        { name: "IPAddressPool Selectors", type: "string", jsonPath: ".spec.ipAddressPoolSelectors" },
        { name: "Interfaces", type: "string", jsonPath: ".spec.interfaces" },
        { name: "Node Selectors", type: "string", jsonPath: ".spec.nodeSelectors", priority: 10 },
      ],
      spec: obj("Which pools are announced, from which nodes and on which interfaces.", {
        ipAddressPools: list(
          "Pools to announce, by name. When neither this nor ipAddressPoolSelectors is set, every pool is announced.",
          str("An IPAddressPool name."),
        ),
        ipAddressPoolSelectors: selectorList("Pools to announce, by label; a pool matching any selector is announced."),
        nodeSelectors: selectorList(
          "Nodes that may announce, by label; a node matching any selector may. Every node may when empty.",
        ),
        interfaces: list(
          "Host interfaces to announce on; every eligible interface when empty. Does not take part in the election.",
          str("An interface name."),
        ),
        serviceSelectors: selectorList(
          "Services this advertisement applies to, by label; every Service when empty. Services that share an IP are not announced by an advertisement with service selectors.",
        ),
        preferredNodeSelectors: list(
          "Soft preferences for the election: each eligible node scores the sum of the weights of the preferences it matches, and the highest score wins; ties fall back to the hash order.",
          obj(
            "One weighted preference.",
            {
              weight: int32("How much matching this preference adds to a node's score.", { minimum: 1, maximum: 100 }),
              preference: describedAs(labelSelector, "The nodes this preference favours."),
            },
            { required: ["weight", "preference"], tsName: "PreferredNodeSelector" },
          ),
        ),
      }),
      status: obj("Empty: an L2Advertisement has no status.", {}),
    },
  ],
};
