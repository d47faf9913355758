/**
 * The module process's HTTPS server, over TLS with a CA of its own, as kube-apiserver calls it: the
 * path `/validate/<api path>?timeout=10s` and an AdmissionReview body
 * (hack/kube-apiserver/recordings/08-admission.md).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureServingCert } from "../hack/local-controller/tls";
import { logger } from "../observability/log";
import type { AdmissionRequest, AdmissionReviewResponse, WebhookKind } from "../core/admission/review";
import { MAX_REVIEW_BYTES, serveAdmission, type AdmissionServer } from "./admission-server";

const dir = mkdtempSync(join(tmpdir(), "lodestone-admission-server-"));
const cert = ensureServingCert(dir);
const tls = { cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) };
const API_PATH = "0123456789abcdef";
const log = logger("admission-spec").child({}, { level: "silent" });
const seen: [WebhookKind, AdmissionRequest][] = [];

function answer(webhook: WebhookKind, req: AdmissionRequest): AdmissionReviewResponse {
  seen.push([webhook, req]);
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: req.uid, allowed: webhook === "mutate", status: { code: 422, message: `refused ${req.name}` } } };
}

let admission: AdmissionServer;
let watcher: AdmissionServer;

function call(server: AdmissionServer, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port(), method, path, ca: cert.caPem, headers: body === undefined ? {} : { "Content-Type": "application/json" } }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const review = (name: string) =>
  JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "ffd64080-5158-4348-b831-33b9914f7c60", kind: { group: "metallb.io", version: "v1beta1", kind: "IPAddressPool" }, operation: "CREATE", name, namespace: "metallb-system", object: {} },
  });

beforeAll(async () => {
  admission = await serveAdmission({ port: 0, host: "127.0.0.1", tls, apiPath: API_PATH, answer, log });
  watcher = await serveAdmission({ port: 0, host: "127.0.0.1", tls, answer, log });
});

afterAll(async () => {
  await admission.close();
  await watcher.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the admission server", () => {
  it("answers the probes on /healthz, in the admission pods and the watcher", async () => {
    expect(await call(admission, "GET", "/healthz")).toEqual({ status: 200, text: "OK" });
    expect(await call(watcher, "GET", "/healthz")).toEqual({ status: 200, text: "OK" });
  });

  it("answers an AdmissionReview at /<webhook>/<api path> with kube-apiserver's ?timeout, as the handler says", async () => {
    seen.length = 0;
    const validated = await call(admission, "POST", `/validate/${API_PATH}?timeout=10s`, review("pool-a"));
    expect(validated.status).toBe(200);
    expect(JSON.parse(validated.text)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "ffd64080-5158-4348-b831-33b9914f7c60", allowed: false, status: { code: 422, message: "refused pool-a" } },
    });
    expect((await call(admission, "POST", `/mutate/${API_PATH}`, review("pool-b"))).status).toBe(200);
    expect(seen.map(([w, r]) => `${w} ${r.operation} ${r.kind.kind} ${r.namespace}/${r.name}`)).toEqual([
      "validate CREATE IPAddressPool metallb-system/pool-a",
      "mutate CREATE IPAddressPool metallb-system/pool-b",
    ]);
  });

  it("refuses any other api path with 401, and names it in printable characters only", async () => {
    expect(await call(admission, "POST", "/validate/guess%0aed?timeout=10s", review("x"))).toEqual({ status: 401, text: "Unauthorized: invalid path 'guess_0aed'" });
  });

  it("serves no admission route in the watcher, and nothing else anywhere", async () => {
    expect(await call(watcher, "POST", `/validate/${API_PATH}`, review("x"))).toEqual({ status: 404, text: "not found" });
    expect(await call(admission, "GET", `/validate/${API_PATH}`)).toEqual({ status: 404, text: "not found" });
    expect(await call(admission, "GET", "/metrics")).toEqual({ status: 404, text: "not found" });
  });

  it("answers 400 naming the problem for a body that is not an AdmissionReview, and stays up", async () => {
    seen.length = 0;
    expect(await call(admission, "POST", `/validate/${API_PATH}`, "{not json")).toMatchObject({ status: 400, text: expect.stringMatching(/^not an AdmissionReview: /) });
    expect(await call(admission, "POST", `/validate/${API_PATH}`, JSON.stringify({ request: { uid: "u" } }))).toEqual({ status: 400, text: "not an AdmissionReview: request.kind is missing" });
    expect(seen).toEqual([]);
    expect((await call(admission, "GET", "/healthz")).status).toBe(200);
  });

  it("refuses a body over the limit with 413 before reading it", async () => {
    const big = `{"pad":"${"x".repeat(MAX_REVIEW_BYTES)}"}`;
    expect(await call(admission, "POST", `/validate/${API_PATH}`, big)).toEqual({ status: 413, text: `an AdmissionReview of ${Buffer.byteLength(big)} bytes is over ${MAX_REVIEW_BYTES}` });
  });
});
