/**
 * Runs Lodestone's controller (the Pepr module: webhooks and watchers) on this machine against the
 * cluster named by KUBECONFIG. Webhooks are registered by URL with their CA, so the API server
 * calls this process just as it would call the in-cluster Deployment.
 *
 *   KUBECONFIG=... npm run controller -- [--port 3443] [--state .lab/controller] [--host 127.0.0.1] [--metrics-port 0]
 */
import { randomBytes } from "node:crypto";
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
