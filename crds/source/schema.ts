/**
 * The vocabulary the CRD source files are written in: the OpenAPI v3 subset that apiextensions.k8s.io/v1
 * accepts in a structural schema, plus a few source-only annotations that feed the generated TypeScript
 * types and the configuration reference but never reach the API server (crds/build.ts strips them).
 *
 * The helpers (str, int32, obj, list...) exist so that a source file reads like a field table: one
 * line per field, the description always first, so no field can be written without one.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ValidationRule {
  /** A CEL expression; `self` is the value of the field, `oldSelf` its previous value (transition rule). */
  rule: string;
  message: string;
}

/** One node of a source schema. Everything except the `ts*`/`doc*`/`extension` keys goes to the CRD. */
export interface SourceSchema {
  type: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description: string;
  format?: "int32" | "int64" | "date-time";
  default?: JsonValue;
  enum?: JsonValue[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  items?: SourceSchema;
  properties?: Record<string, SourceSchema>;
  additionalProperties?: SourceSchema;
  required?: string[];
  "x-kubernetes-validations"?: ValidationRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";

  /** Name of the generated TypeScript interface for this object (nested objects only). */
  tsName?: string;
  /** The doc comment of the generated interface, when the field's description (`describedAs`) differs. */
  tsDoc?: string;
  /** The interface lives in crds/types/common.ts and is shared by several kinds. */
  tsShared?: boolean;
  /** A default that is not in the schema (MetalLB documents it, the runtime applies it): shown in the docs only. */
  docDefault?: string;
  /** This field is a Lodestone extension, absent from MetalLB's API: the docs say so. */
  extension?: boolean;
}

type Extra = Partial<Omit<SourceSchema, "type" | "description" | "properties" | "items">>;

export function str(description: string, extra: Extra = {}): SourceSchema {
  return { type: "string", description, ...extra };
}

export function bool(description: string, extra: Extra = {}): SourceSchema {
  return { type: "boolean", description, ...extra };
}

export function int32(description: string, extra: Extra = {}): SourceSchema {
  return { type: "integer", format: "int32", description, ...extra };
}

export function int64(description: string, extra: Extra = {}): SourceSchema {
  return { type: "integer", format: "int64", description, ...extra };
}

export function dateTime(description: string, extra: Extra = {}): SourceSchema {
  return { type: "string", format: "date-time", description, ...extra };
}

export function list(description: string, items: SourceSchema, extra: Extra = {}): SourceSchema {
  return { type: "array", description, items, ...extra };
}

export function obj(description: string, properties: Record<string, SourceSchema>, extra: Extra = {}): SourceSchema {
  return { type: "object", description, properties, ...extra };
}

/** A map with string keys (`matchLabels`). */
export function stringMap(description: string, values: SourceSchema, extra: Extra = {}): SourceSchema {
  return { type: "object", description, additionalProperties: values, ...extra };
}

/** An unsigned 32-bit AS number, carried as int64 so that values above 2^31 fit. */
export function asn(description: string, extra: Extra = {}): SourceSchema {
  return int64(description, { minimum: 0, maximum: 4294967295, ...extra });
}

/** A field that may be set once and never changed. */
export function immutable(schema: SourceSchema, message: string): SourceSchema {
  return { ...schema, "x-kubernetes-validations": [...(schema["x-kubernetes-validations"] ?? []), { rule: "self == oldSelf", message }] };
}

/** A copy of `schema` with a different description (shared shapes, described where they are used). */
export function describedAs(schema: SourceSchema, description: string): SourceSchema {
  return { ...schema, description, tsDoc: schema.tsDoc ?? schema.description };
}
