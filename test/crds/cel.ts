/**
 * The CEL rules (x-kubernetes-validations) of our CRDs, evaluated in TypeScript.
 *
 * There is no CEL interpreter in our dependencies, and our CRDs use only five rules, so each rule text
 * maps to a hand-written equivalent here. A rule added to crds/source/ without an equivalent makes
 * `celRuleEvaluator` throw and the test that walks every CRD fail, so the two cannot silently diverge.
 * Used by the schema validator of the local API server and the tests (hack/kube-apiserver/schema.ts);
 * the real API server runs the CEL itself.
 */

/** Nanoseconds per unit of a Go duration string (time.ParseDuration, which CEL's duration() follows). */
const unitNanos: Record<string, bigint> = { ns: 1n, us: 1_000n, "µs": 1_000n, "μs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const maxNanos = 9_223_372_036_854_775_807n;

/**
 * Parses a Go duration (`300ms`, `1h30m`, `-1.5s`, `0`) into nanoseconds; undefined when it is not one.
 * Fractions are truncated to the nanosecond, as Go does.
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let sign = 1n;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s.startsWith("-")) sign = -1n;
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== "") {
    const m = part.exec(s);
    if (!m) return undefined;
    const [whole, intPart = "", fracPart, unit = ""] = m;
    if (intPart === "" && (fracPart === undefined || fracPart === "")) return undefined;
    const per = unitNanos[unit] as bigint;
    let nanos = BigInt(intPart || "0") * per;
    if (fracPart) nanos += (BigInt(fracPart) * per) / 10n ** BigInt(fracPart.length);
    total += nanos;
    if (total > maxNanos) return undefined;
    s = s.slice(whole.length);
  }
  return sign * total;
}

/** A rule that cannot be evaluated (an unparsable duration): the rule counts as broken, with this reason. */
export class CelError extends Error {}

function duration(v: unknown): bigint {
  const d = typeof v === "string" ? parseGoDuration(v) : undefined;
  if (d === undefined) throw new CelError(`invalid duration ${JSON.stringify(v)}`);
  return d;
}
const seconds = (d: bigint) => d / 1_000_000_000n; // getSeconds(): whole seconds, truncated toward zero
const milliseconds = (d: bigint) => d / 1_000_000n; // getMilliseconds(): the whole duration in milliseconds

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Self = Record<string, unknown>;
type Evaluator = (self: unknown, oldSelf: unknown) => boolean;

const evaluators: Record<string, Evaluator> = {
  "self == oldSelf": (self, oldSelf) => deepEqual(self, oldSelf),
  "duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535": (self) => {
    const s = seconds(duration(self));
    return s >= 1n && s <= 65535n;
  },
  "duration(self).getMilliseconds() % 1000 == 0": (self) => milliseconds(duration(self)) % 1000n === 0n,
  "!has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))":
    (self) => {
      const s = self as Self;
      const selectors = s.serviceSelectors;
      if (selectors === undefined || (Array.isArray(selectors) && selectors.length === 0)) return true;
      return (s.aggregationLength === undefined || s.aggregationLength === 32) && (s.aggregationLengthV6 === undefined || s.aggregationLengthV6 === 128);
    },
};

/** The TypeScript equivalent of one rule; throws for a rule that has none. */
export function celRuleEvaluator(rule: string): Evaluator {
  const e = evaluators[rule];
  if (!e) throw new Error(`no TypeScript equivalent for CEL rule ${JSON.stringify(rule)}: add one to test/crds/cel.ts`);
  return e;
}

export const isTransitionRule = (rule: string) => /\boldSelf\b/.test(rule);
