/**
 * CustomResourceDefinitions (recordings/07-crd.md): the apiextensions.k8s.io resource itself, and turning an
 * established CRD into a served ResourceType (versions, scope, status subresource, schema, printer columns).
 */
import { createHash } from "node:crypto";
import { builtin } from "./builtins";
import type { ResourceType } from "./resource";
import { ensureObj, getPath, isObject, obj, str } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { invalidValue, required } from "./status";
import { applyDefaults, validateSchema } from "./schema";
import { age, ageCol, col, nameCol, type TableColumn } from "./table-columns";

export const CRD_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

function validateCrd(o: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj(o, "spec") ?? {};
  const names = obj(spec, "names") ?? {};
  const group = str(spec.group) ?? "";
  const plural = str(names.plural) ?? "";
  const name = str(getPath(o, ["metadata", "name"])) ?? "";
  if (group === "") causes.push(required("spec.group"));
  if (plural === "") causes.push(required("spec.names.plural"));
  if (typeof names.kind !== "string" || names.kind === "") causes.push(required("spec.names.kind"));
  if (name !== `${plural}.${group}`) causes.push(invalidValue("metadata.name", name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    causes.push({ reason: "FieldValueNotSupported", message: `Unsupported value: ${JSON.stringify(spec.scope ?? "")}: supported values: "Cluster", "Namespaced"`, field: "spec.scope" });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  if (versions.length === 0) causes.push(required("spec.versions"));
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push(invalidValue("spec.versions", versions.map((v) => v.name ?? "") as Json, "must have exactly one version marked as storage version"));
  }
  return causes;
}

function defaultCrd(o: JsonObject): void {
  const spec = ensureObj(o, "spec");
  const names = ensureObj(spec, "names");
  if (typeof names.kind === "string") {
    names.singular ??= names.kind.toLowerCase();
    names.listKind ??= `${names.kind}List`;
  }
  spec.conversion ??= { strategy: "None" };
  const status = ensureObj(o, "status");
  status.conditions ??= null;
  status.acceptedNames ??= { plural: "", kind: "" };
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const storage = versions.find((v) => v.storage === true);
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions : [];
  if (storage && typeof storage.name === "string" && !stored.includes(storage.name)) status.storedVersions = [...stored, storage.name];
}

export const crdType: ResourceType = builtin({
  group: "apiextensions.k8s.io",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
  shortNames: ["crd", "crds"],
  categories: ["api-extensions"],
  storageVersionHash: "jfWCUB31mvA=",
  hasStatus: true,
  hasGeneration: true,
  prepareCreate: defaultCrd,
  prepareUpdate: defaultCrd,
  validate: validateCrd,
  atomic: ["spec.versions"],
  columns: [nameCol(), col("Created At", "The time at which the CRD was created", 0, "date")],
  cells: (o) => [str(getPath(o, ["metadata", "name"])) ?? "", str(getPath(o, ["metadata", "creationTimestamp"])) ?? ""],
});

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, others last alphabetically. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === "beta" ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
}

const hash8 = (s: string): string => createHash("sha256").update(s).digest().subarray(0, 8).toString("base64");

/** Evaluates the simple JSONPath of printer columns (`.spec.addresses`, `.status.conditions[0].type`). */
export function simpleJsonPath(o: Json, path: string): Json | undefined {
  const parts = path.replace(/^\{?\.?/, "").replace(/\}$/, "").match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur: Json | undefined = o;
  for (const p of parts) {
    if (cur === undefined) return undefined;
    if (p.startsWith("[")) cur = Array.isArray(cur) ? cur[Number(p.slice(1, -1))] : undefined;
    else cur = isObject(cur) ? cur[p] : undefined;
  }
  return cur;
}

function printerCell(v: Json | undefined, type: string, now: Date): Json {
  if (v === undefined || v === null) return null;
  if (type === "date") return typeof v === "string" ? age(v, now) : null;
  if (type === "string") return typeof v === "string" ? v : JSON.stringify(v);
  return v;
}

