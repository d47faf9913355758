/**
 * A metallb.io object checked by the local API server's schema validator (hack/kube-apiserver/schema.ts)
 * against the CRD version that serves it: the API server's field paths, reasons and messages, sorted by
 * field so tests can compare lists. With `oldObj`, transition rules (immutability) run as on an update.
 */
import { servedVersion } from "../../crds/index";
import { validateSchema } from "../../hack/kube-apiserver/schema";
import type { Json, JsonObject, StatusCause } from "../../hack/kube-apiserver/status";

export type FieldError = Required<StatusCause>;

/** An object whose apiVersion/kind no CRD serves gets one error on `kind`. */
export function validateObject(obj: unknown, oldObj?: unknown): FieldError[] {
  const o = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const served = typeof o.apiVersion === "string" && typeof o.kind === "string" ? servedVersion(o.apiVersion, o.kind) : undefined;
  if (!served) {
    return [{ field: "kind", reason: "FieldValueNotSupported", message: `no metallb.io CRD serves ${String(o.apiVersion)} ${String(o.kind)}` }];
  }
  const version = served.crd.spec.versions.find((v) => v.name === served.version);
  if (!version) throw new Error("servedVersion returned a version its CRD lacks");
  const schema = version.schema.openAPIV3Schema as JsonObject;
  return validateSchema(obj as Json, schema, oldObj as Json | undefined)
    .map((c) => ({ field: c.field ?? "", reason: c.reason, message: c.message }))
    .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}
