/**
 * One legacy `addresses` entry: a CIDR (`198.51.100.0/24`) or a range (`192.0.2.10-192.0.2.20`,
 * spaces around the dash allowed), with the CIDRs that summarise it.
 */
import { q } from "../problems";
import { cidrRange, formatIP, parseCidr, parseIP, rangeToCidrs, type Cidr, type IPRange } from "../../net/ip";

export type AddressResult = { ok: true; range: IPRange; cidrs: Cidr[] } | { ok: false; reason: string };

export function parsePoolAddress(text: string): AddressResult {
  const dash = text.indexOf("-");
  if (dash < 0) {
    const cidr = parseCidr(text);
    if (!cidr) return { ok: false, reason: `invalid CIDR ${q(text)}` };
    return { ok: true, range: cidrRange(cidr), cidrs: [cidr] };
  }
  const startText = text.slice(0, dash).trim();
  const endText = text.slice(dash + 1).trim();
  const start = parseIP(startText);
  const end = parseIP(endText);
  if (!start) return { ok: false, reason: `invalid IP range ${q(text)}: invalid start IP ${q(startText)}` };
  if (!end) return { ok: false, reason: `invalid IP range ${q(text)}: invalid end IP ${q(endText)}` };
  if (start.family !== end.family) return { ok: false, reason: `invalid IP range ${q(text)}: start and end are of different IP families` };
  if (start.value > end.value) {
    return { ok: false, reason: `invalid IP range ${q(text)}: start IP ${formatIP(start)} is after the end IP ${formatIP(end)}` };
  }
  const range: IPRange = { family: start.family, first: start.value, last: end.value };
  return { ok: true, range, cidrs: rangeToCidrs(range) };
}

/** The shortest prefix among an entry's CIDRs: the largest block an aggregated route must not exceed. */
export function shortestPrefix(cidrs: readonly Cidr[]): number {
  return Math.min(...cidrs.map(c => c.prefix));
}
