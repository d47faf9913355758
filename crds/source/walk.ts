/**
 * Every field of a schema, depth first, with its dotted path (`spec.serviceAllocation.priority`,
 * `[]` for array elements). The configuration reference is written from this walk and its test walks
 * the same way, so a field cannot be missing from the docs.
 */
import type { SourceSchema } from "./schema";

export interface Field {
  path: string;
  schema: SourceSchema;
  required: boolean;
  depth: number;
}

export function* walkFields(schema: SourceSchema, path: string, required: boolean, depth = 0): Generator<Field> {
  yield { path, schema, required, depth };
  // Array elements are not fields of their own; the fields of object elements are.
  const inner = schema.type === "array" && schema.items ? schema.items : schema;
  const prefix = schema.type === "array" ? `${path}[]` : path;
  if (inner.type !== "object" || !inner.properties) return;
  const requiredNames = new Set(inner.required ?? []);
  for (const [name, child] of Object.entries(inner.properties)) {
    yield* walkFields(child, `${prefix}.${name}`, requiredNames.has(name), depth + 1);
  }
}
