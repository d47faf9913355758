/**
 * Legacy `node-selectors` (`match-labels`, `match-expressions`) to metav1.LabelSelector, with the
 * checks Kubernetes' LabelSelectorAsSelector made when MetalLB built the selector.
 */
import { q } from "../problems";
import { isValidLabelKey, isValidLabelValue } from "../selector";
import { join, type Reader } from "./fields";
import type { LegacyNode } from "./tree";

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];
const NAME_RULE = "want at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

function labelKeyProblem(key: string): string | undefined {
  return isValidLabelKey(key) ? undefined : `invalid label key ${q(key)}: ${NAME_RULE}, after an optional DNS subdomain prefix and '/'`;
}

function labelValueProblem(value: string): string | undefined {
  return isValidLabelValue(value) ? undefined : `invalid label value ${q(value)}: ${NAME_RULE}`;
}

export function readNodeSelectors(r: Reader, node: LegacyNode | undefined, path: string): LabelSelectorObject[] | undefined {
  const items = r.list(node, path);
  if (!items) return undefined;
  const out: LabelSelectorObject[] = [];
  items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const fields = r.record(item, at, ["match-labels", "match-expressions"] as const);
    if (!fields) return;
    const selector: LabelSelectorObject = {};
    const labels = r.stringMap(fields.get("match-labels"), join(at, "match-labels"));
    if (labels && labels.length > 0) {
      for (const [k, v] of labels) {
        const problem = labelKeyProblem(k) ?? labelValueProblem(v);
        if (problem) r.report(join(join(at, "match-labels"), k), problem);
      }
      selector.matchLabels = Object.fromEntries(labels);
    }
    const exprPath = join(at, "match-expressions");
    const exprs = r.list(fields.get("match-expressions"), exprPath);
    if (exprs && exprs.length > 0) {
      selector.matchExpressions = [];
      exprs.forEach((e, j) => {
        const ePath = `${exprPath}[${j}]`;
        const ef = r.record(e, ePath, ["key", "operator", "values"] as const);
        if (!ef) return;
        const key = r.string(ef.get("key"), join(ePath, "key")) ?? "";
        const operator = r.string(ef.get("operator"), join(ePath, "operator")) ?? "";
        const values = r.stringList(ef.get("values"), join(ePath, "values")) ?? [];
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) r.report(join(ePath, "key"), keyProblem);
        if (!OPERATORS.includes(operator)) {
          r.report(join(ePath, "operator"), `invalid operator ${q(operator)} (want ${OPERATORS.join(", ")})`);
        } else if ((operator === "In" || operator === "NotIn") && values.length === 0) {
          r.report(join(ePath, "values"), `operator ${operator} needs at least one value`);
        } else if ((operator === "Exists" || operator === "DoesNotExist") && values.length > 0) {
          r.report(join(ePath, "values"), `operator ${operator} takes no values`);
        }
        values.forEach((v, k) => {
          const problem = labelValueProblem(v);
          if (problem) r.report(`${join(ePath, "values")}[${k}]`, problem);
        });
        selector.matchExpressions?.push(values.length > 0 ? { key, operator, values } : { key, operator });
      });
    }
    out.push(selector);
  });
  return out;
}
