/**
 * Kubernetes label selectors (metav1.LabelSelector): parsing with Kubernetes' rules, matching, a
 * canonical text form (for duplicate detection and messages), and whether two selectors can both
 * select one object, which the FRR-mode peer rules need when no Node list is at hand.
 */
import { labelSelector as issues, schema, type Reporter } from "./problems";
import { at, has, isRecord, jsonType, own, readRecordList, readStringItems, readString, readStringMap, type Field, type JsonRecord } from "./read";
import type { LabelSelector, LabelSelectorRequirement } from "./types";

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

export function isValidLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME.test(value));
}

const isOperator = (op: string): op is LabelSelectorRequirement["operator"] => (OPERATORS as readonly string[]).includes(op);

export interface SelectorOptions {
  /** BGPPeer v1beta1's own selector type declares `values` with minItems 1, whatever the operator. */
  valuesMinItems?: boolean;
}

/** Parses one selector object at `path`; undefined (with problems reported) when it is invalid. */
export function parseLabelSelector(raw: unknown, path: string, report: Reporter, options: SelectorOptions = {}): LabelSelector | undefined {
  if (!isRecord(raw)) {
    report(path, schema.wrongType(path, "object", jsonType(raw)));
    return undefined;
  }
  let valid = true;
  const fail: Reporter = (field, issue) => {
    valid = false;
    report(field, issue);
  };
  const matchLabels = readStringMap(at(raw, "matchLabels", path), fail) ?? {};
  for (const [key, value] of Object.entries(matchLabels)) {
    const field = `${path}.matchLabels.${key}`;
    if (!isValidLabelKey(key)) fail(field, issues.badKey(key));
    if (!isValidLabelValue(value)) fail(field, issues.badValue(value));
  }
  const matchExpressions: LabelSelectorRequirement[] = [];
  const seen = new Set<string>();
  for (const { item, path: exprPath } of readRecordList(at(raw, "matchExpressions", path), fail)) {
    const requirement = parseRequirement(item, exprPath, fail, options);
    if (!requirement) continue;
    const text = requirementString(requirement);
    if (seen.has(text)) fail(exprPath, issues.duplicateExpression(text));
    seen.add(text);
    matchExpressions.push(requirement);
  }
  return valid ? { matchLabels, matchExpressions } : undefined;
}

function parseRequirement(item: JsonRecord, path: string, report: Reporter, options: SelectorOptions): LabelSelectorRequirement | undefined {
  const key = readString(at(item, "key", path), report, true);
  const operator = readString(at(item, "operator", path), report, true);
  const values = readStringItems(at(item, "values", path), report) ?? [];
  let valid = key !== undefined && operator !== undefined;
  if (key !== undefined && !isValidLabelKey(key)) {
    report(`${path}.key`, issues.badKey(key));
    valid = false;
  }
  if (operator !== undefined && !isOperator(operator)) {
    report(`${path}.operator`, schema.unsupported(operator, OPERATORS));
    valid = false;
  }
  if (options.valuesMinItems && values.length === 0 && has(at(item, "values", path))) {
    report(`${path}.values`, schema.tooFewItems(`${path}.values`, 0, 1));
    valid = false;
  } else if (operator === "In" || operator === "NotIn") {
    if (values.length === 0) {
      report(`${path}.values`, issues.valuesRequired(operator));
      valid = false;
    }
  } else if ((operator === "Exists" || operator === "DoesNotExist") && values.length > 0) {
    report(`${path}.values`, issues.valuesForbidden(operator));
    valid = false;
  }
  const seen = new Set<string>();
  for (const { value, path: valuePath } of values) {
    if (!isValidLabelValue(value)) {
      report(valuePath, issues.badValue(value));
      valid = false;
    }
    if (seen.has(value)) {
      report(valuePath, issues.duplicateValue(value));
      valid = false;
    }
    seen.add(value);
  }
  if (!valid || key === undefined || operator === undefined || !isOperator(operator)) return undefined;
  return { key, operator, values: values.map(v => v.value) };
}

/**
 * A list of selectors (OR) at field `f`, with the selectors that repeat another reported as
 * `duplicate definition of <what> "<selector>"`. Invalid selectors are reported and left out.
 */
