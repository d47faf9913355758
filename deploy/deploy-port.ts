/**
 * The narrow Kubernetes port of the start-up routine: server-side apply, get and merge patch of the
 * few kinds it manages. api-deploy-port.ts implements it on one ApiRequest (REST client or KFC connection);
 * tests use a recording fake.
 */

/** A manifest as plain JSON: what is applied or read. */
export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

export interface ManifestRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface DeployPort {
  /** Server-side apply (field manager `lodestone`, force: Lodestone owns what it sets). */
  apply(manifest: Manifest): Promise<void>;
  /** Creates the object (POST); false, and nothing changed, when one of that name exists already (409). */
  create(manifest: Manifest): Promise<boolean>;
  /** The object, or undefined when it does not exist. */
  get(ref: ManifestRef): Promise<Record<string, unknown> | undefined>;
  /** JSON merge patch. */
  mergePatch(ref: ManifestRef, patch: Record<string, unknown>): Promise<void>;
  /** The objects of a kind in a namespace; empty when there are none or the kind is not served (404: no CRD yet). */
  list(ref: Omit<ManifestRef, "name">): Promise<Record<string, unknown>[]>;
}

/** Plural resource of each kind the start-up routine touches, by apiVersion and kind. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  "v1/Namespace": { plural: "namespaces", namespaced: false },
  "v1/ServiceAccount": { plural: "serviceaccounts", namespaced: true },
  "v1/Secret": { plural: "secrets", namespaced: true },
  "v1/Service": { plural: "services", namespaced: true },
  "apps/v1/Deployment": { plural: "deployments", namespaced: true },
  "pepr.dev/v1/PeprStore": { plural: "peprstores", namespaced: true },
  "apps/v1/DaemonSet": { plural: "daemonsets", namespaced: true },
  "metallb.io/v1beta2/BGPPeer": { plural: "bgppeers", namespaced: true },
  "rbac.authorization.k8s.io/v1/ClusterRole": { plural: "clusterroles", namespaced: false },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": { plural: "clusterrolebindings", namespaced: false },
  "rbac.authorization.k8s.io/v1/Role": { plural: "roles", namespaced: true },
  "rbac.authorization.k8s.io/v1/RoleBinding": { plural: "rolebindings", namespaced: true },
  "apiextensions.k8s.io/v1/CustomResourceDefinition": { plural: "customresourcedefinitions", namespaced: false },
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": { plural: "validatingwebhookconfigurations", namespaced: false },
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": { plural: "mutatingwebhookconfigurations", namespaced: false },
};

/** API group ("" for core) and plural resource of a ref; throws for a kind the routine does not manage. */
export function resourceOf(ref: Pick<ManifestRef, "apiVersion" | "kind">): { group: string; plural: string; namespaced: boolean } {
  const r = RESOURCES[`${ref.apiVersion}/${ref.kind}`];
  if (!r) throw new Error(`deploy: no resource path for ${ref.apiVersion} ${ref.kind}`);
  const group = ref.apiVersion.includes("/") ? (ref.apiVersion.split("/")[0] as string) : "";
  return { group, ...r };
}

/** The API path of one object (`/api/v1/namespaces/ns/serviceaccounts/name`, `/apis/apps/v1/...`). */
export function objectPath(ref: ManifestRef): string {
  const { plural, namespaced } = resourceOf(ref);
  const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  if (namespaced && !ref.namespace) throw new Error(`deploy: ${ref.kind} ${ref.name} needs a namespace`);
  const ns = namespaced ? `/namespaces/${encodeURIComponent(ref.namespace as string)}` : "";
  return `${base}${ns}/${plural}/${encodeURIComponent(ref.name)}`;
}

/** The API path of the collection an object is created in (`/api/v1/namespaces/ns/secrets`). */
export function collectionPath(ref: ManifestRef): string {
  return objectPath(ref).replace(/\/[^/]*$/, "");
}

export const refOf = (m: Manifest): ManifestRef => ({
  apiVersion: m.apiVersion,
  kind: m.kind,
  name: m.metadata.name,
  ...(m.metadata.namespace !== undefined ? { namespace: m.metadata.namespace } : {}),
});
