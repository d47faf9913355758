/**
 * A checker for the rules the API server applies to an apiextensions.k8s.io/v1 CustomResourceDefinition
 * before it accepts it: structural schemas (every node typed, no properties next to
 * additionalProperties, defaults valid and only where they can apply, x-kubernetes-* extensions only
 * where they mean something), consistent names and versions, and printer columns whose JSONPath names
 * a real field. It takes plain JSON (`unknown`) so tests can feed it broken CRDs.
 *
 * It checks more than it needs for our own CRDs on purpose: a CRD the local API server would accept
 * but a real one would refuse should fail here first.
 */
import { validateSchema } from "../../hack/kube-apiserver/schema";
import type { Json, JsonObject } from "../../hack/kube-apiserver/status";

export interface CRDProblem {
  /** Where, as a path into the CRD: `spec.versions[0].schema.openAPIV3Schema.properties.spec.default`. */
  path: string;
  message: string;
}

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => v !== null && typeof v === "object" && !Array.isArray(v);

const types = new Set(["object", "array", "string", "integer", "number", "boolean"]);
const scalarTypes = new Set(["string", "integer", "number", "boolean"]);
const formats = new Set([
  "int32", "int64", "float", "double", "byte", "binary", "password", "date", "date-time", "datetime", "duration",
  "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5", "bsonobjectid",
  "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor",
]);
/** Every key a v1 JSONSchemaProps may carry; anything else the API server refuses to decode. */
const knownKeys = new Set([
  "description", "type", "format", "title", "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "enum", "maxProperties",
  "minProperties", "required", "items", "allOf", "oneOf", "anyOf", "not", "properties", "additionalProperties",
  "nullable", "example", "externalDocs",
  "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys", "x-kubernetes-list-type", "x-kubernetes-map-type", "x-kubernetes-validations",
]);
/** JSON Schema keys that apiextensions.k8s.io/v1 does not allow at all. */
const forbiddenKeys = ["$ref", "$schema", "id", "definitions", "dependencies", "patternProperties", "additionalItems"];
/** Inside allOf/anyOf/oneOf/not only value validations may appear (structural rule 3). */
const notInJunctors = ["type", "description", "default", "additionalProperties", "nullable", "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type", "x-kubernetes-validations"];
const metadataFields = new Set(["name", "namespace", "generateName", "uid", "resourceVersion", "generation", "creationTimestamp",
  "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"]);
const columnTypes = new Set(["integer", "number", "string", "boolean", "date"]);

interface Where {
  /** Reached through `properties` or `additionalProperties` (the only places a default can apply). */
  field: boolean;
  /** Old and new values can be matched up here, so transition rules (oldSelf) are allowed. */
  correlatable: boolean;
}

