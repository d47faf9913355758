/**
 * Composition root of the Pepr module: it only wires capabilities together. Each capability's
 * index.ts holds its table of bindings; the logic lives in the pure cores beside them.
 */
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Webhooks } from "./capabilities/admission";
import { ControllerCapability } from "./capabilities/controller/index";
import { boundHeapGrowth } from "./controller/heap-growth";
import { startController } from "./controller/main";
import { installOnStartup, isInClusterWatcher } from "./deploy";
import { KfcControllerPort } from "./kube/kfc-controller-port";
import { loadBalancerClass, lodestoneNamespace } from "./kube/settings";
import { serveMetrics } from "./observability/server";
import { secureMetricsFromEnv } from "./observability/secure-settings";
import { KfcApi } from "./kube/kfc-api";
import { withListenHost } from "./kube/listen-host";
import { logger } from "./observability/log";

export const capabilities = [Webhooks, ControllerCapability];

const mode = process.env.PEPR_MODE;
// Admission and watcher pods alike: V8 collects before garbage doubles the heap (controller/heap-growth.ts).
if (mode !== "build") boundHeapGrowth();
const module = new PeprModule(cfg, capabilities, { deferStart: true });
// `pepr build` loads this file only to read the bindings (PEPR_MODE=build): nothing may start then.
// LODESTONE_WEBHOOK_HOST / LODESTONE_METRICS_HOST: listen on that address only (unset: every interface).
if (mode !== "build") withListenHost(process.env.LODESTONE_WEBHOOK_HOST || undefined, () => module.start(Number(process.env.LODESTONE_WEBHOOK_PORT ?? 3000)));

// The allocator runs where Pepr runs its watchers: the single watcher Deployment in a cluster, or the
// one process of an out-of-cluster run. It watches with kubernetes-fluent-client directly, not
// through Pepr's When(), which never sees kube-system.
function runController(): void {
  const log = logger("controller");
  const lbClass = loadBalancerClass();
  startController({
    namespace: lodestoneNamespace(),
    ...(lbClass ? { lbClass } : {}),
    port: new KfcControllerPort({ log: logger("watch") }),
    log,
  })
    // Pepr's own /metrics serves a registry of its own; MetalLB's names live on their own port.
    .then(controller =>
      serveMetrics(
        controller.registry,
        Number(process.env.LODESTONE_METRICS_PORT ?? 7472),
        process.env.LODESTONE_METRICS_HOST || undefined,
        secureMetricsFromEnv(process.env, () => new KfcApi().request),
      ),
    )
    .then(metrics => log.info(`metrics at ${process.env.LODESTONE_METRICS_HOST ?? ""}:${metrics.port()}/metrics`))
    .catch((err: unknown) => {
      log.fatal({ err }, "cannot start");
      process.exit(1);
    });
}

if (process.env.PEPR_WATCH_MODE === "true" || mode === "dev") {
  // In a cluster the watcher first applies the CRDs, the speaker DaemonSet and the webhook split
  // (deploy); out of cluster, hack/local-controller has done the equivalent.
  if (isInClusterWatcher()) void installOnStartup(runController);
  else runController();
}
