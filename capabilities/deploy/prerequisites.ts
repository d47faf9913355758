/**
 * What whoever installs Lodestone creates once, because the controller is not allowed to (rbac.md:
 * it holds no Secret permission at all): the Lodestone namespace, the speakers' heartbeat key (Secret
 * `memberlist`), the Role and RoleBinding `lodestone-controller` that let the controller apply the
 * speaker's DaemonSet and RBAC in that namespace only (Pepr makes no Roles), and the Role and
 * RoleBinding `lodestone-speaker-secrets` that let the speakers read the Secrets they need. `npx lodestone prepare` runs it; it replaces the four kubectl commands of
 * rbac.ts installerCommands.
 *
 * The key is created only when the Secret is absent and is never rotated here: an existing Secret
 * (MetalLB's own `memberlist`, or one from an earlier run) is kept as it is, and only said to be
 * unusable when the speakers would refuse it.
 */
import { randomBytes } from "node:crypto";
import { CURRENT_KEY_FIELD, heartbeatKeysFromSecret } from "../l2/heartbeat-keys";
import type { DeployPort, Manifest } from "./deploy-port";
import { CONTROLLER_ROLE, HEARTBEAT_SECRET_NAME, PEPR_MODULE_NAME, SPEAKER_LABELS, SPEAKER_NAME, SPEAKER_SECRETS_ROLE } from "./names";
import { controllerNamespaceRules, speakerInstallerRules } from "./rbac";

const RBAC = "rbac.authorization.k8s.io/v1";

/** The labels of what the installer makes (not the DaemonSet's selector: these are no pods). */
const installerLabels = (): Record<string, string> => ({ "app.kubernetes.io/part-of": SPEAKER_LABELS["app.kubernetes.io/name"], "app.kubernetes.io/managed-by": "lodestone-installer" });

export function namespaceManifest(namespace: string): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "app.kubernetes.io/part-of": SPEAKER_LABELS["app.kubernetes.io/name"] } } };
}

/** The heartbeat Secret with a new key: 32 random bytes, written as 64 hex digits as the docs' command does. */
export function heartbeatSecret(namespace: string, key: Buffer): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: HEARTBEAT_SECRET_NAME, namespace, labels: installerLabels() },
    type: "Opaque",
    data: { [CURRENT_KEY_FIELD]: Buffer.from(key.toString("hex")).toString("base64") },
  };
}

export function secretsAccess(namespace: string): Manifest[] {
  return [
    { apiVersion: RBAC, kind: "Role", metadata: { name: CONTROLLER_ROLE, namespace, labels: installerLabels() }, rules: controllerNamespaceRules.map(r => r.rule) },
    {
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: CONTROLLER_ROLE, namespace, labels: installerLabels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CONTROLLER_ROLE },
      subjects: [{ kind: "ServiceAccount", name: PEPR_MODULE_NAME, namespace: "pepr-system" }],
    },
    { apiVersion: RBAC, kind: "Role", metadata: { name: SPEAKER_SECRETS_ROLE, namespace, labels: installerLabels() }, rules: speakerInstallerRules.map(r => r.rule) },
    {
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: SPEAKER_SECRETS_ROLE, namespace, labels: installerLabels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: SPEAKER_SECRETS_ROLE },
      subjects: [{ kind: "ServiceAccount", name: SPEAKER_NAME, namespace }],
    },
  ];
}

/** `kind/name` as kubectl prints it (`secret/memberlist`, `role.rbac.authorization.k8s.io/x`). */
function printed(m: Manifest): string {
  const group = m.apiVersion.includes("/") ? `.${m.apiVersion.split("/")[0] ?? ""}` : "";
  return `${m.kind.toLowerCase()}${group}/${m.metadata.name}`;
}

export interface PrepareResult {
  /** One line per object, kubectl style: `secret/memberlist created`. */
  lines: string[];
  /** Why an existing heartbeat Secret would stop the speakers; undefined when it is usable. */
  secretProblem?: string;
}

/** Applies the namespace, the Secret when absent, and the Role and RoleBinding, in that order. */
export async function prepare(port: DeployPort, namespace: string, newKey: () => Buffer = () => randomBytes(32)): Promise<PrepareResult> {
  const lines: string[] = [];
  const ns = namespaceManifest(namespace);
  await port.apply(ns);
  lines.push(`${printed(ns)} applied`);

  const ref = { apiVersion: "v1", kind: "Secret", name: HEARTBEAT_SECRET_NAME, namespace };
  const existing = await port.get(ref);
  let secretProblem: string | undefined;
  if (existing === undefined) {
    const secret = heartbeatSecret(namespace, newKey());
    await port.apply(secret);
    lines.push(`${printed(secret)} created (heartbeat key: 32 random bytes; kept from now on, never rotated by lodestone)`);
  } else {
    const keys = heartbeatKeysFromSecret(existing as { data?: Record<string, string> });
    if (!keys.ok) secretProblem = `Secret ${namespace}/${HEARTBEAT_SECRET_NAME}: ${keys.message}: the speakers will not start; delete it and run this again to create a new one`;
    lines.push(`secret/${HEARTBEAT_SECRET_NAME} kept (it exists: ${keys.ok ? "its key is reused, not rotated" : "unusable, see below"})`);
  }

  for (const m of secretsAccess(namespace)) {
    await port.apply(m);
    lines.push(`${printed(m)} applied`);
  }
  return secretProblem === undefined ? { lines } : { lines, secretProblem };
}