function checkSchema(s: unknown, path: string, where: Where, out: CRDProblem[]): void {
  const problem = (message: string, at = path): void => void out.push({ path: at, message });
  if (!isObject(s)) return problem("schema node must be an object");

  for (const key of Object.keys(s)) if (!knownKeys.has(key)) problem(`unknown schema key ${JSON.stringify(key)}`);
  for (const key of forbiddenKeys) if (key in s) problem(`${key} is not allowed in a CRD schema`);
  if (s.uniqueItems === true) problem("uniqueItems cannot be true");
  if (s.additionalProperties === false) problem("additionalProperties cannot be false");

  const anyType = s["x-kubernetes-int-or-string"] === true || s["x-kubernetes-preserve-unknown-fields"] === true;
  const type = s.type;
  if (type === undefined) {
    if (!anyType) problem("type must be set (structural schema)");
  } else if (typeof type !== "string" || !types.has(type)) problem(`type ${JSON.stringify(type)} is not one of ${[...types].join(", ")}`);
  if (s.format !== undefined && (typeof s.format !== "string" || !formats.has(s.format))) problem(`unsupported format ${JSON.stringify(s.format)}`);
  if (s.description !== undefined && typeof s.description !== "string") problem("description must be a string");

  if (s.properties !== undefined && s.additionalProperties !== undefined) problem("properties and additionalProperties are mutually exclusive");
  if (s.properties !== undefined && type !== "object") problem("properties are only allowed on type object");
  if (s.additionalProperties !== undefined && s.additionalProperties !== true && type !== "object") problem("additionalProperties is only allowed on type object");
  if (type === "array" && !isObject(s.items)) problem("type array needs items, a single schema");
  if (s.items !== undefined && type !== "array") problem("items is only allowed on type array");

  // enum values must have the node's type
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.length === 0) problem("enum must be a non-empty list");
    else if (typeof type === "string" && scalarTypes.has(type)) {
      for (const v of s.enum) if (!valueHasType(v, type)) problem(`enum value ${JSON.stringify(v)} is not of type ${type}`);
    }
  }

  if (s.default !== undefined) {
    if (!where.field) problem("default is only allowed on a field (under properties or additionalProperties), not on the root or on list items");
    else checkDefault(s, path, out);
  }

  checkExtensions(s, path, where, out);

  for (const junctor of ["allOf", "anyOf", "oneOf"]) {
    const list = s[junctor];
    if (list === undefined) continue;
    if (!Array.isArray(list)) problem(`${junctor} must be a list`);
    else list.forEach((j, i) => checkJunctor(j, `${path}.${junctor}[${i}]`, out));
  }
  if (s.not !== undefined) checkJunctor(s.not, `${path}.not`, out);

  if (isObject(s.properties)) {
    if (Array.isArray(s.required)) {
      for (const r of s.required) if (!(String(r) in s.properties)) problem(`required field ${JSON.stringify(r)} is not among the properties`);
    }
    for (const [name, child] of Object.entries(s.properties)) {
      checkSchema(child, `${path}.properties.${name}`, { field: true, correlatable: where.correlatable }, out);
    }
  } else if (s.properties !== undefined) problem("properties must be an object");
  if (isObject(s.additionalProperties)) {
    checkSchema(s.additionalProperties, `${path}.additionalProperties`, { field: true, correlatable: where.correlatable }, out);
  }
  if (isObject(s.items)) {
    // Elements of a list can be matched old-to-new only by key, in a list of type map.
    const correlatable = where.correlatable && s["x-kubernetes-list-type"] === "map";
    checkSchema(s.items, `${path}.items`, { field: false, correlatable }, out);
  }
}

function valueHasType(v: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
    default:
      return false;
  }
}

/** A default must validate against its own node, and must not carry fields pruning would drop. */
function checkDefault(s: Node, path: string, out: CRDProblem[]): void {
  // Keys reported above as forbidden would only make the default check itself fail.
  const checkable = Object.fromEntries(Object.entries(s).filter(([k]) => !forbiddenKeys.includes(k))) as JsonObject;
  try {
    for (const e of validateSchema(s.default as Json, checkable, undefined, "default", false)) {
      out.push({ path: `${path}.default`, message: `${e.field}: ${e.message}` });
    }
  } catch (err) {
    out.push({ path: `${path}.default`, message: `default cannot be checked: ${err instanceof Error ? err.message : String(err)}` });
  }
  if (isObject(s.default) && isObject(s.properties) && s["x-kubernetes-preserve-unknown-fields"] !== true) {
    for (const key of Object.keys(s.default)) {
      if (!(key in s.properties)) out.push({ path: `${path}.default`, message: `default has field ${JSON.stringify(key)} that pruning would drop` });
    }
  }
}

