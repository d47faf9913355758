/**
 * What this node announces, and how: the pure core shared by the L2 speaker now and the BGP speaker
 * later. From the configuration and the watched objects it decides, for every Service with ingress
 * IPs, its pool, the advertisements that apply, whether it may be announced at all (reference
 * 1.3, 1.4, 2.5, 2.6) and, when not, why. No Kubernetes, no clock: the same inputs give the same
 * answer on every node.
 *
 * L2 ownership itself is not decided here: it needs the liveness view, which only the data plane
 * has. Each L2 entry carries the election inputs for every candidate node; the data plane runs the
 * election (core/election/election.ts) with the speakers it hears.
 */
import type { Config, CommunityValue, L2Advertisement, BGPAdvertisement, Pool } from "../config/types";
import { matchesAny } from "../config/selector";
import type { AnnouncedService } from "../election/announcements";
import { elect, EXCLUDE_LB_LABEL, type ElectionAdvertisement, type ElectionNode, type ExclusionReason } from "../election/election";
import { formatCidr, hostMask, parseIP, rangeContains, type IPAddress } from "../net/ip";
import { reservedRangeOf } from "../net/special";
import { countingEndpoints, type Endpoints } from "./endpoints";
import type { EndpointSliceView, SpeakerService } from "./inputs";

export interface AnnounceInput {
  readonly config: Config;
  readonly services: readonly SpeakerService[];
  readonly endpointSlices: readonly EndpointSliceView[];
  readonly nodes: readonly ElectionNode[];
  /** This speaker's node. */
  readonly node: string;
  /** --ignore-exclude-lb: nodes labelled exclude-from-external-load-balancers may announce. */
  readonly ignoreExcludeLB?: boolean;
}

export type NotAnnouncedReason =
  | "NoPool"
  | "IPNotInPool"
  | "ReservedIP"
  | "NoAdvertisement"
  | "SharedIPWithServiceSelector"
  | "NoReadyEndpoint"
  | "NoEligibleNode";

/**
 * Verdicts that refuse what a Service's status asks for: whoever can write status.loadBalancer
 * must not be able to make the nodes answer for an address no pool and advertisement grants
 * (the CVE-2020-8554 family). The speaker logs, counts and reports each (speaker/refusals.ts).
 */
export const REFUSALS: ReadonlySet<NotAnnouncedReason> = new Set(["NoPool", "IPNotInPool", "ReservedIP", "NoAdvertisement"]);

/** Why this node does not advertise a Service by BGP (MetalLB's words where it has them). */
export type BGPNodeReason = "noEndpoints" | "noLocalEndpoints" | "nodeSelector" | "networkUnavailable" | "excludedFromLoadBalancers";

export interface NotAnnounced {
  readonly reason: NotAnnouncedReason;
  readonly message: string;
}

export interface ServiceVerdict {
  /** `namespace/name`. */
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool?: string;
  /** Layer 2: undefined when no L2Advertisement applies; otherwise the nodes that may win the election (liveness aside) or why none may. */
  readonly l2?: { readonly candidates: readonly string[] } | NotAnnounced;
  /** BGP: undefined when no BGPAdvertisement applies; otherwise whether this node advertises. */
  readonly bgp?: { readonly advertises: true } | { readonly advertises: false; readonly reason: BGPNodeReason };
  /** Set when the Service cannot be announced by any protocol, by any node. */
  readonly notAnnounced?: NotAnnounced;
}

export interface BGPRoute {
  /** The advertised prefix (`/aggregationLength` around the IP), canonical CIDR text. */
  readonly prefix: string;
  readonly localPref: number;
  /** Union of the communities of every advertisement giving this prefix, deduplicated, in first-seen order. */
  readonly communities: readonly CommunityValue[];
  /** BGPPeer names this node sends the prefix to, sorted. */
  readonly peers: readonly string[];
}

/** A Service this node advertises by BGP. */
export interface BGPAnnouncement {
  readonly service: string;
  readonly ips: readonly string[];
  readonly routes: readonly BGPRoute[];
}

export interface DesiredState {
  /** Services for the L2 data plane, sorted by name. */
  readonly l2: readonly AnnouncedService[];
  /** Services this node advertises by BGP, sorted by name. */
  readonly bgp: readonly BGPAnnouncement[];
  /** One verdict per Service with ingress IPs, sorted by name. */
  readonly verdicts: readonly ServiceVerdict[];
}

