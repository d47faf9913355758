/** Watch edge cases from recordings/05-watch.md on a server with a tiny event window and a short bookmark interval. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, watchLines, type TestServer } from "./testkit";

let srv: TestServer;
const svc = (name: string) => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }] } });

describe("watch window and bookmarks", () => {
  beforeAll(async () => {
    srv = await startTestServer({ watchHistoryLimit: 3, bookmarkIntervalMs: 50 });
    for (const n of ["a", "b", "c", "d", "e"]) await srv.call("POST", "/api/v1/namespaces/default/services", svc(n));
  });
  afterAll(async () => {
    await srv.close();
  });

  it("§5a a resourceVersion older than the window: HTTP 200 and one ERROR 410 Expired event", async () => {
    const w = watchLines(srv, "/api/v1/namespaces/default/services?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=5", 5);
    const lines = await w.lines;
    expect(lines.length).toBe(1);
    const ev = JSON.parse(lines[0] ?? "") as { type: string; object: Record<string, unknown> };
    expect(ev.type).toBe("ERROR");
    expect(ev.object).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410 });
    expect(String(ev.object.message)).toMatch(/^too old resource version: 1 \(\d+\)$/);
  });

  it("§5c LIST with resourceVersionMatch=Exact below the window is a real 410", async () => {
    const r = await srv.call("GET", "/api/v1/namespaces/default/services?resourceVersion=1&resourceVersionMatch=Exact");
    expect(r.status).toBe(410);
    expect(r.json).toMatchObject({ message: "The resourceVersion for the provided list is too old.", reason: "Expired", code: 410 });
  });

  it("§4a without resourceVersion: synthetic ADDED for every existing object", async () => {
    const w = watchLines(srv, "/api/v1/namespaces/default/services?watch=1&timeoutSeconds=1", 100);
    const names = (await w.lines).map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } }).map((e) => `${e.type} ${e.object.metadata.name}`);
    expect(names).toEqual(["ADDED a", "ADDED b", "ADDED c", "ADDED d", "ADDED e", "ADDED kubernetes"]);
  });

  it("§3 bookmarks come only after a change newer than the watch's start", async () => {
    const rv = ((await srv.call("GET", "/api/v1/namespaces/default/services")).json.metadata as { resourceVersion: string }).resourceVersion;
    const w = watchLines(srv, `/api/v1/namespaces/default/services?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`, 2);
    await srv.call("POST", "/api/v1/namespaces/default/services", svc("f"));
    const events = (await w.lines).map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { resourceVersion: string; name?: string }; spec?: unknown } });
    expect(events.map((e) => e.type)).toEqual(["ADDED", "BOOKMARK"]);
    expect(events[1]?.object).toEqual({ kind: "Service", apiVersion: "v1", metadata: { resourceVersion: events[0]?.object.metadata.resourceVersion, creationTimestamp: null }, spec: {}, status: { loadBalancer: {} } });
  });
});
