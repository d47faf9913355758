/**
 * Legacy `address-pools` to IPAddressPool, L2Advertisement and BGPAdvertisement resources.
 *
 * Each pool keeps its name. A layer2 pool gets one L2Advertisement of the same name; a bgp pool gets
 * one BGPAdvertisement per `bgp-advertisements` entry (the first named like the pool, the next ones
 * `<pool>-2`, `<pool>-3`...), or, with no entries, one plain BGPAdvertisement, which is what MetalLB
 * announced for such a pool (aggregation 32/128, no LOCAL_PREF, no communities).
 */
import { q } from "../problems";
import { formatCidr, rangesOverlap, type IPRange } from "../../net/ip";
import { parsePoolAddress, shortestPrefix } from "./addresses";
import { looksLikeCommunityValue, parseLegacyCommunity, type CommunityAlias } from "./communities";
import { join, type Reader } from "./fields";
import { NameAllocator, objectNameProblem } from "./names";
import { resource, setIfPresent, type ConvertedObject } from "./resources";
import type { LegacyNode } from "./tree";

const POOL_FIELDS = ["name", "protocol", "addresses", "avoid-buggy-ips", "auto-assign", "bgp-advertisements"] as const;
const AD_FIELDS = ["aggregation-length", "aggregation-length-v6", "localpref", "communities"] as const;

interface PlacedAddress {
  range: IPRange;
  text: string;
  pool: string;
  path: string;
}

interface ParsedAddress {
  text: string;
  family: IPRange["family"];
  shortestPrefix: number;
  example: string;
}

export interface PoolObjects {
  pools: ConvertedObject[];
  l2Advertisements: ConvertedObject[];
  bgpAdvertisements: ConvertedObject[];
}

export function convertPools(r: Reader, node: LegacyNode | undefined, namespace: string, aliases: ReadonlyMap<string, CommunityAlias>): PoolObjects {
  const out: PoolObjects = { pools: [], l2Advertisements: [], bgpAdvertisements: [] };
  const poolNames = new Map<string, number>();
  const bgpNames = new NameAllocator();
  const placed: PlacedAddress[] = [];

  (r.list(node, "address-pools") ?? []).forEach((item, i) => {
    const path = `address-pools[${i}]`;
    const at = (key: string): string => join(path, key);
    const f = r.record(item, path, POOL_FIELDS);
    if (!f) return;
    const before = r.problems.length;
    const name = r.string(f.get("name"), at("name")) ?? "";
    const protocol = r.string(f.get("protocol"), at("protocol")) ?? "";
    const addresses = r.stringList(f.get("addresses"), at("addresses")) ?? [];
    const avoidBuggyIPs = r.bool(f.get("avoid-buggy-ips"), at("avoid-buggy-ips"));
    const autoAssign = r.bool(f.get("auto-assign"), at("auto-assign"));
    const adNodes = r.list(f.get("bgp-advertisements"), at("bgp-advertisements")) ?? [];

    if (name === "") r.report(at("name"), "missing pool name");
    else {
      const first = poolNames.get(name);
      if (first !== undefined) r.report(at("name"), `duplicate definition of pool ${q(name)} (first at address-pools[${first}])`);
      else poolNames.set(name, i);
      const nameProblem = objectNameProblem(name);
      if (nameProblem) r.report(at("name"), nameProblem);
    }

    if (addresses.length === 0) r.report(at("addresses"), "pool has no prefixes defined");
    const parsed: ParsedAddress[] = [];
    addresses.forEach((text, j) => {
      const addrPath = `${at("addresses")}[${j}]`;
      const result = parsePoolAddress(text);
      if (!result.ok) return r.report(addrPath, result.reason);
      const clash = placed.find(p => rangesOverlap(p.range, result.range));
      if (clash) r.report(addrPath, `${q(text)} overlaps ${q(clash.text)} of pool ${q(clash.pool)} (${clash.path})`);
      placed.push({ range: result.range, text, pool: name, path: addrPath });
      const widest = shortestPrefix(result.cidrs);
      const example = result.cidrs.find(c => c.prefix === widest);
      parsed.push({ text, family: result.range.family, shortestPrefix: widest, example: example ? formatCidr(example) : text });
    });

    let protocolOk = false;
    if (protocol === "") r.report(at("protocol"), "address pool is missing the protocol field");
    else if (protocol !== "layer2" && protocol !== "bgp") r.report(at("protocol"), `unknown protocol ${q(protocol)} (want bgp or layer2)`);
    else protocolOk = true;
    if (protocol === "layer2" && adNodes.length > 0) {
      r.report(at("bgp-advertisements"), "cannot have bgp-advertisements configuration element in a layer2 address pool");
    }
    const adSpecs = protocol === "bgp" ? readAdvertisements(r, adNodes, at("bgp-advertisements"), parsed, aliases) : [];
    if (r.problems.length > before || !protocolOk) return;

    const poolSpec: Record<string, unknown> = { addresses };
    setIfPresent(poolSpec, "autoAssign", autoAssign);
    setIfPresent(poolSpec, "avoidBuggyIPs", avoidBuggyIPs);
    out.pools.push(resource("IPAddressPool", name, namespace, poolSpec));
    if (protocol === "layer2") {
      out.l2Advertisements.push(resource("L2Advertisement", name, namespace, { ipAddressPools: [name] }));
      return;
    }
    for (const ad of adSpecs.length > 0 ? adSpecs : [{}]) {
      out.bgpAdvertisements.push(resource("BGPAdvertisement", bgpNames.derive(name), namespace, { ipAddressPools: [name], ...ad }));
    }
  });
  return out;
}

