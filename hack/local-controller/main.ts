/**
 * Runs Lodestone's controller (the Pepr module: webhooks and watchers) on this machine against the
 * cluster named by KUBECONFIG. Webhooks are registered by URL with their CA, so the API server
 * calls this process just as it would call the in-cluster Deployment.
 *
 *   KUBECONFIG=... npm run controller -- [--port 3443] [--state .lab/controller] [--host 127.0.0.1] [--metrics-port 0]
 */
import { randomBytes } from "node:crypto";
import { request } from "node:https";
import { parseArgs } from "node:util";
import { ensureServingCert } from "./tls";
import { bootstrapCluster, registerWebhooks } from "./bootstrap";
import { lodestoneNamespace } from "../../kube/settings";
import cfg from "../../package.json";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3443" },
    state: { type: "string", default: ".lab/controller" },
    host: { type: "string", default: "127.0.0.1" },
    // 0: any free port (printed), so that several local runs never collide.
    "metrics-port": { type: "string", default: "0" },
  },
});

/** Whether the webhook server answers GET /healthz with 200 (checked against our own CA). */
function healthy(host: string, port: number, ca: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({ host, port, path: "/healthz", ca, timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * The webhooks are registered only once the module process answers /healthz: a webhook registered
 * before its server listens fails every metallb.io object (failurePolicy Fail). In a cluster the pod's
 * readiness probe on /healthz keeps the Service's endpoints empty meanwhile.
 */
async function untilServing(host: string, port: number, ca: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await healthy(host, port, ca))) {
    if (Date.now() > deadline) throw new Error(`the webhook server on ${host}:${port} did not answer /healthz within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 100));
  }
}

async function run(): Promise<void> {
  if (!process.env.KUBECONFIG) {
    console.error("lodestone controller: set KUBECONFIG to the cluster to run against");
    process.exit(2);
  }
  const port = Number(values.port);
  const cert = ensureServingCert(values.state!, values.host);
  const apiPath = randomBytes(16).toString("hex");

  Object.assign(process.env, {
    // The module's env, which `pepr build` puts into both Deployments (package.json pepr.env), before Pepr reads it.
    ...cfg.pepr.env,
    SSL_KEY_PATH: cert.keyPath,
    SSL_CERT_PATH: cert.certPath,
    PEPR_API_PATH: apiPath,
    // "dev" runs admission and the watchers in one process, as `pepr dev` does.
    PEPR_MODE: "dev",
    LODESTONE_WEBHOOK_PORT: String(port),
    LODESTONE_METRICS_PORT: values["metrics-port"],
    // --host is where the API server reaches the webhooks: listen there only, metrics too.
    LODESTONE_WEBHOOK_HOST: values.host,
    LODESTONE_METRICS_HOST: values.host,
  });

  await bootstrapCluster(lodestoneNamespace());
  await import("../../pepr");
  await untilServing(values.host!, port, cert.caPem);
  await registerWebhooks("lodestone", {
    baseUrl: `https://${values.host}:${port}`,
    apiPath,
    caBundle: Buffer.from(cert.caPem).toString("base64"),
  });
  console.log(`lodestone controller: webhooks at https://${values.host}:${port}, namespace ${lodestoneNamespace()}`);
}

run().catch(err => {
  console.error(`lodestone controller: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
