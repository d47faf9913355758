/** metav1.LabelSelector matching, for serviceAllocation's namespace and service selectors. */
import type { LabelSelector } from "../config/types";

/** True when `labels` satisfy every matchLabels entry and every matchExpression (empty selector: everything). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case "In":
        if (!has || value === undefined || !req.values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && req.values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
