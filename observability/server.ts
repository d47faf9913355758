/**
 * Serves a prom-client registry at /metrics, for Prometheus to scrape (the controller and the
 * speaker each have one). Port 0 picks a free port; `port()` says which.
 *
 * Plain HTTP by default. With `secure` it is HTTPS, and every request to /metrics must carry a
 * bearer token the authorizer accepts (delegated-auth.ts: TokenReview + SubjectAccessReview, as
 * kube-rbac-proxy does): 401 without a valid token, 403 when its user may not `get /metrics`.
 * `/healthz` answers `ok` to anyone (it says nothing), so probes work in both modes. Given a readiness
 * check, `/readyz` answers anyone too, for the kubelet's readiness probe: 200 `ok`, or 503 with the reason.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { MetricsAuthorizer } from "./delegated-auth";

export interface MetricsServer {
  port(): number;
  close(): Promise<void>;
}

export interface SecureMetrics {
  /** PEM serving certificate and key. */
  cert: string | Buffer;
  key: string | Buffer;
  authorizer: MetricsAuthorizer;
}

export type ReadinessCheck = () => { ready: boolean; reason: string };

export function serveMetrics(registry: Registry, port: number, host?: string, secure?: SecureMetrics, readiness?: ReadinessCheck): Promise<MetricsServer> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/readyz" && readiness) {
      const r = readiness();
      res.writeHead(r.ready ? 200 : 503, { "Content-Type": "text/plain; charset=utf-8" }).end(r.ready ? "ok\n" : `${r.reason}\n`);
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    const serve = (): void => {
      registry.metrics().then(
        text => res.writeHead(200, { "Content-Type": registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    };
    if (!secure) return serve();
    secure.authorizer.check(req.headers.authorization).then(
      decision => (decision.allowed ? serve() : res.writeHead(decision.status, { "Content-Type": "text/plain" }).end(`${decision.message}\n`)),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  };
  const server: Server = secure ? createHttpsServer({ cert: secure.cert, key: secure.key }, handle) : createHttpServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: () => (server.address() as AddressInfo).port,
        close: () => new Promise<void>(done => server.close(() => done())),
      });
    });
  });
}
