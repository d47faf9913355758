/**
 * IPAddressPool: address entries (CIDR or `start-end` range), flags, serviceAllocation; and the
 * cross-pool rule that no two CIDRs overlap, within a pool or between pools.
 */
import { cidrRange, formatCidr, formatIP, hostMask, parseCidr, parseIP, rangeToCidrs, type Cidr, type IPFamily } from "../net/ip";
import { describeReserved, entirelyReserved, reservedOverlapping, SPECIAL_RANGES, type ReservedRange } from "../net/special";
import { reportUnknownFields, type ConfigObject } from "./objects";
import { pool as issues, schema, type Issue, type Reporter } from "./problems";
import { at, readBool, readInt, readRecord, readStringItems } from "./read";
import { matchesSelector, parseSelectorList } from "./selector";
import type { LabelSelector, Pool, PoolAddressBlock, ServiceAllocation } from "./types";

/** One `spec.addresses` entry: a CIDR (`10.0.0.0/24`, host bits allowed) or a range `a - b`. */
export function parseAddressBlock(text: string): PoolAddressBlock | Issue {
  if (!text.includes("-")) {
    const cidr = parseCidr(text);
    if (!cidr) return issues.invalidCidr(text);
    return { text, range: cidrRange(cidr), cidrs: [cidr] };
  }
  const dash = text.indexOf("-");
  const startText = text.slice(0, dash);
  const endText = text.slice(dash + 1);
  const start = parseIP(startText.trim());
  if (!start) return issues.invalidRangeStart(text, startText);
  const end = parseIP(endText.trim());
  if (!end) return issues.invalidRangeEnd(text, endText);
  if (start.family !== end.family) return issues.rangeFamilies(text);
  if (start.value > end.value) return issues.rangeReversed(text, formatIP(start), formatIP(end));
  const range = { family: start.family, first: start.value, last: end.value };
  return { text: text.trim(), range, cidrs: rangeToCidrs(range) };
}

const isIssue = (x: PoolAddressBlock | Issue): x is Issue => "code" in x;

const SPEC_FIELDS = ["addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"];
const ALLOCATION_FIELDS = ["priority", "namespaces", "namespaceSelectors", "serviceSelectors"];

/** Reads one pool; undefined when it has a problem of its own (reported). */
export function readPool(obj: ConfigObject): Pool | undefined {
  let valid = true;
  const report: Reporter = (field, issue) => {
    valid = false;
    obj.report(field, issue);
  };
  const { spec } = obj;
  reportUnknownFields(obj, spec, "spec", SPEC_FIELDS);
  // The CRD requires spec and spec.addresses; the API server names the outermost missing one.
  if (!obj.hasSpec) report("spec", schema.required());
  const addresses = readStringItems(at(spec, "addresses", "spec"), report, obj.hasSpec);
  if (addresses !== undefined && addresses.length === 0) report("spec.addresses", issues.noPrefixes());
  const blocks: PoolAddressBlock[] = [];
  for (const { value, path } of addresses ?? []) {
    const parsed = parseAddressBlock(value);
    if (isIssue(parsed)) report(path, parsed);
    else blocks.push(parsed);
  }
  const autoAssign = readBool(at(spec, "autoAssign", "spec"), report) ?? true;
  const avoidBuggyIPs = readBool(at(spec, "avoidBuggyIPs", "spec"), report) ?? false;
  const serviceAllocation = readServiceAllocation(obj, report);
  if (!valid || obj.name === "") return undefined;
  const families: IPFamily[] = [];
  for (const family of ["IPv4", "IPv6"] as const) if (blocks.some(b => b.range.family === family)) families.push(family);
  return {
    name: obj.name,
    labels: obj.labels,
    blocks,
    autoAssign,
    avoidBuggyIPs,
    ...(serviceAllocation ? { serviceAllocation } : {}),
    families,
  };
}

function readServiceAllocation(obj: ConfigObject, report: Reporter): ServiceAllocation | undefined {
  const path = "spec.serviceAllocation";
  const raw = readRecord(at(obj.spec, "serviceAllocation", "spec"), report);
  if (!raw) return undefined;
  reportUnknownFields(obj, raw, path, ALLOCATION_FIELDS);
  const priority = readInt(at(raw, "priority", path), report, { min: -2147483648, max: 2147483647 }) ?? 0;
  const namespaces = readStringItems(at(raw, "namespaces", path), report) ?? [];
  for (const { value, path: nsPath } of namespaces.filter((n, i) => namespaces.findIndex(m => m.value === n.value) < i))
    report(nsPath, issues.duplicateNamespace(value));
  const namespaceSelectors = parseSelectorList(at(raw, "namespaceSelectors", path), "namespaceSelectors", report);
  const serviceSelectors = parseSelectorList(at(raw, "serviceSelectors", path), "serviceSelectors", report);
  return { priority, namespaces: [...new Set(namespaces.map(n => n.value))], namespaceSelectors, serviceSelectors };
}

