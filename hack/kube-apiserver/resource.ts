/** What the server knows about one resource (built-in or from a CRD): names, scope, and its strategy hooks. */
import type { StatusCause, JsonObject, Json } from "./status";
import type { TableColumn } from "./table-columns";

export interface CreateContext {
  dryRun: boolean;
  /** False for the defaulting pass before mutating admission; allocation happens after it. */
  allocate: boolean;
  /** Allocations (ClusterIPs, NodePorts) already taken, computed from the store on demand. */
  store: StoreView;
}

export interface StoreView {
  list(storageKey: string, namespace?: string): JsonObject[];
}

export interface ResourceType {
  group: string;
  /** Versions served, preferred first. */
  versions: string[];
  /** Version objects are stored in. */
  storageVersion: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  storageVersionHash?: string;
  hasStatus: boolean;
  /** The real server keeps the status given on create for a few kinds (Node: the kubelet registers with it). */
  keepsStatusOnCreate?: boolean;
  /** Extra subresources listed in discovery (e.g. deployments/scale) - served only as 404. */
  extraSubresources?: { name: string; kind: string; group?: string; version?: string }[];
  /** metadata.generation is maintained (bumped on spec changes). */
  hasGeneration: boolean;
  /** Key in the store; events.k8s.io/v1 events share core events' storage. */
  storageKey: string;
  /** Strategic merge patch is accepted (built-in types only). */
  strategicMerge: boolean;
  allowUnconditionalUpdate: boolean;
  allowCreateOnUpdate: boolean;
  /** Built-in types print in Go struct order; custom resources come back with sorted keys. */
  sortedKeys: boolean;
  /** Extra field selector fields, with how the server words a rejection. */
  fieldSelectors: { fields: string[]; style: "known" | "label"; extract?: (o: JsonObject) => Record<string, string> };
  /** Applies defaults; may allocate (Service clusterIP/nodePorts). */
  prepareCreate?(o: JsonObject, ctx: CreateContext): void;
  prepareUpdate?(o: JsonObject, old: JsonObject, ctx: CreateContext): void;
  validate?(o: JsonObject, old: JsonObject | undefined): StatusCause[];
  validateStatus?(o: JsonObject): StatusCause[];
  /** Converts a stored object to the requested version/group view (events.k8s.io <-> core). */
  toExternal?(o: JsonObject, version: string): JsonObject;
  fromExternal?(o: JsonObject): JsonObject;
  columns?: TableColumn[];
  cells?(o: JsonObject, now: Date): Json[];
  /** Fields the SSA/managedFields logic treats as keyed lists: path (field names, '*' for items) -> key fields. */
  listKeys?: Record<string, string[]>;
  /** Fields owned as one unit (maps/lists replaced whole). */
  atomic?: string[];
  /** Strategic-merge-patch merge keys by path. */
  smpKeys?: Record<string, string>;
  crd?: { name: string; schemas: Record<string, JsonObject | undefined>; printerColumns: Record<string, JsonObject[]> };
}

export const STANDARD_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export const qualifiedResource = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);
export const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);
