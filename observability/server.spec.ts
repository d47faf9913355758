import { afterEach, describe, expect, it } from "vitest";
import { Counter, Registry } from "prom-client";
import { serveMetrics, type MetricsServer } from "./server";

let server: MetricsServer | undefined;
afterEach(async () => server?.close());

describe("metrics server", () => {
  it("serves the registry at /metrics and nothing else", async () => {
    const registry = new Registry();
    new Counter({ name: "metallb_k8s_client_updates_total", help: "updates", registers: [registry] }).inc(3);
    server = await serveMetrics(registry, 0, "127.0.0.1");
    const res = await fetch(`http://127.0.0.1:${server.port()}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("metallb_k8s_client_updates_total 3");
    expect((await fetch(`http://127.0.0.1:${server.port()}/other`)).status).toBe(404);
    const health = await fetch(`http://127.0.0.1:${server.port()}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok"]);
  });

  it("serves /readyz from the readiness check: 200 ok, or 503 with the reason; 404 without a check", async () => {
    let state = { ready: true, reason: "watching the cluster" };
    server = await serveMetrics(new Registry(), 0, "127.0.0.1", undefined, () => state);
    const ready = await fetch(`http://127.0.0.1:${server.port()}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, "ok\n"]);
    state = { ready: false, reason: "view of the cluster not current" };
    const blind = await fetch(`http://127.0.0.1:${server.port()}/readyz`);
    expect([blind.status, await blind.text()]).toEqual([503, "view of the cluster not current\n"]);
    await server.close();
    server = await serveMetrics(new Registry(), 0, "127.0.0.1");
    expect((await fetch(`http://127.0.0.1:${server.port()}/readyz`)).status).toBe(404);
  });
});
