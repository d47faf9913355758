/**
 * The write paths: create, update (PUT), patch (merge / JSON / strategic / apply), delete and
 * deletecollection, with admission, optimistic concurrency, generation, managedFields, finalizers,
 * namespace termination, CRD establishment and owner-reference garbage collection.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import type { ResourceType } from "./resource";
import { apiVersionOf } from "./resource";
import type { RequestTarget } from "./api";
import { qualified } from "./api";
import type { Registry } from "./registry";
import type { Store } from "./store";
import { mediaType, readBody, sendJson } from "./http";
import { clone, deepEqual, ensureObj, getPath, isObject, metaStr, nowTime, str } from "./json";
import { present, listItem } from "./objects";
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./patch";
import { recordUpdate, serverSideApply } from "./fields";
import { prune } from "./schema";
import { decodeProtobuf } from "./protobuf";
import { customResourceType, establishedStatus, schemaFor } from "./crd";
import { runMutating, runValidating, type AdmissionAttributes, type Operation, type ServiceResolver } from "./admission";
import type { Json, JsonObject, StatusCause } from "./status";
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound } from "./status";
import { mutatingWebhookType, namespaceType, validatingWebhookType } from "./builtins";
import { ingressIPMode, serviceType } from "./service";

interface WriteContext {
  target: RequestTarget;
  q: URLSearchParams;
  manager: string;
  dryRun: boolean;
  warnings: string[];
}

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Allocated values the real server leaves out of the writer's managedFields entry (recordings/02-crud.md 1). */
const SEP = String.fromCharCode(1);
const ALLOCATED = new RegExp(`^f:spec${SEP}(f:clusterIP|f:clusterIPs|f:ipFamilies|f:ipFamilyPolicy|f:ports${SEP}k:[^${SEP}]*${SEP}f:nodePort)$`);

