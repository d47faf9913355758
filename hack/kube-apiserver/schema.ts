/**
 * Structural-schema handling for custom resources (recordings/07-crd.md 4-5): defaulting, pruning of unknown fields
 * (reported as `unknown field "path"`), and validation with the apiserver's error wording
 * (`spec.addresses in body must be of type array: "string"`), map keys dotted into the path
 * (`matchLabels.app.kubernetes.io/name`) and `format: date-time` checked (recordings/11-schema-errors.md).
 * The one schema validator of the repository: the local API server and the tests (test/crds/) use it.
 * `x-kubernetes-validations` rules run through their TypeScript equivalents (test/crds/cel.ts); a rule
 * without one is not evaluated.
 */
import { celRuleEvaluator, CelError, isTransitionRule } from "../../test/crds/cel";
import { deepEqual, isObject } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { goValue } from "./status";

const typeName = (v: Json): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v === "object" ? "object" : typeof v;

const joinPath = (base: string, key: string): string => (base ? `${base}.${key}` : key);

const schemaObj = (s: Json | undefined): JsonObject | undefined => (isObject(s) ? s : undefined);

/** Own keys only: a map key such as `constructor` is not a declared property. */
const declares = (props: JsonObject, key: string): boolean => Object.hasOwn(props, key);

/** A full date as Go's time.Parse("2006-01-02") reads it: four-digit year, real month and day. */
function isFullDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * RFC 3339 date-time, by the grammar of kube-openapi's strfmt IsDateTime (the check the API server runs
 * for `format: date-time`, https://github.com/kubernetes/kube-openapi/blob/master/pkg/validation/strfmt/time.go):
 * lower-cased, split at "t", a full date before it, `hh:mm:ss[.frac](z|+hh:mm)` after it.
 */
