/**
 * Request routing and the read paths (discovery, get, list, watch). Writes live in writes.ts.
 * Paths: /version, /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>, and resource paths below a served
 * group-version; anything else is the plain-text mux 404 (recordings/01-discovery.md 7b).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResourceType } from "./resource";
import { apiVersionOf } from "./resource";
import { Registry } from "./registry";
import { Store } from "./store";
import { apiGroup, apiVersions, groupList, resourceList, versionInfo } from "./discovery";
import { sendBytes, sendError, sendJson, sendText } from "./http";
import { ApiError, badRequest, notFound, pageNotFound, resourceNotFound } from "./status";
import type { JsonObject } from "./status";
import { isObject, metaStr, str } from "./json";
import { listItem, present } from "./objects";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors";
import { toTable, wantsTable, type IncludeObject } from "./table";
import { serveWatch } from "./watch";
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiDocument, openApiIndex, openApiV2Document, openApiV2Protobuf, wantsOpenApiV2Protobuf } from "./openapi";
import { Writes } from "./writes";
import type { ServiceResolver } from "./admission";
import { Reviews } from "./reviews";

export interface RequestTarget {
  type: ResourceType;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export interface ApiOptions {
  token: string;
  serverAddress: string;
  bookmarkIntervalMs: number;
  watchHistoryLimit: number;
  resolveService?: ServiceResolver;
  /** See ApiServerOptions.loadBalancerIPMode. */
  loadBalancerIPMode?: boolean;
}

export class Api {
  readonly store: Store;
  readonly registry = new Registry();
  readonly writes: Writes;
  readonly reviews: Reviews;
  private readonly openWatches = new Set<() => void>();

  constructor(private readonly opts: ApiOptions) {
    this.store = new Store(1, opts.watchHistoryLimit);
    this.writes = new Writes(this.store, this.registry, opts.resolveService, opts.loadBalancerIPMode ?? false);
    this.writes.bootstrap();
    this.reviews = new Reviews(opts.token);
  }

