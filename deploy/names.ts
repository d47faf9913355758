/**
 * Names of everything the start-up routine puts in the cluster, in one place: the RBAC rules restrict
 * the controller to exactly these names (resourceNames), so a name changed here must change there,
 * and deploy/rbac.spec.ts checks that the two agree.
 */
import pkg from "../package.json";
import { DEFAULT_NAMESPACE } from "../kube/settings";

/** Server-side apply field manager of every object the start-up routine owns. */
export const FIELD_MANAGER = "lodestone";

/** The Pepr module's name: `pepr-<uuid>` names its Deployments, ServiceAccount and webhook configurations. */
export const PEPR_MODULE_NAME = `pepr-${pkg.pepr.uuid}`;

/**
 * The speaker's DaemonSet, ServiceAccount, roles and bindings share one name. It differs from
 * MetalLB's `speaker` on purpose: during a migration both may exist for a moment, and applying ours
 * over MetalLB's DaemonSet would fail on its immutable selector.
 */
export const SPEAKER_NAME = "lodestone-speaker";

/**
 * Role (in the Lodestone namespace) that lets the controller apply the speaker's DaemonSet,
 * ServiceAccount, Role and RoleBinding there and nowhere else; created by the installer, see rbac.ts.
 */
export const CONTROLLER_ROLE = "lodestone-controller";

/** Role (in the Lodestone namespace) that lets the speaker read Secrets; created by the installer, see rbac.ts. */
export const SPEAKER_SECRETS_ROLE = "lodestone-speaker-secrets";


/**
 * Labels of the speaker's pods. The first two are the DaemonSet's (immutable) selector and what the
 * speakers list each other by for heartbeats (SPEAKER_POD_LABELS in kube/speaker-port.ts).
 */
export const SPEAKER_SELECTOR = { app: "lodestone", component: "speaker" } as const;

export const SPEAKER_LABELS = {
  ...SPEAKER_SELECTOR,
  "app.kubernetes.io/name": "lodestone",
  "app.kubernetes.io/component": "speaker",
  "app.kubernetes.io/version": pkg.version,
  "app.kubernetes.io/managed-by": FIELD_MANAGER,
} as const;

/** The speaker image when LODESTONE_SPEAKER_IMAGE is unset: this release's image. */
export const DEFAULT_SPEAKER_IMAGE = `ghcr.io/lodestone/speaker:${pkg.version}`;

export function speakerImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODESTONE_SPEAKER_IMAGE || DEFAULT_SPEAKER_IMAGE;
}

/** Ports the speaker listens on (hostNetwork: these are the node's ports). */
export const METRICS_PORT = 7472;
export { DEFAULT_HEARTBEAT_PORT as HEARTBEAT_PORT } from "../speaker/l2/heartbeat-udp";
export { HEARTBEAT_SECRET_NAME } from "../protocols/l2/heartbeat-keys";

export { DEFAULT_NAMESPACE };
