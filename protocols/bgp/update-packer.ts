/**
 * Turns "announce these routes, withdraw these prefixes" into as few UPDATE messages as fit in
 * the 4096-octet limit. Routes with identical attributes (next hop included) share messages;
 * IPv4 routes with an IPv4 next hop go in the classic NLRI field, everything else in
 * MP_REACH_NLRI; IPv4 withdrawals first fill the room left in announcing messages, then get
 * messages of their own; IPv6 withdrawals go in MP_UNREACH_NLRI.
 */
import type { Cidr, IPAddress } from "../../core/net/ip";
import { encodeAttributes, type CodecContext, type PathAttributes } from "./codec/attributes";
import { MAX_MESSAGE_LENGTH } from "./codec/header";
import { afiOf } from "./codec/mp-nlri";
import { encodedPrefixLength } from "./codec/prefix";
import { UPDATE_FIXED_LENGTH, type UpdateMessage } from "./codec/update";
import { Safi } from "./codec/capabilities";

/** Attributes a route carries besides its next hop (the packer owns NEXT_HOP and the MP attributes). */
export type RouteAttributes = Omit<PathAttributes, "nextHop" | "mpReach" | "mpUnreach">;

export interface Route {
  readonly prefix: Cidr;
  readonly nextHop: IPAddress;
  /**
   * With an IPv6 `nextHop`: this node's link-local address on the peer's link, sent after it (a
   * 32-octet next hop, RFC 2545 3 and RFC 8950 3). An IPv4 route with an IPv6 next hop goes in
   * MP_REACH_NLRI, to a peer that negotiated RFC 8950 only.
   */
  readonly linkLocalNextHop?: IPAddress;
  readonly attributes: RouteAttributes;
}

const ATTR_HEADER = 3;
const ATTR_HEADER_EXTENDED = 4;
const attrHeader = (valueLength: number) => (valueLength > 255 ? ATTR_HEADER_EXTENDED : ATTR_HEADER);

/** A map key for a prefix: a number for IPv4 (exact, below 2^53), a string for IPv6. Building strings from BigInts cost more than packing and encoding together at 10,000 routes. */
export type PrefixKey = number | string;
export const prefixId = (p: Cidr): PrefixKey =>
  p.family === "IPv6"
    ? `${p.base}/${p.prefix}`
    : p.prefix === 32
      ? // A host route (a service IP, the usual case): its address as a signed 32-bit integer, which V8
        // keeps unboxed, so 10,000 keys allocate nothing.
        Number(p.base) | 0
      : Number(p.base) * 64 + p.prefix + 2 ** 40; // other lengths: above any 32-bit integer

/** An IPv6 route through an IPv4 next hop carries it as ::ffff:a.b.c.d (RFC 4291 2.5.5.2). */
const mpNextHop = (nh: IPAddress): IPAddress => (nh.family === "IPv6" ? nh : { family: "IPv6", value: 0xffff00000000n | nh.value });

const byAddress = (a: Cidr, b: Cidr): number =>
  a.family !== b.family ? (a.family === "IPv4" ? -1 : 1) : a.base !== b.base ? (a.base < b.base ? -1 : 1) : a.prefix - b.prefix;

interface Group {
  readonly classic: boolean;
  readonly family: Cidr["family"];
  readonly attributes: PathAttributes;
  /** Encoded length of the attributes other than MP_REACH_NLRI. */
  readonly attrLength: number;
  /** What MP_REACH_NLRI carries: one address, or a global and a link-local one. */
  readonly nextHops: readonly IPAddress[];
  readonly prefixes: Cidr[];
}

export function packUpdates(announce: readonly Route[], withdraw: readonly Cidr[], ctx: CodecContext): UpdateMessage[] {
  // The last announcement of a prefix wins; a prefix being announced is not also withdrawn.
  const routes = new Map<PrefixKey, Route>();
  for (const r of announce) routes.set(prefixId(r.prefix), r);
  const withdrawals = new Map<PrefixKey, Cidr>();
  for (const p of withdraw) {
    const k = prefixId(p);
    if (!routes.has(k)) withdrawals.set(k, p);
  }
  return packDistinctUpdates([...routes.values()], [...withdrawals.values()], ctx);
}

