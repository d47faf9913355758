/**
 * Go durations (`time.ParseDuration`, the text form of metav1.Duration used by BGPPeer timers):
 * a sequence of decimal numbers with units ns, us (or µs), ms, s, m, h, optionally signed; "0" alone.
 */
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
// Escaped: one character above U+00FF in the speaker's bundle makes V8 keep its whole source text
// two bytes per character (a megabyte more on every node).
const PART = /([0-9]*\.?[0-9]*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/** Seconds (possibly fractional), or undefined when the text is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  let rest = text;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest.length === 0) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    PART.lastIndex = pos;
    const m = PART.exec(rest);
    if (!m || m[1] === undefined || m[2] === undefined || m[1] === "" || m[1] === ".") return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2]] ?? NaN);
    pos = PART.lastIndex;
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
