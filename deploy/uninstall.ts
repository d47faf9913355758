/**
 * What `npx lodestone uninstall` removes: what the installer and the controller made, and nothing of
 * the users'. The CRDs stay (deleting one deletes every object of its kind: the users' pools,
 * advertisements and peers), and so do the Lodestone namespace, the heartbeat Secret (MetalLB's may be
 * reused), the users' metallb.io objects and the Services, whose IPs nobody clears once the
 * controller is gone.
 *
 * The Pepr module's objects are the ones Pepr's own destroyModule lists
 * (node_modules/pepr/src/lib/assets/destroy.ts, its store Role's name corrected), but object by object: `pepr-system` is shared by
 * every Pepr module, and so is the PeprStore CRD. The webhook registrations go first, so that no
 * admission request is sent to a controller that is going away (they fail closed for metallb.io).
 */
import type { ManifestRef } from "./deploy-port";
import { CONTROLLER_ROLE, PEPR_MODULE_NAME, SPEAKER_NAME, SPEAKER_SECRETS_ROLE } from "./names";

export interface UninstallPort {
  /** Deletes the object; false when it did not exist. */
  delete(ref: ManifestRef): Promise<boolean>;
}

const PEPR_NAMESPACE = "pepr-system";
const RBAC = "rbac.authorization.k8s.io/v1";
const ADMISSION = "admissionregistration.k8s.io/v1";

export function uninstallRefs(namespace: string): ManifestRef[] {
  const m = PEPR_MODULE_NAME;
  const pepr = (apiVersion: string, kind: string, name: string): ManifestRef => ({ apiVersion, kind, name, namespace: PEPR_NAMESPACE });
  const ours = (apiVersion: string, kind: string, name: string): ManifestRef => ({ apiVersion, kind, name, namespace });
  return [
    { apiVersion: ADMISSION, kind: "MutatingWebhookConfiguration", name: m },
    { apiVersion: ADMISSION, kind: "ValidatingWebhookConfiguration", name: m },
    pepr("apps/v1", "Deployment", `${m}-watcher`),
    pepr("apps/v1", "Deployment", m),
    pepr("v1", "Service", `${m}-watcher`),
    pepr("v1", "Service", m),
    pepr("v1", "Secret", `${m}-module`),
    pepr("v1", "Secret", `${m}-tls`),
    pepr("v1", "Secret", `${m}-api-path`),
    // The module's stores (node_modules/pepr/src/lib/controller/index.ts names them).
    pepr("pepr.dev/v1", "PeprStore", `${m}-store`),
    pepr("pepr.dev/v1", "PeprStore", `${m}-schedule`),
    pepr(RBAC, "RoleBinding", `${m}-store`),
    // The store's Role is `<name>-store` (node_modules/pepr/src/lib/assets/rbac.ts storeRole); Pepr's own
    // destroyModule deletes a Role `<name>`, which no build makes, and leaves this one behind.
    pepr(RBAC, "Role", `${m}-store`),
    pepr("v1", "ServiceAccount", m),
    { apiVersion: RBAC, kind: "ClusterRoleBinding", name: m },
    { apiVersion: RBAC, kind: "ClusterRole", name: m },
    ours("apps/v1", "DaemonSet", SPEAKER_NAME),
    ours(RBAC, "RoleBinding", SPEAKER_NAME),
    ours(RBAC, "Role", SPEAKER_NAME),
    ours(RBAC, "RoleBinding", SPEAKER_SECRETS_ROLE),
    ours(RBAC, "Role", SPEAKER_SECRETS_ROLE),
    ours(RBAC, "RoleBinding", CONTROLLER_ROLE),
    ours(RBAC, "Role", CONTROLLER_ROLE),
    ours("v1", "ServiceAccount", SPEAKER_NAME),
    { apiVersion: RBAC, kind: "ClusterRoleBinding", name: SPEAKER_NAME },
    { apiVersion: RBAC, kind: "ClusterRole", name: SPEAKER_NAME },
  ];
}

/** What stays, for the user to read. */
export function keptLines(namespace: string): string[] {
  return [
    "kept: the metallb.io CRDs and every object of theirs (pools, advertisements, peers, statuses)",
    `kept: namespace ${namespace} and Secret ${namespace}/memberlist (the heartbeat key)`,
    "kept: the Services and their IPs (nothing clears them once the controller is gone)",
  ];
}

/** kubectl's name for a ref: `daemonset.apps/lodestone-speaker`, `service/pepr-lodestone`. */
function printed(ref: ManifestRef): string {
  const group = ref.apiVersion.includes("/") ? `.${ref.apiVersion.split("/")[0] ?? ""}` : "";
  return `${ref.kind.toLowerCase()}${group}/${ref.name}`;
}

/** Deletes in order; one line per object: `<kind>/<name> deleted` or `... not found`. */
export async function uninstall(port: UninstallPort, namespace: string): Promise<string[]> {
  const lines: string[] = [];
  for (const ref of uninstallRefs(namespace)) lines.push(`${printed(ref)} ${(await port.delete(ref)) ? "deleted" : "not found"}`);
  return lines;
}
