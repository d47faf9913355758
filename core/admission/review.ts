/**
 * One AdmissionReview in, one AdmissionReview out: which bindings a request reaches and how their
 * answers become the response kube-apiserver reads. Pure (the bindings' handlers are injected); the
 * HTTPS edge is controller/admission-server.ts, the table of bindings capabilities/admission/index.ts.
 *
 * A refusal is what MetalLB's webhooks answer (controller-runtime's `admission.Denied`: code 403, reason
 * Forbidden), so kubectl of any version prints `Error from server (Forbidden): ... denied the request:
 * <message>`. Pepr's runtime answered 422 without a reason, which kubectl 1.24 shows as "The request is
 * invalid", hiding the message (seen on a real v1.24 cluster). Otherwise the shapes are Pepr's
 * (node_modules/pepr/src/lib/controller/index.util.ts karForValidate), but for two things: a Service no
 * longer gets Pepr's `lodestone.pepr.dev/lodestone-webhooks` annotation on every write, and a handler that
 * fails is named with its reason instead of `Action failed with error: {}`. What kube-apiserver sends and
 * accepts: hack/kube-apiserver/recordings/08-admission.md.
 */

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The `request` of an AdmissionReview (admission.k8s.io/v1), the fields Lodestone reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

/** What a validating handler decides. */
export interface Verdict {
  allowed: boolean;
  /** Why it refused (kubectl prints it after `denied the request: `). */
  message?: string;
  warnings?: readonly string[];
}

/** One JSON Patch operation (RFC 6902); Lodestone's mutations only add. */
export interface JsonPatchAdd {
  op: "add";
  path: string;
  value: unknown;
}

/** One row of the admission table: which requests it takes, and what it does with them. */
export interface AdmissionBinding<Context> {
  group: string;
  kind: string;
  operations: readonly AdmissionOperation[];
  /** The patch for the request's object (empty: nothing to change). */
  mutate?: (request: AdmissionRequest) => JsonPatchAdd[];
  validate?: (request: AdmissionRequest, context: Context) => Verdict | Promise<Verdict>;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: "Forbidden" | "InternalError"; message: string };
  warnings?: string[];
  patchType?: "JSONPatch";
  /** base64 of the JSON Patch. */
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export type WebhookKind = "mutate" | "validate";

const review = (response: AdmissionResponse): AdmissionReviewResponse => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });

/** The escape of one JSON Pointer reference token (RFC 6901 section 3). */
export const pointerToken = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/** "IPAddressPool metallb-system/pool-a": how an answer names the object. */
function subject(request: AdmissionRequest): string {
  const name = request.name ?? "";
  return `${request.kind.kind} ${request.namespace ? `${request.namespace}/${name}` : name}`;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function bindingsFor<C>(bindings: readonly AdmissionBinding<C>[], request: AdmissionRequest, webhook: WebhookKind): AdmissionBinding<C>[] {
  return bindings.filter(
    b => b.group === request.kind.group && b.kind === request.kind.kind && b.operations.includes(request.operation) && (webhook === "mutate" ? b.mutate : b.validate) !== undefined,
  );
}

/**
 * The answer of the validating webhook: allowed unless a binding refused (their messages joined by
 * "; ", code 403 Forbidden), every binding's warnings. A handler that throws refuses, naming the object and the
 * reason: the configuration webhook fails closed, and so does its handler.
 */
export async function answerValidate<C>(bindings: readonly AdmissionBinding<C>[], request: AdmissionRequest, context: C): Promise<AdmissionReviewResponse> {
  const matching = bindingsFor(bindings, request, "validate");
  if (matching.length === 0) return review({ uid: request.uid, allowed: true, status: { code: 200, message: "no in-scope validations -- allowed!" } });
  const refusals: string[] = [];
  const warnings: string[] = [];
  let failed = false;
  for (const binding of matching) {
    try {
      const verdict = await binding.validate!(request, context);
      warnings.push(...(verdict.warnings ?? []));
      if (!verdict.allowed) refusals.push(verdict.message ?? `${subject(request)} is refused`);
    } catch (e) {
      failed = true;
      refusals.push(`Lodestone could not review ${subject(request)}: ${errorText(e)}`);
    }
  }
  const allowed = refusals.length === 0;
  return review({
    uid: request.uid,
    allowed,
    status: allowed
      ? { code: 200, message: "" }
      : failed
        ? { code: 500, reason: "InternalError", message: refusals.join("; ") }
        : { code: 403, reason: "Forbidden", message: refusals.join("; ") },
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

/**
 * The answer of the mutating webhook: allowed, with the bindings' patch when there is one. A mutation
 * that throws leaves the object as it came and says so in a warning: a Service is never refused for it.
 */
export function answerMutate<C>(bindings: readonly AdmissionBinding<C>[], request: AdmissionRequest): AdmissionReviewResponse {
  const patch: JsonPatchAdd[] = [];
  const warnings: string[] = [];
  if (request.operation !== "DELETE") {
    for (const binding of bindingsFor(bindings, request, "mutate")) {
      try {
        patch.push(...binding.mutate!(request));
      } catch (e) {
        warnings.push(`Lodestone could not mutate ${subject(request)}: ${errorText(e)}`);
      }
    }
  }
  return review({
    uid: request.uid,
    allowed: true,
    ...(patch.length > 0 ? { patchType: "JSONPatch" as const, patch: Buffer.from(JSON.stringify(patch)).toString("base64") } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

/**
 * The `request` of an AdmissionReview body, or a reason it is not one (the server answers 400).
 * Only the fields the answer depends on are checked; the objects go to the handlers, whose parsers
 * check them field by field.
 */
export function admissionRequestOf(body: unknown): AdmissionRequest | string {
  if (typeof body !== "object" || body === null) return "the body is not an AdmissionReview";
  const r = (body as { request?: unknown }).request;
  if (typeof r !== "object" || r === null) return "the AdmissionReview has no request";
  const req = r as Record<string, unknown>;
  if (typeof req["uid"] !== "string" || req["uid"] === "") return "request.uid is missing";
  const kind = req["kind"] as Record<string, unknown> | undefined;
  if (typeof kind !== "object" || kind === null || typeof kind["kind"] !== "string" || typeof kind["group"] !== "string") return "request.kind is missing";
  if (!["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(req["operation"] as string)) return "request.operation is not CREATE, UPDATE, DELETE or CONNECT";
  for (const field of ["name", "namespace"] as const) {
    if (req[field] !== undefined && typeof req[field] !== "string") return `request.${field} is not a string`;
  }
  return r as AdmissionRequest;
}
