/**
 * BGP community values as written in BGPAdvertisement and Community objects: `AA:NN` (RFC 1997, two
 * 16-bit numbers) or `large:A:B:C` (RFC 8092, three 32-bit numbers). Anything without that shape
 * may be the name of a Community alias, which only the caller can resolve.
 */
import type { CommunityValue } from "./types";

export type CommunityParse =
  | { ok: true; value: CommunityValue }
  /** `format`: not shaped like a value (maybe an alias name); `value`: shaped like one but out of range. */
  | { ok: false; error: "format" | "value"; reason: string };

const DECIMAL = /^[0-9]{1,10}$/;

function unsigned(text: string, bits: 16 | 32): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n < 2 ** bits ? n : undefined;
}

export function parseCommunity(text: string): CommunityParse {
  const parts = text.split(":");
  if (parts.length === 4 && parts[0] === "large") {
    const [ga, l1, l2] = parts.slice(1).map(p => unsigned(p, 32));
    if (ga === undefined || l1 === undefined || l2 === undefined)
      return { ok: false, error: "value", reason: "each part of large:AA:NN:NN must be a 32-bit unsigned number" };
    return { ok: true, value: { kind: "large", globalAdmin: ga, localData1: l1, localData2: l2 } };
  }
  if (parts.length === 2) {
    const [aa, nn] = parts.map(p => unsigned(p, 16));
    if (aa === undefined || nn === undefined) return { ok: false, error: "value", reason: "each part of AA:NN must be a 16-bit unsigned number" };
    return { ok: true, value: { kind: "standard", value: aa * 65536 + nn } };
  }
  return { ok: false, error: "format", reason: "expected AA:NN or large:AA:NN:NN" };
}

export function formatCommunity(value: CommunityValue): string {
  if (value.kind === "large") return `large:${value.globalAdmin}:${value.localData1}:${value.localData2}`;
  return `${Math.floor(value.value / 65536)}:${value.value % 65536}`;
}

/** A key that is equal for equal values, for de-duplication. */
export const communityKey = formatCommunity;
