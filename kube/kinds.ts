/**
 * kubernetes-fluent-client classes for the metallb.io kinds, so that `K8s(IPAddressPoolKind)` and
 * Pepr's `When(IPAddressPoolKind)` know their group, version and plural.
 *
 * The spec and status shapes stay `unknown` on purpose: everything read from the API goes through
 * parseConfig (core/config) before any code relies on its shape.
 */
import { GenericKind, RegisterKind } from "kubernetes-fluent-client";
import { METALLB_GROUP, configKindTable, statusKindTable } from "./metallb-kinds";

export { METALLB_GROUP } from "./metallb-kinds";

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

const model = {
  IPAddressPool: IPAddressPoolKind,
  L2Advertisement: L2AdvertisementKind,
  BGPAdvertisement: BGPAdvertisementKind,
  BGPPeer: BGPPeerKind,
  BFDProfile: BFDProfileKind,
  Community: CommunityKind,
  ServiceL2Status: ServiceL2StatusKind,
  ServiceBGPStatus: ServiceBGPStatusKind,
  ConfigurationState: ConfigurationStateKind,
} as const;

/** The six kinds users write to configure Lodestone, in the order `lodestone validate` reports them. */
export const configKinds = configKindTable.map(k => ({ ...k, model: model[k.kind] }));

export const statusKinds = statusKindTable.map(k => ({ ...k, model: model[k.kind] }));

for (const k of [...configKinds, ...statusKinds]) {
  RegisterKind(k.model, { group: METALLB_GROUP, version: k.version, kind: k.kind, plural: k.plural });
}
