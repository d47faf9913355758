/**
 * managedFields bookkeeping and server-side apply (recordings/03-patch.md 4, recordings/04-status.md 6).
 *
 * A field set is a set of paths; each path is a list of FieldsV1 segments (`f:spec`, `k:{"port":80,"protocol":"TCP"}`,
 * `v:"x"`, and `.` for "the node itself"). Sets are converted to and from the nested FieldsV1 JSON the API shows.
 * This models ownership closely enough for kubectl, kubernetes-fluent-client and controllers: Update writers own the
 * fields they changed, appliers own exactly what they applied, conflicts are reported per field, and fields an
 * applier stops applying are removed when nobody else owns them.
 */
import type { ResourceType } from "./resource";
import { clone, deepEqual, isObject } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { ApiError } from "./status";

const SEP = "\u0001";
export type FieldSet = Set<string>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

interface Shape {
  listKeys: Record<string, string[]>;
  atomic: Set<string>;
  builtin: boolean;
}

const shapeOf = (t: ResourceType): Shape => ({
  listKeys: { "metadata.ownerReferences": ["uid"], ...(t.listKeys ?? {}) },
  atomic: new Set(t.atomic ?? []),
  builtin: !t.crd,
});

const SET_LISTS = new Set(["metadata.finalizers"]);
const KEY_DEFAULTS: Record<string, Json> = { protocol: "TCP" };

export function itemKey(item: Json, keys: string[]): string {
  const o: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = isObject(item) ? (item[k] ?? KEY_DEFAULTS[k]) : undefined;
    if (v !== undefined) o[k] = v;
  }
  return `k:${JSON.stringify(o)}`;
}

/** All field paths present in `value`. Update sets also own the nodes they create (`.`); apply sets own list items only. */
export function fieldSetOf(value: JsonObject, t: ResourceType, mode: "apply" | "update", scope: "main" | "status"): FieldSet {
  const shape = shapeOf(t);
  const out: FieldSet = new Set();
  for (const [k, v] of Object.entries(value)) {
    if (k === "apiVersion" || k === "kind" || v === undefined) continue;
    if (t.hasStatus && (scope === "status") !== (k === "status")) continue;
    if (k === "metadata") {
      if (!isObject(v)) continue;
      for (const mk of ["labels", "annotations", "finalizers", "ownerReferences"]) {
        const mv = v[mk];
        if (mv !== undefined && mv !== null) walk(mv, ["f:metadata", `f:${mk}`], `metadata.${mk}`, 2);
      }
      continue;
    }
    walk(v, [`f:${k}`], k, 1);
  }
  return out;

  function walk(v: Json, segs: string[], dotted: string, depth: number): void {
    const dot = (): void => {
      if (mode === "update" && !(shape.builtin && depth === 1 && (dotted === "spec" || dotted === "status"))) out.add([...segs, "."].join(SEP));
    };
    if (shape.atomic.has(dotted)) {
      out.add(segs.join(SEP));
      return;
    }
    if (isObject(v)) {
      const keys = Object.keys(v).filter((k) => v[k] !== undefined);
      if (keys.length === 0) {
        out.add(segs.join(SEP));
        return;
      }
      dot();
      for (const k of keys) walk(v[k] as Json, [...segs, `f:${k}`], `${dotted}.${k}`, depth + 1);
      return;
    }
    if (Array.isArray(v)) {
      const keys = shape.listKeys[dotted];
      if (keys) {
        dot();
        for (const item of v) {
          const itemSegs = [...segs, itemKey(item, keys)];
          out.add([...itemSegs, "."].join(SEP));
          if (isObject(item)) for (const [k, x] of Object.entries(item)) if (x !== undefined) walk(x, [...itemSegs, `f:${k}`], `${dotted}.${k}`, depth + 2);
        }
        return;
      }
      if (SET_LISTS.has(dotted)) {
        dot();
        for (const item of v) out.add([...segs, `v:${JSON.stringify(item)}`].join(SEP));
        return;
      }
    }
    out.add(segs.join(SEP));
  }
}

/** Resolves a path in an object; undefined when absent. */
export function valueAt(o: Json | undefined, path: string): Json | undefined {
  let cur: Json | undefined = o;
  for (const seg of path.split(SEP)) {
    if (seg === ".") return cur;
    if (cur === undefined) return undefined;
    if (seg.startsWith("f:")) {
      cur = isObject(cur) ? cur[seg.slice(2)] : undefined;
    } else if (seg.startsWith("k:")) {
      const want = JSON.parse(seg.slice(2)) as JsonObject;
      const keys = Object.keys(want);
      cur = Array.isArray(cur) ? cur.find((item) => itemKey(item, keys) === seg) : undefined;
    } else if (seg.startsWith("v:")) {
      const want = JSON.parse(seg.slice(2)) as Json;
      cur = Array.isArray(cur) ? cur.find((x) => deepEqual(x, want)) : undefined;
    } else return undefined;
  }
  return cur;
}

