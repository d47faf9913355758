/**
 * Lists a collection in pages (`limit` and `continue`, as kubectl and client-go's pager do: Kubernetes
 * API concepts, "Retrieving large results sets in chunks",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).
 * At 10,000 Services one body is megabytes of JSON parsed in one piece on the speaker's main thread;
 * pages are parsed one per event-loop turn. The one pager of the repository: the speaker's REST lists
 * (speaker/rest-speaker-port.ts) and the watch supervisor's lists and relists (api-connection.ts).
 */
import type { KubeObject } from "./controller-port";

/** One list response, as the API server sends it. */
export interface ListPage {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[] | null;
}

export interface PagedList {
  /** The list's apiVersion and kind (`ServiceList`), from its first page. */
  apiVersion?: string;
  kind?: string;
  items: KubeObject[];
  /** The resourceVersion of the snapshot: every page of one list is served at the first page's. */
  resourceVersion: string;
}

/**
 * GETs `path` in pages of `pageSize` through `get` (0: one request). A continue token that expired
 * meanwhile (410 Gone: the server compacted the snapshot) restarts the list once, in one piece, as
 * client-go's pager does (k8s.io/client-go/tools/pager, FullListIfExpired).
 */
export async function listInPages(path: string, pageSize: number, get: (path: string) => Promise<ListPage>): Promise<PagedList> {
  const out: PagedList = { items: [], resourceVersion: "" };
  let token: string | undefined;
  let first = true;
  do {
    const page = pageSize > 0 ? `${path}${path.includes("?") ? "&" : "?"}limit=${pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ""}` : path;
    let body: ListPage;
    try {
      body = await get(page);
    } catch (e) {
      if (!(token && isGone(e))) throw e;
      body = await get(path);
      out.items.length = 0;
      first = true;
      token = undefined;
    }
    if (first) {
      if (body.apiVersion) out.apiVersion = body.apiVersion;
      if (body.kind) out.kind = body.kind;
      out.resourceVersion = body.metadata?.resourceVersion ?? "";
      first = false;
    }
    for (const item of body.items ?? []) out.items.push(item);
    token = pageSize > 0 ? body.metadata?.continue || undefined : undefined;
    if (token) await new Promise<void>(resolve => setImmediate(resolve));
  } while (token);
  return out;
}

/** 410 Gone, as ApiError (`status`) or WatchStatusError (`code`) carries it. */
function isGone(e: unknown): boolean {
  const failure = e as { status?: unknown; code?: unknown } | null;
  return failure?.status === 410 || failure?.code === 410;
}
