/**
 * Secure metrics against the local API server (hack/kube-apiserver): HTTPS, and each scrape's
 * bearer token checked by TokenReview, its user by SubjectAccessReview for `get /metrics`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCerts } from "../hack/kube-apiserver/certs";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { KfcApi } from "../kube/kfc-api";
import { secureMetricsFromEnv } from "./secure-settings";
import { serveMetrics, type MetricsServer } from "./server";

let dir: string;
let api: RunningApiServer;
let metrics: MetricsServer;
let caPem: string;
const savedKubeconfig = process.env.KUBECONFIG;
const PROM = "system:serviceaccount:monitoring:prometheus";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-secure-metrics-"));
  api = await startApiServer({ dir: join(dir, "api") });
  process.env.KUBECONFIG = api.kubeconfig;
  api.addUser("prom-token", { username: PROM, uid: "prom-uid", groups: ["system:serviceaccounts", "system:authenticated"] });
  api.addUser("other-token", { username: "system:serviceaccount:default:nosy", uid: "nosy-uid", groups: ["system:authenticated"] });
  api.allowNonResource(PROM, "get", "/metrics");
  // A serving certificate for 127.0.0.1, as a mounted kubernetes.io/tls Secret holds it.
  const certs = ensureCerts(join(dir, "api"), "127.0.0.1");
  caPem = certs.caPem;
  const tlsDir = mkdtempSync(join(dir, "tls-"));
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(tlsDir, "tls.crt"), certs.certPem);
  writeFileSync(join(tlsDir, "tls.key"), certs.keyPem);
  const registry = new Registry();
  new Counter({ name: "metallb_k8s_client_updates_total", help: "updates", registers: [registry] }).inc(2);
  const secure = secureMetricsFromEnv({ LODESTONE_METRICS_TLS_DIR: tlsDir }, () => new KfcApi().request);
  metrics = await serveMetrics(registry, 0, "127.0.0.1", secure);
});

afterAll(async () => {
  await metrics?.close();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: metrics.port(), path, ca: caPem, headers: token ? { Authorization: `Bearer ${token}` } : {} }, res => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("secure metrics (LODESTONE_METRICS_TLS_DIR)", () => {
  it("serves the metrics over TLS to a user the API server allows get /metrics", async () => {
    const r = await get("/metrics", "prom-token");
    expect(r.status).toBe(200);
    expect(r.body).toContain("metallb_k8s_client_updates_total 2");
  });

  it("answers 401 without a token or with one the API server does not know", async () => {
    expect(await get("/metrics")).toEqual({ status: 401, body: "Unauthorized\n" });
    expect(await get("/metrics", "forged-token")).toEqual({ status: 401, body: "Unauthorized\n" });
  });

  it("answers 403 to an authenticated user without the grant", async () => {
    expect(await get("/metrics", "other-token")).toEqual({ status: 403, body: "Forbidden (user=system:serviceaccount:default:nosy, verb=get, path=/metrics)\n" });
  });

  it("answers /healthz to anyone (probes), and nothing else", async () => {
    expect(await get("/healthz")).toEqual({ status: 200, body: "ok" });
    expect((await get("/other", "prom-token")).status).toBe(404);
  });

  it("refuses plain HTTP", async () => {
    const plain = await fetch(`http://127.0.0.1:${metrics.port()}/metrics`).then(
      r => r.status,
      () => "refused",
    );
    expect(plain).not.toBe(200);
  });

  it("names the setting when the certificate is missing", () => {
    expect(() => secureMetricsFromEnv({ LODESTONE_METRICS_TLS_DIR: join(dir, "none") }, () => new KfcApi().request)).toThrow(
      /^LODESTONE_METRICS_TLS_DIR=.*none: cannot read tls\.crt: /,
    );
  });
});