function deleteAt(o: JsonObject, path: string): void {
  const segs = path.split(SEP);
  if (segs[segs.length - 1] === ".") segs.pop();
  const last = segs.pop();
  if (last === undefined) return;
  const parent = valueAt(o, [...segs, "."].join(SEP));
  if (last.startsWith("f:") && isObject(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const idx = parent.findIndex((item) => matchSeg(item, last));
    if (idx >= 0) parent.splice(idx, 1);
  }
}

function matchSeg(item: Json, seg: string): boolean {
  if (seg.startsWith("k:")) return itemKey(item, Object.keys(JSON.parse(seg.slice(2)) as JsonObject)) === seg;
  if (seg.startsWith("v:")) return deepEqual(item, JSON.parse(seg.slice(2)) as Json);
  return false;
}

// ---------- FieldsV1 JSON <-> sets ----------

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const p of set) {
    let cur = root;
    for (const seg of p.split(SEP)) {
      const next = cur[seg];
      if (isObject(next)) cur = next;
      else {
        const created: JsonObject = {};
        cur[seg] = created;
        cur = created;
      }
    }
  }
  return sortFields(root);
}

function sortFields(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  const keys = Object.keys(o).sort((a, b) => (a === "." ? -1 : b === "." ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) {
    const v = o[k];
    out[k] = isObject(v) ? sortFields(v) : {};
  }
  return out;
}

export function fromFieldsV1(f: Json | undefined): FieldSet {
  const out: FieldSet = new Set();
  const walkF = (o: JsonObject, prefix: string[]): void => {
    for (const [k, v] of Object.entries(o)) {
      const segs = [...prefix, k];
      if (k === "." || !isObject(v) || Object.keys(v).length === 0) out.add(segs.join(SEP));
      else walkF(v, segs);
    }
  };
  if (isObject(f)) walkF(f, []);
  return out;
}

export function readManagedFields(o: JsonObject): ManagedFieldsEntry[] {
  const m = isObject(o.metadata) ? o.metadata.managedFields : undefined;
  if (!Array.isArray(m)) return [];
  return m.filter(isObject).map((e) => {
    const entry: ManagedFieldsEntry = {
      manager: String(e.manager ?? ""),
      operation: e.operation === "Apply" ? "Apply" : "Update",
      apiVersion: String(e.apiVersion ?? ""),
      time: String(e.time ?? ""),
      fields: fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === "string") entry.subresource = e.subresource;
    return entry;
  });
}

export function writeManagedFields(o: JsonObject, entries: ManagedFieldsEntry[]): void {
  const md = isObject(o.metadata) ? o.metadata : (o.metadata = {});
  // The apiserver keeps managedFields sorted by operation, then time, manager and subresource.
  const sorted = entries
    .filter((e) => e.fields.size > 0)
    .sort((a, b) => cmp(a.operation, b.operation) || cmp(a.time, b.time) || cmp(a.manager, b.manager) || cmp(a.subresource ?? "", b.subresource ?? ""));
  const list: Json[] = sorted
    .map((e) => {
      const out: JsonObject = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: "FieldsV1", fieldsV1: toFieldsV1(e.fields) };
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
  if (list.length > 0) md.managedFields = list;
  else delete md.managedFields;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const sameSlot = (e: ManagedFieldsEntry, manager: string, op: string, sub: string | undefined): boolean =>
  e.manager === manager && e.operation === op && (e.subresource ?? "") === (sub ?? "");

/** Records a non-apply write: `manager` takes the fields that changed from everyone, removed fields are forgotten. */
export function recordUpdate(
  t: ResourceType,
  old: JsonObject | undefined,
  next: JsonObject,
  manager: string,
  apiVersion: string,
  time: string,
  subresource: string | undefined,
  exclude: (path: string) => boolean = () => false,
): void {
  const scope = subresource === "status" ? "status" : "main";
  const entries = old ? readManagedFields(old) : [];
  const nextSet = fieldSetOf(next, t, "update", scope);
  const oldSet = old ? fieldSetOf(old, t, "update", scope) : new Set<string>();
  const changed: FieldSet = new Set();
  for (const p of nextSet) {
    if (exclude(p)) continue;
    if (p.endsWith(`${SEP}.`)) {
      if (!oldSet.has(p)) changed.add(p);
    } else if (!old || !deepEqual(valueAt(old, p), valueAt(next, p))) changed.add(p);
  }
  const removed = [...oldSet].filter((p) => !nextSet.has(p));
  for (const e of entries) {
    for (const p of changed) e.fields.delete(p);
    for (const p of removed) e.fields.delete(p);
  }
  if (changed.size > 0) {
    let mine = entries.find((e) => sameSlot(e, manager, "Update", subresource));
    if (!mine) {
      mine = { manager, operation: "Update", apiVersion, time, fields: new Set(), ...(subresource ? { subresource } : {}) };
      entries.push(mine);
    }
    for (const p of changed) mine.fields.add(p);
    mine.time = time;
    mine.apiVersion = apiVersion;
  }
  writeManagedFields(next, entries);
}

function fieldPathText(path: string): string {
  return path
    .split(SEP)
    .filter((s) => s !== ".")
    .map((seg) => {
      if (seg.startsWith("f:")) return `.${seg.slice(2)}`;
      if (seg.startsWith("k:")) {
        const k = JSON.parse(seg.slice(2)) as JsonObject;
        return `[${Object.entries(k)
          .map(([a, b]) => `${a}=${JSON.stringify(b)}`)
          .join(",")}]`;
      }
      return `[=${seg.slice(2)}]`;
    })
    .join("");
}

/** Merges an applied configuration into the live object: maps recurse, keyed lists merge by key, other lists are replaced. */
function mergeApplied(live: Json | undefined, applied: Json, dotted: string, shape: Shape): Json {
  if (shape.atomic.has(dotted)) return clone(applied);
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      if (v === null) {
        delete out[k];
        continue;
      }
      out[k] = mergeApplied(out[k], v, dotted ? `${dotted}.${k}` : k, shape);
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const keys = shape.listKeys[dotted];
    if (keys && Array.isArray(live)) {
      const out = [...live];
      for (const item of applied) {
        const idx = out.findIndex((x) => itemKey(x, keys) === itemKey(item, keys));
        if (idx >= 0) out[idx] = mergeApplied(out[idx], item, dotted, shape);
        else out.push(clone(item));
      }
      return out;
    }
    if (SET_LISTS.has(dotted) && Array.isArray(live)) {
      const out = [...live];
      for (const item of applied) if (!out.some((x) => deepEqual(x, item))) out.push(item);
      return out;
    }
  }
  return clone(applied);
}

/**
 * Server-side apply of `applied` onto `live` (undefined when creating). Returns the merged object with managedFields
 * set, or throws the recorded 409 when fields owned by other managers would change and `force` is false.
 */
export function serverSideApply(
  t: ResourceType,
  live: JsonObject | undefined,
  applied: JsonObject,
  manager: string,
  force: boolean,
  apiVersion: string,
  time: string,
  subresource: string | undefined,
): JsonObject {
  const shape = shapeOf(t);
  const scope = subresource === "status" ? "status" : "main";
  const appliedSet = fieldSetOf(applied, t, "apply", scope);
  const entries = live ? readManagedFields(live) : [];
  const mine = entries.find((e) => sameSlot(e, manager, "Apply", subresource));
  const others = entries.filter((e) => e !== mine);

  const conflicts: { path: string; entry: ManagedFieldsEntry }[] = [];
  if (live) {
    for (const p of appliedSet) {
      if (p.endsWith(`${SEP}.`)) continue;
      const liveValue = valueAt(live, p);
      if (liveValue === undefined || deepEqual(liveValue, valueAt(applied, p))) continue;
      for (const e of others) if (e.fields.has(p)) conflicts.push({ path: p, entry: e });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const c of conflicts) c.entry.fields.delete(c.path);

  const base: JsonObject = live ? clone(live) : {};
  const merged = mergeApplied(base, applied, "", shape) as JsonObject;

  // Fields this manager applied before but not now, and that nobody else owns, are removed.
  if (mine) {
    const nodeOf = (p: string): string => (p.endsWith(`${SEP}.`) ? p.slice(0, -2) : p);
    const within = (set: Iterable<string>, p: string): boolean => {
      const node = nodeOf(p);
      for (const q of set) if (q === p || q.startsWith(`${node}${SEP}`)) return true;
      return false;
    };
    const dropped = [...mine.fields].filter((p) => !appliedSet.has(p) && !within(appliedSet, p) && !others.some((e) => within(e.fields, p)));
    dropped.sort((a, b) => b.split(SEP).length - a.split(SEP).length);
    for (const p of dropped) deleteAt(merged, p);
  }
  const newMine: ManagedFieldsEntry = { manager, operation: "Apply", apiVersion, time, fields: appliedSet, ...(subresource ? { subresource } : {}) };
  const list = mine ? entries.map((e) => (e === mine ? newMine : e)) : [newMine, ...entries];
  writeManagedFields(merged, list);
  return merged;
}

function conflictError(conflicts: { path: string; entry: ManagedFieldsEntry }[]): ApiError {
  const who = (e: ManagedFieldsEntry): string => (e.operation === "Update" ? `"${e.manager}" using ${e.apiVersion}` : `"${e.manager}"`);
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${who(c.entry)}`, field: fieldPathText(c.path) }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${who(first.entry)}: ${fieldPathText(first.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const k = who(c.entry);
      byManager.set(k, [...(byManager.get(k) ?? []), fieldPathText(c.path)]);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${[...byManager.entries()].map(([m, ps]) => `conflicts with ${m}:\n${ps.map((p) => `- ${p}`).join("\n")}`).join("\n")}`;
  }
  return new ApiError(409, "Conflict", message, { causes });
}

export const PATH_SEPARATOR = SEP;
