/**
 * Admission webhooks end to end (recordings/08-admission.md): a local HTTPS webhook (its own CA, checked through
 * caBundle) that mutates with a JSONPatch and allows, denies or warns according to an annotation.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCerts } from "./certs";
import { startTestServer, type TestServer } from "./testkit";

interface Review {
  request: { uid: string; operation: string; object: { metadata: { annotations?: Record<string, string> } } | null; oldObject: unknown; dryRun: boolean; options: { kind: string } };
}

let srv: TestServer;
let hook: Server;
let hookDir: string;
const received: { path: string; review: Review }[] = [];

function answer(path: string, review: Review): Record<string, unknown> {
  const uid = review.request.uid;
  if (path.startsWith("/mutate")) {
    const patch = Buffer.from(JSON.stringify([{ op: "add", path: "/metadata/labels/lodestone.dev~1mutated", value: "true" }])).toString("base64");
    return { uid, allowed: true, patchType: "JSONPatch", patch };
  }
  const mode = review.request.object?.metadata.annotations?.["rec.example.com/validate"] ?? "allow";
  switch (mode) {
    case "deny":
      return { uid, allowed: false, status: { message: 'pool "nope" does not exist (denied by rec webhook)', code: 422 } };
    case "deny-nocode":
      return { uid, allowed: false, status: { message: "denied without a code" } };
    case "deny-bare":
      return { uid, allowed: false };
    case "warn":
      return { uid, allowed: true, warnings: ["spec.loadBalancerIP is deprecated; use the metallb.io/loadBalancerIPs annotation", 'second warning with "quotes"'] };
    case "bad-uid":
      return { uid: "00000000-0000-0000-0000-000000000000", allowed: true };
    default:
      return { uid, allowed: true };
  }
}

const webhook = (name: string, url: string, caBundle: string, extra: Record<string, unknown> = {}) => ({
  name,
  clientConfig: { url, caBundle },
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["services"], scope: "Namespaced" }],
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rec" } },
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
  timeoutSeconds: 5,
  failurePolicy: "Fail",
  ...extra,
});

const service = (name: string, validate: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, annotations: { "rec.example.com/validate": validate }, labels },
  spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
});

describe("admission webhooks", () => {
  beforeAll(async () => {
    hookDir = mkdtempSync(join(tmpdir(), "kas-hook-"));
    const certs = ensureCerts(hookDir, "127.0.0.1");
    hook = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Review;
        received.push({ path: req.url ?? "", review });
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: answer(req.url ?? "", review) }));
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    const port = (hook.address() as AddressInfo).port;
    const ca = Buffer.from(certs.caPem).toString("base64");
    srv = await startTestServer();
    await srv.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "rec" } });
    const mut = await srv.call("POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "rec-mutating" },
      webhooks: [webhook("services.mutate.rec.example.com", `https://127.0.0.1:${port}/mutate`, ca)],
    });
    expect(mut.json).toMatchObject({ webhooks: [{ matchPolicy: "Equivalent", objectSelector: {}, reinvocationPolicy: "Never" }] });
    await srv.call("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "rec-validating" },
      webhooks: [
        webhook("services.validate.rec.example.com", `https://127.0.0.1:${port}/validate`, ca, { objectSelector: { matchExpressions: [{ key: "rec.example.com/down-test", operator: "DoesNotExist" }] } }),
        webhook("down.rec.example.com", "https://127.0.0.1:1/validate", ca, { objectSelector: { matchLabels: { "rec.example.com/down-test": "true" } } }),
        webhook("down-ignored.rec.example.com", "https://127.0.0.1:1/validate", ca, { failurePolicy: "Ignore", objectSelector: { matchLabels: { "rec.example.com/down-test": "ignore" } } }),
      ],
    });
  });
  afterAll(async () => {
    await srv.close();
    await new Promise<void>((r) => hook.close(() => r()));
    rmSync(hookDir, { recursive: true, force: true });
  });

  it("§2a CREATE: mutating first (JSONPatch applied), then validating sees the mutated object", async () => {
    received.length = 0;
    const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service("wh-allow", "allow"));
    expect(r.status).toBe(201);
    expect((r.json.metadata as { labels: Record<string, string> }).labels).toEqual({ "lodestone.dev/mutated": "true" });
    expect(received.map((x) => [x.path, x.review.request.operation, x.review.request.options.kind])).toEqual([
      ["/mutate?timeout=5s", "CREATE", "CreateOptions"],
      ["/validate?timeout=5s", "CREATE", "CreateOptions"],
    ]);
    expect(received[0]?.review.request.uid).not.toBe(received[1]?.review.request.uid);
    expect(received[1]?.review.request.object?.metadata).toMatchObject({ labels: { "lodestone.dev/mutated": "true" } });
  });

  it("§3b a /status write does not match resources: [services]", async () => {
    received.length = 0;
    const r = await srv.call("PATCH", "/api/v1/namespaces/rec/services/wh-allow/status", { status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } } }, { "Content-Type": "application/merge-patch+json" });
    expect(r.status).toBe(200);
    expect(received).toEqual([]);
  });

  it("§4a DELETE reviews carry oldObject and no object", async () => {
    received.length = 0;
    expect((await srv.call("DELETE", "/api/v1/namespaces/rec/services/wh-allow")).status).toBe(200);
    expect(received.map((x) => [x.review.request.operation, x.review.request.object === null, x.review.request.oldObject !== null])).toEqual([
      ["DELETE", true, true],
      ["DELETE", true, true],
    ]);
  });

  const denials: [string, string, number, Record<string, unknown>][] = [
    ["§5a deny with code 422", "deny", 422, { message: 'admission webhook "services.validate.rec.example.com" denied the request: pool "nope" does not exist (denied by rec webhook)', code: 422 }],
    ["§5b deny without a code is 400", "deny-nocode", 400, { message: 'admission webhook "services.validate.rec.example.com" denied the request: denied without a code', code: 400 }],
    ["§5c deny without status", "deny-bare", 400, { message: 'admission webhook "services.validate.rec.example.com" denied the request without explanation', code: 400 }],
  ];
  for (const [name, mode, status, body] of denials) {
    it(name, async () => {
      const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service(`wh-${mode}`, mode));
      expect(r.status).toBe(status);
      expect(r.json).toMatchObject(body);
      expect(r.json.reason).toBeUndefined();
    });
  }

  it("§6a warnings become Warning headers in order", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service("wh-warn", "warn"));
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBe(
      '299 - "spec.loadBalancerIP is deprecated; use the metallb.io/loadBalancerIPs annotation", 299 - "second warning with \\"quotes\\""',
    );
  });

  it("§9-uid-mismatch is a 500 InternalError", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service("wh-bad-uid", "bad-uid"));
    expect(r.status).toBe(500);
    expect(String(r.json.message)).toMatch(/^Internal error occurred: failed calling webhook "services\.validate\.rec\.example\.com": received invalid webhook response: expected response\.uid="[0-9a-f-]{36}", got "00000000-0000-0000-0000-000000000000"$/);
    expect(r.json.reason).toBe("InternalError");
  });

  it("§10a unreachable webhook with failurePolicy Fail", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service("wh-down", "allow", { "rec.example.com/down-test": "true" }));
    expect(r.status).toBe(500);
    expect(r.json.message).toBe('Internal error occurred: failed calling webhook "down.rec.example.com": failed to call webhook: Post "https://127.0.0.1:1/validate?timeout=5s": dial tcp 127.0.0.1:1: connect: connection refused');
  });

  it("§10c unreachable webhook with failurePolicy Ignore is invisible", async () => {
    const r = await srv.call("POST", "/api/v1/namespaces/rec/services", service("wh-down-ignored", "allow", { "rec.example.com/down-test": "ignore" }));
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBeUndefined();
  });

  it("namespaceSelector: other namespaces are not sent to the webhook", async () => {
    received.length = 0;
    expect((await srv.call("POST", "/api/v1/namespaces/default/services", service("elsewhere", "deny"))).status).toBe(201);
    expect(received).toEqual([]);
  });
});
