/**
 * The metallb.io kinds Lodestone reads and writes: version and plural, written down once. Plain data
 * (no Kubernetes client), so that the speaker and the REST paths (api-paths.ts) use it without
 * loading kubernetes-fluent-client; kinds.ts adds the fluent-client classes for the controller.
 */
export const METALLB_GROUP = "metallb.io";

/** The six kinds users write to configure Lodestone, in the order `lodestone validate` reports them. */
export const configKindTable = [
  { kind: "IPAddressPool", version: "v1beta1", plural: "ipaddresspools" },
  { kind: "L2Advertisement", version: "v1beta1", plural: "l2advertisements" },
  { kind: "BGPAdvertisement", version: "v1beta1", plural: "bgpadvertisements" },
  { kind: "BGPPeer", version: "v1beta2", plural: "bgppeers" },
  { kind: "BFDProfile", version: "v1beta1", plural: "bfdprofiles" },
  { kind: "Community", version: "v1beta1", plural: "communities" },
] as const;

export const statusKindTable = [
  { kind: "ServiceL2Status", version: "v1beta1", plural: "servicel2statuses" },
  { kind: "ServiceBGPStatus", version: "v1beta1", plural: "servicebgpstatuses" },
  { kind: "ConfigurationState", version: "v1beta1", plural: "configurationstates" },
] as const;

export type MetallbKindName = (typeof configKindTable)[number]["kind"] | (typeof statusKindTable)[number]["kind"];
