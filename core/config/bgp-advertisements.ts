/**
 * BGPAdvertisement: which pools are announced by BGP, with which attributes, from which nodes to
 * which peers; and the rules that involve the pools it applies to (aggregation length against the
 * pool's prefixes, LOCAL_PREF agreement between advertisements of one pool).
 */
import { communityKey, parseCommunity } from "./community";
import { reportUnknownFields, type ConfigObject } from "./objects";
import { advertisement as issues, community as communityIssues, type Reporter } from "./problems";
import { at, readInt, readStringItems, reportDuplicates } from "./read";
import { parseSelectorList, selectNames, selectorListsCanIntersect } from "./selector";
import { selectPools } from "./pools";
import type { BGPAdvertisement, CommunityValue, Pool } from "./types";

const SPEC_FIELDS = ["aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "peers", "serviceSelectors"];

export interface NodeInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface BGPAdvertisementContext {
  pools: ReadonlyMap<string, Pool>;
  aliases: ReadonlyMap<string, CommunityValue>;
  peerNames: ReadonlySet<string>;
  /** undefined when the Nodes are not known: node overlap is then decided from the selectors alone. */
  nodes?: readonly NodeInfo[];
}

export function readBGPAdvertisement(obj: ConfigObject, ctx: BGPAdvertisementContext, warnings: string[]): BGPAdvertisement | undefined {
  let valid = true;
  const report: Reporter = (field, issue) => {
    if (!issue.transient) valid = false;
    obj.report(field, issue);
  };
  const { spec } = obj;
  const prefix = `BGPAdvertisement/${obj.displayName}`;
  reportUnknownFields(obj, spec, "spec", SPEC_FIELDS);
  const f = (key: string) => at(spec, key, "spec");

  const poolNames = readStringItems(f("ipAddressPools"), report) ?? [];
  reportDuplicates(poolNames, "ipAddressPools", report);
  const communityTexts = readStringItems(f("communities"), report) ?? [];
  reportDuplicates(communityTexts, "community", report);
  const peers = readStringItems(f("peers"), report) ?? [];
  reportDuplicates(peers, "peers", report);
  const poolSelectors = parseSelectorList(f("ipAddressPoolSelectors"), "ipAddressPoolSelectors", report);
  const nodeSelectors = parseSelectorList(f("nodeSelectors"), "nodeSelectors", report);
  const serviceSelectors = parseSelectorList(f("serviceSelectors"), "serviceSelectors", report);

  const lengthIn = readInt(f("aggregationLength"), report, { min: 1, max: 2147483647 });
  const lengthV6In = readInt(f("aggregationLengthV6"), report, { min: 0, max: 2147483647 });
  if (lengthIn !== undefined && lengthIn > 32) report("spec.aggregationLength", issues.aggregationTooLong(lengthIn, "IPv4"));
  if (lengthV6In !== undefined && lengthV6In > 128) report("spec.aggregationLengthV6", issues.aggregationTooLong(lengthV6In, "IPv6"));
  if (serviceSelectors.length > 0 && lengthIn !== undefined && lengthIn !== 32)
    report("spec.serviceSelectors", issues.selectorsWithAggregation("aggregationLength", obj.displayName));
  if (serviceSelectors.length > 0 && lengthV6In !== undefined && lengthV6In !== 128)
    report("spec.serviceSelectors", issues.selectorsWithAggregation("aggregationLengthV6", obj.displayName));
  const aggregationLength = lengthIn ?? 32;
  const aggregationLengthV6 = lengthV6In ?? 128;
  const localPref = readInt(f("localPref"), report, { min: 0, max: 4294967295 }) ?? 0;

  const communities = new Map<string, CommunityValue>();
  for (const { value: text, path } of communityTexts) {
    const alias = ctx.aliases.get(text);
    const parsed = alias ? ({ ok: true, value: alias } as const) : parseCommunity(text);
    if (parsed.ok) communities.set(communityKey(parsed.value), parsed.value);
    // Not shaped like a value: an alias whose Community object may simply not exist yet.
    else if (parsed.error === "format") report(path, communityIssues.unknownAlias(text));
    else report(path, communityIssues.invalidValue(text, parsed.reason));
  }

  const selected = selectPools(
    poolNames.map(p => p.value),
    poolSelectors,
    ctx.pools,
  );
  for (const name of selected.unknown) warnings.push(`${prefix}: spec.ipAddressPools: ${issues.unknownPool(name)}`);
  for (const name of new Set(peers.map(p => p.value))) if (!ctx.peerNames.has(name)) warnings.push(`${prefix}: spec.peers: ${issues.unknownPeer(name)}`);

  // A pool's prefixes must fit inside the aggregated route, or the route would cover addresses outside the pool.
  for (const poolName of selected.pools) {
    for (const block of ctx.pools.get(poolName)?.blocks ?? []) {
      const v4 = block.range.family === "IPv4";
      const length = v4 ? aggregationLength : aggregationLengthV6;
      const lowest = Math.min(...block.cidrs.map(c => c.prefix));
      if (length < lowest)
        report(v4 ? "spec.aggregationLength" : "spec.aggregationLengthV6", issues.aggregationTooShort(length, lowest, block.text, poolName));
    }
  }
  if (!valid || obj.name === "") return undefined;
  return {
    name: obj.name,
    pools: selected.pools,
    aggregationLength,
    aggregationLengthV6,
    localPref,
    communities: [...communities.values()],
    peers: [...new Set(peers.map(p => p.value))],
    nodeSelectors,
    serviceSelectors,
  };
}

/**
 * Two advertisements of one pool must agree on LOCAL_PREF unless their updates can never be the
 * same: different aggregation length (for every family the pool has), disjoint peer lists or
 * disjoint node sets. Advertisements with serviceSelectors are checked per service at announce time.
 * `advertisements` are in input order; the later one of a conflicting pair is reported.
 */
export function checkLocalPrefConflicts(
  advertisements: readonly { adv: BGPAdvertisement; report: Reporter }[],
  pools: ReadonlyMap<string, Pool>,
  nodes?: readonly NodeInfo[],
): void {
  const nodeSets = new Map(advertisements.map(({ adv }) => [adv.name, nodes ? new Set(selectNames(adv.nodeSelectors, nodes)) : undefined]));
  const nodesDisjoint = (a: BGPAdvertisement, b: BGPAdvertisement): boolean => {
    const sa = nodeSets.get(a.name);
    const sb = nodeSets.get(b.name);
    if (sa && sb) return ![...sa].some(n => sb.has(n));
    return !selectorListsCanIntersect(a.nodeSelectors, b.nodeSelectors);
  };
  for (const [poolName, pool] of pools) {
    const earlier: BGPAdvertisement[] = [];
    for (const { adv, report } of advertisements) {
      if (!adv.pools.includes(poolName) || adv.serviceSelectors.length > 0) continue;
      const hasV4 = pool.families.includes("IPv4");
      const hasV6 = pool.families.includes("IPv6");
      const clash = earlier.find(other => {
        if (other.localPref === adv.localPref) return false;
        const v4Differs = other.aggregationLength !== adv.aggregationLength;
        const v6Differs = other.aggregationLengthV6 !== adv.aggregationLengthV6;
        if ((!hasV4 || v4Differs) && (!hasV6 || v6Differs)) return false;
        if (other.peers.length > 0 && adv.peers.length > 0 && !other.peers.some(p => adv.peers.includes(p))) return false;
        return !nodesDisjoint(adv, other);
      });
      if (clash) report("spec.localPref", issues.localPrefConflict(adv.localPref, clash.localPref, clash.name, poolName));
      earlier.push(adv);
    }
  }
}