/** packUpdates for callers that already hold each prefix at most once, in `announce` and `withdraw`
 * together (an Adj-RIB-Out): the same messages, without the de-duplication pass. */
export function packDistinctUpdates(routes: readonly Route[], withdrawals: readonly Cidr[], ctx: CodecContext): UpdateMessage[] {
  const groups = new Map<string, Group>();
  // Callers usually share one attributes object and one next hop object across many routes: find
  // their group by identity, and encode and key each (attributes, next hop) only once.
  const byIdentity = new Map<RouteAttributes, Map<IPAddress, Map<IPAddress | undefined, (Group | undefined)[]>>>();
  let last: { attributes: RouteAttributes; nextHop: IPAddress; linkLocal: IPAddress | undefined; family: Cidr["family"]; group: Group } | undefined;
  for (const r of routes) {
    // Runs of routes sharing attributes and next hop (the usual case) skip the lookups.
    if (last && last.attributes === r.attributes && last.nextHop === r.nextHop && last.linkLocal === r.linkLocalNextHop && last.family === r.prefix.family) {
      last.group.prefixes.push(r.prefix);
      continue;
    }
    let byNextHop = byIdentity.get(r.attributes);
    if (!byNextHop) byIdentity.set(r.attributes, (byNextHop = new Map()));
    let byLinkLocal = byNextHop.get(r.nextHop);
    if (!byLinkLocal) byNextHop.set(r.nextHop, (byLinkLocal = new Map()));
    let slots = byLinkLocal.get(r.linkLocalNextHop);
    if (!slots) byLinkLocal.set(r.linkLocalNextHop, (slots = []));
    const classic = r.prefix.family === "IPv4" && r.nextHop.family === "IPv4";
    // An attributes/next hop pair makes up to three groups: classic IPv4, IPv4 in MP_REACH (IPv6 next hop), IPv6.
    const slot = classic ? 0 : r.prefix.family === "IPv4" ? 1 : 2;
    let g = slots[slot];
    if (!g) slots[slot] = g = groupFor(groups, r, classic, ctx);
    g.prefixes.push(r.prefix);
    last = { attributes: r.attributes, nextHop: r.nextHop, linkLocal: r.linkLocalNextHop, family: r.prefix.family, group: g };
  }
  for (const g of groups.values()) sortByAddress(g.prefixes);
  // Messages go out in address order of each group's first prefix, whatever order the caller used.
  const ordered = [...groups.values()].sort((a, b) => byAddress(a.prefixes[0] as Cidr, b.prefixes[0] as Cidr));

  const out: { message: UpdateMessage; size: number; room: boolean }[] = [];
  for (const g of ordered) {
    if (g.classic) {
      for (const chunk of fill(g.prefixes, MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - g.attrLength, () => 0)) {
        out.push({ message: { withdrawn: [], attributes: g.attributes, nlri: chunk.items }, size: UPDATE_FIXED_LENGTH + g.attrLength + chunk.bytes, room: true });
      }
    } else {
      const nhLength = g.nextHops.reduce((n, a) => n + (a.family === "IPv4" ? 4 : 16), 0);
      const fixedValue = 5 + nhLength; // AFI, SAFI, next hop length, next hop, reserved
      const budget = MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - g.attrLength - fixedValue;
      for (const chunk of fill(g.prefixes, budget, n => attrHeader(fixedValue + n))) {
        const afi = afiOf(g.prefixes[0]?.family ?? "IPv6");
        const mpReach = { afi, safi: Safi.Unicast, nextHops: g.nextHops, nlri: chunk.items };
        out.push({ message: { withdrawn: [], attributes: { ...g.attributes, mpReach }, nlri: [] }, size: 0, room: false });
      }
    }
  }

  const v4Withdrawals: Cidr[] = [];
  const v6Withdrawals: Cidr[] = [];
  for (const p of withdrawals) (p.family === "IPv4" ? v4Withdrawals : v6Withdrawals).push(p);
  sortByAddress(v4Withdrawals);
  sortByAddress(v6Withdrawals);
  // Fill the room left in classic announcing messages before opening withdraw-only ones.
  let next = 0;
  for (const entry of out) {
    if (!entry.room) continue;
    const taken: Cidr[] = [];
    let size = entry.size;
    for (let p = v4Withdrawals[next]; p !== undefined && size + encodedPrefixLength(p) <= MAX_MESSAGE_LENGTH; p = v4Withdrawals[++next]) {
      taken.push(p);
      size += encodedPrefixLength(p);
    }
    if (taken.length > 0) entry.message = { ...entry.message, withdrawn: taken };
  }
  const messages = out.map(e => e.message);
  for (const chunk of fill(v4Withdrawals.slice(next), MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH, () => 0)) {
    messages.push({ withdrawn: chunk.items, attributes: {}, nlri: [] });
  }
  for (const chunk of fill(v6Withdrawals, MAX_MESSAGE_LENGTH - UPDATE_FIXED_LENGTH - 3, n => attrHeader(3 + n))) {
    messages.push({ withdrawn: [], attributes: { mpUnreach: { afi: afiOf("IPv6"), safi: Safi.Unicast, withdrawn: chunk.items } }, nlri: [] });
  }
  return messages;
}

