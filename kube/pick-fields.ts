/**
 * The named fields of a JSON object that are present, as a new object: how the watch edge cuts what it
 * keeps of an object (speaker/slim-object.ts, kube/watch-supervisor.ts tombstoneOf).
 */
type Json = Record<string, unknown>;

/** `fields` of `from` that are present (not undefined); undefined when `from` is not a plain object. */
export function pickFields(from: unknown, fields: readonly string[]): Json | undefined {
  if (typeof from !== "object" || from === null || Array.isArray(from)) return undefined;
  const o = from as Json;
  const out: Json = {};
  for (const f of fields) if (o[f] !== undefined) out[f] = o[f];
  return out;
}
