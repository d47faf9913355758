/**
 * The speaker's identity: its ServiceAccount, and the ClusterRole and Role (from the table in rbac.ts)
 * bound to it. The Secret-reading Role is not here: the installer makes it (see rbac.ts for why).
 */
import { SPEAKER_LABELS, SPEAKER_NAME } from "./names";
import { speakerClusterRules, speakerNamespaceRules, type PolicyRule } from "./rbac";

const RBAC = "rbac.authorization.k8s.io/v1";

export interface SpeakerIdentity {
  serviceAccount: { apiVersion: "v1"; kind: "ServiceAccount"; metadata: Metadata };
  clusterRole: { apiVersion: typeof RBAC; kind: "ClusterRole"; metadata: Metadata; rules: PolicyRule[] };
  clusterRoleBinding: Binding<"ClusterRoleBinding", "ClusterRole">;
  role: { apiVersion: typeof RBAC; kind: "Role"; metadata: Metadata; rules: PolicyRule[] };
  roleBinding: Binding<"RoleBinding", "Role">;
}

interface Metadata {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}

interface Binding<K extends string, R extends string> {
  apiVersion: typeof RBAC;
  kind: K;
  metadata: Metadata;
  roleRef: { apiGroup: "rbac.authorization.k8s.io"; kind: R; name: string };
  subjects: { kind: "ServiceAccount"; name: string; namespace: string }[];
}

const labels = (): Record<string, string> => ({ ...SPEAKER_LABELS });

export function speakerIdentity(namespace: string): SpeakerIdentity {
  const subjects = [{ kind: "ServiceAccount" as const, name: SPEAKER_NAME, namespace }];
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SPEAKER_NAME, namespace, labels: labels() } },
    clusterRole: { apiVersion: RBAC, kind: "ClusterRole", metadata: { name: SPEAKER_NAME, labels: labels() }, rules: speakerClusterRules.map(r => r.rule) },
    clusterRoleBinding: {
      apiVersion: RBAC,
      kind: "ClusterRoleBinding",
      metadata: { name: SPEAKER_NAME, labels: labels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: SPEAKER_NAME },
      subjects,
    },
    role: { apiVersion: RBAC, kind: "Role", metadata: { name: SPEAKER_NAME, namespace, labels: labels() }, rules: speakerNamespaceRules.map(r => r.rule) },
    roleBinding: {
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: SPEAKER_NAME, namespace, labels: labels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: SPEAKER_NAME },
      subjects,
    },
  };
}