const EXCLUSION_TEXT: Record<ExclusionReason, string> = {
  "no-live-speaker": "no live speaker",
  "node-selector": "not selected by the L2Advertisements' nodeSelectors",
  "network-unavailable": "NetworkUnavailable",
  "exclude-from-external-load-balancers": `labelled ${EXCLUDE_LB_LABEL}`,
  "no-local-endpoint": "no ready local endpoint (externalTrafficPolicy Local)",
};

const inPool = (pool: Pool, ip: IPAddress): boolean => pool.blocks.some(b => rangeContains(b.range, ip));

/**
 * The pool of a Service: the one the controller recorded when it holds the first IP (pools may
 * be renamed), else the pool holding its first IP. The annotation alone proves nothing: anyone who
 * may edit the Service may write it.
 */
export function poolOf(config: Config, service: SpeakerService): Pool | undefined {
  const first = service.ips[0] === undefined ? undefined : parseIP(service.ips[0]);
  if (!first) return undefined;
  const named = service.allocatedPool === undefined ? undefined : config.pools.get(service.allocatedPool);
  if (named && inPool(named, first)) return named;
  for (const pool of config.pools.values()) if (inPool(pool, first)) return pool;
  return undefined;
}

/** Why the Service's IPs may not be announced from `pool` (every IP must be a usable address of it), if they may not. */
function ipsRefused(pool: Pool, service: SpeakerService): NotAnnounced | undefined {
  for (const text of service.ips) {
    const ip = parseIP(text);
    if (!ip || !inPool(pool, ip)) return { reason: "IPNotInPool", message: `ingress IP ${text} is not in pool ${pool.name} of the service's first IP ${service.ips[0] ?? ""}` };
    const reserved = reservedRangeOf(ip, pool.clusterReserved);
    if (reserved) return { reason: "ReservedIP", message: `ingress IP ${text} lies in ${reserved.text} (${reserved.what}), which is never announced` };
  }
  return undefined;
}

const appliesTo = (ad: L2Advertisement | BGPAdvertisement, pool: Pool, service: SpeakerService): boolean =>
  ad.pools.includes(pool.name) && matchesAny(ad.serviceSelectors, service.labels);

/** The EndpointSlices of each Service, by `namespace/name`. */
export function slicesByService(slices: readonly EndpointSliceView[]): Map<string, EndpointSliceView[]> {
  const out = new Map<string, EndpointSliceView[]>();
  for (const slice of slices) {
    const list = out.get(slice.serviceKey);
    if (list) list.push(slice);
    else out.set(slice.serviceKey, [slice]);
  }
  return out;
}

/** What computeDesired decides for one Service: its verdict, and its L2 entry / BGP announcement when it has one. */
export interface ServiceDesired {
  readonly verdict: ServiceVerdict;
  readonly l2?: AnnouncedService;
  readonly bgp?: BGPAnnouncement;
}

/** What every Service's decision shares: the configuration, the nodes, this node. */
export type DesiredContext = Omit<AnnounceInput, "services" | "endpointSlices">;

/** The endpoints that count for one Service, from its slices (countingEndpoints). */
export const serviceEndpoints = (service: SpeakerService, slices: readonly EndpointSliceView[] | undefined): Endpoints =>
  countingEndpoints(slices ?? [], service.publishNotReadyAddresses === true);

/**
 * One Service's decision. It depends on nothing but the context, the Service and its endpoints, so a
 * caller that keeps the previous answers (speaker/speaker-state.ts) recomputes only the Services that changed.
 */
