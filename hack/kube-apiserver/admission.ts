/**
 * Admission webhooks (recordings/08-admission.md): match Mutating/ValidatingWebhookConfigurations against a request,
 * call each webhook with an AdmissionReview v1 over HTTPS (caBundle-verified), apply JSONPatch mutations,
 * and turn denials, failures and warnings into exactly what the real server answers.
 */
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { bundleCertificates, webhookCertificateError } from "./webhook-tls";
import { randomUUID } from "node:crypto";
import type { ResourceType } from "./resource";
import { isObject, str } from "./json";
import { jsonPatch, PatchError } from "./patch";
import type { Json, JsonObject, StatusCause, StatusDetails } from "./status";
import { ApiError } from "./status";
import { matchesLabels, type LabelRequirement } from "./selectors";

export type Operation = "CREATE" | "UPDATE" | "DELETE";

export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  version: string;
  subresource: string | undefined;
  name: string;
  namespace: string | undefined;
  object: JsonObject | null;
  oldObject: JsonObject | null;
  dryRun: boolean;
  options: JsonObject;
  /** Labels of the object's namespace (for namespaceSelector); undefined for cluster-scoped objects. */
  namespaceLabels: Record<string, string> | undefined;
}

const USER_INFO: JsonObject = { username: "lodestone-test-admin", uid: "lodestone-test-admin-uid", groups: ["system:masters", "system:authenticated"] };

/** metav1.LabelSelector -> requirements. */
export function labelSelectorRequirements(sel: Json | undefined): LabelRequirement[] {
  if (!isObject(sel)) return [];
  const reqs: LabelRequirement[] = [];
  if (isObject(sel.matchLabels)) for (const [k, v] of Object.entries(sel.matchLabels)) reqs.push({ key: k, op: "=", values: [String(v)] });
  if (Array.isArray(sel.matchExpressions)) {
    for (const e of sel.matchExpressions) {
      if (!isObject(e) || typeof e.key !== "string") continue;
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      const op = e.operator === "In" ? "in" : e.operator === "NotIn" ? "notin" : e.operator === "Exists" ? "exists" : "!";
      reqs.push({ key: e.key, op, values });
    }
  }
  return reqs;
}

