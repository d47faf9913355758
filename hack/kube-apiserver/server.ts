/**
 * A local Kubernetes-API-compatible HTTPS server for tests and the lab (a test harness, not a cluster).
 * startApiServer() generates a CA and serving certificate in `dir`, listens on 127.0.0.1, and writes a
 * kubeconfig (bearer token, CA in certificate-authority-data) that kubectl, kubernetes-fluent-client and
 * @kubernetes/client-node can use as is.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureCerts } from "./certs";
import type { UserInfo } from "./reviews";
import { Api } from "./api";
import type { ServiceResolver } from "./admission";

export interface ApiServerOptions {
  dir: string;
  port?: number;
  host?: string;
  /** Interval of watch BOOKMARKs (the real server's is about 60 s); tests shorten it. */
  bookmarkIntervalMs?: number;
  /** Watch events kept per resource before older resourceVersions expire (410); default 5000. */
  watchHistoryLimit?: number;
  /** Where webhooks registered by `clientConfig.service` are served (admission.ts); none by default. */
  resolveService?: ServiceResolver;
  /**
   * Serve status.loadBalancer.ingress[].ipMode as Kubernetes 1.30+ does (LoadBalancerIPMode on: in the
   * OpenAPI schema, defaulted to VIP, validated) and say v1.30.0 at /version. Default: the recorded
   * v1.26, which does not know the field and drops it as unknown.
   */
  loadBalancerIPMode?: boolean;
  /** Called with each request's method and URL as it arrives (tests assert which requests a client sends). */
  onRequest?: (method: string, url: string) => void;
}

export interface RunningApiServer {
  url: string;
  kubeconfig: string;
  caPem: string;
  token: string;
  /** TokenReview / SubjectAccessReview test users (reviews.ts): a token and what it may GET. */
  addUser(token: string, user: UserInfo): void;
  allowNonResource(username: string, verb: string, path: string): void;
  stop(): Promise<void>;
}

function kubeconfigYaml(url: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem, "utf8").toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: lodestone-test",
    "  cluster:",
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    "- name: lodestone-test-admin",
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: lodestone-test",
    "  context:",
    "    cluster: lodestone-test",
    "    user: lodestone-test-admin",
    "    namespace: default",
    "current-context: lodestone-test",
    "",
  ].join("\n");
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const host = opts.host ?? "127.0.0.1";
  const certs = ensureCerts(dir, host);
  const tokenFile = join(dir, "token");
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString("hex"), { mode: 0o600 });
  const token = readFileSync(tokenFile, "utf8").trim();

  let api: Api | undefined;
  const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    opts.onRequest?.(req.method ?? "GET", req.url ?? "/");
    if (!api) {
      res.writeHead(503);
      res.end();
      return;
    }
    void api.handle(req, res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const url = `https://${hostPart}:${port}`;
  api = new Api({ token, serverAddress: `${hostPart}:${port}`, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, watchHistoryLimit: opts.watchHistoryLimit ?? 5000, ...(opts.resolveService ? { resolveService: opts.resolveService } : {}), loadBalancerIPMode: opts.loadBalancerIPMode ?? false });
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kubeconfigYaml(url, certs.caPem, token), { mode: 0o600 });

  return {
    url,
    kubeconfig,
    caPem: certs.caPem,
    token,
    addUser: (t, user) => api?.reviews.addUser(t, user),
    allowNonResource: (username, verb, path) => api?.reviews.allowNonResource(username, verb, path),
    stop: async () => {
      api?.closeWatches();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