/** The served resource for an established CRD. */
export function customResourceType(crd: JsonObject): ResourceType {
  const spec = obj(crd, "spec") ?? {};
  const names = obj(spec, "names") ?? {};
  const group = str(spec.group) ?? "";
  const kind = str(names.kind) ?? "";
  const versions = (Array.isArray(spec.versions) ? spec.versions.filter(isObject) : []).filter((v) => v.served !== false);
  const versionNames = versions.map((v) => str(v.name) ?? "").sort(compareVersions);
  const storage = versions.find((v) => v.storage === true) ?? versions[0];
  const schemas: Record<string, JsonObject | undefined> = {};
  const printerColumns: Record<string, JsonObject[]> = {};
  let hasStatus = false;
  for (const v of versions) {
    const name = str(v.name) ?? "";
    const s = getPath(v, ["schema", "openAPIV3Schema"]);
    schemas[name] = isObject(s) ? s : undefined;
    const cols = v.additionalPrinterColumns;
    printerColumns[name] = Array.isArray(cols) ? cols.filter(isObject) : [];
    if (isObject(getPath(v, ["subresources", "status"]))) hasStatus = true;
  }
  const storageName = str(storage?.name) ?? versionNames[0] ?? "v1";
  const cols = printerColumns[storageName] ?? [];
  const columns: TableColumn[] =
    cols.length === 0
      ? [nameCol(), ageCol()]
      : [
          nameCol(),
          ...cols.map((c) => ({
            name: str(c.name) ?? "",
            type: str(c.type) ?? "string",
            format: str(c.format) ?? "",
            description: str(c.description) ?? `Custom resource definition column (in JSONPath format): ${str(c.jsonPath) ?? ""}`,
            priority: typeof c.priority === "number" ? c.priority : 0,
          })),
        ];
  const t: ResourceType = {
    group,
    versions: versionNames,
    storageVersion: storageName,
    plural: str(names.plural) ?? "",
    singular: str(names.singular) ?? kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) ?? `${kind}List`,
    namespaced: spec.scope !== "Cluster",
    shortNames: Array.isArray(names.shortNames) ? names.shortNames.filter((x): x is string => typeof x === "string") : [],
    categories: Array.isArray(names.categories) ? names.categories.filter((x): x is string => typeof x === "string") : [],
    verbs: CRD_VERBS,
    storageVersionHash: hash8(`${group}/${storageName}/${kind}`),
    hasStatus,
    hasGeneration: true,
    storageKey: `${group}/${str(names.plural) ?? ""}`,
    strategicMerge: false,
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    sortedKeys: true,
    fieldSelectors: { fields: [], style: "known" },
    crd: { name: str(getPath(crd, ["metadata", "name"])) ?? "", schemas, printerColumns },
    columns,
    cells(o, now) {
      const n = str(getPath(o, ["metadata", "name"])) ?? "";
      if (cols.length === 0) return [n, age(getPath(o, ["metadata", "creationTimestamp"]), now)];
      return [n, ...cols.map((c) => printerCell(simpleJsonPath(o, str(c.jsonPath) ?? ""), str(c.type) ?? "string", now))];
    },
    prepareCreate(o) {
      applyDefaults(o, schemaFor(t, o));
    },
    prepareUpdate(o) {
      applyDefaults(o, schemaFor(t, o));
    },
    validate(o, old) {
      return validateSchema(o, schemaFor(t, o), old);
    },
  };
  return t;
}

export function schemaFor(t: ResourceType, o: JsonObject): JsonObject | undefined {
  const av = str(o.apiVersion) ?? "";
  const version = av.includes("/") ? av.slice(av.indexOf("/") + 1) : av;
  return t.crd?.schemas[version] ?? t.crd?.schemas[t.storageVersion];
}

export function establishedStatus(crd: JsonObject, time: string): JsonObject {
  const spec = obj(crd, "spec") ?? {};
  const names = obj(spec, "names") ?? {};
  const status = obj(crd, "status") ?? {};
  return {
    conditions: [
      { type: "NamesAccepted", status: "True", lastTransitionTime: time, reason: "NoConflicts", message: "no conflicts found" },
      { type: "Established", status: "True", lastTransitionTime: time, reason: "InitialNamesAccepted", message: "the initial names have been accepted" },
    ],
    acceptedNames: structuredClone(names),
    storedVersions: status.storedVersions ?? [],
  };
}
