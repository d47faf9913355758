/** Small helpers for handling untyped JSON objects safely under strict TypeScript. */
import type { Json, JsonObject } from "./status";

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export const clone = <T>(v: T): T => structuredClone(v);

export function obj(parent: JsonObject, key: string): JsonObject | undefined {
  const v = parent[key];
  return isObject(v) ? v : undefined;
}

/** Returns parent[key] as an object, creating it when absent or not an object. */
export function ensureObj(parent: JsonObject, key: string): JsonObject {
  const v = parent[key];
  if (isObject(v)) return v;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

export function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function meta(o: JsonObject): JsonObject {
  return ensureObj(o, "metadata");
}

export function metaStr(o: JsonObject, key: string): string | undefined {
  const m = obj(o, "metadata");
  return m ? str(m[key]) : undefined;
}

/** Reads a dotted path (`spec.type`, `status.loadBalancer.ingress`). */
export function getPath(o: Json | undefined, path: string[]): Json | undefined {
  let cur: Json | undefined = o;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Deep equality of JSON values (object key order ignored). */
export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Recursively sorts object keys (custom resources are served as sorted unstructured JSON). */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** RFC 3339 seconds precision, as metav1.Time serialises. */
export const nowTime = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");
