/**
 * Reading untrusted objects field by field with the CRD schema's rules (types, required, ranges).
 *
 * Objects come from YAML files, JSON or the API server, so any field may hold any value, including
 * keys such as `__proto__`. Only own properties are read, and a value of the wrong type is reported
 * (in the API server's words) and treated as absent, so the semantic checks that follow see clean
 * values and never throw.
 */
import { closest, distance } from "fastest-levenshtein";
import { duplicateEntry, schema, type Reporter } from "./problems";

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own property only: never a value inherited from Object.prototype. */
export function own(obj: JsonRecord, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** The JSON schema type name of a value, as the API server prints it. */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "bigint") return "integer";
  return typeof value;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

export interface Field {
  obj: JsonRecord;
  key: string;
  path: string;
}

/** A field of `obj` at `path` (the dotted path of `obj` itself). */
export const at = (obj: JsonRecord, key: string, path: string): Field => ({ obj, key, path: join(path, key) });

/** True when the field is present and not null (null means "unset" for the API server too). */
export function has(f: Field): boolean {
  const v = own(f.obj, f.key);
  return v !== undefined && v !== null;
}

function present(f: Field, report: Reporter, required: boolean): unknown {
  const v = own(f.obj, f.key);
  if (v === undefined || v === null) {
    if (required) report(f.path, schema.required());
    return undefined;
  }
  return v;
}

export function readString(f: Field, report: Reporter, required = false): string | undefined {
  const v = present(f, report, required);
  if (v === undefined) return undefined;
  if (typeof v !== "string") {
    report(f.path, schema.wrongType(f.path, "string", jsonType(v)));
    return undefined;
  }
  return v;
}

export function readBool(f: Field, report: Reporter): boolean | undefined {
  const v = present(f, report, false);
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") {
    report(f.path, schema.wrongType(f.path, "boolean", jsonType(v)));
    return undefined;
  }
  return v;
}

export interface IntRange {
  min?: number;
  max?: number;
  required?: boolean;
}

export function readInt(f: Field, report: Reporter, range: IntRange = {}): number | undefined {
  const raw = present(f, report, range.required ?? false);
  if (raw === undefined) return undefined;
  const v = typeof raw === "bigint" ? Number(raw) : raw;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    report(f.path, schema.wrongType(f.path, "integer", jsonType(raw)));
    return undefined;
  }
  if (range.min !== undefined && v < range.min) {
    report(f.path, schema.tooSmall(f.path, v, range.min));
    return undefined;
  }
  if (range.max !== undefined && v > range.max) {
    report(f.path, schema.tooLarge(f.path, v, range.max));
    return undefined;
  }
  return v;
}

export function readRecord(f: Field, report: Reporter, required = false): JsonRecord | undefined {
  const v = present(f, report, required);
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    report(f.path, schema.wrongType(f.path, "object", jsonType(v)));
    return undefined;
  }
  return v;
}

export function readArray(f: Field, report: Reporter, required = false): unknown[] | undefined {
  const v = present(f, report, required);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    report(f.path, schema.wrongType(f.path, "array", jsonType(v)));
    return undefined;
  }
  return v;
}

/** A list of strings with their paths; entries of another type are reported and left out. */
export function readStringItems(f: Field, report: Reporter, required = false): { value: string; path: string }[] | undefined {
  const list = readArray(f, report, required);
  if (list === undefined) return undefined;
  const out: { value: string; path: string }[] = [];
  list.forEach((item, i) => {
    const path = `${f.path}[${i}]`;
    if (typeof item === "string") out.push({ value: item, path });
    else report(path, schema.wrongType(path, "string", jsonType(item)));
  });
  return out;
}

/** A list of objects, each with its path; entries of another type are reported and left out. */
export function readRecordList(f: Field, report: Reporter): { item: JsonRecord; path: string }[] {
  const list = readArray(f, report);
  if (list === undefined) return [];
  const out: { item: JsonRecord; path: string }[] = [];
  list.forEach((item, i) => {
    const path = `${f.path}[${i}]`;
    if (isRecord(item)) out.push({ item, path });
    else report(path, schema.wrongType(path, "object", jsonType(item)));
  });
  return out;
}

/** A map of strings to strings (labels); entries of another type are reported and left out. */
export function readStringMap(f: Field, report: Reporter): Record<string, string> | undefined {
  const rec = readRecord(f, report);
  if (rec === undefined) return undefined;
  const entries: [string, string][] = [];
  for (const key of Object.keys(rec)) {
    const v = rec[key];
    const path = `${f.path}.${key}`;
    if (typeof v === "string") entries.push([key, v]);
    else report(path, schema.wrongType(path, "string", jsonType(v)));
  }
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(entries);
}

/**
 * The known field a mistyped `key` most likely meant: the nearest by edit distance (letter case
 * ignored), when it is at most 2 edits away or a third of the key's length, whichever is more;
 * else undefined, so that no far-fetched hint is printed.
 */
export function closestField(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = key.toLowerCase();
  const best = closest(lower, known.map(k => k.toLowerCase()));
  const index = known.findIndex(k => k.toLowerCase() === best);
  return distance(lower, best) <= Math.max(2, Math.floor(key.length / 3)) ? known[index] : undefined;
}

/** Keys of `obj` that are not in `known`, for the "unknown field" warnings. */
export function unknownKeys(obj: JsonRecord, known: readonly string[]): string[] {
  return Object.keys(obj).filter(k => !known.includes(k));
}

/** Reports every entry that repeats an earlier one: `duplicate definition of <what> "<value>"`. */
export function reportDuplicates(items: readonly { value: string; path: string }[], what: string, report: Reporter): void {
  const seen = new Set<string>();
  for (const { value, path } of items) {
    if (seen.has(value)) report(path, duplicateEntry(what, value));
    seen.add(value);
  }
}
