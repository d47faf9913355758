/**
 * The examples use the articles' private range (192.168.172.0/24). The lab sends real packets, so it
 * rewrites every IPv4 address of that /24 into a documentation /24 with the same last octet
 * (192.168.172.161 -> 192.0.2.161), leaving every other byte of the YAML as the user wrote it.
 */

/** A /24 written as its first three octets, e.g. "192.168.172". */
export type Net24 = string;

export const EXAMPLES_NET: Net24 = "192.168.172";
/** On the bed's L2 segment (the bridge is 192.0.2.0/24): one node answers ARP for the VIP. */
export const L2_NET: Net24 = "192.0.2";
/** Off every link: the router only reaches these through the BGP routes the speakers advertise. */
export const BGP_NET: Net24 = "198.51.100";

// A dotted quad not glued to other digits or dots (so 1192.168.172.1 or 192.168.172.1.5 do not match).
const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/g;

export interface Translation {
  readonly text: string;
  /** Each rewritten address, in order of appearance: [from, to]. */
  readonly rewritten: readonly (readonly [string, string])[];
}

/** Rewrites the IPv4 addresses inside `from`/24 into `to`/24, keeping the host octet. */
export function translateAddresses(text: string, from: Net24, to: Net24): Translation {
  const rewritten: [string, string][] = [];
  const out = text.replace(IPV4, (match: string, a: string, b: string, c: string, d: string) => {
    if (`${a}.${b}.${c}` !== from || Number(d) > 255 || !/^(0|[1-9]\d*)$/.test(d)) return match;
    const replacement = `${to}.${d}`;
    rewritten.push([match, replacement]);
    return replacement;
  });
  return { text: out, rewritten };
}

/** The addresses of a pool entry `A-B` (both in one /24) or `A/32`, in order; throws on anything else
 * (the lab only needs the examples' form). */
export function expandRange(entry: string): string[] {
  const single = /^(\d{1,3}(?:\.\d{1,3}){3})\/32$/.exec(entry.trim());
  if (single?.[1]) return [single[1]];
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.(\d{1,3})\s*-\s*(\d{1,3}\.\d{1,3}\.\d{1,3})\.(\d{1,3})$/.exec(entry.trim());
  if (!m || m[1] !== m[3] || Number(m[2]) > Number(m[4]) || Number(m[4]) > 255) {
    throw new Error(`the lab handles pool entries A-B within one /24 or A/32, not ${JSON.stringify(entry)}`);
  }
  const out: string[] = [];
  for (let i = Number(m[2]); i <= Number(m[4]); i++) out.push(`${m[1]}.${i}`);
  return out;
}
