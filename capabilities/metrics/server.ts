/**
 * Serves a prom-client registry at /metrics over plain HTTP, for Prometheus to scrape (the
 * controller and the speaker each have one). Port 0 picks a free port; `port()` says which.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface MetricsServer {
  port(): number;
  close(): Promise<void>;
}

export function serveMetrics(registry: Registry, port: number, host?: string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      text => res.writeHead(200, { "Content-Type": registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
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
