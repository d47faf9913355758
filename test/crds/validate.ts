/**
 * Checks a metallb.io object against its CRD schema the way the API server's schema validation does,
 * and reports problems with the API server's field paths, reasons and messages (recorded in
 * hack/kube-apiserver/recordings/07-crd.md section 5): `spec.addresses[1]`, FieldValueTypeInvalid, `Invalid value: "integer": ...`.
 *
 * CEL rules run through their TypeScript equivalents (test/crds/cel.ts). Pruning and defaulting, which the
 * server does first, are the local API server's (hack/kube-apiserver/schema.ts). For tests, the offline validator and the local API
 * server; the admission webhooks enforce the semantic rules on top.
 */
import type { ErrorObject } from "ajv";
import { servedVersion, type JsonObject } from "../../crds/index";
import { celViolations } from "./cel";
import { validatorFor } from "./openapi-ajv";

export type FieldErrorReason =
  | "FieldValueRequired"
  | "FieldValueTypeInvalid"
  | "FieldValueNotSupported"
  | "FieldValueInvalid"
  | "FieldValueTooLong";

export interface FieldError {
  /** Path inside the object: `spec.addresses[1]`, `status.sessions[0].state`. */
  field: string;
  reason: FieldErrorReason;
  message: string;
}

/** `/spec/addresses/1` -> `spec.addresses[1]` */
export function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (child !== undefined) segments.push(child);
  let out = "";
  for (const s of segments) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${s}]`;
  }
  return out;
}

export function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

function toFieldError(e: ErrorObject, prefix: string): FieldError {
  const join = (path: string) => (prefix && path ? `${prefix}.${path}` : prefix || path);
  const field = join(fieldPath(e.instancePath));
  const p = e.params as Record<string, unknown>;
  const value = e.data;
  switch (e.keyword) {
    case "required":
      return { field: join(fieldPath(e.instancePath, String(p.missingProperty))), reason: "FieldValueRequired", message: "Required value" };
    case "type": {
      const actual = jsonTypeName(value);
      return {
        field,
        reason: "FieldValueTypeInvalid",
        message: `Invalid value: "${actual}": ${field} in body must be of type ${String(p.type)}: "${actual}"`,
      };
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ");
      return { field, reason: "FieldValueNotSupported", message: `Unsupported value: ${shown(value)}: supported values: ${allowed}` };
    }
    case "minimum":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${field} in body should be greater than or equal to ${String(p.limit)}` };
    case "maximum":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${field} in body should be less than or equal to ${String(p.limit)}` };
    case "minItems":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${(value as unknown[]).length}: ${field} in body should have at least ${String(p.limit)} items` };
    case "minLength":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${field} in body should be at least ${String(p.limit)} chars long` };
    case "maxLength":
      return { field, reason: "FieldValueTooLong", message: `Too long: may not be longer than ${String(p.limit)}` };
    case "pattern":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${field} in body should match '${String(p.pattern)}'` };
    case "format":
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${field} in body must be of type ${String(p.format)}: ${shown(value)}` };
    default:
      return { field, reason: "FieldValueInvalid", message: `Invalid value: ${shown(value)}: ${e.message ?? e.keyword}` };
  }
}

/**
 * Validates a value against one OpenAPI node and returns the API server's field errors, in path
 * order, with paths under `pathPrefix`. Where a value has the wrong type, only the type error is reported for it (as the API server does).
 */
export function schemaErrors(schema: JsonObject, value: unknown, pathPrefix = ""): FieldError[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const wrongType = new Set(errors.filter((e) => e.keyword === "type").map((e) => e.instancePath));
  const out = errors
    .filter((e) => e.keyword === "type" || !wrongType.has(e.instancePath))
    .filter((e) => !["if", "anyOf", "oneOf", "allOf"].includes(e.keyword))
    .map((e) => toFieldError(e, pathPrefix));
  const seen = new Set<string>();
  return out
    .filter((fe) => {
      const key = `${fe.field}\0${fe.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

/**
 * Validates a whole metallb.io object (any served kind and version) against its CRD schema, then its
 * CEL rules (transition rules such as immutability only when `oldObj`, the stored object, is given).
 * An object whose apiVersion/kind no CRD serves gets one error on `kind`.
 */
export function validateObject(obj: unknown, oldObj?: unknown): FieldError[] {
  const o = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const served = typeof o.apiVersion === "string" && typeof o.kind === "string" ? servedVersion(o.apiVersion, o.kind) : undefined;
  if (!served) {
    return [{ field: "kind", reason: "FieldValueNotSupported", message: `no metallb.io CRD serves ${String(o.apiVersion)} ${String(o.kind)}` }];
  }
  const version = served.crd.spec.versions.find((v) => v.name === served.version);
  if (!version) throw new Error("servedVersion returned a version its CRD lacks");
  const schema = version.schema.openAPIV3Schema;
  const rules = celViolations(schema, obj, oldObj).map(
    (v): FieldError => ({ field: v.field, reason: "FieldValueInvalid", message: `Invalid value: "${v.type}": ${v.message}` }),
  );
  return [...schemaErrors(schema, obj), ...rules].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}
