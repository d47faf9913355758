/**
 * Test helpers for deploy: Pepr's webhook registration as the API server returns it, and
 * a recording DeployPort.
 */
import { collectionPath, objectPath, refOf, type DeployPort, type Manifest, type ManifestRef } from "../../deploy/deploy-port";

export const CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t";
export const API_PATH = "42fa0f5b99bc00450b59a3e6d0e29e4ec380b49f7cf5cc2889912fd63e29f8a2";
const ignored = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "pepr-system"] }] };
const rule = (group: string, version: string, resource: string, operations = ["CREATE", "UPDATE"]) => ({
  apiGroups: [group],
  apiVersions: [version],
  operations,
  resources: [resource],
  scope: "*",
});

/** Pepr's registration as `pepr build` 1.1.4 wrote it for this module (dist/pepr-module-lodestone.yaml), after API defaulting. */
export function peprRegistration(type: "mutate" | "validate") {
  const rules =
    type === "mutate"
      ? [rule("", "v1", "services")]
      : [
          rule("metallb.io", "v1beta1", "ipaddresspools"),
          rule("metallb.io", "v1beta1", "l2advertisements"),
          rule("metallb.io", "v1beta1", "bgpadvertisements"),
          rule("metallb.io", "v1beta2", "bgppeers"),
          rule("metallb.io", "v1beta1", "bfdprofiles"),
          rule("metallb.io", "v1beta1", "bfdprofiles", ["DELETE"]),
          rule("metallb.io", "v1beta1", "communities"),
          rule("", "v1", "services"),
        ];
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: type === "mutate" ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
    metadata: { name: "pepr-lodestone", resourceVersion: "812" },
    webhooks: [
      {
        admissionReviewVersions: ["v1", "v1beta1"],
        clientConfig: { caBundle: CA, service: { name: "pepr-lodestone", namespace: "pepr-system", path: `/${type}/${API_PATH}`, port: 443 } },
        failurePolicy: "Fail",
        matchPolicy: "Equivalent",
        name: "pepr-lodestone.pepr.dev",
        namespaceSelector: ignored,
        objectSelector: {},
        rules,
        sideEffects: "None",
        timeoutSeconds: 10,
        ...(type === "mutate" ? { reinvocationPolicy: "Never" } : {}),
      },
    ],
  };
}

/** An in-memory API server for the start-up routine: records every call, in order. */
export class RecordingDeployPort implements DeployPort {
  readonly calls: string[] = [];
  readonly objects = new Map<string, Record<string, unknown>>();
  /** GETs of a CRD answered before it reports Established. */
  establishAfterGets = 0;
  /** Paths whose next apply or create fails once with this message or error. */
  readonly failOnce = new Map<string, string | Error>();
  private readonly gets = new Map<string, number>();

  async apply(manifest: Manifest): Promise<void> {
    const path = objectPath(refOf(manifest));
    this.calls.push(`APPLY ${path}`);
    const failure = this.failOnce.get(path);
    if (failure) {
      this.failOnce.delete(path);
      throw failure instanceof Error ? failure : new Error(failure);
    }
    this.objects.set(path, structuredClone(manifest));
  }

  async create(manifest: Manifest): Promise<boolean> {
    const path = objectPath(refOf(manifest));
    this.calls.push(`CREATE ${path}`);
    const failure = this.failOnce.get(path);
    if (failure) {
      this.failOnce.delete(path);
      throw failure instanceof Error ? failure : new Error(failure);
    }
    if (this.objects.has(path)) return false;
    this.objects.set(path, structuredClone(manifest));
    return true;
  }

  async get(ref: ManifestRef): Promise<Record<string, unknown> | undefined> {
    const path = objectPath(ref);
    this.calls.push(`GET ${path}`);
    const found = this.objects.get(path);
    if (!found || ref.kind !== "CustomResourceDefinition") return found && structuredClone(found);
    const seen = (this.gets.get(path) ?? 0) + 1;
    this.gets.set(path, seen);
    const status = seen > this.establishAfterGets ? "True" : "False";
    return { ...structuredClone(found), status: { conditions: [{ type: "Established", status }] } };
  }

  /** Deletes (uninstall.ts UninstallPort); false when absent. */
  async delete(ref: ManifestRef): Promise<boolean> {
    const path = objectPath(ref);
    this.calls.push(`DELETE ${path}`);
    return this.objects.delete(path);
  }

  async list(ref: Omit<ManifestRef, "name">): Promise<Record<string, unknown>[]> {
    const collection = collectionPath({ ...ref, name: "_" });
    this.calls.push(`LIST ${collection}`);
    return [...this.objects].filter(([path]) => path.startsWith(`${collection}/`)).map(([, o]) => structuredClone(o));
  }

  async mergePatch(ref: ManifestRef, patch: Record<string, unknown>): Promise<void> {
    const path = objectPath(ref);
    this.calls.push(`MERGE ${path}`);
    const current = this.objects.get(path);
    if (!current) throw new Error(`not found: ${path}`);
    this.objects.set(path, { ...current, ...structuredClone(patch) });
  }
}
