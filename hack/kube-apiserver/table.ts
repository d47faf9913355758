/** Server-side printing: meta.k8s.io/v1 Table responses (recordings/06-table.md). */
import type { ResourceType } from "./resource";
import { isObject } from "./json";
import type { Json, JsonObject } from "./status";
import { ageCol, nameCol } from "./table-columns";

export type IncludeObject = "None" | "Metadata" | "Object";

function rowObject(o: JsonObject, include: IncludeObject): JsonObject | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return o;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: isObject(o.metadata) ? o.metadata : {} };
}

export function toTable(
  t: ResourceType,
  objects: JsonObject[],
  listMeta: JsonObject,
  include: IncludeObject,
  now: Date,
  withColumns = true,
): JsonObject {
  const columns = t.columns ?? [nameCol(), ageCol()];
  const rows: Json[] = objects.map((o) => {
    const cells = t.cells ? t.cells(o, now) : [String((o.metadata as JsonObject | undefined)?.name ?? "")];
    const row: JsonObject = { cells };
    const ro = rowObject(o, include);
    if (ro) row.object = ro;
    return row;
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: withColumns ? (columns as unknown as Json[]) : null,
    rows,
  };
}

/** Whether an Accept header asks for a Table (kubectl get sends `application/json;as=Table;v=v1;g=meta.k8s.io,...`). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(",")
    .map((s) => s.trim())
    .some((part) => {
      const params = part.split(";").map((p) => p.trim());
      return params.includes("as=Table") && params.includes("g=meta.k8s.io") && (params.includes("v=v1") || params.includes("v=v1beta1"));
    });
}