function checkExtensions(s: Node, path: string, where: Where, out: CRDProblem[]): void {
  const problem = (message: string): void => void out.push({ path, message });
  const listType = s["x-kubernetes-list-type"];
  if (listType !== undefined) {
    if (s.type !== "array") problem("x-kubernetes-list-type is only allowed on type array");
    if (listType !== "atomic" && listType !== "set" && listType !== "map") problem(`x-kubernetes-list-type ${JSON.stringify(listType)} is not atomic, set or map`);
    const items = isObject(s.items) ? s.items : {};
    if (listType === "set" && !(typeof items.type === "string" && scalarTypes.has(items.type)) && items["x-kubernetes-map-type"] !== "atomic") {
      problem("x-kubernetes-list-type set needs scalar items (or atomic maps)");
    }
    if (listType === "map") {
      const keys = s["x-kubernetes-list-map-keys"];
      if (items.type !== "object") problem("x-kubernetes-list-type map needs object items");
      if (!Array.isArray(keys) || keys.length === 0) problem("x-kubernetes-list-type map needs x-kubernetes-list-map-keys");
      else {
        const props = isObject(items.properties) ? items.properties : {};
        const required = new Set(Array.isArray(items.required) ? items.required.map(String) : []);
        for (const k of keys) {
          const key = String(k);
          const prop = props[key];
          if (!isObject(prop)) problem(`list map key ${JSON.stringify(key)} is not a property of the items`);
          else {
            if (!(typeof prop.type === "string" && scalarTypes.has(prop.type))) problem(`list map key ${JSON.stringify(key)} must be a scalar`);
            if (!required.has(key) && prop.default === undefined) problem(`list map key ${JSON.stringify(key)} must be required or have a default`);
          }
        }
      }
    }
  }
  if (s["x-kubernetes-list-map-keys"] !== undefined && listType !== "map") problem("x-kubernetes-list-map-keys needs x-kubernetes-list-type map");
  const mapType = s["x-kubernetes-map-type"];
  if (mapType !== undefined) {
    if (s.type !== "object") problem("x-kubernetes-map-type is only allowed on type object");
    if (mapType !== "atomic" && mapType !== "granular") problem(`x-kubernetes-map-type ${JSON.stringify(mapType)} is not atomic or granular`);
  }
  if (s["x-kubernetes-preserve-unknown-fields"] !== undefined && s["x-kubernetes-preserve-unknown-fields"] !== true) {
    problem("x-kubernetes-preserve-unknown-fields must be true when set");
  }
  if (s["x-kubernetes-embedded-resource"] === true && s.type !== "object") problem("x-kubernetes-embedded-resource needs type object");
  const rules = s["x-kubernetes-validations"];
  if (rules !== undefined) {
    if (!Array.isArray(rules)) return problem("x-kubernetes-validations must be a list");
    rules.forEach((r, i) => {
      const at = `${path}.x-kubernetes-validations[${i}]`;
      if (!isObject(r) || typeof r.rule !== "string" || r.rule.trim() === "") return out.push({ path: at, message: "a validation needs a non-empty rule" });
      if (r.message !== undefined && (typeof r.message !== "string" || r.message.trim() === "")) out.push({ path: at, message: "message must be a non-empty string" });
      if (/\boldSelf\b/.test(r.rule) && !where.correlatable) {
        out.push({ path: at, message: "oldSelf cannot be used here: list elements are only correlatable in lists of type map" });
      }
    });
  }
}

function checkJunctor(j: unknown, path: string, out: CRDProblem[]): void {
  if (!isObject(j)) return void out.push({ path, message: "must be a schema" });
  for (const key of notInJunctors) if (key in j) out.push({ path, message: `${key} is not allowed inside allOf/anyOf/oneOf/not (structural schema)` });
  if (isObject(j.properties)) for (const [n, c] of Object.entries(j.properties)) checkJunctor(c, `${path}.properties.${n}`, out);
  if (isObject(j.items)) checkJunctor(j.items, `${path}.items`, out);
}

/** The root's metadata may only be `type: object`, optionally constraining name and generateName. */
function checkRoot(root: Node, path: string, out: CRDProblem[]): void {
  if (root.type !== "object") out.push({ path, message: "the root schema must be type object" });
  const props = isObject(root.properties) ? root.properties : {};
  const metadata = props.metadata;
  if (metadata !== undefined) {
    const at = `${path}.properties.metadata`;
    if (!isObject(metadata) || metadata.type !== "object") out.push({ path: at, message: "metadata must be type object" });
    else {
      for (const key of Object.keys(metadata)) {
        if (key !== "type" && key !== "properties" && key !== "description") out.push({ path: at, message: `metadata may not set ${key}` });
      }
      if (isObject(metadata.properties)) {
        for (const name of Object.keys(metadata.properties)) {
          if (name !== "name" && name !== "generateName") out.push({ path: at, message: `metadata may only constrain name and generateName, not ${name}` });
        }
      }
    }
  }
  for (const [name, t] of [["apiVersion", "string"], ["kind", "string"]] as const) {
    const p = props[name];
    if (p !== undefined && (!isObject(p) || p.type !== t)) out.push({ path: `${path}.properties.${name}`, message: `${name} must be type ${t}` });
  }
}

