/**
 * One manifest with everything an install makes (`lodestone manifests > lodestone.yaml`, for GitOps):
 * Pepr's module objects as `npx pepr@1.1.4 build` writes them (dist/pepr-module-lodestone.yaml), then
 * what the controller's watcher and the installer would apply (install.ts installPlan: namespace, CRDs,
 * speaker identity and DaemonSet; prerequisites.ts: the controller's Secret Role and the speakers'
 * Secret Role). Not the heartbeat Secret: its random key is made in the cluster, once, by the watcher.
 *
 * The speaker image, load-balancer class and partition policy are also set on the watcher's
 * container (LODESTONE_SPEAKER_IMAGE, ...), so the watcher, which re-applies the DaemonSet at every
 * start, applies the same one as this manifest.
 */
import type { PartitionPolicy } from "../core/election/liveness";
import type { Manifest } from "./deploy-port";
import { installPlan } from "./install";
import { PEPR_MODULE_NAME } from "./names";
import { secretsAccess } from "./prerequisites";
import { DEFAULT_SPEAKER_POD, SPEAKER_POD_ENV, sortedJson, type SpeakerPodSettings } from "./speaker-pod-settings";

export interface ManifestOptions extends SpeakerPodSettings {
  namespace: string;
  image: string;
  lbClass?: string;
  partitionPolicy?: PartitionPolicy;
  /** A kubernetes.io/tls Secret in the namespace: the speakers serve secure metrics with it (docs/metrics.md). */
  metricsTLSSecret?: string;
}

type Env = { name: string; value?: string }[];

/**
 * The controller's settings, in the order they are put into its containers' env (charts/lodestone does the
 * same). A speaker pod setting equal to its default is left out (the watcher uses the default when unset),
 * and written with sorted keys, as the chart's toJson writes it.
 */
export function controllerSettings(opts: ManifestOptions): Record<string, string | undefined> {
  const json = <K extends keyof SpeakerPodSettings>(field: K) => {
    const v = opts[field];
    return v === undefined || sortedJson(v) === sortedJson(DEFAULT_SPEAKER_POD[field]) ? undefined : sortedJson(v);
  };
  return {
    LODESTONE_NAMESPACE: opts.namespace,
    LODESTONE_SPEAKER_IMAGE: opts.image,
    LODESTONE_LB_CLASS: opts.lbClass,
    LODESTONE_PARTITION_POLICY: opts.partitionPolicy,
    [SPEAKER_POD_ENV.nodeSelector]: json("nodeSelector"),
    [SPEAKER_POD_ENV.tolerations]: json("tolerations"),
    [SPEAKER_POD_ENV.resources]: json("resources"),
    LODESTONE_SPEAKER_METRICS_TLS_SECRET: opts.metricsTLSSecret || undefined,
  };
}

/** The controller's Deployments with the settings in their containers' env (a copy; other objects as they are). */
export function withControllerEnv(m: Manifest, opts: ManifestOptions): Manifest {
  if (m.kind !== "Deployment" || ![PEPR_MODULE_NAME, `${PEPR_MODULE_NAME}-watcher`].includes(m.metadata.name)) return m;
  const copy = structuredClone(m) as Manifest & { spec?: { template?: { spec?: { containers?: { env?: Env }[] } } } };
  const settings = controllerSettings(opts);
  for (const c of copy.spec?.template?.spec?.containers ?? []) {
    const env = (c.env ?? []).filter(e => !(e.name in settings));
    for (const [name, value] of Object.entries(settings)) if (value !== undefined) env.push({ name, value });
    c.env = env;
  }
  return copy;
}

export function installManifests(peprObjects: Manifest[], opts: ManifestOptions): Manifest[] {
  const plan = installPlan(opts);
  return [
    ...peprObjects.map(m => withControllerEnv(m, opts)),
    plan.namespace,
    ...plan.crds,
    ...secretsAccess(opts.namespace),
    ...plan.speaker,
  ];
}