export function parseSelectorList(f: Field, what: string, report: Reporter, options: SelectorOptions = {}): LabelSelector[] {
  const out: LabelSelector[] = [];
  const seen = new Set<string>();
  const list = own(f.obj, f.key);
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) {
    report(f.path, schema.wrongType(f.path, "array", jsonType(list)));
    return out;
  }
  list.forEach((raw, i) => {
    const path = `${f.path}[${i}]`;
    const selector = parseLabelSelector(raw, path, report, options);
    if (!selector) return;
    const text = selectorString(selector);
    if (seen.has(text)) report(path, { code: "selector.duplicate", message: `duplicate definition of ${what} "${text}"` });
    seen.add(text);
    out.push(selector);
  });
  return out;
}

function requirementString(r: LabelSelectorRequirement): string {
  const values = [...r.values].sort().join(",");
  switch (r.operator) {
    case "In":
      return `${r.key} in (${values})`;
    case "NotIn":
      return `${r.key} notin (${values})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
  }
}

/** Canonical text (`a=b,c in (x,y),!d`), sorted so that equal selectors print equal; `<all>` when empty. */
export function selectorString(selector: LabelSelector): string {
  const parts = [
    ...Object.keys(selector.matchLabels)
      .sort()
      .map(k => `${k}=${selector.matchLabels[k] ?? ""}`),
    ...selector.matchExpressions.map(requirementString).sort(),
  ];
  return parts.length === 0 ? "<all>" : parts.join(",");
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const get = (k: string): string | undefined => (Object.prototype.hasOwnProperty.call(labels, k) ? labels[k] : undefined);
  for (const [k, v] of Object.entries(selector.matchLabels)) if (get(k) !== v) return false;
  for (const r of selector.matchExpressions) {
    const v = get(r.key);
    switch (r.operator) {
      case "In":
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case "NotIn":
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case "Exists":
        if (v === undefined) return false;
        break;
      case "DoesNotExist":
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** OR semantics: an empty list selects everything. */
export function matchesAny(selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean {
  return selectors.length === 0 || selectors.some(s => matchesSelector(s, labels));
}

/**
 * Whether some label set satisfies both selectors. Exact: a selector is a conjunction of per-key
 * constraints, and each key's constraints are satisfiable unless they contradict each other.
 */
export function selectorsCanIntersect(a: LabelSelector, b: LabelSelector): boolean {
  interface KeyConstraint {
    allowed?: Set<string>;
    excluded: Set<string>;
    present: boolean;
    absent: boolean;
  }
  const keys = new Map<string, KeyConstraint>();
  const constraint = (key: string): KeyConstraint => {
    let c = keys.get(key);
    if (!c) keys.set(key, (c = { excluded: new Set(), present: false, absent: false }));
    return c;
  };
  const allow = (c: KeyConstraint, values: readonly string[]): void => {
    c.present = true;
    c.allowed = new Set(c.allowed ? values.filter(v => c.allowed?.has(v)) : values);
  };
  for (const s of [a, b]) {
    for (const [k, v] of Object.entries(s.matchLabels)) allow(constraint(k), [v]);
    for (const r of s.matchExpressions) {
      const c = constraint(r.key);
      if (r.operator === "In") allow(c, r.values);
      else if (r.operator === "NotIn") r.values.forEach(v => c.excluded.add(v));
      else if (r.operator === "Exists") c.present = true;
      else c.absent = true;
    }
  }
  for (const c of keys.values()) {
    if (c.present && c.absent) return false;
    // Without an allowed list the label can take a value outside any finite exclusion list.
    if (c.allowed && ![...c.allowed].some(v => !c.excluded.has(v))) return false;
  }
  return true;
}

/** Whether two OR-lists of selectors (empty = everything) can select one common object. */
export function selectorListsCanIntersect(a: readonly LabelSelector[], b: readonly LabelSelector[]): boolean {
  const all: LabelSelector = { matchLabels: {}, matchExpressions: [] };
  const left = a.length ? a : [all];
  const right = b.length ? b : [all];
  return left.some(x => right.some(y => selectorsCanIntersect(x, y)));
}

/** The names of the objects (nodes, pools) that one of the selectors matches; all when the list is empty. */
export function selectNames(selectors: readonly LabelSelector[], objects: readonly { name: string; labels: Readonly<Record<string, string>> }[]): string[] {
  return objects.filter(o => matchesAny(selectors, o.labels)).map(o => o.name);
}