export class Writes {
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly resolveService?: ServiceResolver,
    /** Serve Service status.loadBalancer.ingress[].ipMode (1.30+); otherwise it is an unknown field (service.ts ingressIPMode). */
    private readonly loadBalancerIPMode = false,
  ) {}

  bootstrap(): void {
    const time = nowTime();
    for (const ns of SYSTEM_NAMESPACES) {
      const o: JsonObject = { kind: "Namespace", apiVersion: "v1", metadata: { name: ns }, spec: {}, status: {} };
      namespaceType.prepareCreate?.(o, { dryRun: false, allocate: true, store: this.storeView() });
      this.stamp(o, namespaceType, time);
      this.store.put(namespaceType.storageKey, o, this.store.currentRevision);
    }
    const svc: JsonObject = {
      kind: "Service",
      apiVersion: "v1",
      metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { ports: [{ name: "https", port: 443, targetPort: 6443 }], clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1"] },
    };
    serviceType.prepareCreate?.(svc, { dryRun: false, allocate: true, store: this.storeView() });
    this.stamp(svc, serviceType, time);
    this.store.put(serviceType.storageKey, svc, this.store.currentRevision);
  }

  private stamp(o: JsonObject, t: ResourceType, time: string): void {
    const md = ensureObj(o, "metadata");
    md.uid = randomUUID();
    md.resourceVersion = String(this.store.currentRevision);
    md.creationTimestamp = time;
    if (t.hasGeneration) md.generation = 1;
  }

  private storeView() {
    return { list: (key: string, ns?: string) => this.store.list(key, ns) };
  }

  // ---------- decoding ----------

  private async decode(req: IncomingMessage, t: ResourceType, version: string): Promise<JsonObject> {
    const ct = mediaType(req.headers["content-type"]);
    const raw = await readBody(req);
    const text = raw.toString("utf8");
    let body: unknown;
    if (ct === "application/yaml") {
      try {
        body = parseYaml(text);
      } catch (e) {
        throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): ${(e as Error).message}`);
      }
    } else if (ct === "application/json" || ct === "") {
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: ${goJsonError(e, text)} (${snippet(text)})`);
      }
    } else if (ct === "application/vnd.kubernetes.protobuf" && t.group === "") {
      try {
        body = decodeProtobuf(raw, t.kind);
      } catch (e) {
        throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): ${(e as Error).message}`);
      }
      if (body === undefined) throw new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`, {});
    } else {
      throw new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`, {});
    }
    if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(body) ? "array" : typeof body} into Go value of type struct`);
    this.checkKind(body, t, version);
    return body;
  }

  private checkKind(body: JsonObject, t: ResourceType, version: string): void {
    const kind = str(body.kind);
    const av = str(body.apiVersion);
    const expectedAV = apiVersionOf(t.group, version);
    if (kind !== undefined && kind !== "" && kind !== t.kind) {
      throw badRequest(`${kind} in version "${av ?? ""}" cannot be handled as a ${t.kind}: converting (${av ?? ""}.${kind}) to (${t.group || "core"}.${t.kind}): unknown conversion`);
    }
    if (av !== undefined && av !== "" && av !== expectedAV && !(t.crd && t.versions.includes(av.split("/")[1] ?? ""))) {
      throw badRequest(`${t.kind} in version "${av}" cannot be handled as a ${t.kind}: no kind "${t.kind}" is registered for version "${av}"`);
    }
    body.kind = t.kind;
    body.apiVersion = expectedAV;
  }

  private ctx(req: IncomingMessage, target: RequestTarget, q: URLSearchParams): WriteContext {
    const ua = req.headers["user-agent"] ?? "unknown";
    const manager = q.get("fieldManager") ?? (ua.split("/")[0] || "unknown");
    const dryRun = q.getAll("dryRun").includes("All");
    return { target, q, manager, dryRun, warnings: [] };
  }

  /** Prunes unknown fields of custom resources (and Service's ipMode where not served): warnings by default, 400 with fieldValidation=Strict. */
  private pruneUnknown(o: JsonObject, c: WriteContext): void {
    const t = c.target.type;
    if (t === serviceType) {
      const { unknown, causes } = ingressIPMode(o, this.loadBalancerIPMode);
      if (causes.length > 0) throw invalid(t.kind, str(getPath(o, ["metadata", "name"])) ?? "", causes);
      return this.reportUnknown(unknown, c);
    }
    if (!t.crd) return;
    this.reportUnknown(prune(o, schemaFor(t, o)), c);
  }

  private reportUnknown(unknown: string[], c: WriteContext): void {
    const t = c.target.type;
    if (unknown.length === 0) return;
    const mode = c.q.get("fieldValidation") ?? "Warn";
    if (mode === "Strict") {
      throw badRequest(`${t.kind} in version "${c.target.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(", ")}`);
    }
    if (mode !== "Ignore") for (const u of unknown) c.warnings.push(`unknown field "${u}"`);
  }

  // ---------- admission ----------

  private admissionAttrs(c: WriteContext, operation: Operation, object: JsonObject | null, oldObject: JsonObject | null, options: JsonObject): AdmissionAttributes {
    const t = c.target.type;
    const ns = c.target.namespace;
    let namespaceLabels: Record<string, string> | undefined;
    if (ns !== undefined) {
      const nso = this.store.get(namespaceType.storageKey, undefined, ns);
      const l = nso ? getPath(nso, ["metadata", "labels"]) : undefined;
      namespaceLabels = isObject(l) ? (l as Record<string, string>) : {};
    }
    return {
      operation,
      type: t,
      version: c.target.version,
      subresource: c.target.subresource,
      name: str(getPath(object ?? oldObject ?? {}, ["metadata", "name"])) ?? c.target.name ?? "",
      namespace: ns,
      object,
      oldObject,
      dryRun: c.dryRun,
      options,
      namespaceLabels,
    };
  }

  private async mutate(c: WriteContext, a: AdmissionAttributes): Promise<JsonObject | null> {
    const configs = this.store.list(mutatingWebhookType.storageKey);
    if (configs.length === 0) return a.object;
    return runMutating(configs, a, c.warnings, this.resolveService);
  }

  private async validateAdmission(c: WriteContext, a: AdmissionAttributes): Promise<void> {
    const configs = this.store.list(validatingWebhookType.storageKey);
    if (configs.length > 0) await runValidating(configs, a, c.warnings, this.resolveService);
  }

  private options(kind: string, c: WriteContext, extra: JsonObject = {}): JsonObject {
    const o: JsonObject = { kind, apiVersion: "meta.k8s.io/v1", ...extra };
    if (c.dryRun) o.dryRun = ["All"];
    if (c.q.get("fieldManager")) o.fieldManager = c.q.get("fieldManager");
    return o;
  }

  // ---------- create ----------

  async create(req: IncomingMessage, res: ServerResponse, target: RequestTarget, q: URLSearchParams): Promise<void> {
    const c = this.ctx(req, target, q);
    const body = await this.decode(req, target.type, target.version);
    const created = await this.createObject(c, body, undefined);
    sendJson(res, 201, created, c.warnings);
  }

  /** Shared by POST, create-on-update PUT and apply-creates. `applied` is set for server-side apply. */
  private async createObject(c: WriteContext, body: JsonObject, applied: { force: boolean } | undefined): Promise<JsonObject> {
    const t = c.target.type;
    const md = ensureObj(body, "metadata");
    const ns = c.target.namespace;
    if (t.namespaced) {
      if (md.namespace !== undefined && md.namespace !== "" && md.namespace !== ns) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      md.namespace = ns ?? "";
    } else delete md.namespace;
    if ((md.name === undefined || md.name === "") && typeof md.generateName === "string" && md.generateName !== "") {
      md.name = `${md.generateName}${randomSuffix()}`;
    }
    const name = str(md.name) ?? "";
    if (name === "") {
      throw invalid(t.kind, "", [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }], t.group || undefined);
    }
    if (ns !== undefined) this.checkNamespaceWritable(t, ns, name);
    for (const k of ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"]) delete md[k];
    if (t.hasStatus && !applied && !t.keepsStatusOnCreate) delete body.status;
    this.pruneUnknown(body, c);
    if (t.fromExternal === undefined) t.prepareCreate?.(body, { dryRun: c.dryRun, allocate: false, store: this.storeView() });
    const time = nowTime();
    const apiVersion = apiVersionOf(t.group, c.target.version);
    const requestFields = clone(body);
    let obj = body;
    md.creationTimestamp = null;
    if (!applied) recordUpdate(t, undefined, obj, c.manager, apiVersion, time, undefined, (p) => ALLOCATED.test(p) && !hasField(requestFields, p));
    obj = (await this.mutate(c, this.admissionAttrs(c, "CREATE", obj, null, this.options("CreateOptions", c)))) ?? obj;
    t.prepareCreate?.(obj, { dryRun: c.dryRun, allocate: true, store: this.storeView() });
    const causes = t.validate?.(obj, undefined) ?? [];
    if (causes.length > 0) throw invalid(t.kind, name, causes, kindGroup(t));
    if (this.store.get(t.storageKey, ns, name)) throw alreadyExists(qualified(t), name, t.group || undefined);
    const omd = ensureObj(obj, "metadata");
    omd.uid = randomUUID();
    omd.creationTimestamp = time;
    if (t.hasGeneration) omd.generation = 1;
    await this.validateAdmission(c, this.admissionAttrs(c, "CREATE", obj, null, this.options("CreateOptions", c)));
    if (c.dryRun) return present(t, this.toStorage(t, obj), c.target.version);
    const rv = this.store.nextRevision();
    omd.resourceVersion = String(rv);
    const stored = this.toStorage(t, obj);
    this.store.put(t.storageKey, stored, rv);
    this.afterWrite(t, undefined, stored);
    return present(t, stored, c.target.version);
  }

  private toStorage(t: ResourceType, o: JsonObject): JsonObject {
    if (t.fromExternal) return t.fromExternal(o);
    if (t.crd) return { ...o, apiVersion: apiVersionOf(t.group, t.storageVersion) };
    return o;
  }

  private checkNamespaceWritable(t: ResourceType, ns: string, name: string): void {
    const nso = this.store.get(namespaceType.storageKey, undefined, ns);
    if (!nso) throw notFound("namespaces", ns);
    if (getPath(nso, ["metadata", "deletionTimestamp"])) {
      throw new ApiError(403, "Forbidden", `${qualified(t)} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
        name,
        kind: t.plural,
        causes: [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }],
      });
    }
  }

  // ---------- update / patch ----------

  async update(req: IncomingMessage, res: ServerResponse, target: RequestTarget, q: URLSearchParams): Promise<void> {
    const c = this.ctx(req, target, q);
    const t = target.type;
    const body = await this.decode(req, t, target.version);
    const md = ensureObj(body, "metadata");
    const bodyName = str(md.name);
    if (bodyName !== undefined && bodyName !== target.name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${target.name ?? ""})`);
    }
    md.name = target.name ?? "";
    if (t.namespaced && md.namespace !== undefined && md.namespace !== "" && md.namespace !== target.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    const existing = this.store.get(t.storageKey, target.namespace, target.name ?? "");
    if (!existing) {
      if (t.allowCreateOnUpdate && target.subresource === undefined) {
        const created = await this.createObject(c, body, undefined);
        return sendJson(res, 201, created, c.warnings);
      }
      throw notFound(qualified(t), target.name ?? "", t.group || undefined);
    }
    const old = present(t, existing, target.version);
    const rv = str(md.resourceVersion);
    if (rv === undefined || rv === "") {
      if (!t.allowUnconditionalUpdate) {
        throw invalid(t.kind, target.name ?? "", [{ reason: "FieldValueInvalid", message: "Invalid value: 0x0: must be specified for an update", field: "metadata.resourceVersion" }], t.group || undefined);
      }
    } else if (rv !== metaStr(old, "resourceVersion")) throw conflict(qualified(t), target.name ?? "", t.group || undefined);
    if (target.subresource === "finalize") {
      const next = clone(old);
      ensureObj(next, "spec").finalizers = getPath(body, ["spec", "finalizers"]) ?? [];
      const out = await this.commit(c, old, next, false);
      return sendJson(res, 200, out, c.warnings);
    }
    const out = await this.commit(c, old, body, false);
    sendJson(res, 200, out, c.warnings);
  }

  async patch(req: IncomingMessage, res: ServerResponse, target: RequestTarget, q: URLSearchParams): Promise<void> {
    const c = this.ctx(req, target, q);
    const t = target.type;
    const ct = mediaType(req.headers["content-type"]);
    const supported = ["application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"];
    if (t.strategicMerge) supported.push("application/strategic-merge-patch+json");
    if (!supported.includes(ct)) {
      if (t.crd) throw new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
      throw new ApiError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {});
    }
    const text = (await readBody(req)).toString("utf8");
    const existing = this.store.get(t.storageKey, target.namespace, target.name ?? "");
    if (ct === "application/apply-patch+yaml") return this.apply(res, c, text, existing);
    if (!existing) throw notFound(qualified(t), target.name ?? "", t.group || undefined);
    const old = present(t, existing, target.version);
    let patchBody: Json;
    try {
      patchBody = JSON.parse(text) as Json;
    } catch (e) {
      throw badRequest(`error decoding patch: ${goJsonError(e, text)}`);
    }
    let patched: Json;
    if (ct === "application/json-patch+json") {
      if (!Array.isArray(patchBody)) {
        throw badRequest(`error decoding patch: json: cannot unmarshal ${isObject(patchBody) ? "object" : typeof patchBody} into Go value of type []handlers.jsonPatchOp`);
      }
      try {
        patched = jsonPatch(old, patchBody);
      } catch (e) {
        if (e instanceof PatchError) throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {});
        throw e;
      }
    } else if (ct === "application/merge-patch+json") {
      patched = mergePatch(old, patchBody);
    } else {
      const keys = { "metadata.finalizers": "", "metadata.ownerReferences": "uid", ...(t.smpKeys ?? {}) } as Record<string, string>;
      patched = strategicMergePatch(old, patchBody, (p) => keys[p]);
    }
    if (!isObject(patched)) throw badRequest("patch produced a non-object");
    const pmd = ensureObj(patched, "metadata");
    if (pmd.resourceVersion !== undefined && pmd.resourceVersion !== metaStr(old, "resourceVersion")) {
      throw conflict(qualified(t), target.name ?? "", t.group || undefined);
    }
    this.checkDecodable(patched, t);
    const out = await this.commit(c, old, patched, false);
    sendJson(res, 200, out, c.warnings);
  }

  /** Type errors a Go decoder would hit after a patch (recordings/03-patch.md 1c): a 422 on `patch`. */
  private checkDecodable(o: JsonObject, t: ResourceType): void {
    const ports = getPath(o, ["spec", "ports"]);
    if (t.kind === "Service" && ports !== undefined && ports !== null && !Array.isArray(ports)) {
      const detail = `Invalid value: ${JSON.stringify(JSON.stringify(o))}: json: cannot unmarshal ${typeof ports === "object" ? "object" : typeof ports} into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort`;
      throw new ApiError(422, "Invalid", ` "" is invalid: patch: ${detail}`, { causes: [{ reason: "FieldValueInvalid", message: detail, field: "patch" }] });
    }
  }

  private async apply(res: ServerResponse, c: WriteContext, text: string, existing: JsonObject | undefined): Promise<void> {
    const t = c.target.type;
    const name = c.target.name ?? "";
    if (!c.q.get("fieldManager")) {
      throw new ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        name: "",
        group: "meta.k8s.io",
        kind: "PatchOptions",
        causes: [{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }],
      });
    }
    let cfg: unknown;
    try {
      cfg = parseYaml(text, { version: "1.1" });
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!isObject(cfg)) throw badRequest("error decoding YAML: the apply configuration is not an object");
    const md = ensureObj(cfg, "metadata");
    if (md.name !== undefined && md.name !== name) throw badRequest(`the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
    md.name = name;
    if (t.namespaced) {
      if (md.namespace !== undefined && md.namespace !== c.target.namespace) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    for (const f of ["labels", "annotations"]) {
      const m = md[f];
      if (isObject(m)) {
        for (const [k, v] of Object.entries(m)) {
          if (typeof v !== "string") {
            const where = `${c.target.namespace ?? ""}/${name}; ${t.group}/${c.target.version}, Kind=${t.kind}`;
            throw new ApiError(500, undefined, `failed to create typed patch object (${where}): .metadata.${f}.${k}: expected string, got &value.valueUnstructured{Value:${String(v)}}`);
          }
        }
      }
    }
    this.checkKind(cfg, t, c.target.version);
    this.pruneUnknown(cfg, c);
    const sub = c.target.subresource;
    if (t.hasStatus) {
      if (sub === "status") for (const k of Object.keys(cfg)) if (!["apiVersion", "kind", "metadata", "status"].includes(k)) delete cfg[k];
      if (sub === undefined) delete cfg.status;
    }
    const applyCfg = clone(cfg);
    delete (applyCfg.metadata as JsonObject).resourceVersion;
    const force = c.q.get("force") === "true";
    const apiVersion = apiVersionOf(t.group, c.target.version);
    const time = nowTime();
    if (!existing) {
      if (sub !== undefined) throw notFound(qualified(t), name, t.group || undefined);
      const merged = serverSideApply(t, undefined, applyCfg, c.manager, force, apiVersion, time, undefined);
      const created = await this.createObject(c, merged, { force });
      return sendJson(res, 201, created, c.warnings);
    }
    const old = present(t, existing, c.target.version);
    const rv = str(md.resourceVersion);
    if (rv !== undefined && rv !== metaStr(old, "resourceVersion")) throw conflict(qualified(t), name, t.group || undefined);
    const merged = serverSideApply(t, old, applyCfg, c.manager, force, apiVersion, time, sub);
    const out = await this.commit(c, old, merged, true);
    sendJson(res, 200, out, c.warnings);
  }

  /** Validates and stores an update of `old` to `next` (both in the requested version's view). */
  private async commit(c: WriteContext, old: JsonObject, next: JsonObject, managedFieldsDone: boolean): Promise<JsonObject> {
    const t = c.target.type;
    const sub = c.target.subresource;
    const oldMd = ensureObj(old, "metadata");
    let obj: JsonObject;
    if (sub === "status") {
      obj = clone(old);
      obj.status = next.status ?? null;
      if (obj.status === null) delete obj.status;
      ensureObj(obj, "metadata").managedFields = getPath(next, ["metadata", "managedFields"]) ?? null;
      if (getPath(obj, ["metadata", "managedFields"]) === null) delete ensureObj(obj, "metadata").managedFields;
    } else {
      obj = next;
      if (t.hasStatus) {
        if (old.status !== undefined) obj.status = clone(old.status);
        else delete obj.status;
      }
    }
    obj.kind = t.kind;
    obj.apiVersion = apiVersionOf(t.group, c.target.version);
    const md = ensureObj(obj, "metadata");
    for (const k of ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"]) {
      if (oldMd[k] !== undefined) md[k] = oldMd[k] as Json;
      else delete md[k];
    }
    md.resourceVersion = oldMd.resourceVersion ?? null;
    const oldFinalizers = Array.isArray(oldMd.finalizers) ? oldMd.finalizers : [];
    const newFinalizers = Array.isArray(md.finalizers) ? md.finalizers : [];
    if (md.finalizers !== undefined && newFinalizers.length === 0) delete md.finalizers;
    if (oldMd.deletionTimestamp) {
      const added = newFinalizers.filter((f) => !oldFinalizers.includes(f));
      if (added.length > 0) {
        const cause: StatusCause = {
          reason: "FieldValueForbidden",
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
          field: "metadata.finalizers",
        };
        const err = invalid(t.kind, str(md.name) ?? "", [cause], t.group || undefined);
        err.details?.causes?.push(cause);
        throw err;
      }
    }
    this.pruneUnknown(obj, c);
    if (sub === undefined) t.prepareUpdate?.(obj, old, { dryRun: c.dryRun, allocate: true, store: this.storeView() });
    const apiVersion = apiVersionOf(t.group, c.target.version);
    const time = nowTime();
    const givenMF = getPath(next, ["metadata", "managedFields"]);
    if (!managedFieldsDone) {
      if (givenMF !== undefined && !deepEqual(givenMF, oldMd.managedFields)) {
        md.managedFields = givenMF;
      } else {
        md.managedFields = oldMd.managedFields ?? null;
        if (md.managedFields === null) delete md.managedFields;
        recordUpdate(t, old, obj, c.manager, apiVersion, time, sub === "status" ? "status" : undefined);
      }
    }
    const mutated = await this.mutate(c, this.admissionAttrs(c, "UPDATE", obj, old, this.options("UpdateOptions", c)));
    if (mutated) obj = mutated;
    const causes = sub === "status" ? [...(t.validateStatus?.(obj) ?? []), ...(t.crd ? (t.validate?.(obj, old) ?? []) : [])] : (t.validate?.(obj, old) ?? []);
    if (causes.length > 0) throw invalid(t.kind, str(md.name) ?? "", causes, kindGroup(t));
    if (t.hasGeneration && specChanged(old, obj)) md.generation = (typeof oldMd.generation === "number" ? oldMd.generation : 0) + 1;
    if (deepEqual(withoutVolatile(old), withoutVolatile(obj))) return old;
    await this.validateAdmission(c, this.admissionAttrs(c, "UPDATE", obj, old, this.options("UpdateOptions", c)));
    if (c.dryRun) return present(t, this.toStorage(t, obj), c.target.version);
    const stillFinalized = Array.isArray(md.finalizers) && md.finalizers.length > 0;
    const nsFinalized = t.plural === "namespaces" && Array.isArray(getPath(obj, ["spec", "finalizers"])) && (getPath(obj, ["spec", "finalizers"]) as Json[]).length > 0;
    if (md.deletionTimestamp && !stillFinalized && !nsFinalized) {
      const stored = this.toStorage(t, obj);
      this.removeNow(t, stored);
      return present(t, stored, c.target.version);
    }
    const rv = this.store.nextRevision();
    md.resourceVersion = String(rv);
    const stored = this.toStorage(t, obj);
    const prev = this.store.get(t.storageKey, c.target.namespace, str(md.name) ?? "");
    this.store.put(t.storageKey, stored, rv);
    this.afterWrite(t, prev, stored);
    return present(t, stored, c.target.version);
  }

  // ---------- delete ----------

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<JsonObject> {
    const text = (await readBody(req)).toString("utf8").trim();
    let opts: JsonObject = {};
    if (text !== "") {
      try {
        const parsed: unknown = JSON.parse(text);
        if (isObject(parsed)) opts = parsed;
      } catch (e) {
        throw badRequest(`the body of the request was in an unknown format: ${goJsonError(e, text)}`);
      }
    }
    const grace = q.get("gracePeriodSeconds");
    if (grace !== null) opts.gracePeriodSeconds = Number(grace);
    const pp = q.get("propagationPolicy");
    if (pp !== null) opts.propagationPolicy = pp;
    return opts;
  }

  async delete(req: IncomingMessage, res: ServerResponse, target: RequestTarget, q: URLSearchParams): Promise<void> {
    const c = this.ctx(req, target, q);
    const opts = await this.deleteOptions(req, q);
    if (Array.isArray(opts.dryRun) && opts.dryRun.includes("All")) c.dryRun = true;
    const out = await this.deleteOne(c, target.name ?? "", opts);
    sendJson(res, 200, out, c.warnings);
  }

  async deleteCollection(req: IncomingMessage, res: ServerResponse, target: RequestTarget, q: URLSearchParams, matches: (o: JsonObject) => boolean): Promise<void> {
    const c = this.ctx(req, target, q);
    const t = target.type;
    const opts = await this.deleteOptions(req, q);
    const items: JsonObject[] = [];
    for (const o of this.store.list(t.storageKey, target.namespace)) {
      const view = present(t, o, target.version);
      if (!matches(view)) continue;
      const nc = { ...c, target: { ...target, namespace: metaStr(o, "namespace") } };
      items.push(listItem(t, await this.deleteOne(nc, metaStr(o, "name") ?? "", opts)));
    }
    sendJson(res, 200, { kind: t.listKind, apiVersion: apiVersionOf(t.group, target.version), metadata: { resourceVersion: String(this.store.currentRevision) }, items }, c.warnings);
  }

  private async deleteOne(c: WriteContext, name: string, opts: JsonObject): Promise<JsonObject> {
    const t = c.target.type;
    const existing = this.store.get(t.storageKey, c.target.namespace, name);
    if (!existing) throw notFound(qualified(t), name, t.group || undefined);
    const old = present(t, existing, c.target.version);
    const pre = isObject(opts.preconditions) ? opts.preconditions : {};
    const uid = metaStr(old, "uid");
    const rv = metaStr(old, "resourceVersion");
    if (typeof pre.uid === "string" && pre.uid !== uid) {
      throw new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${t.kind} "${name}": the UID in the precondition (${pre.uid}) does not match the UID in record (${uid ?? ""}). The object might have been deleted and then recreated`, { name, kind: t.kind });
    }
    if (typeof pre.resourceVersion === "string" && pre.resourceVersion !== rv) {
      throw new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${t.kind} "${name}": the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${rv ?? ""}). The object might have been modified`, { name, kind: t.kind });
    }
    const delOpts = { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1", ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}), ...(c.dryRun ? { dryRun: ["All"] } : {}) };
    await this.mutate(c, this.admissionAttrs(c, "DELETE", null, old, delOpts));
    await this.validateAdmission(c, this.admissionAttrs(c, "DELETE", null, old, delOpts));
    if (c.dryRun) return old;
    const md = ensureObj(old, "metadata");
    if (md.deletionTimestamp) return old;
    const finalizers = Array.isArray(md.finalizers) ? [...md.finalizers] : [];
    const policy = opts.propagationPolicy;
    const grace = typeof opts.gracePeriodSeconds === "number" ? opts.gracePeriodSeconds : undefined;
    const isPodOnNode = t.kind === "Pod" && !t.group && typeof getPath(old, ["spec", "nodeName"]) === "string";
    if (t.plural === "namespaces" && !t.group) return this.terminateNamespace(old, c.target.version);
    if (t === this.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")) finalizers.push("customresourcecleanup.apiextensions.k8s.io");
    if (policy === "Foreground") finalizers.push("foregroundDeletion");
    if (policy === "Orphan") finalizers.push("orphan");
    const podGrace = isPodOnNode ? (grace ?? (typeof getPath(old, ["spec", "terminationGracePeriodSeconds"]) === "number" ? (getPath(old, ["spec", "terminationGracePeriodSeconds"]) as number) : 30)) : 0;
    if (finalizers.length === 0 && podGrace === 0) {
      const stored = this.toStorage(t, old);
      this.removeNow(t, stored);
      return present(t, stored, c.target.version);
    }
    const now = new Date();
    md.deletionTimestamp = nowTime(new Date(now.getTime() + podGrace * 1000));
    md.deletionGracePeriodSeconds = podGrace;
    if (finalizers.length > 0) md.finalizers = finalizers;
    if (t.crd === undefined && t.plural === "customresourcedefinitions") {
      const conds = getPath(old, ["status", "conditions"]);
      const list = Array.isArray(conds) ? conds.filter(isObject) : [];
      list.push({ type: "Terminating", status: "True", lastTransitionTime: nowTime(), reason: "InstanceDeletionPending", message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon" });
      ensureObj(old, "status").conditions = list;
    }
    const newRv = this.store.nextRevision();
    md.resourceVersion = String(newRv);
    const stored = this.toStorage(t, old);
    this.store.put(t.storageKey, stored, newRv);
    if (finalizers.includes("foregroundDeletion") || finalizers.includes("orphan")) setImmediate(() => this.finishGC(t, stored));
    if (finalizers.includes("customresourcecleanup.apiextensions.k8s.io")) setImmediate(() => this.cleanupCrd(stored));
    return present(t, stored, c.target.version);
  }

  /** Removes an object for good: a DELETED event with a fresh resourceVersion, then dependents and namespaces. */
  private removeNow(t: ResourceType, stored: JsonObject): void {
    const rv = this.store.nextRevision();
    const finalState = clone(stored);
    ensureObj(finalState, "metadata").resourceVersion = String(rv);
    const ns = metaStr(stored, "namespace");
    this.store.remove(t.storageKey, ns, metaStr(stored, "name") ?? "", finalState, rv);
    const uid = metaStr(stored, "uid");
    if (uid) setImmediate(() => this.collectDependents(uid));
    if (ns) setImmediate(() => this.maybeFinishNamespace(ns));
  }

  /** Garbage collector: objects whose ownerReferences point at a removed owner are deleted (background). */
  private collectDependents(ownerUid: string): void {
    for (const key of this.store.keys()) {
      const t = this.registry.byStorageKey(key);
      if (!t) continue;
      for (const o of this.store.list(key)) {
        const refs = getPath(o, ["metadata", "ownerReferences"]);
        if (!Array.isArray(refs) || !refs.some((r) => isObject(r) && r.uid === ownerUid)) continue;
        this.systemDelete(t, o);
      }
    }
  }

  /** A delete on behalf of a controller: honours finalizers. */
  private systemDelete(t: ResourceType, o: JsonObject): void {
    const md = getPath(o, ["metadata"]);
    if (!isObject(md) || md.deletionTimestamp) return;
    const finalizers = Array.isArray(md.finalizers) ? md.finalizers : [];
    if (finalizers.length === 0) return this.removeNow(t, o);
    const next = clone(o);
    const nmd = ensureObj(next, "metadata");
    nmd.deletionTimestamp = nowTime();
    nmd.deletionGracePeriodSeconds = 0;
    const rv = this.store.nextRevision();
    nmd.resourceVersion = String(rv);
    this.store.put(t.storageKey, next, rv);
  }

  private finishGC(t: ResourceType, stored: JsonObject): void {
    const cur = this.store.get(t.storageKey, metaStr(stored, "namespace"), metaStr(stored, "name") ?? "");
    if (!cur || metaStr(cur, "uid") !== metaStr(stored, "uid")) return;
    const uid = metaStr(cur, "uid") ?? "";
    const foreground = (getPath(cur, ["metadata", "finalizers"]) as Json[] | undefined)?.includes("foregroundDeletion") ?? false;
    if (foreground) this.collectDependents(uid);
    this.dropFinalizers(t, cur, ["foregroundDeletion", "orphan"]);
  }

  private dropFinalizers(t: ResourceType, cur: JsonObject, drop: string[]): void {
    const next = clone(cur);
    const md = ensureObj(next, "metadata");
    const rest = (Array.isArray(md.finalizers) ? md.finalizers : []).filter((f) => !drop.includes(String(f)));
    if (rest.length > 0) {
      md.finalizers = rest;
      const rv = this.store.nextRevision();
      md.resourceVersion = String(rv);
      this.store.put(t.storageKey, next, rv);
    } else {
      delete md.finalizers;
      this.removeNow(t, next);
    }
  }

  // ---------- namespaces ----------

  private terminateNamespace(old: JsonObject, version: string): JsonObject {
    const md = ensureObj(old, "metadata");
    md.deletionTimestamp = nowTime();
    ensureObj(old, "status").phase = "Terminating";
    const rv = this.store.nextRevision();
    md.resourceVersion = String(rv);
    this.store.put(namespaceType.storageKey, old, rv);
    const ns = str(md.name) ?? "";
    setImmediate(() => {
      for (const key of this.store.keys()) {
        const t = this.registry.byStorageKey(key);
        if (!t || !t.namespaced) continue;
        for (const o of this.store.list(key, ns)) this.systemDelete(t, o);
      }
      this.maybeFinishNamespace(ns);
    });
    return present(namespaceType, old, version);
  }

  private maybeFinishNamespace(ns: string): void {
    const nso = this.store.get(namespaceType.storageKey, undefined, ns);
    if (!nso || !getPath(nso, ["metadata", "deletionTimestamp"])) return;
    for (const key of this.store.keys()) {
      const t = this.registry.byStorageKey(key);
      if (t?.namespaced && this.store.list(key, ns).length > 0) return;
    }
    const final = clone(nso);
    ensureObj(final, "spec").finalizers = [];
    this.removeNow(namespaceType, final);
  }

  // ---------- CRDs ----------

  /** Side effects of stored writes: CRDs become (or stop being) served APIs. */
  private afterWrite(t: ResourceType, prev: JsonObject | undefined, stored: JsonObject): void {
    if (t.group !== "apiextensions.k8s.io" || t.plural !== "customresourcedefinitions") return;
    const name = metaStr(stored, "name") ?? "";
    if (getPath(stored, ["metadata", "deletionTimestamp"])) return;
    const established = Array.isArray(getPath(stored, ["status", "conditions"]));
    if (established) {
      this.registry.addCustom(name, customResourceType(stored));
      return;
    }
    if (prev && Array.isArray(getPath(prev, ["status", "conditions"]))) return;
    // Like the real apiextensions controllers, names are accepted and the API established a moment later.
    setImmediate(() => {
      const cur = this.store.get(t.storageKey, undefined, name);
      if (!cur || metaStr(cur, "uid") !== metaStr(stored, "uid") || getPath(cur, ["metadata", "deletionTimestamp"])) return;
      const next = clone(cur);
      next.status = establishedStatus(next, nowTime());
      const rv = this.store.nextRevision();
      ensureObj(next, "metadata").resourceVersion = String(rv);
      this.registry.addCustom(name, customResourceType(next));
      this.store.put(t.storageKey, next, rv);
    });
  }

  private cleanupCrd(stored: JsonObject): void {
    const crdT = this.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    const name = metaStr(stored, "name") ?? "";
    const custom = this.registry.customType(name);
    if (custom) {
      for (const o of this.store.list(custom.storageKey)) this.removeNow(custom, o);
      this.registry.removeCustom(name);
      this.store.dropResource(custom.storageKey);
    }
    const cur = crdT ? this.store.get(crdT.storageKey, undefined, name) : undefined;
    if (crdT && cur) this.dropFinalizers(crdT, cur, ["customresourcecleanup.apiextensions.k8s.io"]);
  }
}

/** The group in `<Kind>.<group> "x" is invalid` is the internal type's: events.k8s.io Events are core Events. */
const kindGroup = (t: ResourceType): string | undefined => (t.storageKey === "/events" ? undefined : t.group || undefined);

function specChanged(a: JsonObject, b: JsonObject): boolean {
  const strip = (o: JsonObject): JsonObject => {
    const { metadata: _m, status: _s, kind: _k, apiVersion: _a, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

function withoutVolatile(o: JsonObject): JsonObject {
  const c = clone(o);
  const md = ensureObj(c, "metadata");
  // A write that changes nothing, not even field ownership, is a no-op; ownership timestamps alone do not count.
  if (Array.isArray(md.managedFields)) for (const e of md.managedFields) if (isObject(e)) delete e.time;
  delete md.resourceVersion;
  return c;
}

function hasField(o: JsonObject, fieldPath: string): boolean {
  const segs = fieldPath.split("\u0001");
  return segs[segs.length - 1] === "f:clusterIP" ? getPath(o, ["spec", "clusterIP"]) !== undefined : segs.length < 3 && getPath(o, segs.map((s) => s.slice(2))) !== undefined;
}

function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let s = "";
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)] ?? "x";
  return s;
}

function snippet(text: string): string {
  return text.length > 30 ? `${text.slice(0, 30)} ...` : text;
}

/** Go encoding/json's wording for the common parse failures. */
function goJsonError(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Unexpected end of JSON input|Unterminated|end of data/i.test(msg) || text.trim() === "") return "unexpected end of JSON input";
  const m = /position (\d+)/.exec(msg);
  if (m && Number(m[1]) >= text.trimEnd().length) return "unexpected end of JSON input";
  const ch = m ? text[Number(m[1])] : undefined;
  return ch !== undefined ? `invalid character '${ch}' looking for beginning of value` : "invalid character looking for beginning of value";
}

