/**
 * KindSource -> apiextensions.k8s.io/v1 CustomResourceDefinition, as plain JSON.
 *
 * This is the one place the CRD shape is decided: crds/index.ts serves these objects at run time and
 * hack/gen writes them as YAML, so the manifests and the code can never disagree. Output is fully
 * deterministic: schema keys come in a fixed order and properties are sorted by name (as the API
 * server and controller-gen print them), whatever order the source was written in.
 */
import { GROUP, type KindSource, type VersionSource } from "./source/kind";
import type { JsonValue, SourceSchema } from "./source/schema";

export type JsonObject = { [key: string]: JsonValue };

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string };
    scope: "Namespaced";
    versions: CRDVersion[];
    conversion: { strategy: "None" };
  };
}

export interface CRDVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  additionalPrinterColumns?: JsonObject[];
  subresources?: { status: Record<string, never> };
  schema: { openAPIV3Schema: JsonObject };
}

/** Scalar keys, in the order they are written. Anything not listed here never reaches the CRD. */
const scalarKeys = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
] as const;

const extensionKeys = [
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
] as const;

/** One source node as an OpenAPI v3 node for the CRD (source-only annotations dropped). */
export function toOpenAPI(s: SourceSchema): JsonObject {
  const out: JsonObject = {};
  for (const key of scalarKeys) {
    const value = s[key];
    if (value !== undefined) out[key] = structuredClone(value);
  }
  if (s.items) out.items = toOpenAPI(s.items);
  if (s.properties && Object.keys(s.properties).length > 0) {
    const props: JsonObject = {};
    for (const name of Object.keys(s.properties).sort()) props[name] = toOpenAPI(s.properties[name] as SourceSchema);
    out.properties = props;
  }
  if (s.additionalProperties) out.additionalProperties = toOpenAPI(s.additionalProperties);
  if (s.required && s.required.length > 0) out.required = [...s.required].sort();
  for (const key of extensionKeys) {
    const value = s[key];
    if (value === undefined) continue;
    // Copies, so that no two CRD objects share an array a consumer might change.
    out[key] = key === "x-kubernetes-validations" ? (value as { rule: string; message: string }[]).map((r) => ({ message: r.message, rule: r.rule })) : structuredClone(value as JsonValue);
  }
  return out;
}

/** The whole object's schema: apiVersion, kind and metadata (left to the server), then spec and status. */
export function rootSchema(kind: KindSource, v: VersionSource): JsonObject {
  const properties: JsonObject = {
    apiVersion: {
      description: "The versioned schema of this representation of the object; the server may convert it to another.",
      type: "string",
    },
    kind: { description: "The REST resource this object represents, in CamelCase.", type: "string" },
    metadata: { type: "object" },
  };
  if (v.spec) properties.spec = toOpenAPI(v.spec);
  if (v.status) properties.status = toOpenAPI(v.status);
  const root: JsonObject = { description: kind.description, type: "object", properties };
  if (v.required && v.required.length > 0) root.required = [...v.required].sort();
  return root;
}

function toVersion(kind: KindSource, v: VersionSource): CRDVersion {
  const columns = v.printerColumns.map((c) => {
    const col: JsonObject = {};
    if (c.description !== undefined) col.description = c.description;
    col.jsonPath = c.jsonPath;
    col.name = c.name;
    if (c.priority !== undefined) col.priority = c.priority;
    col.type = c.type;
    return col;
  });
  return {
    name: v.name,
    served: v.served,
    storage: v.storage,
    ...(v.deprecationWarning !== undefined ? { deprecated: true, deprecationWarning: v.deprecationWarning } : {}),
    ...(columns.length > 0 ? { additionalPrinterColumns: columns } : {}),
    schema: { openAPIV3Schema: rootSchema(kind, v) },
    ...(v.statusSubresource ? { subresources: { status: {} } } : {}),
  };
}

export function crdName(kind: KindSource): string {
  return `${kind.plural}.${GROUP}`;
}

export function buildCRD(kind: KindSource): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(kind) },
    spec: {
      group: GROUP,
      names: { kind: kind.kind, listKind: `${kind.kind}List`, plural: kind.plural, singular: kind.singular },
      scope: "Namespaced",
      versions: kind.versions.map((v) => toVersion(kind, v)),
      conversion: { strategy: "None" },
    },
  };
}
