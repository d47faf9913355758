/**
 * The HTTPS server of the module process (docs/adr/0015): kube-apiserver's AdmissionReviews, and the
 * kubelet's probes. It serves the routes and TLS that Pepr's Deployments and webhook registration
 * give the module (`pepr build`): `/mutate/<api path>` and `/validate/<api path>`, where the api path
 * is the secret Pepr puts in the webhook URLs (a request for any other path is refused with 401, as
 * Pepr's runtime did), and `/healthz` for the probes. The watcher pod, which serves no admission,
 * answers `/healthz` only.
 *
 * kube-apiserver appends `?timeout=10s` to the path (hack/kube-apiserver/recordings/08-admission.md).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { admissionRequestOf, type AdmissionRequest, type AdmissionReviewResponse, type WebhookKind } from "../core/admission/review";
import { responseText } from "../kube/response-text";
import type { Logger } from "../observability/log";

/** kube-apiserver sends objects of up to 1.5 MiB (etcd's limit) plus the old object on UPDATE. */
export const MAX_REVIEW_BYTES = 4 * 1024 * 1024;

export interface AdmissionServerOptions {
  port: number;
  /** Listen on this address only (default: every interface). */
  host?: string;
  /** PEM serving certificate and key (the TLS Secret of Pepr's Deployments). */
  tls: { cert: string | Buffer; key: string | Buffer };
  /** The secret path segment of the webhook URLs; absent: no admission routes (the watcher pod). */
  apiPath?: string;
  answer: (webhook: WebhookKind, request: AdmissionRequest) => Promise<AdmissionReviewResponse> | AdmissionReviewResponse;
  log: Logger;
}

export interface AdmissionServer {
  port(): number;
  close(): Promise<void>;
}

const TEXT = { "Content-Type": "text/plain; charset=utf-8" };

/** What to put in a log line or an error of a path a client chose: word characters only. */
const printable = (s: string): string => s.replace(/[^\w]/g, "_").slice(0, 100);

export function serveAdmission(opts: AdmissionServerOptions): Promise<AdmissionServer> {
  const { log } = opts;

  async function review(webhook: WebhookKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > MAX_REVIEW_BYTES) {
      // The body is read and dropped (a reset would cut this answer short); the connection closes after it.
      res.writeHead(413, { ...TEXT, Connection: "close" }).end(`an AdmissionReview of ${length} bytes is over ${MAX_REVIEW_BYTES}`);
      req.resume();
      return;
    }
    let body: unknown;
    try {
      const text = await responseText(req);
      if (Buffer.byteLength(text) > MAX_REVIEW_BYTES) throw new Error(`an AdmissionReview is over ${MAX_REVIEW_BYTES} bytes`);
      body = JSON.parse(text);
    } catch (e) {
      res.writeHead(400, TEXT).end(`not an AdmissionReview: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const request = admissionRequestOf(body);
    if (typeof request === "string") {
      res.writeHead(400, TEXT).end(`not an AdmissionReview: ${request}`);
      return;
    }
    const started = Date.now();
    const answer = await opts.answer(webhook, request);
    const { allowed, status, warnings, patch } = answer.response;
    log.info(
      { uid: request.uid, kind: request.kind.kind, namespace: request.namespace, name: request.name, operation: request.operation, webhook, allowed, ms: Date.now() - started },
      `${webhook} ${request.operation} ${request.kind.kind} ${request.namespace ? `${request.namespace}/` : ""}${request.name ?? ""}: ${allowed ? "allowed" : `refused: ${status?.message ?? ""}`}${warnings ? ` (${warnings.length} warnings)` : ""}${patch ? " (patched)" : ""}`,
    );
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path === "/healthz" && req.method === "GET") {
      res.writeHead(200, TEXT).end("OK");
      return;
    }
    const route = /^\/(mutate|validate)\/([^/]*)$/.exec(path);
    if (!route || opts.apiPath === undefined || req.method !== "POST") {
      res.writeHead(404, TEXT).end("not found");
      return;
    }
    if (route[2] !== opts.apiPath) {
      const message = `Unauthorized: invalid path '${printable(route[2]!)}'`;
      log.warn(message);
      res.writeHead(401, TEXT).end(message);
      return;
    }
    review(route[1] as WebhookKind, req, res).catch((e: unknown) => {
      log.error({ err: e }, "admission review failed");
      if (!res.headersSent) res.writeHead(500, TEXT).end("Internal Server Error");
    });
  };

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve({
        port: () => (server.address() as AddressInfo).port,
        close: () => new Promise(done => server.close(() => done())),
      });
    });
  });
}
