/**
 * Recognising metallb.io configuration objects among arbitrary input and checking their envelope
 * (apiVersion, kind, metadata): what every kind has in common before its spec is read.
 */
import { bfd, pool, removedAddressPool, schema, unknownField, type Issue, type Reporter } from "./problems";
import { at, closestField, isRecord, own, readRecord, readString, readStringMap, unknownKeys, type JsonRecord } from "./read";
import { formatProblem, type ConfigProblem } from "./types";

export const CONFIG_KINDS = ["IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community"] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

const SERVED_VERSIONS: Record<ConfigKind, readonly string[]> = {
  IPAddressPool: ["metallb.io/v1beta1"],
  L2Advertisement: ["metallb.io/v1beta1"],
  BGPAdvertisement: ["metallb.io/v1beta1"],
  BGPPeer: ["metallb.io/v1beta2", "metallb.io/v1beta1"],
  BFDProfile: ["metallb.io/v1beta1"],
  Community: ["metallb.io/v1beta1"],
};

const isConfigKind = (kind: string): kind is ConfigKind => (CONFIG_KINDS as readonly string[]).includes(kind);

/** One configuration object whose envelope was read; `spec` is {} when absent or not an object. */
export interface ConfigObject {
  kind: ConfigKind;
  apiVersion: string;
  /** metadata.name, or "" when missing. */
  name: string;
  /** The name to print: metadata.name, or `#<position in input>` when it has none. */
  displayName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: JsonRecord;
  /** Whether the object had a `spec` at all (of any type). */
  hasSpec: boolean;
  /** Reports a problem on this object. */
  report: Reporter;
  /** Reports a field the schema does not have (see problems.ts unknownField). */
  reportUnknown: Reporter;
}

/** Whether an input item is a metallb.io object of one of the six configuration kinds (any version). */
export function isConfigObject(raw: unknown): boolean {
  if (!isRecord(raw)) return false;
  const apiVersion = own(raw, "apiVersion");
  const kind = own(raw, "kind");
  return typeof apiVersion === "string" && apiVersion.startsWith("metallb.io/") && typeof kind === "string" && isConfigKind(kind);
}

/**
 * Reads the envelope of input item `index` (0-based), or undefined when it is not a configuration
 * object (other kinds are not this parser's business). Problems go to `problems`.
 */
export function readEnvelope(
  raw: unknown,
  index: number,
  namespace: string,
  problems: ConfigProblem[],
  warnings: string[],
  unknownFields: ConfigProblem[] = [],
): ConfigObject | undefined {
  if (isRemovedAddressPool(raw)) warnings.push(removedAddressPool(nameOf(raw) || `#${index + 1}`));
  if (!isConfigObject(raw) || !isRecord(raw)) return undefined;
  const kind = own(raw, "kind") as ConfigKind;
  const apiVersion = own(raw, "apiVersion") as string;
  const metadata = isRecord(own(raw, "metadata")) ? (own(raw, "metadata") as JsonRecord) : {};
  const nameValue = own(metadata, "name");
  const name = typeof nameValue === "string" ? nameValue : "";
  const displayName = name || `#${index + 1}`;
  const report: Reporter = (field: string, issue: Issue) =>
    problems.push({ kind, name: displayName, field, message: issue.message, transient: issue.transient ?? false, code: issue.code });
  const reportUnknown: Reporter = (field: string, issue: Issue) => {
    const problem = { kind, name: displayName, field, message: issue.message, transient: false, code: issue.code };
    unknownFields.push(problem);
    warnings.push(formatProblem(problem));
  };

  if (!SERVED_VERSIONS[kind].includes(apiVersion)) report("apiVersion", schema.unsupportedVersion(apiVersion, kind));
  readRecord(at(raw, "metadata", ""), report);
  readString(at(metadata, "name", "metadata"), report);
  if (nameValue === undefined || nameValue === null || nameValue === "")
    report("metadata.name", kind === "IPAddressPool" ? pool.missingName() : kind === "BFDProfile" ? bfd.missingName() : schema.missingName());
  const ns = readString(at(metadata, "namespace", "metadata"), report);
  if (ns !== undefined && ns !== "" && ns !== namespace) report("metadata.namespace", schema.wrongNamespace(namespace));
  const labels = readStringMap(at(metadata, "labels", "metadata"), report) ?? {};
  const annotations = readStringMap(at(metadata, "annotations", "metadata"), report) ?? {};
  const spec = readRecord(at(raw, "spec", ""), report) ?? {};
  const hasSpec = own(raw, "spec") !== undefined && own(raw, "spec") !== null;
  const obj = { kind, apiVersion, name, displayName, labels, annotations, spec, hasSpec, report, reportUnknown };
  reportUnknownFields(obj, raw, "", ["apiVersion", "kind", "metadata", "spec", "status"]);
  return obj;
}

/** The pre-0.14 AddressPool kind: no longer served, so it would configure nothing. */
function isRemovedAddressPool(raw: unknown): boolean {
  if (!isRecord(raw)) return false;
  const apiVersion = own(raw, "apiVersion");
  return typeof apiVersion === "string" && apiVersion.startsWith("metallb.io/") && own(raw, "kind") === "AddressPool";
}

function nameOf(raw: unknown): string {
  const metadata = isRecord(raw) ? own(raw, "metadata") : undefined;
  const name = isRecord(metadata) ? own(metadata, "name") : undefined;
  return typeof name === "string" ? name : "";
}

/**
 * Reports each key of `raw` (at `path` in `obj`) that is not a field of the schema, naming the
 * closest known field; each also becomes a warning (ConfigObject.reportUnknown).
 */
export function reportUnknownFields(obj: ConfigObject, raw: JsonRecord, path: string, known: readonly string[]): void {
  const full = (key: string): string => (path ? `${path}.${key}` : key);
  for (const key of unknownKeys(raw, known)) {
    const near = closestField(key, known);
    obj.reportUnknown(full(key), unknownField(near === undefined ? undefined : full(near)));
  }
}
