/**
 * core/v1 and events.k8s.io/v1 Events: one storage, two views (recordings/09-events-and-deletion.md 1-3),
 * their validation, field selectors and `kubectl get events` columns (recordings/06-table.md 4).
 */
import { builtin } from "./builtins";
import { getPath, isObject, obj, str } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { invalidValue, required } from "./status";
import { age, col, nameCol, NAME_DESCRIPTION } from "./table-columns";

const CORE_FIELDS = [
  "involvedObject.kind",
  "involvedObject.namespace",
  "involvedObject.name",
  "involvedObject.uid",
  "involvedObject.apiVersion",
  "involvedObject.resourceVersion",
  "involvedObject.fieldPath",
  "reason",
  "reportingComponent",
  "source",
  "type",
];

function coreFields(o: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of CORE_FIELDS) out[f] = String(getPath(o, f.split(".")) ?? "");
  out.source = str(getPath(o, ["source", "component"])) ?? "";
  return out;
}

const EVENTS_FIELDS = CORE_FIELDS.map((f) => f.replace("involvedObject.", "regarding.")).concat(["reportingController", "deprecatedSource"]);

function validateCore(o: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const ns = str(getPath(o, ["metadata", "namespace"])) ?? "";
  const ions = getPath(o, ["involvedObject", "namespace"]);
  if (typeof ions === "string" && ions !== "" && ions !== ns) causes.push(invalidValue("involvedObject.namespace", ions, "does not match event.namespace"));
  if (o.eventTime !== undefined && o.eventTime !== null) causes.push(...validateNewStyle(o, "reportingComponent"));
  return causes;
}

function validateNewStyle(o: JsonObject, controllerField: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (o.eventTime === undefined || o.eventTime === null) return [required("eventTime")];
  if (o.type !== "Normal" && o.type !== "Warning") causes.push(invalidValue("type", "", `has invalid value: ${String(o.type ?? "")}`));
  if (typeof o[controllerField] !== "string" || o[controllerField] === "") causes.push(required(controllerField));
  if (typeof o.reportingInstance !== "string" || o.reportingInstance === "") causes.push(required("reportingInstance"));
  if (typeof o.action !== "string" || o.action === "") causes.push(required("action"));
  if (typeof o.reason !== "string" || o.reason === "") causes.push(required("reason"));
  return causes;
}

/** Stored (core) form -> events.k8s.io/v1. */
export function coreToEvents(o: JsonObject): JsonObject {
  const out: JsonObject = { kind: "Event", apiVersion: "events.k8s.io/v1", metadata: o.metadata ?? {} };
  out.eventTime = o.eventTime ?? null;
  if (o.series !== undefined) out.series = o.series;
  if (o.reportingComponent !== undefined && o.reportingComponent !== "") out.reportingController = o.reportingComponent;
  if (o.reportingInstance !== undefined && o.reportingInstance !== "") out.reportingInstance = o.reportingInstance;
  if (o.action !== undefined) out.action = o.action;
  if (o.reason !== undefined) out.reason = o.reason;
  if (o.involvedObject !== undefined) out.regarding = o.involvedObject;
  if (o.related !== undefined) out.related = o.related;
  if (o.message !== undefined) out.note = o.message;
  if (o.type !== undefined) out.type = o.type;
  const src = obj(o, "source");
  if (src && Object.keys(src).length > 0) out.deprecatedSource = src;
  if (o.firstTimestamp !== undefined && o.firstTimestamp !== null) out.deprecatedFirstTimestamp = o.firstTimestamp;
  if (o.lastTimestamp !== undefined && o.lastTimestamp !== null) out.deprecatedLastTimestamp = o.lastTimestamp;
  if (typeof o.count === "number" && o.count !== 0) out.deprecatedCount = o.count;
  return out;
}

/** events.k8s.io/v1 -> stored (core) form. */
export function eventsToCore(o: JsonObject): JsonObject {
  const out: JsonObject = { kind: "Event", apiVersion: "v1", metadata: o.metadata ?? {} };
  out.involvedObject = o.regarding ?? {};
  if (o.reason !== undefined) out.reason = o.reason;
  if (o.note !== undefined) out.message = o.note;
  out.source = o.deprecatedSource ?? {};
  out.firstTimestamp = o.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = o.deprecatedLastTimestamp ?? null;
  if (o.deprecatedCount !== undefined) out.count = o.deprecatedCount;
  if (o.type !== undefined) out.type = o.type;
  out.eventTime = o.eventTime ?? null;
  if (o.series !== undefined) out.series = o.series;
  if (o.action !== undefined) out.action = o.action;
  if (o.related !== undefined) out.related = o.related;
  out.reportingComponent = o.reportingController ?? "";
  out.reportingInstance = o.reportingInstance ?? "";
  return out;
}

function lastSeen(o: JsonObject, now: Date): string {
  const series = obj(o, "series");
  const t = (series && series.lastObservedTime) ?? o.lastTimestamp ?? o.eventTime ?? getPath(o, ["metadata", "creationTimestamp"]);
  return age(t, now);
}

const columns = [
  col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
  col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
  col("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  col("Object", "The object that this event is about."),
  col("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", 1),
  col("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
  col("Message", "A human-readable description of the status of this operation."),
  col("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
  col("Count", "The number of times this event has occurred.", 1),
  { ...nameCol(1), description: NAME_DESCRIPTION },
];

function cells(o: JsonObject, now: Date): Json[] {
  const io = obj(o, "involvedObject") ?? {};
  const src = obj(o, "source") ?? {};
  const component = str(src.component) ?? "";
  const source = component !== "" ? (typeof src.host === "string" && src.host !== "" ? `${component}, ${src.host}` : component) : str(o.reportingComponent) ?? "";
  const first = o.firstTimestamp ?? o.eventTime ?? getPath(o, ["metadata", "creationTimestamp"]);
  return [
    lastSeen(o, now),
    str(o.type) ?? "",
    str(o.reason) ?? "",
    `${(str(io.kind) ?? "").toLowerCase()}/${str(io.name) ?? ""}`,
    str(io.fieldPath) ?? "",
    source,
    str(o.message) ?? "",
    age(first, now),
    typeof o.count === "number" ? o.count : 1,
    str(getPath(o, ["metadata", "name"])) ?? "",
  ];
}

export const coreEventType = builtin({
  group: "",
  plural: "events",
  kind: "Event",
  shortNames: ["ev"],
  storageVersionHash: "r2yiGXH7wu8=",
  storageKey: "/events",
  fieldSelectors: { fields: CORE_FIELDS, style: "label", extract: coreFields },
  validate: validateCore,
  columns,
  cells,
});

export const eventsEventType = builtin({
  group: "events.k8s.io",
  plural: "events",
  kind: "Event",
  shortNames: ["ev"],
  storageVersionHash: "r2yiGXH7wu8=",
  storageKey: "/events",
  fieldSelectors: {
    fields: EVENTS_FIELDS,
    style: "label",
    extract: (o) => {
      const out: Record<string, string> = {};
      for (const f of EVENTS_FIELDS) out[f] = String(getPath(o, f.split(".")) ?? "");
      return out;
    },
  },
  validate: (o) => validateNewStyle(o, "reportingController"),
  toExternal: coreToEvents,
  fromExternal: eventsToCore,
  columns,
  cells: (o, now) => cells(eventsToCore(o), now),
});

export const isEventObject = (o: JsonObject): boolean => isObject(o) && o.kind === "Event";