export function isDateTime(text: string): boolean {
  if (text.length < 4) return false;
  const parts = text.toLowerCase().split("t");
  if (parts.length < 2 || !isFullDate(parts[0] as string)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(parts[1] as string);
  return m !== null && (m[1] as string) <= "23" && (m[2] as string) <= "59" && (m[3] as string) <= "59";
}

/** Fills `default`s of absent properties, recursively (as the apiserver does when decoding). */
export function applyDefaults(value: Json, schema: JsonObject | undefined): Json {
  if (!schema) return value;
  if (isObject(value)) {
    const props = schemaObj(schema.properties);
    if (props) {
      for (const [k, ps] of Object.entries(props)) {
        const p = schemaObj(ps);
        if (!p) continue;
        if (value[k] === undefined && p.default !== undefined) value[k] = structuredClone(p.default);
        const child = value[k];
        if (child !== undefined) value[k] = applyDefaults(child, p);
      }
    }
    const addl = schemaObj(schema.additionalProperties);
    if (addl) for (const k of Object.keys(value)) if (!props || !declares(props, k)) value[k] = applyDefaults(value[k] as Json, addl);
    return value;
  }
  if (Array.isArray(value)) {
    const items = schemaObj(schema.items);
    return items ? value.map((x) => applyDefaults(x, items)) : value;
  }
  return value;
}

/**
 * Removes fields the schema does not declare; returns their paths for `unknown field` warnings,
 * sorted, as the API server reports them (recordings/07-crd.md 5e: `bogusTop`, `spec.bogus`),
 * whatever the order of the fields in the body.
 */
export function prune(value: Json, schema: JsonObject | undefined, path = "", root = true): string[] {
  const unknown: string[] = [];
  if (!schema || schema["x-kubernetes-preserve-unknown-fields"] === true) return unknown;
  if (isObject(value)) {
    const props = schemaObj(schema.properties) ?? {};
    const addl = schema.additionalProperties;
    for (const k of Object.keys(value)) {
      if (root && (k === "apiVersion" || k === "kind" || k === "metadata")) continue;
      const p = (declares(props, k) ? schemaObj(props[k]) : undefined) ?? (isObject(addl) ? addl : undefined);
      if (p) unknown.push(...prune(value[k] as Json, p, joinPath(path, k), false));
      else if (addl !== true) {
        unknown.push(joinPath(path, k));
        delete value[k];
      }
    }
  } else if (Array.isArray(value)) {
    const items = schemaObj(schema.items);
    value.forEach((x, i) => unknown.push(...prune(x, items, `${path}[${i}]`, false)));
  }
  return root ? unknown.sort() : unknown;
}

/** Validates against a structural schema; causes come in schema property order, as recorded. */
export function validateSchema(value: Json, schema: JsonObject | undefined, old: Json | undefined, path = "", root = true): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!schema) return causes;
  const t = typeName(value);
  const want = schema.type;
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  if (value === null) {
    if (schema.nullable === true) return causes;
  }
  if (intOrString) {
    if (t !== "integer" && t !== "string") causes.push(typeError(path, t, "integer-or-string"));
    return causes;
  }
  if (typeof want === "string" && !(want === t || (want === "number" && t === "integer"))) {
    causes.push(typeError(path, t, want));
    return causes;
  }
  const enumValues = schema.enum;
  if (Array.isArray(enumValues) && !enumValues.some((e) => deepEqual(e, value))) {
    causes.push({
      reason: "FieldValueNotSupported",
      message: `Unsupported value: ${goValue(value)}: supported values: ${enumValues.map((e) => goValue(e)).join(", ")}`,
      field: path,
    });
  }
  if (typeof value === "string") {
    if (schema.format === "date-time" && !isDateTime(value)) causes.push(inv(path, value, `${path} in body must be of type date-time: ${goValue(value)}`));
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
      causes.push(inv(path, value, `${path} in body should match '${schema.pattern}'`));
    }
    if (typeof schema.minLength === "number" && [...value].length < schema.minLength) causes.push(inv(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    if (typeof schema.maxLength === "number" && [...value].length > schema.maxLength) {
      causes.push({ reason: "FieldValueTooLong", message: `Too long: may not be longer than ${schema.maxLength}`, field: path });
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) {
      causes.push(inv(path, value, `${path} in body should be greater than ${schema.exclusiveMinimum === true ? "" : "or equal to "}${schema.minimum}`));
    }
    if (typeof schema.maximum === "number" && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) {
      causes.push(inv(path, value, `${path} in body should be less than ${schema.exclusiveMaximum === true ? "" : "or equal to "}${schema.maximum}`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) causes.push(inv(path, value.length, `${path} in body should have at least ${schema.minItems} items`));
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      causes.push({ reason: "FieldValueTooMany", message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`, field: path });
    }
    const items = schemaObj(schema.items);
    value.forEach((x, i) => causes.push(...validateSchema(x, items, oldItem(schema, x, old), `${path}[${i}]`, false)));
  }
  if (isObject(value)) {
    const props = schemaObj(schema.properties) ?? {};
    const req = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
    for (const r of req) if (value[r] === undefined) causes.push({ reason: "FieldValueRequired", message: "Required value", field: joinPath(path, r) });
    for (const [k, ps] of Object.entries(props)) {
      if (root && k === "metadata") continue;
      const child = value[k];
      if (child === undefined) continue;
      causes.push(...validateSchema(child, schemaObj(ps), isObject(old) ? old[k] : undefined, joinPath(path, k), false));
    }
    const addl = schemaObj(schema.additionalProperties);
    if (addl) {
      for (const k of Object.keys(value)) {
        if (!declares(props, k)) causes.push(...validateSchema(value[k] as Json, addl, isObject(old) ? old[k] : undefined, joinPath(path, k), false));
      }
    }
  }
  causes.push(...ruleViolations(value, schema, old, path));
  return causes;
}

/** The old element of a list of type map with the same keys as `item` (CEL transition rules compare with it). */
function oldItem(schema: JsonObject, item: Json, old: Json | undefined): Json | undefined {
  const keys = schema["x-kubernetes-list-map-keys"];
  if (schema["x-kubernetes-list-type"] !== "map" || !Array.isArray(keys) || !isObject(item) || !Array.isArray(old)) return undefined;
  return old.find((o) => isObject(o) && keys.every((k) => typeof k === "string" && deepEqual(o[k] as Json, item[k] as Json)));
}

/**
 * The `x-kubernetes-validations` rules `value` breaks, shown as the API server shows a CEL failure:
 * `Invalid value: "<schema type>": <message>`. Transition rules run only on update, where an old value exists.
 */
function ruleViolations(value: Json, schema: JsonObject, old: Json | undefined, path: string): StatusCause[] {
  const rules = schema["x-kubernetes-validations"];
  if (!Array.isArray(rules)) return [];
  const causes: StatusCause[] = [];
  for (const r of rules) {
    if (!isObject(r) || typeof r.rule !== "string") continue;
    if (isTransitionRule(r.rule) && old === undefined) continue;
    let evaluate: ReturnType<typeof celRuleEvaluator>;
    try {
      evaluate = celRuleEvaluator(r.rule);
    } catch {
      continue; // no TypeScript equivalent: not evaluated (see the module comment)
    }
    let why = typeof r.message === "string" ? r.message : `failed rule: ${r.rule}`;
    let ok: boolean;
    try {
      ok = evaluate(value, old);
    } catch (e) {
      if (!(e instanceof CelError)) throw e;
      ok = false;
      why = `${why} (${e.message})`;
    }
    const shownType = typeof schema.type === "string" ? schema.type : typeName(value);
    if (!ok) causes.push({ reason: "FieldValueInvalid", message: `Invalid value: "${shownType}": ${why}`, field: path });
  }
  return causes;
}

function typeError(path: string, actual: string, want: string): StatusCause {
  return { reason: "FieldValueTypeInvalid", message: `Invalid value: "${actual}": ${path} in body must be of type ${want}: "${actual}"`, field: path };
}

const inv = (path: string, value: Json, detail: string): StatusCause => ({ reason: "FieldValueInvalid", message: `Invalid value: ${goValue(value)}: ${detail}`, field: path });
