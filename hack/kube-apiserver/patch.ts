/**
 * The three non-apply PATCH flavours (recordings/03-patch.md): RFC 7386 merge patch, RFC 6902 JSON patch and
 * Kubernetes' strategic merge patch (lists merged by key, `$patch`, `$setElementOrder`, `$retainKeys`,
 * `$deleteFromPrimitiveList`). Pure functions over JSON values.
 */
import { mergePatch as mergePatchValue } from "../../test/kube/merge-patch";
import { clone, deepEqual, isObject } from "./json";
import type { Json, JsonObject } from "./status";

export class PatchError extends Error {}

/** RFC 7386, the same function the recording fake ports use (a JSON value in, a JSON value out). */
export const mergePatch = (target: Json | undefined, patch: Json): Json => mergePatchValue(target, patch) as Json;

// ---------- RFC 6902 ----------

function parsePointer(p: string): string[] {
  if (p === "") return [];
  if (!p.startsWith("/")) throw new PatchError(`invalid JSON pointer ${p}`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function getAt(doc: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (isObject(cur)) {
      cur = Object.prototype.hasOwnProperty.call(cur, seg) ? cur[seg] : undefined;
    } else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, path: string[], op: string): { parent: Json[] | JsonObject; last: string } {
  const last = path[path.length - 1];
  if (last === undefined) throw new PatchError(`${op}: cannot operate on the document root`);
  const parent = getAt(doc, path.slice(0, -1));
  if (!Array.isArray(parent) && !isObject(parent)) throw new PatchError(`${op} operation does not apply: doc is missing path: /${path.join("/")}: missing value`);
  return { parent, last };
}

function addAt(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, last } = parentOf(doc, path, "add");
  if (Array.isArray(parent)) {
    const idx = last === "-" ? parent.length : Number(last);
    if (!/^\d+$/.test(last) && last !== "-") throw new PatchError(`add operation does not apply: invalid index ${last}`);
    if (idx > parent.length) throw new PatchError(`add operation does not apply: index out of bounds ${idx}`);
    parent.splice(idx, 0, value);
  } else parent[last] = value;
  return doc;
}

function removeAt(doc: Json, path: string[]): Json {
  const { parent, last } = parentOf(doc, path, "remove");
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!/^\d+$/.test(last) || idx >= parent.length) throw new PatchError(`remove operation does not apply: unable to remove nonexistent index ${last}`);
    parent.splice(idx, 1);
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, last)) throw new PatchError(`unable to remove nonexistent key: ${last}: missing value`);
    delete parent[last];
  }
  return doc;
}

