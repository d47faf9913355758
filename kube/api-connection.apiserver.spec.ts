/**
 * The watch supervisor's lists come in pages (issue 12, item 5): its first list and its relist after
 * the API server came back use `limit` and `continue` (list-pages.ts), against the local API server
 * (hack/kube-apiserver), which is stopped and started again on the same port to force the relist.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { realClock } from "../core/clock";
import { ApiConnection } from "./api-connection";
import { connectionSettings, kubeConnection } from "./rest/kube-connection";
import { RestClient } from "./rest/rest-client";
import { JSON_CONTENT } from "./api-request";
import { WatchSupervisor } from "./watch-supervisor";
import type { KubeObject, WatchPhase } from "./controller-port";

const dir = mkdtempSync(join(tmpdir(), "lodestone-pages-"));
const requests: string[] = [];
let api: RunningApiServer | undefined;
let supervisor: WatchSupervisor | undefined;

afterAll(async () => {
  supervisor?.stop();
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PATH = "/api/v1/namespaces/default/configmaps";

async function createConfigMaps(client: RestClient, names: string[]): Promise<void> {
  for (const name of names) await client.request("POST", PATH, JSON_CONTENT, { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "b" } });
}

function serve(port?: number): Promise<RunningApiServer> {
  return startApiServer({ dir, ...(port !== undefined ? { port, watchHistoryLimit: 1 } : {}), onRequest: (method, url) => requests.push(`${method} ${url}`) });
}

function lists(): string[] {
  return requests.filter(r => r.startsWith(`GET ${PATH}`) && !r.includes("watch=1"));
}

it("lists, and relists after the API server came back, in pages of limit and continue", async () => {
  api = await serve();
  const port = Number(new URL(api.url).port);
  const connection = kubeConnection({ env: { KUBECONFIG: api.kubeconfig }, readFile: p => readFileSync(p, "utf8") });
  const client = new RestClient(connection);
  await createConfigMaps(client, ["cm-1", "cm-2", "cm-3", "cm-4", "cm-5"]);

  const apiConnection = new ApiConnection(connectionSettings(connection), 2);
  supervisor = new WatchSupervisor({ clock: realClock, probe: apiConnection.probe, backoff: { initialMs: 1500, maxMs: 1500 } });
  const seen = new Map<string, WatchPhase>();
  const events: ((name: string) => void)[] = [];
  const watch = supervisor.watch(apiConnection.source("ConfigMap", PATH), (phase: WatchPhase, obj: KubeObject) => {
    const name = obj.metadata?.name ?? "";
    seen.set(name, phase);
    for (const e of events) e(name);
  });
  await watch.ready;
  expect([...seen.keys()].sort()).toEqual(["cm-1", "cm-2", "cm-3", "cm-4", "cm-5"]);
  const first = lists();
  expect(first).toHaveLength(3);
  expect(first[0]).toBe(`GET ${PATH}?limit=2`);
  expect(first[1]).toMatch(new RegExp(`^GET ${PATH}\\?limit=2&continue=[^&]+$`));
  expect(first[2]).toMatch(new RegExp(`^GET ${PATH}\\?limit=2&continue=[^&]+$`));

  // The API server goes away and comes back with a fresh store on the same port, holding three
  // ConfigMaps before the supervisor's next try (1.5 s after the failure): the watch from the old
  // resourceVersion is refused (410), and the supervisor relists from the new server.
  requests.length = 0;
  await api.stop();
  api = await serve(port);
  client.resetConnections();
  const sixth = new Promise<void>(resolve => events.push(name => name === "cm-6" && resolve()));
  // Writes elsewhere first, so that the new server's ConfigMap history (one event kept) starts
  // past the old server's resourceVersion: the watch resumed from it is told 410 Gone.
  for (let i = 0; i < 10; i++) await client.request("POST", "/api/v1/namespaces/default/secrets", JSON_CONTENT, { apiVersion: "v1", kind: "Secret", metadata: { name: `s-${i}` } });
  await createConfigMaps(client, ["cm-1", "cm-2", "cm-6"]);
  await sixth;
  const relist = lists();
  expect(relist).toHaveLength(2);
  expect(relist[0]).toBe(`GET ${PATH}?limit=2`);
  expect(relist[1]).toMatch(new RegExp(`^GET ${PATH}\\?limit=2&continue=[^&]+$`));
  // The relist was diffed against what was seen: the three that went are deleted.
  expect(seen.get("cm-3")).toBe("DELETED");
  expect(seen.get("cm-6")).toBe("ADDED");
}, 30_000);
