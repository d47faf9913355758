/**
 * Composition root of the Pepr module. `pepr build` loads it with PEPR_MODE=build only to read the
 * capabilities (capabilities/pepr-build.ts, the one place Pepr is loaded). Everywhere else this is
 * the module process Pepr's controller image forks (docs/adr/0015): it serves the admission table
 * (capabilities/admission) itself and runs the allocator, on our code and Node alone.
 *
 * | process                               | env                                 | runs                                   |
 * |---------------------------------------|-------------------------------------|----------------------------------------|
 * | admission pods (two)                  | PEPR_WATCH_MODE=false               | webhooks, /healthz                     |
 * | watcher pod (one)                     | PEPR_WATCH_MODE=true                | install (deploy/), allocator, /healthz |
 * | out of cluster (hack/local-controller)| PEPR_MODE=dev                       | webhooks, allocator, /healthz          |
 */
import { readFileSync } from "node:fs";
import cfg from "./package.json";
import { boundHeapGrowth } from "./controller/heap-growth";
import { startController } from "./controller/main";
import { serveAdmission, type AdmissionServer } from "./controller/admission-server";
import { answerMutate, answerValidate } from "./core/admission/review";
import { ADMISSION_BINDINGS, type AdmissionContext } from "./capabilities/admission/index";
import { installOnStartup, isInClusterWatcher } from "./deploy";
import { RestControllerPort } from "./kube/rest-controller-port";
import { loadBalancerClass, lodestoneNamespace } from "./kube/settings";
import { serveMetrics } from "./observability/server";
import { secureMetricsFromEnv } from "./observability/secure-settings";
import { logger } from "./observability/log";

const env = process.env;
const mode = env.PEPR_MODE;
const servesAdmission = env.PEPR_WATCH_MODE !== "true" || mode === "dev";
const runsController = env.PEPR_WATCH_MODE === "true" || mode === "dev";

/** The secret path segment of the webhook URLs: PEPR_API_PATH, else the file Pepr's admission Deployment mounts. */
const apiPath = (): string => {
  const path = env.PEPR_API_PATH || readFileSync("/app/api-path/value", "utf8").trim();
  if (!path) throw new Error("no API path: PEPR_API_PATH is empty and /app/api-path/value holds nothing");
  return path;
};

function startModuleProcess(): void {
  const log = logger("controller");
  // V8 collects before garbage doubles the heap (controller/heap-growth.ts).
  boundHeapGrowth();
  const lbClass = loadBalancerClass();
  const port = new RestControllerPort({ log: logger("watch") });
  const context: AdmissionContext = { api: port.request, lodestoneNamespace: lodestoneNamespace(), ...(lbClass ? { loadBalancerClass: lbClass } : {}) };
  const servers: { close(): Promise<void> }[] = [];

  // LODESTONE_WEBHOOK_HOST / LODESTONE_METRICS_HOST: listen on that address only (unset: every interface).
  serveAdmission({
    port: Number(env.LODESTONE_WEBHOOK_PORT ?? 3000),
    ...(env.LODESTONE_WEBHOOK_HOST ? { host: env.LODESTONE_WEBHOOK_HOST } : {}),
    tls: { key: readFileSync(env.SSL_KEY_PATH || "/etc/certs/tls.key"), cert: readFileSync(env.SSL_CERT_PATH || "/etc/certs/tls.crt") },
    ...(servesAdmission ? { apiPath: apiPath() } : {}),
    answer: (webhook, request) => (webhook === "mutate" ? answerMutate(ADMISSION_BINDINGS, request) : answerValidate(ADMISSION_BINDINGS, request, context)),
    log: logger("admission"),
  })
    .then((server: AdmissionServer) => {
      servers.push(server);
      log.info(`${servesAdmission ? "webhooks and " : ""}/healthz at ${env.LODESTONE_WEBHOOK_HOST ?? ""}:${server.port()}`);
    })
    .catch((err: unknown) => {
      log.fatal({ err }, "cannot serve the webhooks");
      process.exit(1);
    });

  // The allocator runs in the single watcher Deployment of a cluster, or the one process of an out-of-cluster run.
  const runController = (): void => {
    startController({ namespace: lodestoneNamespace(), ...(lbClass ? { lbClass } : {}), port, log })
      .then(controller =>
        serveMetrics(
          controller.registry,
          Number(env.LODESTONE_METRICS_PORT ?? 7472),
          env.LODESTONE_METRICS_HOST || undefined,
          secureMetricsFromEnv(env, () => port.request),
        ),
      )
      .then(metrics => {
        servers.push(metrics);
        log.info(`metrics at ${env.LODESTONE_METRICS_HOST ?? ""}:${metrics.port()}/metrics`);
      })
      .catch((err: unknown) => {
        log.fatal({ err }, "cannot start");
        process.exit(1);
      });
  };
  if (runsController) {
    // In a cluster the watcher first applies the CRDs, the speaker DaemonSet and the webhook split
    // (deploy); out of cluster, hack/local-controller has done the equivalent.
    if (isInClusterWatcher()) void installOnStartup(port.request, runController);
    else runController();
  }

  // The kubelet stops a pod with SIGTERM: stop taking connections, then exit as Pepr's runtime did (143).
  process.once("SIGTERM", () => {
    log.info("SIGTERM: closing the servers");
    void Promise.all(servers.map(s => s.close())).finally(() => process.exit(143));
    setTimeout(() => process.exit(143), 5000).unref();
  });
}

if (mode === "build") {
  // Loaded only here, so that the module process never loads Pepr: esbuild keeps a require in a branch
  // lazy (the file's code runs when the branch does). A require and not import(): Pepr's build and the
  // specs' stand-in (test/deploy/pepr-build.ts) load this file as CommonJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./capabilities/pepr-build") as typeof import("./capabilities/pepr-build")).declareToPeprBuild(cfg);
} else {
  startModuleProcess();
}
