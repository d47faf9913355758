/** IPAddressPool: the addresses Lodestone may hand out to Services of type LoadBalancer. */
import type { KindSource } from "./kind";
import { bool, int64, list, obj, str } from "./schema";
import { selectorList } from "./shared";

const counter = (what: string) => int64(what, { minimum: 0 });

export const ipAddressPool: KindSource = {
  kind: "IPAddressPool",
  plural: "ipaddresspools",
  singular: "ipaddresspool",
  origin: "metallb",
  typesFile: "ipaddresspool",
  examples: [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "lb-ip-pool", namespace: "metallb-system" },
      spec: { addresses: ["192.168.172.160-192.168.172.169"] },
    },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "team-a", namespace: "metallb-system" },
      spec: {
        addresses: ["198.51.100.0/24", "2001:db8:1::/120"],
        autoAssign: false,
        avoidBuggyIPs: true,
        serviceAllocation: { priority: 10, namespaces: ["team-a"], serviceSelectors: [{ matchLabels: { exposure: "public" } }] },
      },
    },
  ],
  description:
    "A set of IP addresses that Lodestone may assign to Services of type LoadBalancer, and the rules for which Services may use them.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      required: ["spec"],
      printerColumns: [
        { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
        { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
        { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
      ],
      spec: obj(
        "The addresses of the pool and how they are handed out.",
        {
          addresses: list(
            "The addresses of the pool. Each entry is a CIDR (192.0.2.0/24, 2001:db8::/120, a /32 or /128 for one address) or an inclusive range `first-last` of one family. IPv4 and IPv6 entries may be mixed, which dual-stack Services need.",
            str("One CIDR or address range."),
          ),
          autoAssign: bool(
            "Whether Services that name no pool may get addresses from this one. When false, only Services that ask for this pool by annotation, or for one of its addresses, get addresses from it.",
            { default: true },
          ),
          avoidBuggyIPs: bool(
            "Never assign an IPv4 address that ends in .0 or .255, which some old network equipment drops.",
            { default: false },
          ),
          serviceAllocation: obj(
            "Restricts the pool to some namespaces and Services, and orders it among other pools. A pool with this field is only used for Services it matches; an empty object matches every Service.",
            {
              priority: int64(
                "Order among pools that match a Service: a lower number is tried first; 0 (or unset) comes after every pool with a priority.",
              ),
              namespaces: list("Namespaces whose Services may use the pool.", str("A namespace name.")),
              namespaceSelectors: selectorList(
                "Namespaces, by label, whose Services may use the pool. Merged with `namespaces`: a Service must be in one of them.",
              ),
              serviceSelectors: selectorList("Services, by label, that may use the pool; a Service must match one selector."),
            },
            { tsName: "ServiceAllocation" },
          ),
        },
        { required: ["addresses"] },
      ),
      status: obj(
        "Address counters, written by the controller.",
        {
          assignedIPv4: counter("How many IPv4 addresses of the pool are assigned to Services."),
          assignedIPv6: counter("How many IPv6 addresses of the pool are assigned to Services."),
          availableIPv4: counter("How many IPv4 addresses of the pool are still free (excluding .0/.255 when avoidBuggyIPs is set)."),
          availableIPv6: counter("How many IPv6 addresses of the pool are still free (saturated at the int64 maximum)."),
        },
        { required: ["assignedIPv4", "assignedIPv6", "availableIPv4", "availableIPv6"] },
      ),
    },
  ],
};
