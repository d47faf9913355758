/**
 * Webhooks registered by `clientConfig.service`, as `pepr build` registers them: the API server dials
 * where the service resolver says, checks the certificate against `<name>.<namespace>.svc`, and names
 * the Service's URL in its errors (`https://<name>.<namespace>.svc:<port><path>?timeout=Ns`).
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCerts } from "./certs";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;
let hook: Server;
let hookDir: string;
const paths: string[] = [];

const webhook = (name: string, service: Record<string, unknown>, caBundle: string) => ({
  name,
  clientConfig: { service, caBundle },
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rec" } },
  objectSelector: { matchLabels: { hook: name } },
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
  timeoutSeconds: 5,
  failurePolicy: "Fail",
});

const configMap = (name: string, hookName: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { hook: hookName } } });

beforeAll(async () => {
  hookDir = mkdtempSync(join(tmpdir(), "kas-svc-hook-"));
  const certs = ensureCerts(hookDir, "hook.rec.svc");
  hook = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      paths.push(req.url ?? "");
      const uid = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request: { uid: string } }).request.uid;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: false, status: { message: "denied by the Service", code: 403 } } }));
    });
  });
  await new Promise<void>(r => hook.listen(0, "127.0.0.1", () => r()));
  const port = (hook.address() as AddressInfo).port;
  // Both Services resolve to the one server; only `hook` is the name its certificate carries.
  srv = await startTestServer({ resolveService: (namespace, name, p) => (namespace === "rec" && ["hook", "other"].includes(name) && p === 443 ? { host: "127.0.0.1", port } : undefined) });
  await srv.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "rec" } });
  const ca = Buffer.from(certs.caPem).toString("base64");
  const created = await srv.call("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "rec-service" },
    webhooks: [
      webhook("resolved.rec.example.com", { name: "hook", namespace: "rec", path: "/validate/secret", port: 443 }, ca),
      webhook("wrong-name.rec.example.com", { name: "other", namespace: "rec", path: "/validate/secret" }, ca),
      webhook("unresolved.rec.example.com", { name: "missing", namespace: "rec", path: "/validate/secret" }, ca),
    ],
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await srv.close();
  await new Promise<void>(r => hook.close(() => r()));
  rmSync(hookDir, { recursive: true, force: true });
});

describe("webhooks behind a Service", () => {
  it("are called where the resolver says, with the registration's path and timeout", async () => {
    paths.length = 0;
    const r = await srv.call("POST", "/api/v1/namespaces/rec/configmaps", configMap("a", "resolved.rec.example.com"));
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('admission webhook "resolved.rec.example.com" denied the request: denied by the Service');
    expect(paths).toEqual(["/validate/secret?timeout=5s"]);
  });

  it("refuse a certificate that is not valid for <name>.<namespace>.svc, naming the Service's URL", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/configmaps", configMap("b", "wrong-name.rec.example.com"));
    expect(r.status).toBe(500);
    expect(r.json.message).toBe(
      'Internal error occurred: failed calling webhook "wrong-name.rec.example.com": failed to call webhook: Post "https://other.rec.svc:443/validate/secret?timeout=5s": ' +
        "x509: certificate is valid for localhost, kubernetes, kubernetes.default.svc, hook.rec.svc, not other.rec.svc",
    );
  });

  it("that nothing serves fail as before", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/configmaps", configMap("c", "unresolved.rec.example.com"));
    expect(r.status).toBe(500);
    expect(r.json.message).toBe(
      'Internal error occurred: failed calling webhook "unresolved.rec.example.com": failed to call webhook: Post "https://missing.rec.svc:443/validate/secret?timeout=5s": service "missing" not reachable from the test apiserver',
    );
  });
});
