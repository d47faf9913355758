/**
 * Kubernetes `Status` error bodies, shaped as a real kube-apiserver v1.26 sends them
 * (see recordings/02-crud.md sections 5-10 and recordings/03-patch.md).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** An error that the HTTP layer turns into a Status body (or, when plainText, the mux's text 404). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly details: StatusDetails | undefined;
  readonly plainText: boolean;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    reason: string | undefined,
    message: string,
    details?: StatusDetails,
    opts: { plainText?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.plainText = opts.plainText ?? false;
    this.headers = opts.headers ?? {};
  }

  /** The Status object with the key order the real server uses. */
  toStatus(): JsonObject {
    const body: JsonObject = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message };
    if (this.reason !== undefined) body.reason = this.reason;
    if (this.details !== undefined) body.details = this.details as unknown as JsonObject;
    body.code = this.code;
    return body;
  }
}

export const pageNotFound = (): ApiError => new ApiError(404, "NotFound", "404 page not found", undefined, { plainText: true });

export const resourceNotFound = (): ApiError =>
  new ApiError(404, "NotFound", "the server could not find the requested resource", {});

/** `services "x" not found`; `qualified` is the resource name with group (`leases.coordination.k8s.io`). */
export const notFound = (qualified: string, name: string, group?: string): ApiError =>
  new ApiError(404, "NotFound", `${qualified} "${name}" not found`, withGroup({ name }, group, qualifiedKind(qualified)));

export const alreadyExists = (qualified: string, name: string, group?: string): ApiError =>
  new ApiError(409, "AlreadyExists", `${qualified} "${name}" already exists`, withGroup({ name }, group, qualifiedKind(qualified)));

export const conflict = (qualified: string, name: string, group?: string): ApiError =>
  new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    withGroup({ name }, group, qualifiedKind(qualified)),
  );

export const badRequest = (message: string): ApiError => new ApiError(400, "BadRequest", message);

export const methodNotSupported = (resource: string, verb: string, group?: string): ApiError =>
  new ApiError(405, "MethodNotAllowed", `${verb} is not supported on resources of kind "${resource}"`, withGroup({}, group, resource));

/** `<Kind> "<name>" is invalid: <field>: <message>` with one cause per field error. */
export function invalid(kind: string, name: string, causes: StatusCause[], group?: string): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const title = group ? `${kind}.${group}` : kind;
  const details: StatusDetails = { name };
  if (group) details.group = group;
  details.kind = kind;
  details.causes = causes;
  return new ApiError(422, "Invalid", `${title} "${name}" is invalid: ${joined}`, details);
}

export const required = (field: string): StatusCause => ({ reason: "FieldValueRequired", message: "Required value", field });
export const invalidValue = (field: string, value: Json, detail: string): StatusCause => ({
  reason: "FieldValueInvalid",
  message: `Invalid value: ${goValue(value)}: ${detail}`,
  field,
});
export const forbidden = (field: string, detail: string): StatusCause => ({
  reason: "FieldValueForbidden",
  message: `Forbidden: ${detail}`,
  field,
});
export const notSupported = (field: string, value: Json, supported: string[]): StatusCause => ({
  reason: "FieldValueNotSupported",
  message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`,
  field,
});
export const duplicate = (field: string, value: Json): StatusCause => ({
  reason: "FieldValueDuplicate",
  message: `Duplicate value: ${goValue(value)}`,
  field,
});

/** How Go's field.Error prints a value: strings quoted, numbers bare. */
export function goValue(value: Json): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value);
}

function qualifiedKind(qualified: string): string {
  const dot = qualified.indexOf(".");
  return dot < 0 ? qualified : qualified.slice(0, dot);
}

function withGroup(details: StatusDetails, group: string | undefined, kind: string): StatusDetails {
  if (group) details.group = group;
  details.kind = kind;
  return details;
}
