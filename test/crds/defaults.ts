/**
 * What the API server does to a custom object before validating it: drop the fields the schema does
 * not know (pruning, reported as `unknown field "spec.bogus"` warnings) and fill in defaults. Both
 * walk the CRD's OpenAPI schema; neither touches `metadata`, which the server handles itself.
 * Pure functions on deep copies, for the local API server and for tests.
 */
import type { JsonObject } from "../../crds/build";

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => v !== null && typeof v === "object" && !Array.isArray(v);
const asSchema = (v: unknown): JsonObject | undefined => (isObject(v) ? (v as JsonObject) : undefined);

/** A copy of `value` with every missing field that has a default filled in, at any depth. */
export function applyDefaults(schema: JsonObject, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = asSchema(schema.items);
    return items ? value.map((v) => applyDefaults(items, v)) : structuredClone(value);
  }
  if (!isObject(value)) return structuredClone(value);
  const out: Node = {};
  const properties = asSchema(schema.properties);
  const additional = asSchema(schema.additionalProperties);
  for (const [key, v] of Object.entries(value)) {
    const child = properties ? asSchema(properties[key]) : additional;
    out[key] = child && key !== "metadata" ? applyDefaults(child, v) : structuredClone(v);
  }
  for (const [key, child] of Object.entries(properties ?? {})) {
    const c = asSchema(child);
    // The server defaults a field that is absent; a field explicitly null is left for validation to judge.
    if (c && c.default !== undefined && !(key in out)) out[key] = applyDefaults(c, structuredClone(c.default));
  }
  return out;
}

/**
 * Removes the fields the schema does not declare. Returns the pruned copy and the paths removed, in
 * the API server's warning form (`spec.bogus`, `bogusTop`), sorted as the server sorts its warnings.
 */
export function prune(schema: JsonObject, value: unknown): { value: unknown; removed: string[] } {
  const removed: string[] = [];
  const walk = (s: JsonObject, v: unknown, path: string): unknown => {
    if (s["x-kubernetes-preserve-unknown-fields"] === true) return structuredClone(v);
    if (Array.isArray(v)) {
      const items = asSchema(s.items);
      return items ? v.map((x, i) => walk(items, x, `${path}[${i}]`)) : structuredClone(v);
    }
    if (!isObject(v)) return structuredClone(v);
    const properties = asSchema(s.properties);
    const additional = asSchema(s.additionalProperties);
    if (!properties && !additional) {
      // `metadata: {type: object}` and empty status structs: the server keeps metadata, prunes the rest.
      if (path === "metadata") return structuredClone(v);
      for (const key of Object.keys(v)) removed.push(path ? `${path}.${key}` : key);
      return {};
    }
    const out: Node = {};
    for (const [key, x] of Object.entries(v)) {
      const child = properties ? asSchema(properties[key]) : additional;
      const at = path ? `${path}.${key}` : key;
      if (!child) removed.push(at);
      else out[key] = walk(child, x, at);
    }
    return out;
  };
  const pruned = walk(schema, value, "");
  return { value: pruned, removed: removed.sort() };
}
