/**
 * Entry point for pepr.ts: in the watcher process (the single in-cluster Pepr pod that is not an
 * admission server), put the namespace, CRDs, speaker and webhook split in place, retrying until done.
 * The admission pods (two replicas) and out-of-cluster runs (hack/local-controller) do not.
 */
import { loadBalancerClass, lodestoneNamespace, partitionPolicySetting } from "../kube/settings";
import type { PartitionPolicy } from "../core/election/liveness";
import { installWithRetry, type InstallOptions } from "./install";
import { ApiDeployPort } from "./api-deploy-port";
import type { ApiRequest } from "../kube/api-request";
import { speakerImage } from "./names";
import { speakerPodSettings, type SpeakerPodSettings } from "./speaker-pod-settings";
import { logger, type Logger } from "../observability/log";

/** True in Pepr's watcher Deployment (`PEPR_WATCH_MODE=true`); false in admission pods and `PEPR_MODE=dev`. */
export function isInClusterWatcher(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PEPR_WATCH_MODE === "true" && env.PEPR_MODE !== "dev";
}

/**
 * Installs Lodestone's cluster objects; resolves once every step succeeded. `onCRDsEstablished` runs
 * once, as soon as the metallb.io kinds are served (start the allocator there).
 */
export function installOnStartup(api: ApiRequest, onCRDsEstablished?: () => void, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const log = logger("install");
  return installWithRetry(new ApiDeployPort(api), { ...installOptionsFromEnv(env, log), log, ...(onCRDsEstablished ? { onCRDsEstablished } : {}) });
}

/** What the watcher installs, from its env (the settings an installer put there, manifests.ts controllerSettings). */
export function installOptionsFromEnv(env: NodeJS.ProcessEnv, log: Logger): InstallOptions {
  return {
    namespace: lodestoneNamespace(env),
    image: speakerImage(env),
    ...(loadBalancerClass(env) ? { lbClass: loadBalancerClass(env) } : {}),
    ...speakerPartitionPolicy(env, log),
    ...speakerMetricsTLS(env),
    ...speakerPod(env, log),
  };
}

/**
 * LODESTONE_PARTITION_POLICY for the speaker DaemonSet. A value the speakers would refuse is not handed on
 * (every speaker would stop at start-up, and layer 2 with them): it is logged, and the speakers keep their default.
 */
export function speakerPartitionPolicy(env: NodeJS.ProcessEnv, log: Logger): { partitionPolicy?: PartitionPolicy } {
  const { policy, error } = partitionPolicySetting(env);
  if (error) log.warn(`${error}; the speakers keep their default (availability)`);
  return policy ? { partitionPolicy: policy } : {};
}

/** The speaker pods' nodeSelector, tolerations and resources; a refused one is logged, and its default kept. */
export function speakerPod(env: NodeJS.ProcessEnv, log: Logger): SpeakerPodSettings {
  const { errors, ...settings } = speakerPodSettings(env);
  for (const error of errors) log.warn(`${error}; the speakers keep their default`);
  return settings;
}

/** LODESTONE_SPEAKER_METRICS_TLS_SECRET: the speakers serve secure metrics with this Secret's certificate. */
export function speakerMetricsTLS(env: NodeJS.ProcessEnv): { metricsTLSSecret?: string } {
  return env.LODESTONE_SPEAKER_METRICS_TLS_SECRET ? { metricsTLSSecret: env.LODESTONE_SPEAKER_METRICS_TLS_SECRET } : {};
}

export { installPlan, install, installWithRetry } from "./install";
export { controllerRules, peprRbac, installerCommands } from "./rbac";