/** The advertisements' spec fields (without ipAddressPools), or [] after reporting problems. */
function readAdvertisements(
  r: Reader,
  nodes: LegacyNode[],
  path: string,
  addresses: readonly ParsedAddress[],
  aliases: ReadonlyMap<string, CommunityAlias>,
): Record<string, unknown>[] {
  const specs: Record<string, unknown>[] = [];
  const seen = new Map<string, number>();
  nodes.forEach((node, k) => {
    const adPath = `${path}[${k}]`;
    const at = (key: string): string => join(adPath, key);
    const f = r.record(node, adPath, AD_FIELDS);
    if (!f) return;
    const before = r.problems.length;
    const aggregationLength = r.integer(f.get("aggregation-length"), at("aggregation-length"), 1, 32);
    const aggregationLengthV6 = r.integer(f.get("aggregation-length-v6"), at("aggregation-length-v6"), 0, 128);
    const localPref = r.integer(f.get("localpref"), at("localpref"), 0, 4294967295);
    const communityTexts = r.stringList(f.get("communities"), at("communities")) ?? [];

    // An aggregated route must not reach outside the pool: each entry's widest block bounds the length.
    // (A length that failed to read is left at its default, which no block can fail.)
    for (const a of addresses) {
      const [key, length] = a.family === "IPv4" ? ["aggregation-length", aggregationLength ?? 32] : ["aggregation-length-v6", aggregationLengthV6 ?? 128];
      if (length < a.shortestPrefix) {
        r.report(at(key), `invalid aggregation length ${length}: prefix ${a.example} of ${q(a.text)} in this pool is more specific than the aggregation length`);
      }
    }

    const communities: string[] = [];
    const values = new Map<number, number>();
    communityTexts.forEach((text, j) => {
      const cPath = `${at("communities")}[${j}]`;
      const alias = aliases.get(text);
      const parsed = alias ? { ok: true as const, value: alias.value } : parseLegacyCommunity(text);
      if (!parsed.ok) return r.report(cPath, parsed.reason);
      const dup = values.get(parsed.value);
      if (dup !== undefined) return r.report(cPath, `duplicate community ${q(text)} (the same value as communities[${dup}])`);
      values.set(parsed.value, j);
      // See communities.ts: an alias is kept by name unless its name would read as a value.
      communities.push(alias && looksLikeCommunityValue(alias.name) ? alias.text : text);
    });
    if (r.problems.length > before) return;

    const identity = JSON.stringify([aggregationLength ?? 32, aggregationLengthV6 ?? 128, localPref ?? 0, [...values.keys()].sort((x, y) => x - y)]);
    const first = seen.get(identity);
    if (first !== undefined) return r.report(adPath, `duplicate definition of bgp-advertisements: the same as bgp-advertisements[${first}]`);
    seen.set(identity, k);

    const spec: Record<string, unknown> = {};
    setIfPresent(spec, "aggregationLength", aggregationLength);
    setIfPresent(spec, "aggregationLengthV6", aggregationLengthV6);
    setIfPresent(spec, "localPref", localPref);
    if (communities.length > 0) spec.communities = communities;
    specs.push(spec);
  });
  return specs;
}
