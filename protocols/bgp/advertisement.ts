/**
 * The path attributes MetalLB's native speaker puts on a service route (encodePathAttrs in
 * https://github.com/metallb/metallb/blob/main/internal/bgp/native/messages.go): ORIGIN IGP;
 * AS_PATH empty towards an internal peer and [our AS] towards an external one; LOCAL_PREF only
 * towards an internal peer (where RFC 4271 requires it); the advertisement's communities,
 * standard and large, de-duplicated and sorted so that equal advertisements encode identically
 * (and so share UPDATEs).
 */
import type { CommunityValue } from "../../core/config/types";
import type { LargeCommunity } from "./codec/attributes";
import { isInternal } from "./open-checks";
import type { RouteAttributes } from "./update-packer";

export interface AdvertisementAttributes {
  readonly localPref: number;
  readonly communities: readonly CommunityValue[];
}

/** `peer.myAsn` is the AS presented to the peer (localASN when set): with FRR's `local-as N no-prepend
 * replace-as` the AS_PATH an external peer gets holds that AS alone. */
export function routeAttributes(peer: Parameters<typeof isInternal>[0], adv: AdvertisementAttributes): RouteAttributes {
  const internal = isInternal(peer);
  const standard = [...new Set(adv.communities.flatMap(c => (c.kind === "standard" ? [c.value >>> 0] : [])))].sort((a, b) => a - b);
  const largeByKey = new Map<string, LargeCommunity>();
  for (const c of adv.communities) {
    if (c.kind === "large") largeByKey.set(`${c.globalAdmin}:${c.localData1}:${c.localData2}`, { globalAdmin: c.globalAdmin, localData1: c.localData1, localData2: c.localData2 });
  }
  const large = [...largeByKey.values()].sort((a, b) => a.globalAdmin - b.globalAdmin || a.localData1 - b.localData1 || a.localData2 - b.localData2);
  return {
    origin: 0,
    asPath: internal ? [] : [{ type: 2, asns: [peer.myAsn] }],
    ...(internal ? { localPref: adv.localPref } : {}),
    ...(standard.length > 0 ? { communities: standard } : {}),
    ...(large.length > 0 ? { largeCommunities: large } : {}),
  };
}
