/**
 * Watch streams (recordings/05-watch.md): newline-delimited WatchEvents over a chunked 200 response; replay from a
 * resourceVersion, `410 Expired` as an in-stream ERROR event, BOOKMARKs only when something newer than the
 * watch's start happened, selector-aware ADDED/DELETED when objects move in or out of a selector, and
 * Table watches whose first event alone carries columnDefinitions (recordings/06-table.md 6).
 */
import type { ServerResponse } from "node:http";
import type { ResourceType } from "./resource";
import { apiVersionOf } from "./resource";
import type { Store, StoreEvent } from "./store";
import { commonHeaders } from "./http";
import type { JsonObject } from "./status";
import { toTable, type IncludeObject } from "./table";

export interface WatchOptions {
  type: ResourceType;
  version: string;
  namespace: string | undefined;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  matches: (o: JsonObject) => boolean;
  present: (o: JsonObject) => JsonObject;
  table: { include: IncludeObject } | undefined;
  bookmarkIntervalMs: number;
}

export function serveWatch(res: ServerResponse, store: Store, opts: WatchOptions, onClose: (cleanup: () => void) => void): void {
  const t = opts.type;
  commonHeaders(res);
  res.setHeader("Content-Type", "application/json");
  res.writeHead(200);
  // Clients (client-go's reflector, kubectl wait) block until the headers arrive; do not wait for a first event.
  res.flushHeaders();
  let columnsSent = false;
  let closed = false;

  const write = (type: string, object: JsonObject): void => {
    if (closed) return;
    let out = object;
    if (opts.table && (type === "ADDED" || type === "MODIFIED" || type === "DELETED")) {
      const rv = String((object.metadata as JsonObject | undefined)?.resourceVersion ?? "");
      out = toTable(t, [object], { resourceVersion: rv }, opts.table.include, new Date(), !columnsSent);
      columnsSent = true;
    }
    res.write(`${JSON.stringify({ type, object: out })}\n`);
  };

  const inNamespace = (o: JsonObject): boolean => opts.namespace === undefined || (o.metadata as JsonObject | undefined)?.namespace === opts.namespace;
  const visible = (o: JsonObject | undefined): boolean => o !== undefined && inNamespace(o) && opts.matches(opts.present(o));

  const requested = opts.resourceVersion;
  const fromRV = requested === undefined || requested === "" || requested === "0" ? undefined : Number(requested);
  if (fromRV !== undefined && (!Number.isFinite(fromRV) || fromRV < 0)) {
    write("ERROR", { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `invalid resource version: ${requested}`, reason: "BadRequest", code: 400 });
    res.end();
    return;
  }
  if (fromRV !== undefined && fromRV < store.windowStart(t.storageKey)) {
    const message =
      t.storageKey === "/events" ? "The resourceVersion for the provided watch is too old." : `too old resource version: ${fromRV} (${store.windowStart(t.storageKey)})`;
    write("ERROR", { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Expired", code: 410 });
    res.end();
    return;
  }

  let lastSent = fromRV ?? store.currentRevision;
  const deliver = (ev: StoreEvent): void => {
    if (ev.rv <= lastSent && fromRV !== undefined) return;
    const now = ev.type !== "DELETED" && visible(ev.object);
    const before = visible(ev.previous);
    let type: string | undefined;
    if (ev.type === "ADDED") type = now ? "ADDED" : undefined;
    else if (ev.type === "DELETED") type = visible(ev.object) || before ? "DELETED" : undefined;
    else if (now && before) type = "MODIFIED";
    else if (now) type = "ADDED";
    else if (before) type = "DELETED";
    lastSent = Math.max(lastSent, ev.rv);
    if (type) write(type, opts.present(ev.object));
  };

  if (fromRV === undefined || opts.sendInitialEvents) {
    const snapshotRV = store.currentRevision;
    for (const o of store.list(t.storageKey, opts.namespace)) if (visible(o)) write("ADDED", opts.present(o));
    lastSent = snapshotRV;
    if (opts.sendInitialEvents && opts.allowBookmarks) {
      write("BOOKMARK", bookmarkObject(t, opts.version, snapshotRV, true));
    }
  } else {
    for (const ev of store.eventsSince(t.storageKey, fromRV)) deliver(ev);
  }
  const startRV = lastSent;
  let bookmarkedRV = startRV;

  const unsubscribe = store.subscribe((ev) => {
    if (ev.key === t.storageKey) deliver(ev);
  });
  const sendBookmark = (): void => {
    const rv = store.lastEventRV(t.storageKey);
    if (rv > bookmarkedRV && rv > startRV) {
      bookmarkedRV = rv;
      write("BOOKMARK", bookmarkObject(t, opts.version, rv, false));
    }
  };
  const timers: NodeJS.Timeout[] = [];
  if (opts.allowBookmarks) timers.push(setInterval(sendBookmark, opts.bookmarkIntervalMs));
  const cleanup = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const tm of timers) clearTimeout(tm);
    res.end();
  };
  if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) {
    const ms = opts.timeoutSeconds * 1000;
    if (opts.allowBookmarks && ms > 2000) timers.push(setTimeout(sendBookmark, ms - 2000));
    timers.push(setTimeout(cleanup, ms));
  }
  res.on("close", cleanup);
  onClose(cleanup);
}

function bookmarkObject(t: ResourceType, version: string, rv: number, initialEnd: boolean): JsonObject {
  const metadata: JsonObject = { resourceVersion: String(rv), creationTimestamp: null };
  if (initialEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
  const o: JsonObject = { kind: t.kind, apiVersion: apiVersionOf(t.group, version), metadata };
  if (t.kind === "Service") {
    o.spec = {};
    o.status = { loadBalancer: {} };
  }
  return o;
}
