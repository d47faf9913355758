/**
 * What one CRD is, as data: its names and, per version, the spec and status schemas, printer columns
 * and subresources. crds/build.ts turns a KindSource into an apiextensions.k8s.io/v1 object; the type
 * and documentation generators in hack/gen read the same KindSource.
 */
import type { SourceSchema } from "./schema";

export const GROUP = "metallb.io";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface VersionSource {
  name: string;
  served: boolean;
  storage: boolean;
  /** Served but deprecated: the API server sends `deprecationWarning` with every response. */
  deprecationWarning?: string;
  /** Top-level fields that must be present (`spec` for IPAddressPool). */
  required?: string[];
  spec?: SourceSchema;
  status?: SourceSchema;
  printerColumns: PrinterColumn[];
  statusSubresource: boolean;
}

export interface KindSource {
  kind: string;
  plural: string;
  singular: string;
  /** What an object of this kind is; the root description of every version. */
  description: string;
  /** Where this kind came from: MetalLB's API, or Lodestone's own addition. */
  origin: "metallb" | "lodestone";
  /** crds/types/<typesFile>.ts */
  typesFile: string;
  /** Complete objects shown in the configuration reference; a test checks each against the schema. */
  examples: Record<string, unknown>[];
  /** Annotations Lodestone reads on objects of this kind (Lodestone extensions that leave the schema as MetalLB has it). */
  annotations?: { name: string; description: string }[];
  versions: VersionSource[];
}

export function storageVersion(k: KindSource): VersionSource {
  const v = k.versions.find((x) => x.storage);
  if (!v) throw new Error(`${k.kind}: no storage version`);
  return v;
}