/**
 * No CIDR may overlap another, in the same pool or an earlier one (input order, as MetalLB checks).
 * `pools` are the valid pools in input order; reports on the later CIDR, naming the earliest
 * earlier CIDR it overlaps.
 *
 * Two CIDRs overlap only when one contains the other, so an earlier CIDR overlapping a new one is
 * either an ancestor block (looked up by base for each prefix length in use) or lies inside the new
 * block (found by binary search over the sorted bases): no pairwise scan, so thousands of pools
 * stay fast enough for a webhook.
 */
export function checkPoolOverlaps(pools: readonly { pool: Pool; report: Reporter }[]): void {
  interface Seen {
    order: number;
    cidr: Cidr;
  }
  const byBlock = new Map<string, Seen>();
  const prefixesInUse = { IPv4: new Set<number>(), IPv6: new Set<number>() };
  const sorted = { IPv4: [] as Seen[], IPv6: [] as Seen[] };
  const blockKey = (family: string, base: bigint, prefix: number): string => `${family}/${base}/${prefix}`;
  const firstAtOrAfter = (list: readonly Seen[], base: bigint): number => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as Seen).cidr.base < base) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let order = 0;
  for (const { pool, report } of pools) {
    pool.blocks.forEach((block, blockIndex) => {
      for (const cidr of block.cidrs) {
        const { family } = cidr;
        let clash: Seen | undefined;
        const consider = (s: Seen | undefined): void => {
          if (s && (!clash || s.order < clash.order)) clash = s;
        };
        for (const prefix of prefixesInUse[family])
          if (prefix <= cidr.prefix) consider(byBlock.get(blockKey(family, cidr.base & ~hostMask(family, prefix), prefix)));
        const list = sorted[family];
        const last = cidrRange(cidr).last;
        for (let i = firstAtOrAfter(list, cidr.base); i < list.length && (list[i] as Seen).cidr.base <= last; i++) consider(list[i]);
        if (clash) report(`spec.addresses[${blockIndex}]`, issues.overlap(formatCidr(cidr), pool.name, formatCidr(clash.cidr)));
        const seen = { order: order++, cidr };
        const key = blockKey(family, cidr.base, cidr.prefix);
        if (!byBlock.has(key)) byBlock.set(key, seen);
        prefixesInUse[family].add(cidr.prefix);
        list.splice(firstAtOrAfter(list, cidr.base), 0, seen);
      }
    });
  }
}

/**
 * Special-purpose addresses (net/special.ts) and the cluster's Service range are never handed out:
 * a pool with no other address is refused (it could never serve), a pool that overlaps them is
 * admitted with a warning naming each entry and what it overlaps, and carries the cluster's
 * overlapping blocks (`clusterReserved`) so that its allocator skips them as it skips the special ones.
 */
export function checkReservedAddresses(
  pools: readonly { pool: Pool; report: Reporter }[],
  clusterReserved: readonly ReservedRange[],
  warnings: string[],
): void {
  const all = [...SPECIAL_RANGES, ...clusterReserved];
  for (const { pool, report } of pools) {
    if (pool.blocks.length === 0) continue;
    if (pool.blocks.every(b => entirelyReserved(b.range, all))) {
      const hit = all.filter(r => pool.blocks.some(b => reservedOverlapping(b.range, [r]).length > 0));
      report("spec.addresses", issues.allReserved(describeReserved(hit)));
      continue;
    }
    pool.blocks.forEach((block, i) => {
      const hit = reservedOverlapping(block.range, all);
      if (hit.length > 0) warnings.push(poolReservedWarning(pool.name, i, block.text, describeReserved(hit)));
    });
    const mine = clusterReserved.filter(r => pool.blocks.some(b => reservedOverlapping(b.range, [r]).length > 0));
    if (mine.length > 0) pool.clusterReserved = mine;
  }
}

const poolReservedWarning = (pool: string, index: number, text: string, what: string): string =>
  `IPAddressPool/${pool}: spec.addresses[${index}]: ${JSON.stringify(text)} overlaps addresses that are never handed out (${what}): they are skipped`;

/**
 * The pools an advertisement applies to: those named plus those its selectors match, or every
 * pool when it names none and has no selector. Names of pools that do not exist are returned apart.
 */
export function selectPools(
  names: readonly string[],
  selectors: readonly LabelSelector[],
  pools: ReadonlyMap<string, Pool>,
): { pools: string[]; unknown: string[] } {
  if (names.length === 0 && selectors.length === 0) return { pools: [...pools.keys()], unknown: [] };
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const name of names) {
    if (pools.has(name)) chosen.add(name);
    else if (!unknown.includes(name)) unknown.push(name);
  }
  if (selectors.length > 0) for (const p of pools.values()) if (selectors.some(s => matchesSelector(s, p.labels))) chosen.add(p.name);
  return { pools: [...pools.keys()].filter(n => chosen.has(n)), unknown };
}
