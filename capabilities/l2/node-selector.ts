/**
 * Label-selector matching for the election. capabilities/config/selector.ts has the shared
 * `matchesSelector`; it was not committed yet when this was written, so this tiny equivalent stands
 * in behind the same signature. Swap the body for a re-export once that file lands.
 */
import type { LabelSelector } from "../config/types";

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const get = (k: string): string | undefined => (Object.hasOwn(labels, k) ? labels[k] : undefined);
  for (const [k, v] of Object.entries(selector.matchLabels)) if (get(k) !== v) return false;
  return selector.matchExpressions.every(r => {
    const v = get(r.key);
    switch (r.operator) {
      case "In":
        return v !== undefined && r.values.includes(v);
      case "NotIn":
        return v === undefined || !r.values.includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
    }
    return false;
  });
}