export function desiredFor(ctx: DesiredContext, service: SpeakerService, eps: Endpoints): ServiceDesired {
  const pool = poolOf(ctx.config, service);
  if (!pool) return { verdict: { service: service.key, ips: service.ips, notAnnounced: { reason: "NoPool", message: `ingress IP ${service.ips[0] ?? ""} is not in any IPAddressPool` } } };
  const base = { service: service.key, ips: service.ips, pool: pool.name };
  const refused = ipsRefused(pool, service);
  if (refused) return { verdict: { ...base, notAnnounced: refused } };
  const l2Ads = ctx.config.l2Advertisements.filter(ad => appliesTo(ad, pool, service));
  const bgpAds = ctx.config.bgpAdvertisements.filter(ad => appliesTo(ad, pool, service));
  if (l2Ads.length === 0 && bgpAds.length === 0) {
    const notAnnounced: NotAnnounced = { reason: "NoAdvertisement", message: `no L2Advertisement or BGPAdvertisement of pool ${pool.name} applies to this service` };
    return { verdict: { ...base, notAnnounced } };
  }
  const l2 = l2Ads.length ? layer2(ctx, service, l2Ads, eps) : undefined;
  const self = ctx.nodes.find(n => n.name === ctx.node);
  const bgp = bgpAds.length ? bgpFor(ctx, self, service, bgpAds, eps) : undefined;
  const l2Verdict = l2?.verdict;
  const bgpVerdict = bgp?.verdict;
  const verdict: ServiceVerdict = { ...base, ...(l2Verdict ? { l2: l2Verdict } : {}), ...(bgpVerdict ? { bgp: bgpVerdict } : {}) };
  const entries = { ...(l2?.entry ? { l2: l2.entry } : {}), ...(bgp?.entry ? { bgp: bgp.entry } : {}) };
  // With both protocols the Service is unannounced only when L2 cannot and BGP has no endpoint.
  const l2Fails = l2Verdict === undefined || "reason" in l2Verdict;
  const bgpFails = bgpVerdict === undefined || (!bgpVerdict.advertises && (bgpVerdict.reason === "noEndpoints"));
  if (l2Fails && bgpFails) {
    const notAnnounced: NotAnnounced = l2Verdict && "reason" in l2Verdict ? l2Verdict : { reason: "NoReadyEndpoint", message: "the service has no ready endpoint" };
    return { verdict: { ...verdict, notAnnounced }, ...entries };
  }
  return { verdict, ...entries };
}

/** Sorted by Service key, as DesiredState is. */
export const byServiceKey = (a: SpeakerService, b: SpeakerService): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The desired state from the decisions of each Service, given in Service-key order. */
export function assembleDesired(decisions: Iterable<ServiceDesired>): DesiredState {
  const l2: AnnouncedService[] = [];
  const bgp: BGPAnnouncement[] = [];
  const verdicts: ServiceVerdict[] = [];
  for (const d of decisions) {
    verdicts.push(d.verdict);
    if (d.l2) l2.push(d.l2);
    if (d.bgp) bgp.push(d.bgp);
  }
  return { l2, bgp, verdicts };
}

export function computeDesired(input: AnnounceInput): DesiredState {
  const slices = slicesByService(input.endpointSlices);
  const services = [...input.services].sort(byServiceKey);
  return assembleDesired(services.map(service => desiredFor(input, service, serviceEndpoints(service, slices.get(service.key)))));
}

function layer2(
  input: DesiredContext,
  service: SpeakerService,
  ads: readonly L2Advertisement[],
  eps: Endpoints,
): { verdict: { candidates: readonly string[] } | NotAnnounced; entry?: AnnouncedService } {
  if (service.sharingKey !== "") {
    const bySelector = ads.find(ad => ad.serviceSelectors.length > 0);
    if (bySelector) {
      return {
        verdict: {
          reason: "SharedIPWithServiceSelector",
          message: `the service shares its IP (allow-shared-ip) and L2Advertisement ${bySelector.name} selects services by label`,
        },
      };
    }
  }
  const advertisements: ElectionAdvertisement[] = ads.map(ad => ({
    nodeSelectors: ad.nodeSelectors,
    ...(ad.preferredNodeSelectors ? { preferredNodeSelectors: ad.preferredNodeSelectors } : {}),
  }));
  const election = {
    nodes: input.nodes,
    advertisements,
    externalTrafficPolicy: service.externalTrafficPolicy,
    endpointNodes: eps.nodes,
    anyReadyEndpoint: eps.any,
    ...(input.ignoreExcludeLB ? { ignoreExcludeLB: true } : {}),
  };
  // Liveness aside (every node assumed to run a speaker): can anyone announce at all?
  const firstIP = service.ips[0] ?? "";
  const result = elect({ ...election, firstIP, liveSpeakers: new Set(input.nodes.map(n => n.name)) });
  if (result.pending === "no-ready-endpoint") return { verdict: { reason: "NoReadyEndpoint", message: "the service has no ready endpoint" } };
  if (result.ordered.length === 0) {
    const why = result.excluded.map(e => `${e.node} (${EXCLUSION_TEXT[e.reason]})`).join(", ");
    return { verdict: { reason: "NoEligibleNode", message: `no node may announce the service: ${why || "the cluster has no nodes"}` } };
  }
  const gratuitousIntervalMs = gratuitousIntervalFor(input, ads);
  return {
    verdict: { candidates: result.ordered },
    entry: { name: service.key, ips: service.ips, interfaces: interfacesFor(input, ads), election, ...(gratuitousIntervalMs === undefined ? {} : { gratuitousIntervalMs }) },
  };
}

