/** Community: names for BGP community values, usable in BGPAdvertisement.spec.communities. */
import type { KindSource } from "./kind";
import { list, obj, str } from "./schema";

export const community: KindSource = {
  kind: "Community",
  plural: "communities",
  singular: "community",
  origin: "metallb",
  typesFile: "community",
  examples: [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "Community",
      metadata: { name: "well-known", namespace: "metallb-system" },
      spec: { communities: [{ name: "no-advertise", value: "65535:65282" }] },
    },
  ],
  description:
    "Named aliases for BGP community values, so that BGPAdvertisements can say `no-export-to-transit` instead of `65535:65281`. Alias names must be unique across all Community objects.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [],
      spec: obj("The aliases.", {
        communities: list(
          "The aliases this object defines.",
          obj(
            "One alias.",
            {
              name: str("The alias, as used in BGPAdvertisement.spec.communities."),
              value: str("The community: `AA:NN` (two 16-bit numbers) or `large:A:B:C` (three 32-bit numbers)."),
            },
            { tsName: "CommunityAlias" },
          ),
        ),
      }),
      status: obj("Empty: a Community has no status.", {}),
    },
  ],
};
