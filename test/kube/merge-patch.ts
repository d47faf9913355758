/**
 * RFC 7386 JSON merge patch (objects merge, lists and scalars replace, `null` deletes), as the API
 * server applies `application/merge-patch+json`; the recording fake uses it to store writes.
 * Values are cloned with structuredClone so that bigint counters survive.
 */
type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlain(patch)) return structuredClone(patch);
  const out: Plain = isPlain(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
