/**
 * Go's time.ParseDuration, which MetalLB used for `hold-time` and `keepalive-time` (and which
 * metav1.Duration still uses, so a text valid here is valid in a BGPPeer). Nanoseconds as a bigint,
 * so nothing rounds.
 */
import { q } from "../problems";
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // micro sign
  "\u03bcs": 1_000n, // Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = (1n << 63n) - 1n;

export type DurationResult = { ok: true; ns: bigint } | { ok: false; reason: string };

export function parseGoDuration(text: string): DurationResult {
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return { ok: true, ns: 0n };
  if (rest === "") return { ok: false, reason: "not a duration (want e.g. 90s, 1m30s)" };
  let total = 0n;
  while (rest !== "") {
    const m = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(rest);
    const whole = m?.[1] ?? "";
    const frac = m?.[2] ?? "";
    const unit = m?.[3] ?? "";
    if (!m || (whole === "" && frac === "")) return { ok: false, reason: "not a duration (want e.g. 90s, 1m30s)" };
    if (unit === "") return { ok: false, reason: "missing unit (ns, us, ms, s, m or h)" };
    const scale = UNIT_NS[unit];
    if (scale === undefined) return { ok: false, reason: `unknown unit ${q(unit)} (want ns, us, ms, s, m or h)` };
    let part = BigInt(whole === "" ? "0" : whole) * scale;
    if (frac !== "") part += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += part;
    if (total > MAX_NS + (negative ? 1n : 0n)) return { ok: false, reason: "out of range" };
    rest = rest.slice(m[0].length);
  }
  return { ok: true, ns: negative ? -total : total };
}

/** Whole seconds, truncated toward zero as MetalLB rounded the hold time. */
export function wholeSeconds(ns: bigint): bigint {
  return ns / 1_000_000_000n;
}

/** For messages: the shortest exact text among s, ms and ns. */
export function formatNs(ns: bigint): string {
  if (ns % 1_000_000_000n === 0n) return `${ns / 1_000_000_000n}s`;
  if (ns % 1_000_000n === 0n) return `${ns / 1_000_000n}ms`;
  return `${ns}ns`;
}