  closeWatches(): void {
    for (const c of [...this.openWatches]) c();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e, (e as { warnings?: string[] }).warnings ?? []);
      else {
        const message = e instanceof Error ? e.message : String(e);
        sendError(res, new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ reason: "", message }] }));
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://apiserver.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/healthz" || path === "/livez" || path === "/readyz") return sendText(res, 200, "ok");
    const auth = req.headers.authorization ?? "";
    if (auth !== `Bearer ${this.opts.token}`) {
      throw new ApiError(401, "Unauthorized", "Unauthorized");
    }
    const segs = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
    const method = req.method ?? "GET";
    if (this.reviews.handles(method, path)) return this.reviews.handle(req, res, path);
    if (path === "/version") return sendJson(res, 200, versionInfo(this.opts.loadBalancerIPMode ?? false));
    if (path === "/openapi/v2") {
      if (!wantsOpenApiV2Protobuf(req.headers.accept)) return sendJson(res, 200, openApiV2Document());
      return sendBytes(res, 200, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiV2Protobuf());
    }
    if (path === "/openapi/v3") return sendJson(res, 200, openApiIndex(this.registry, this.opts.loadBalancerIPMode ?? false));
    if (segs[0] === "openapi" && segs[1] === "v3" && segs.length >= 4) {
      const [group, version] = segs[2] === "api" ? ["", segs[3] ?? ""] : [segs[3] ?? "", segs[4] ?? ""];
      if (!(group === "" && version === "v1") && !this.registry.servesGroupVersion(group, version)) throw pageNotFound();
      return sendJson(res, 200, openApiDocument(this.registry, group, version, this.opts.loadBalancerIPMode ?? false));
    }
    if (segs[0] === "api") {
      if (segs.length === 1) return sendJson(res, 200, apiVersions(this.opts.serverAddress));
      if (segs[1] !== "v1") throw pageNotFound();
      if (segs.length === 2) return sendJson(res, 200, resourceList("", "v1", this.registry.typesAt("", "v1")));
      return this.resource(req, res, url, "", "v1", segs.slice(2), method);
    }
    if (segs[0] === "apis") {
      if (segs.length === 1) return sendJson(res, 200, groupList(this.registry.groups()));
      const group = segs[1] ?? "";
      const info = this.registry.groups().find((g) => g.name === group);
      if (!info) throw pageNotFound();
      if (segs.length === 2) return sendJson(res, 200, apiGroup(info));
      const version = segs[2] ?? "";
      if (!this.registry.servesGroupVersion(group, version)) throw pageNotFound();
      if (segs.length === 3) return sendJson(res, 200, resourceList(group, version, this.registry.typesAt(group, version)));
      return this.resource(req, res, url, group, version, segs.slice(3), method);
    }
    throw pageNotFound();
  }

  private parseTarget(group: string, version: string, rest: string[]): RequestTarget {
    const nsType = rest[0] === "namespaces" && rest.length >= 3 ? this.registry.lookup(group, version, rest[2] ?? "") : undefined;
    if (nsType && nsType.namespaced) {
      if (rest.length > 5) throw resourceNotFound();
      return { type: nsType, version, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
    const type = this.registry.lookup(group, version, rest[0] ?? "");
    if (!type || rest.length > 3) throw resourceNotFound();
    return { type, version, namespace: undefined, name: rest[1], subresource: rest[2] };
  }

  private async resource(req: IncomingMessage, res: ServerResponse, url: URL, group: string, version: string, rest: string[], method: string): Promise<void> {
    const target = this.parseTarget(group, version, rest);
    const { type, name, subresource } = target;
    if (subresource !== undefined) {
      const ok = (subresource === "status" && type.hasStatus) || (subresource === "finalize" && type.plural === "namespaces");
      if (!ok || name === undefined) throw resourceNotFound();
    }
    if (type.namespaced && target.namespace === undefined && name !== undefined) throw resourceNotFound();
    const q = url.searchParams;
    const accept = req.headers.accept;
    switch (method) {
      case "GET":
        if (name !== undefined) return this.get(res, target, accept, q);
        if (q.get("watch") === "true" || q.get("watch") === "1") return this.watch(res, target, accept, q);
        return this.list(res, target, accept, q);
      case "POST":
        if (name !== undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
        return this.writes.create(req, res, target, q);
      case "PUT":
        if (name === undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
        return this.writes.update(req, res, target, q);
      case "PATCH":
        if (name === undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
        return this.writes.patch(req, res, target, q);
      case "DELETE":
        if (name === undefined) return this.writes.deleteCollection(req, res, target, q, (o) => this.selectorMatcher(type, q)(o));
        if (subresource !== undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
        return this.writes.delete(req, res, target, q);
      default:
        throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
    }
  }

  private get(res: ServerResponse, target: RequestTarget, accept: string | undefined, q: URLSearchParams): void {
    const t = target.type;
    const stored = this.store.get(t.storageKey, target.namespace, target.name ?? "");
    if (!stored) throw notFound(qualified(t), target.name ?? "", t.group || undefined);
    const o = present(t, stored, target.version);
    if (wantsTable(accept)) {
      const rv = metaStr(o, "resourceVersion") ?? "";
      return sendJson(res, 200, toTable(t, [o], { resourceVersion: rv }, includeObject(q), new Date()));
    }
    sendJson(res, 200, o);
  }

  /** Builds the label+field selector predicate, throwing the recorded 400s for bad selectors. */
  selectorMatcher(t: ResourceType, q: URLSearchParams): (o: JsonObject) => boolean {
    let labels;
    let fields;
    try {
      labels = parseLabelSelector(q.get("labelSelector") ?? "");
      fields = parseFieldSelector(q.get("fieldSelector") ?? "");
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(e.message);
      throw e;
    }
    const known = ["metadata.name", "metadata.namespace", ...t.fieldSelectors.fields];
    for (const f of fields) {
      if (!known.includes(f.field)) {
        if (t.fieldSelectors.style === "label") throw badRequest(`field label not supported: ${f.field}`);
        throw badRequest(`"${f.field}" is not a known field selector: only ${known.map((k) => `"${k}"`).join(", ")}`);
      }
    }
    return (o) => {
      const md = isObject(o.metadata) ? o.metadata : {};
      const l = isObject(md.labels) ? (md.labels as Record<string, string>) : {};
      if (labels.length > 0 && !matchesLabels(labels, l)) return false;
      if (fields.length === 0) return true;
      const values: Record<string, string> = { "metadata.name": str(md.name) ?? "", "metadata.namespace": str(md.namespace) ?? "", ...(t.fieldSelectors.extract?.(o) ?? {}) };
      return matchesFields(fields, values);
    };
  }

  private list(res: ServerResponse, target: RequestTarget, accept: string | undefined, q: URLSearchParams): void {
    const t = target.type;
    const matches = this.selectorMatcher(t, q);
    const current = this.store.currentRevision;
    const rvParam = q.get("resourceVersion");
    if (rvParam && rvParam !== "0") {
      const rv = Number(rvParam);
      if (!Number.isFinite(rv)) throw badRequest(`invalid resource version: ${rvParam}`);
      if (rv > current) {
        throw new ApiError(504, "Timeout", `Timeout: Too large resource version: ${rv}, current: ${current}`, { causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }], retryAfterSeconds: 1 }, { headers: { "Retry-After": "1" } });
      }
      if (q.get("resourceVersionMatch") === "Exact" && rv < this.store.windowStart(t.storageKey)) {
        throw new ApiError(410, "Expired", "The resourceVersion for the provided list is too old.");
      }
    }
    // Pages are cut before objects are presented: a client paging through 10,000 objects (the
    // speakers and the controller list in pages of 500) costs the server one pass, not one per page.
    const stored = this.store.list(t.storageKey, target.namespace);
    const meta: JsonObject = { resourceVersion: String(current) };
    const cont = q.get("continue");
    let from = 0;
    if (cont) {
      // The first object after the token's key: the store lists in key order.
      const start = decodeContinue(cont);
      let hi = stored.length;
      while (from < hi) {
        const mid = (from + hi) >>> 1;
        if (objectKey(stored[mid] as JsonObject) <= start) from = mid + 1;
        else hi = mid;
      }
    }
    const limit = Number(q.get("limit") ?? "0");
    const items: JsonObject[] = [];
    let next = from;
    for (; next < stored.length && (limit <= 0 || items.length < limit); next++) {
      const o = present(t, stored[next] as JsonObject, target.version);
      if (matches(o)) items.push(o);
    }
    let more = false;
    for (let i = next; limit > 0 && !more && i < stored.length; i++) more = matches(present(t, stored[i] as JsonObject, target.version));
    if (more) {
      const last = items[items.length - 1];
      meta.continue = encodeContinue(current, last ? objectKey(last) : "");
      if (!q.get("labelSelector") && !q.get("fieldSelector")) meta.remainingItemCount = stored.length - next;
    }
    if (wantsTable(accept)) return sendJson(res, 200, toTable(t, items, meta, includeObject(q), new Date()));
    sendJson(res, 200, { kind: t.listKind, apiVersion: apiVersionOf(t.group, target.version), metadata: meta, items: items.map((o) => listItem(t, o)) });
  }

  private watch(res: ServerResponse, target: RequestTarget, accept: string | undefined, q: URLSearchParams): void {
    const t = target.type;
    const matches = this.selectorMatcher(t, q);
    const timeout = q.get("timeoutSeconds");
    serveWatch(
      res,
      this.store,
      {
        type: t,
        version: target.version,
        namespace: target.namespace,
        resourceVersion: q.get("resourceVersion") ?? undefined,
        allowBookmarks: q.get("allowWatchBookmarks") === "true" || q.get("allowWatchBookmarks") === "1",
        sendInitialEvents: q.get("sendInitialEvents") === "true",
        timeoutSeconds: timeout !== null ? Number(timeout) : undefined,
        matches,
        present: (o) => present(t, o, target.version),
        table: wantsTable(accept) ? { include: includeObject(q) } : undefined,
        bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
      },
      (cleanup) => {
        this.openWatches.add(cleanup);
        res.on("close", () => this.openWatches.delete(cleanup));
      },
    );
  }
}

export const qualified = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get("includeObject");
  return v === "None" || v === "Object" ? v : "Metadata";
}

const objectKey = (o: JsonObject): string => {
  const ns = metaStr(o, "namespace");
  const name = metaStr(o, "name") ?? "";
  return ns ? `${ns}/${name}` : name;
};

function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: `${lastKey}\u0000` })).toString("base64url");
}

function decodeContinue(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (isObject(parsed) && typeof parsed.start === "string") return parsed.start.endsWith("\u0000") ? parsed.start.slice(0, -1) : parsed.start;
  } catch {
    // fall through
  }
  throw badRequest("continue key is not valid: invalid continue token");
}
