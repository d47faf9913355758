/**
 * A list's response lets go of the caller's AbortSignal once read: the watch supervisor keeps one
 * signal for a list and the watch that follows it, and a listener left on it kept the response and,
 * through it, the whole list body alive for as long as the watch ran (hack/bench/memory.ts found the
 * 1,000-Service ServiceList and EndpointSliceList bodies in a speaker's heap snapshot).
 */
import { getEventListeners } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { ApiConnection } from "./api-connection";
import { connectionSettings, kubeConnection } from "./rest/kube-connection";

const dir = mkdtempSync(join(tmpdir(), "lodestone-signal-"));
let api: RunningApiServer | undefined;

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("leaves no listener on the signal once a list is read, and still aborts a request in flight", async () => {
  api = await startApiServer({ dir });
  const connection = new ApiConnection(connectionSettings(kubeConnection({ env: { KUBECONFIG: api.kubeconfig }, readFile: p => readFileSync(p, "utf8") })));
  const ac = new AbortController();

  const first = await connection.list("/api/v1/namespaces", ac.signal);
  const second = await connection.list("/api/v1/namespaces", ac.signal);
  expect(second.items.map(ns => ns.metadata?.name)).toEqual(first.items.map(ns => ns.metadata?.name));
  expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);

  const streaming = connection.watch("/api/v1/namespaces", second.resourceVersion, ac.signal, { onOpen: () => ac.abort(new Error("stop")), onLine: () => undefined });
  await expect(streaming).rejects.toThrow("stop");
  expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
});