/** Does `.spec.peers` (or `.metadata.name`, `.status.sessions[0].node`) name a field of the schema? */
export function jsonPathResolves(root: unknown, jsonPath: string): boolean {
  if (!jsonPath.startsWith(".")) return false;
  const segments = jsonPath.slice(1).split(/\.|(?=\[)/).filter((s) => s !== "");
  if (segments[0] === "metadata") return segments.length === 1 || (segments.length >= 2 && metadataFields.has(segments[1] as string));
  let node: unknown = root;
  for (const seg of segments) {
    if (!isObject(node)) return false;
    if (/^\[(\d+|\*)\]$/.test(seg)) {
      if (node.type !== "array") return false;
      node = node.items;
      continue;
    }
    if (isObject(node.properties) && seg in node.properties) node = node.properties[seg];
    else if (isObject(node.additionalProperties)) node = node.additionalProperties;
    else return false;
  }
  return isObject(node);
}

/** Every reason the API server would refuse this CRD (an empty list when it would accept it). */
export function checkCRD(crd: unknown): CRDProblem[] {
  const out: CRDProblem[] = [];
  const problem = (path: string, message: string): void => void out.push({ path, message });
  if (!isObject(crd)) return [{ path: "", message: "a CRD must be an object" }];
  if (crd.apiVersion !== "apiextensions.k8s.io/v1") problem("apiVersion", "must be apiextensions.k8s.io/v1");
  if (crd.kind !== "CustomResourceDefinition") problem("kind", "must be CustomResourceDefinition");
  if (crd.status !== undefined) problem("status", "status is written by the API server");
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const group = String(spec.group);
  const meta = isObject(crd.metadata) ? crd.metadata : {};
  for (const key of Object.keys(meta)) if (key !== "name" && key !== "labels" && key !== "annotations") problem(`metadata.${key}`, "set by the API server; leave it out");
  if (meta.name !== `${String(names.plural)}.${group}`) problem("metadata.name", `must be <plural>.<group> (${String(names.plural)}.${group})`);
  for (const key of ["plural", "singular"] as const) {
    const v = names[key];
    if (typeof v !== "string" || !/^[a-z][a-z0-9-]*$/.test(v)) problem(`spec.names.${key}`, "must be a lowercase DNS label");
  }
  if (typeof names.kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(names.kind)) problem("spec.names.kind", "must be CamelCase");
  else if (names.listKind !== undefined && names.listKind !== `${names.kind}List`) problem("spec.names.listKind", `should be ${names.kind}List`);
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") problem("spec.scope", "must be Namespaced or Cluster");

  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) problem("spec.versions", "at least one version is needed");
  const storage = versions.filter((v) => isObject(v) && v.storage === true);
  if (storage.length !== 1) problem("spec.versions", `exactly one version must be the storage version (found ${storage.length})`);
  if (!versions.some((v) => isObject(v) && v.served === true)) problem("spec.versions", "at least one version must be served");
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    if (!isObject(v)) return problem(at, "must be an object");
    const name = String(v.name);
    if (seen.has(name)) problem(`${at}.name`, `duplicate version ${name}`);
    seen.add(name);
    if (!/^v\d+((alpha|beta)\d+)?$/.test(name)) problem(`${at}.name`, `${name} is not a Kubernetes version name`);
    if (v.deprecationWarning !== undefined && v.deprecated !== true) problem(`${at}.deprecationWarning`, "only allowed when deprecated is true");
    const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const schemaPath = `${at}.schema.openAPIV3Schema`;
    if (!isObject(schema)) return problem(schemaPath, "every version needs a schema");
    checkRoot(schema, schemaPath, out);
    checkSchema(schema, schemaPath, { field: false, correlatable: true }, out);
    const statusSub = isObject(v.subresources) && v.subresources.status !== undefined;
    if (statusSub && !(isObject(schema.properties) && "status" in schema.properties)) problem(`${at}.subresources.status`, "a status subresource needs a status field in the schema");
    const columns = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : [];
    const columnNames = new Set<string>();
    columns.forEach((c, j) => {
      const cat = `${at}.additionalPrinterColumns[${j}]`;
      if (!isObject(c)) return problem(cat, "must be an object");
      if (typeof c.name !== "string" || c.name === "") problem(cat, "needs a name");
      else if (columnNames.has(c.name)) problem(cat, `duplicate column ${c.name}`);
      else columnNames.add(c.name);
      if (!columnTypes.has(String(c.type))) problem(`${cat}.type`, `${String(c.type)} is not one of ${[...columnTypes].join(", ")}`);
      if (typeof c.jsonPath !== "string" || !jsonPathResolves(schema, c.jsonPath)) problem(`${cat}.jsonPath`, `${String(c.jsonPath)} does not name a field of the schema`);
    });
  });
  if (versions.length > 1 && !(isObject(spec.conversion) && (spec.conversion.strategy === "None" || spec.conversion.strategy === "Webhook"))) {
    problem("spec.conversion", "several versions need a conversion strategy (None or Webhook)");
  }
  return out;
}