/** Applies an RFC 6902 patch (already decoded); throws PatchError when an operation fails. */
export function jsonPatch(doc: Json, ops: Json[]): Json {
  let cur = clone(doc);
  for (const raw of ops) {
    if (!isObject(raw)) throw new PatchError("invalid operation");
    const op = raw.op;
    const path = parsePointer(String(raw.path ?? ""));
    switch (op) {
      case "add":
        cur = addAt(cur, path, clone(raw.value ?? null));
        break;
      case "remove":
        cur = removeAt(cur, path);
        break;
      case "replace": {
        if (getAt(cur, path) === undefined) throw new PatchError(`replace operation does not apply: doc is missing key: /${path.join("/")}: missing value`);
        if (path.length === 0) cur = clone(raw.value ?? null);
        else {
          cur = removeAt(cur, path);
          cur = addAt(cur, path, clone(raw.value ?? null));
        }
        break;
      }
      case "move":
      case "copy": {
        const from = parsePointer(String(raw.from ?? ""));
        const v = getAt(cur, from);
        if (v === undefined) throw new PatchError(`${op} operation does not apply: doc is missing from path: ${String(raw.from)}: missing value`);
        if (op === "move") cur = removeAt(cur, from);
        cur = addAt(cur, path, clone(v));
        break;
      }
      case "test": {
        const v = getAt(cur, path);
        if (!deepEqual(v, raw.value ?? null)) throw new PatchError(`testing value /${path.join("/")} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return cur;
}

// ---------- strategic merge patch ----------

/** For a dotted field path (list items do not add a segment): the merge key of a keyed list, or "" for a merged primitive list. */
export type MergeKeyLookup = (path: string) => string | undefined;

const ORDER_PREFIX = "$setElementOrder/";
const DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/";

export function strategicMergePatch(original: Json | undefined, patch: Json, keys: MergeKeyLookup): Json {
  return mergeValue(original, patch, keys, "");
}

function mergeValue(original: Json | undefined, patch: Json, keys: MergeKeyLookup, path: string): Json {
  if (!isObject(patch)) return clone(patch);
  return mergeMap(isObject(original) ? original : {}, patch, keys, path);
}

function mergeMap(original: JsonObject, patch: JsonObject, keys: MergeKeyLookup, path: string): Json {
  const directive = patch.$patch;
  if (directive === "replace") {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(patch)) if (k !== "$patch") out[k] = stripDirectives(v);
    return out;
  }
  if (directive === "delete") return {};
  const out: JsonObject = { ...original };
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys" || k.startsWith(ORDER_PREFIX) || k.startsWith(DELETE_PRIMITIVE_PREFIX)) continue;
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (isObject(v) && v.$patch === "delete") {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const key = keys(childPath);
      const order = patch[`${ORDER_PREFIX}${k}`];
      out[k] = key === undefined ? stripDirectives(v) : mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, key, Array.isArray(order) ? order : undefined, keys, childPath);
      continue;
    }
    out[k] = mergeValue(out[k], v, keys, childPath);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_PRIMITIVE_PREFIX) && Array.isArray(v)) {
      const field = k.slice(DELETE_PRIMITIVE_PREFIX.length);
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
    }
    if (k.startsWith(ORDER_PREFIX) && Array.isArray(v)) {
      const field = k.slice(ORDER_PREFIX.length);
      if (patch[field] === undefined && Array.isArray(out[field])) {
        const key = keys(path ? `${path}.${field}` : field);
        if (key !== undefined) out[field] = mergeList(out[field] as Json[], [], key, v, keys, path ? `${path}.${field}` : field);
      }
    }
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (!k.startsWith("$")) out[k] = stripDirectives(x);
    return out;
  }
  return v;
}

function identity(item: Json, key: string): Json | undefined {
  if (key === "") return item;
  return isObject(item) ? item[key] : undefined;
}

function indexIn(list: Json[], item: Json, key: string): number {
  const id = identity(item, key);
  if (id === undefined) return -1;
  return list.findIndex((x) => deepEqual(identity(x, key), id));
}

function mergeList(original: Json[], patch: Json[], key: string, order: Json[] | undefined, keys: MergeKeyLookup, path: string): Json[] {
  if (patch.some((x) => isObject(x) && x.$patch === "replace")) {
    return patch.filter((x) => !(isObject(x) && x.$patch === "replace")).map(stripDirectives);
  }
  const merged = original.map((x) => x);
  for (const item of patch) {
    const idx = indexIn(merged, item, key);
    if (isObject(item) && item.$patch === "delete") {
      if (idx >= 0) merged.splice(idx, 1);
      continue;
    }
    if (idx >= 0) merged[idx] = key === "" ? item : mergeValue(merged[idx], item, keys, path);
    else merged.push(key === "" ? item : stripDirectives(item));
  }
  // Order as the apiserver does: items named by the patch (or $setElementOrder) in that order,
  // interleaved with server-only items in their original order.
  const patchOrder = (order ?? patch).filter((x) => !(isObject(x) && x.$patch === "delete"));
  const inPatch = (x: Json): boolean => indexIn(patchOrder, x, key) >= 0;
  const left = merged.filter(inPatch).sort((a, b) => indexIn(patchOrder, a, key) - indexIn(patchOrder, b, key));
  const right = merged.filter((x) => !inPatch(x)).sort((a, b) => indexIn(original, a, key) - indexIn(original, b, key));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    if (l === undefined) {
      if (r !== undefined) out.push(r);
      j++;
    } else if (r === undefined) {
      out.push(l);
      i++;
    } else {
      const li = indexIn(original, l, key);
      const ri = indexIn(original, r, key);
      if (li >= 0 && ri >= 0 && li > ri) {
        out.push(r);
        j++;
      } else {
        out.push(l);
        i++;
      }
    }
  }
  return out;
}