const labelsOf = (o: JsonObject | null): Record<string, string> => {
  const l = o && isObject(o.metadata) ? o.metadata.labels : undefined;
  return isObject(l) ? (Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
};

function ruleMatches(rule: JsonObject, a: AdmissionAttributes): boolean {
  const has = (field: string, value: string): boolean => {
    const list = rule[field];
    return Array.isArray(list) && list.some((x) => x === "*" || x === value);
  };
  if (!has("operations", a.operation)) return false;
  if (!has("apiGroups", a.type.group)) return false;
  if (!has("apiVersions", a.version)) return false;
  const resources = Array.isArray(rule.resources) ? rule.resources.map(String) : [];
  const wanted = a.subresource ? `${a.type.plural}/${a.subresource}` : a.type.plural;
  const resOk = resources.some((r) => {
    if (r === "*/*") return true;
    if (r === wanted) return true;
    const [res, sub] = r.split("/");
    if (sub === undefined) return res === "*" && !a.subresource;
    return (res === "*" || res === a.type.plural) && (sub === "*" || sub === a.subresource);
  });
  if (!resOk) return false;
  const scope = rule.scope ?? "*";
  if (scope === "Cluster" && a.type.namespaced) return false;
  if (scope === "Namespaced" && !a.type.namespaced) return false;
  return true;
}

export function webhookMatches(hook: JsonObject, a: AdmissionAttributes): boolean {
  const rules = Array.isArray(hook.rules) ? hook.rules.filter(isObject) : [];
  if (!rules.some((r) => ruleMatches(r, a))) return false;
  const nsReqs = labelSelectorRequirements(hook.namespaceSelector);
  if (nsReqs.length > 0) {
    const nsLabels = a.type.plural === "namespaces" ? labelsOf(a.object ?? a.oldObject) : a.namespaceLabels;
    if (nsLabels !== undefined && !matchesLabels(nsReqs, nsLabels)) return false;
  }
  const objReqs = labelSelectorRequirements(hook.objectSelector);
  if (objReqs.length > 0) {
    const candidates = [a.object, a.oldObject].filter((o): o is JsonObject => o !== null);
    if (!candidates.some((o) => matchesLabels(objReqs, labelsOf(o)))) return false;
  }
  if (a.dryRun && hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") return false;
  return true;
}

interface CallResult {
  status: number;
  body: string;
}

/**
 * Where the API server reaches a webhook's `clientConfig.service`: a real one dials the Service's
 * cluster IP (or its endpoints); this harness has no cluster network, so whoever starts it says where
 * each Service's port is served. Undefined: not reachable, a call failure as before.
 */
export type ServiceResolver = (namespace: string, name: string, port: number) => { host: string; port: number } | undefined;

function post(url: URL, body: string, caPem: string | undefined, timeoutMs: number, servername?: string): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    // A Service webhook's certificate is checked against <name>.<namespace>.svc, as the real server does.
    const host = servername ?? url.hostname.replace(/^\[|\]$/g, "");
    const roots = caPem ? bundleCertificates(caPem) : undefined;
    const req = request(
      url,
      {
        ...(servername ? { servername } : {}),
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, */*", "User-Agent": "kube-apiserver-admission", "Content-Length": Buffer.byteLength(body) },
        // With a caBundle the certificate is checked as Go checks it (webhook-tls.ts), not by OpenSSL.
        ...(roots ? { rejectUnauthorized: false } : {}),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    if (roots) {
      req.on("socket", socket => {
        (socket as TLSSocket).once("secureConnect", () => {
          const leaf = (socket as TLSSocket).getPeerX509Certificate();
          const problem = leaf ? webhookCertificateError(leaf, roots, host) : "remote error: tls: no certificate";
          if (problem) req.destroy(new Error(problem));
        });
      });
    }
    req.on("timeout", () => req.destroy(new Error("context deadline exceeded")));
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.message === "context deadline exceeded") reject(e);
      else if (e.code === "ECONNREFUSED") reject(new Error(`dial tcp ${url.host}: connect: connection refused`));
      else if (e.code === "ECONNRESET" || e.message === "socket hang up") reject(new Error("EOF"));
      else reject(new Error(e.message));
    });
    req.end(body);
  });
}

const internal = (message: string): ApiError =>
  new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message } as unknown as StatusCause] });

/** A webhook that answered "not allowed": never subject to failurePolicy. */
class Denial extends ApiError {
  warnings: string[] = [];
}

interface WebhookOutcome {
  patch?: Json[];
  warnings: string[];
}

async function callWebhook(hook: JsonObject, a: AdmissionAttributes, resolveService?: ServiceResolver): Promise<WebhookOutcome> {
  const name = str(hook.name) ?? "";
  const fail = (detail: string): ApiError => internal(`failed calling webhook "${name}": ${detail}`);
  const cc = isObject(hook.clientConfig) ? hook.clientConfig : {};
  const timeoutSeconds = typeof hook.timeoutSeconds === "number" ? hook.timeoutSeconds : 10;
  let url: URL;
  /** The URL as the real server names it in errors (the Service's DNS name, not where this harness dials). */
  let shown: string;
  let servername: string | undefined;
  if (typeof cc.url === "string") {
    url = new URL(cc.url);
    url.searchParams.set("timeout", `${timeoutSeconds}s`);
    shown = url.toString();
  } else if (isObject(cc.service)) {
    const svc = cc.service;
    const path = str(svc.path) ?? "";
    const port = typeof svc.port === "number" ? svc.port : 443;
    servername = `${String(svc.name)}.${String(svc.namespace)}.svc`;
    shown = `https://${servername}:${port}${path}?timeout=${timeoutSeconds}s`;
    const endpoint = resolveService?.(String(svc.namespace), String(svc.name), port);
    if (!endpoint) throw fail(`failed to call webhook: Post "${shown}": service "${String(svc.name)}" not reachable from the test apiserver`);
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    url = new URL(`https://${host}:${endpoint.port}${path}`);
    url.searchParams.set("timeout", `${timeoutSeconds}s`);
  } else throw fail("failed to call webhook: no clientConfig");
  const uid = randomUUID();
  const gvk = { group: a.type.group, version: a.version, kind: a.type.kind };
  const gvr = { group: a.type.group, version: a.version, resource: a.type.plural };
  const req: JsonObject = { uid, kind: gvk, resource: gvr };
  if (a.subresource) req.subResource = a.subresource;
  Object.assign(req, { requestKind: gvk, requestResource: gvr });
  if (a.subresource) req.requestSubResource = a.subresource;
  req.name = a.name;
  if (a.namespace) req.namespace = a.namespace;
  Object.assign(req, { operation: a.operation, userInfo: USER_INFO, object: a.object, oldObject: a.oldObject, dryRun: a.dryRun, options: a.options });
  const review = JSON.stringify({ kind: "AdmissionReview", apiVersion: "admission.k8s.io/v1", request: req });
  const caPem = typeof cc.caBundle === "string" ? Buffer.from(cc.caBundle, "base64").toString("utf8") : undefined;
  let res: CallResult;
  try {
    res = await post(url, review, caPem, timeoutSeconds * 1000, servername);
  } catch (e) {
    throw fail(`failed to call webhook: Post "${shown}": ${(e as Error).message}`);
  }
  if (res.status < 200 || res.status >= 300) {
    throw fail(`failed to call webhook: an error on the server (${JSON.stringify(res.body.trim() || "unknown")}) has prevented the request from succeeding`);
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(res.body) as Json;
  } catch {
    throw fail("failed to call webhook: couldn't get version/kind; json parse error: invalid character in webhook response");
  }
  if (!isObject(parsed)) {
    throw fail(
      `failed to call webhook: couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  }
  if (parsed.apiVersion === "admission.k8s.io/v1beta1") throw fail("failed to call webhook: converting (v1beta1.AdmissionReview) to (v1.AdmissionReview): unknown conversion");
  if (parsed.apiVersion !== "admission.k8s.io/v1" || parsed.kind !== "AdmissionReview") {
    throw fail(`received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(parsed.apiVersion ?? "/")}${parsed.apiVersion ? "" : ""}, Kind=${String(parsed.kind ?? "")}`);
  }
  const response = isObject(parsed.response) ? parsed.response : {};
  if (response.uid !== uid) throw fail(`received invalid webhook response: expected response.uid="${uid}", got "${String(response.uid ?? "")}"`);
  const warnings = Array.isArray(response.warnings) ? response.warnings.map(String) : [];
  if (response.allowed !== true) {
    const st = isObject(response.status) ? response.status : {};
    const msg = typeof st.message === "string" && st.message !== "" ? `admission webhook "${name}" denied the request: ${st.message}` : `admission webhook "${name}" denied the request without explanation`;
    const code = typeof st.code === "number" && st.code !== 0 ? st.code : 400;
    const err = new Denial(code, typeof st.reason === "string" && st.reason !== "" ? st.reason : undefined, msg, isObject(st.details) ? (st.details as StatusDetails) : undefined);
    err.warnings = warnings;
    throw err;
  }
  if (response.patch !== undefined && response.patchType === undefined) throw fail("received invalid webhook response: webhook returned response.patch but not response.patchType");
  if (typeof response.patch === "string") {
    let ops: Json;
    try {
      ops = JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as Json;
    } catch {
      throw internal("invalid JSON patch from webhook");
    }
    return { patch: Array.isArray(ops) ? ops : [], warnings };
  }
  return { warnings };
}

function hooksOf(configs: JsonObject[]): JsonObject[] {
  const sorted = [...configs].sort((x, y) => (String((x.metadata as JsonObject).name) < String((y.metadata as JsonObject).name) ? -1 : 1));
  return sorted.flatMap((c) => (Array.isArray(c.webhooks) ? c.webhooks.filter(isObject) : []));
}

/** Runs mutating webhooks in order; returns the (possibly patched) object and the warnings. */
export async function runMutating(configs: JsonObject[], a: AdmissionAttributes, warnings: string[], resolveService?: ServiceResolver): Promise<JsonObject | null> {
  let object = a.object;
  for (const hook of hooksOf(configs)) {
    const attrs = { ...a, object };
    if (!webhookMatches(hook, attrs)) continue;
    try {
      const out = await callWebhook(hook, attrs, resolveService);
      warnings.push(...out.warnings);
      if (out.patch && object) {
        try {
          object = jsonPatch(object, out.patch) as JsonObject;
        } catch (e) {
          throw internal(e instanceof PatchError ? e.message : String(e));
        }
      }
    } catch (e) {
      if (e instanceof Denial) {
        warnings.push(...e.warnings);
        throw e;
      }
      if (hook.failurePolicy === "Ignore") continue;
      throw e;
    }
  }
  return object;
}

/** Runs validating webhooks (the real server calls them in parallel; any denial fails the request). */
export async function runValidating(configs: JsonObject[], a: AdmissionAttributes, warnings: string[], resolveService?: ServiceResolver): Promise<void> {
  const hooks = hooksOf(configs).filter((h) => webhookMatches(h, a));
  const results = await Promise.allSettled(hooks.map((h) => callWebhook(h, a, resolveService)));
  let firstError: unknown;
  results.forEach((r, i) => {
    if (r.status === "fulfilled") warnings.push(...r.value.warnings);
    else {
      const e: unknown = r.reason;
      if (e instanceof Denial) warnings.push(...e.warnings);
      else if (hooks[i]?.failurePolicy === "Ignore") return;
      firstError ??= e;
    }
  });
  if (firstError) throw firstError;
}