/** The group of routes with `r`'s family, next hop and encoded attributes, created if new. */
function groupFor(groups: Map<string, Group>, r: Route, classic: boolean, ctx: CodecContext): Group {
  const attributes: PathAttributes = classic ? { ...r.attributes, nextHop: r.nextHop } : r.attributes;
  const encoded = encodeAttributes(attributes, ctx);
  const nextHop = classic ? r.nextHop : mpNextHop(r.nextHop);
  const nextHops = !classic && r.linkLocalNextHop && nextHop.family === "IPv6" ? [nextHop, r.linkLocalNextHop] : [nextHop];
  const key = `${classic ? "c" : r.prefix.family}|${nextHops.map(a => a.value).join("+")}|${encoded.toString("hex")}`;
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { classic, family: r.prefix.family, attributes, attrLength: encoded.length, nextHops, prefixes: [] }));
  return g;
}

/** Sorts prefixes of one family (all IPv4 or all IPv6) by address, then length; input that is already in order (a
 * range of services, say) costs one pass. IPv4 compares plain numbers. */
function sortByAddress(prefixes: Cidr[]): void {
  if (prefixes[0]?.family === "IPv4") {
    // Checked without building the keys: ordered input (the usual case) allocates nothing.
    let previous = -1;
    let sorted = true;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i] as Cidr;
      const key = Number(p.base) * 64 + p.prefix;
      if (key < previous) {
        sorted = false;
        break;
      }
      previous = key;
    }
    if (sorted) return;
    const keys = prefixes.map(p => Number(p.base) * 64 + p.prefix);
    const order = keys.map((_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number));
    const copy = [...prefixes];
    order.forEach((from, to) => (prefixes[to] = copy[from] as Cidr));
    return;
  }
  let sorted = true;
  for (let i = 1; i < prefixes.length && sorted; i++) sorted = byAddress(prefixes[i - 1] as Cidr, prefixes[i] as Cidr) <= 0;
  if (!sorted) prefixes.sort(byAddress);
}

/**
 * Cuts `prefixes` into consecutive runs whose encoded length plus `overhead(length)` stays
 * within `budget` (the overhead is the attribute header, which grows by one octet past 255).
 */
function fill(prefixes: readonly Cidr[], budget: number, overhead: (bytes: number) => number): { items: Cidr[]; bytes: number }[] {
  const chunks: { items: Cidr[]; bytes: number }[] = [];
  let current: Cidr[] = [];
  let bytes = 0;
  for (const p of prefixes) {
    const size = encodedPrefixLength(p);
    if (current.length > 0 && bytes + size + overhead(bytes + size) > budget) {
      chunks.push({ items: current, bytes });
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ items: current, bytes });
  return chunks;
}