/** Union of the interfaces of the advertisements that select this node; empty (= all) if one of them lists none. */
function interfacesFor(input: DesiredContext, ads: readonly L2Advertisement[]): string[] {
  const self = input.nodes.find(n => n.name === input.node);
  const mine = ads.filter(ad => self !== undefined && matchesAny(ad.nodeSelectors, self.labels));
  if (mine.length === 0 || mine.some(ad => ad.interfaces.length === 0)) return [];
  return [...new Set(mine.flatMap(ad => ad.interfaces))].sort();
}

/** The shortest periodic gratuitous interval among the advertisements that select this node, if any sets one. */
function gratuitousIntervalFor(input: DesiredContext, ads: readonly L2Advertisement[]): number | undefined {
  const self = input.nodes.find(n => n.name === input.node);
  const periods = ads.filter(ad => self !== undefined && matchesAny(ad.nodeSelectors, self.labels)).flatMap(ad => (ad.gratuitousIntervalMs === undefined ? [] : [ad.gratuitousIntervalMs]));
  return periods.length === 0 ? undefined : Math.min(...periods);
}

function bgpFor(
  input: DesiredContext,
  self: ElectionNode | undefined,
  service: SpeakerService,
  ads: readonly BGPAdvertisement[],
  eps: Endpoints,
): { verdict: { advertises: true } | { advertises: false; reason: BGPNodeReason }; entry?: BGPAnnouncement } {
  const no = (reason: BGPNodeReason) => ({ verdict: { advertises: false as const, reason } });
  if (!eps.any) return no("noEndpoints");
  if (service.externalTrafficPolicy === "Local" && !eps.nodes.has(input.node)) return no("noLocalEndpoints");
  if (!self) return no("nodeSelector");
  if (self.networkUnavailable) return no("networkUnavailable");
  if (!input.ignoreExcludeLB && Object.hasOwn(self.labels, EXCLUDE_LB_LABEL)) return no("excludedFromLoadBalancers");
  const mine = ads.filter(ad => matchesAny(ad.nodeSelectors, self.labels));
  if (mine.length === 0) return no("nodeSelector");
  const peersHere = input.config.peers.filter(p => matchesAny(p.nodeSelectors, self.labels)).map(p => p.name);
  const routes = new Map<string, { localPref: number; communities: CommunityValue[]; peers: Set<string> }>();
  for (const ad of mine) {
    const peers = ad.peers.length === 0 ? peersHere : peersHere.filter(p => ad.peers.includes(p));
    for (const text of service.ips) {
      const ip = parseIP(text);
      if (!ip) continue;
      const prefix = aggregate(ip, ip.family === "IPv4" ? ad.aggregationLength : ad.aggregationLengthV6);
      let route = routes.get(prefix);
      if (!route) routes.set(prefix, (route = { localPref: ad.localPref, communities: [], peers: new Set() }));
      for (const c of ad.communities) if (!route.communities.some(k => JSON.stringify(k) === JSON.stringify(c))) route.communities.push(c);
      for (const p of peers) route.peers.add(p);
    }
  }
  return {
    verdict: { advertises: true },
    entry: {
      service: service.key,
      ips: service.ips,
      routes: [...routes].map(([prefix, r]) => ({ prefix, localPref: r.localPref, communities: r.communities, peers: [...r.peers].sort() })),
    },
  };
}

function aggregate(ip: IPAddress, length: number): string {
  return formatCidr({ family: ip.family, base: ip.value & ~hostMask(ip.family, length), prefix: length });
}
