/**
 * The one typed configuration that every part of Lodestone works from.
 *
 * `parseConfig` (parse.ts) turns the raw metallb.io objects of a namespace into this shape. The
 * webhooks, the controller, the speaker and `lodestone validate` all go through that function, so
 * they can never disagree about what a given set of objects means.
 */
import type { Cidr, IPFamily, IPRange } from "../net/ip";
import type { ReservedRange } from "../net/special";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
}

/** A validated metav1.LabelSelector. An empty selector matches everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

export interface ServiceAllocation {
  /** Lower is tried first; 0 means "after every pool with a priority". */
  priority: number;
  namespaces: string[];
  namespaceSelectors: LabelSelector[];
  serviceSelectors: LabelSelector[];
}

/** One entry of `spec.addresses`, as written and as summarised CIDRs. */
export interface PoolAddressBlock {
  /** The entry as the user wrote it (trimmed). */
  text: string;
  range: IPRange;
  cidrs: Cidr[];
}

export interface Pool {
  name: string;
  labels: Record<string, string>;
  blocks: PoolAddressBlock[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  /** Undefined when the pool has no `serviceAllocation` (it is then a general fallback pool). */
  serviceAllocation?: ServiceAllocation;
  families: IPFamily[];
  /**
   * Blocks of the cluster's Service (ClusterIP) range that overlap the pool: never handed out, like
   * the special-purpose blocks (net/special.ts) every pool skips.
   */
  clusterReserved?: ReservedRange[];
}

export interface L2Advertisement {
  name: string;
  /** Names of the pools this advertisement applies to (names and selectors resolved; all pools when neither is set). */
  pools: string[];
  nodeSelectors: LabelSelector[];
  interfaces: string[];
  serviceSelectors: LabelSelector[];
  /** Soft election preferences (weight 1..100); nodes matching several add their weights up. */
  preferredNodeSelectors?: { weight: number; preference: LabelSelector }[];
  /** Periodic gratuitous ARP/NA while owned (annotation lodestone.dev/gratuitous-interval); absent = none. */
  gratuitousIntervalMs?: number;
}

export type CommunityValue =
  | { kind: "standard"; value: number /* uint32: (AA << 16) | NN */ }
  | { kind: "large"; globalAdmin: number; localData1: number; localData2: number };

export interface BGPAdvertisement {
  name: string;
  pools: string[];
  aggregationLength: number;
  aggregationLengthV6: number;
  localPref: number;
  /** Community values with Community aliases resolved. */
  communities: CommunityValue[];
  /** BGPPeer names; empty means every peer. */
  peers: string[];
  nodeSelectors: LabelSelector[];
  serviceSelectors: LabelSelector[];
}

export interface BFDProfile {
  name: string;
  receiveIntervalMs: number;
  transmitIntervalMs: number;
  detectMultiplier: number;
  echoIntervalMs: number;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTtl?: number;
}

export interface BGPPeer {
  name: string;
  myASN: number;
  /** 0 when dynamicASN is set. */
  peerASN: number;
  /** The peer's AS is learned from its OPEN: ours (internal) or any other (external). */
  dynamicASN?: "internal" | "external";
  /** The AS presented to this peer instead of myASN (FRR's `local-as N no-prepend replace-as`). */
  localASN?: number;
  /** The neighbour's address; "" for an unnumbered peer (`interface`). */
  peerAddress: string;
  /** BGP unnumbered: the session goes to the IPv6 link-local router found on this interface. */
  interface?: string;
  /** The Linux VRF device the session (and its BFD) is bound to; absent: the default VRF. */
  vrf?: string;
  peerPort: number;
  sourceAddress?: string;
  routerID?: string;
  /** Negotiation input, in seconds (0 disables keepalives). Defaults: 90 s hold, hold/3 keepalive. */
  holdTimeS: number;
  keepaliveTimeS: number;
  connectTimeS: number;
  nodeSelectors: LabelSelector[];
  /** The TCP MD5 key, from `password` or resolved from `passwordSecret`. */
  password?: string;
  passwordSecret?: { name: string; namespace: string };
  bfdProfile?: string;
  ebgpMultiHop: boolean;
  enableGracefulRestart: boolean;
  /** One session carries IPv4 and IPv6 unicast, whatever the family of peerAddress. */
  dualStackAddressFamily?: boolean;
}

export interface Config {
  namespace: string;
  pools: Map<string, Pool>;
  l2Advertisements: L2Advertisement[];
  bgpAdvertisements: BGPAdvertisement[];
  peers: BGPPeer[];
  bfdProfiles: Map<string, BFDProfile>;
  communityAliases: Map<string, CommunityValue>;
}

/**
 * One problem with one object. `field` is the path inside the object (`spec.addresses[1]`);
 * `transient` marks problems that only ordering can cause (a referenced BFDProfile, Secret or
 * Community alias that does not exist yet): webhooks let those through and the runtime reports them.
 */
export interface ConfigProblem {
  kind: string;
  name: string;
  field: string;
  message: string;
  transient: boolean;
  /** Stable problem code (problems.ts), e.g. `pool.overlap`; absent on problems built elsewhere. */
  code?: string;
}

/** `<Kind>/<name>: <field>: <message>`, the line format of `lodestone validate` and of webhook denials. */
export function formatProblem(p: ConfigProblem): string {
  return p.field ? `${p.kind}/${p.name}: ${p.field}: ${p.message}` : `${p.kind}/${p.name}: ${p.message}`;
}
