/**
 * Validating values against the CRD's OpenAPI v3 schemas with ajv.
 *
 * The structural-schema subset Kubernetes accepts is close enough to JSON Schema draft 7 that ajv can
 * check it once the `x-kubernetes-*` extensions (CEL rules, list and map types) are stripped: those are
 * the API server's own business and are not evaluated here. Integer formats are accepted as they are
 * by the API server (it does not range-check int32/int64); date-time is checked as RFC 3339.
 */
import Ajv, { type ValidateFunction } from "ajv";

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  ajv.addFormat("int32", { type: "number", validate: () => true });
  ajv.addFormat("int64", { type: "number", validate: () => true });
  ajv.addFormat("date-time", (s: string) => rfc3339.test(s) && !Number.isNaN(Date.parse(s)));
  return ajv;
}

/** A deep copy of an OpenAPI node without the `x-` keys ajv has no meaning for. */
export function stripExtensions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripExtensions);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-")) continue;
    // `properties` and `enum`/`default` hold names and values, not schema keywords: copy them as they are.
    if (key === "enum" || key === "default") out[key] = value;
    else if (key === "properties" && value !== null && typeof value === "object") {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, stripExtensions(child)]));
    } else out[key] = stripExtensions(value);
  }
  return out;
}

const compiled = new WeakMap<object, ValidateFunction>();
const shared = newAjv();

/** A compiled validator for one OpenAPI node (cached per node object). */
export function validatorFor(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = shared.compile(stripExtensions(schema) as object);
    compiled.set(schema, fn);
  }
  return fn;
}
