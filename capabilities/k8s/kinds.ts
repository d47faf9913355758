/**
 * kubernetes-fluent-client classes for the metallb.io kinds, so that `K8s(IPAddressPoolKind)` and
 * Pepr's `When(IPAddressPoolKind)` know their group, version and plural.
 *
 * The spec and status shapes stay `unknown` on purpose: everything read from the API goes through
 * parseConfig (capabilities/config) before any code relies on its shape.
 */
import { GenericKind, RegisterKind } from "kubernetes-fluent-client";

export const METALLB_GROUP = "metallb.io";

class MetallbObject extends GenericKind {
  declare spec?: unknown;
  declare status?: unknown;
}

export class IPAddressPoolKind extends MetallbObject {}
export class L2AdvertisementKind extends MetallbObject {}
export class BGPAdvertisementKind extends MetallbObject {}
export class BGPPeerKind extends MetallbObject {}
export class BFDProfileKind extends MetallbObject {}
export class CommunityKind extends MetallbObject {}
export class ServiceL2StatusKind extends MetallbObject {}
export class ServiceBGPStatusKind extends MetallbObject {}
export class ConfigurationStateKind extends MetallbObject {}

/** The six kinds users write to configure Lodestone, in the order `lodestone validate` reports them. */
export const configKinds = [
  { model: IPAddressPoolKind, kind: "IPAddressPool", version: "v1beta1", plural: "ipaddresspools" },
  { model: L2AdvertisementKind, kind: "L2Advertisement", version: "v1beta1", plural: "l2advertisements" },
  { model: BGPAdvertisementKind, kind: "BGPAdvertisement", version: "v1beta1", plural: "bgpadvertisements" },
  { model: BGPPeerKind, kind: "BGPPeer", version: "v1beta2", plural: "bgppeers" },
  { model: BFDProfileKind, kind: "BFDProfile", version: "v1beta1", plural: "bfdprofiles" },
  { model: CommunityKind, kind: "Community", version: "v1beta1", plural: "communities" },
] as const;

export const statusKinds = [
  { model: ServiceL2StatusKind, kind: "ServiceL2Status", version: "v1beta1", plural: "servicel2statuses" },
  { model: ServiceBGPStatusKind, kind: "ServiceBGPStatus", version: "v1beta1", plural: "servicebgpstatuses" },
  { model: ConfigurationStateKind, kind: "ConfigurationState", version: "v1beta1", plural: "configurationstates" },
] as const;

for (const k of [...configKinds, ...statusKinds]) {
  RegisterKind(k.model, { group: METALLB_GROUP, version: k.version, kind: k.kind, plural: k.plural });
}
