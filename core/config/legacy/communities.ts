/**
 * BGP communities of the legacy format: `AA:NN` values (two 16-bit decimals; the legacy format had no
 * large communities) and the `bgp-communities` alias table.
 *
 * Decision: aliases are carried over as aliases. The table becomes one Community resource named
 * `legacy-communities`, and an advertisement that used an alias names it the same way, so the
 * converted configuration reads like the old one and an alias is still changed in one place. The one
 * exception is an alias whose name is itself a valid community value (`1:2: 65535:65281`): for a
 * BGPAdvertisement such a string means the value, not the alias, so there the resolved value is
 * written instead and the alias is left out of the Community resource.
 */
import { q } from "../problems";
import type { Problem } from "./fields";

export const COMMUNITY_OBJECT_NAME = "legacy-communities";

/** The 32-bit value of `AA:NN`, or why the text is not one. */
export function parseLegacyCommunity(text: string): { ok: true; value: number } | { ok: false; reason: string } {
  const parts = text.split(":");
  if (parts.length !== 2) return { ok: false, reason: `invalid community ${q(text)}: want AA:NN, two numbers from 0 to 65535` };
  const [high, low] = parts.map(p => (/^\d{1,5}$/.test(p) ? Number(p) : NaN));
  if (high === undefined || low === undefined || !(high <= 0xffff) || !(low <= 0xffff)) {
    return { ok: false, reason: `invalid community ${q(text)}: want AA:NN, two numbers from 0 to 65535` };
  }
  return { ok: true, value: high * 0x10000 + low };
}

/** True when the CRD world would read `text` as a community value rather than an alias name. */
export function looksLikeCommunityValue(text: string): boolean {
  return parseLegacyCommunity(text).ok || /^large:\d+:\d+:\d+$/.test(text);
}

export interface CommunityAlias {
  name: string;
  /** As written (valid AA:NN). */
  text: string;
  value: number;
}

/** Checks the alias table; invalid aliases are reported and left out. */
export function checkAliases(entries: readonly [string, string][], problems: Problem[]): Map<string, CommunityAlias> {
  const aliases = new Map<string, CommunityAlias>();
  for (const [name, text] of entries) {
    const parsed = parseLegacyCommunity(text);
    if (!parsed.ok) problems.push({ field: `bgp-communities.${name}`, message: parsed.reason });
    else aliases.set(name, { name, text, value: parsed.value });
  }
  return aliases;
}
