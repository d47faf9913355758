/** Every metallb.io kind Lodestone serves, in the order the generated files and docs list them. */
import { bfdProfile } from "./bfdprofile";
import { bgpAdvertisement } from "./bgpadvertisement";
import { bgpPeer } from "./bgppeer";
import { community } from "./community";
import { configurationState } from "./configurationstate";
import { ipAddressPool } from "./ipaddresspool";
import type { KindSource } from "./kind";
import { l2Advertisement } from "./l2advertisement";
import { serviceBGPStatus } from "./servicebgpstatus";
import { serviceL2Status } from "./servicel2status";

export const kindSources: readonly KindSource[] = [
  ipAddressPool,
  l2Advertisement,
  bgpAdvertisement,
  bgpPeer,
  bfdProfile,
  community,
  serviceL2Status,
  serviceBGPStatus,
  configurationState,
];

export { GROUP, storageVersion, type KindSource, type VersionSource, type PrinterColumn } from "./kind";
export type { SourceSchema, JsonValue, ValidationRule } from "./schema";
