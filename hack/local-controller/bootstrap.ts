/**
 * What `pepr deploy` would have put in the cluster before the module starts, for an out-of-cluster
 * run: the namespaces, Lodestone's CRDs, Pepr's own store CRD, and the webhook registrations that
 * point at this machine.
 */
import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { allCRDs } from "../../crds";
import { webhookConfigurations, type WebhookClient } from "../../deploy/webhook-configuration";

/** Pepr keeps its module store in a `PeprStore` object; `pepr deploy` ships this CRD with the module. */
const peprStoreCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "peprstores.pepr.dev" },
  spec: {
    group: "pepr.dev",
    scope: "Namespaced",
    names: { plural: "peprstores", singular: "peprstore", kind: "PeprStore" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", properties: { data: { type: "object", additionalProperties: { type: "string" } } } } },
      },
    ],
  },
};

const FIELD_MANAGER = "lodestone-local-controller";

export async function bootstrapCluster(namespace: string): Promise<void> {
  for (const name of [namespace, "pepr-system"]) {
    await K8s(kind.Namespace).Apply({ metadata: { name } }, { force: true });
  }
  for (const crd of [...allCRDs, peprStoreCRD]) {
    await K8s(kind.CustomResourceDefinition).Apply(crd as never, { force: true });
  }
  for (const crd of [...allCRDs, peprStoreCRD]) await waitEstablished(String(crd.metadata.name));
}

async function waitEstablished(name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await K8s(kind.CustomResourceDefinition).Get(name);
    if (crd.status?.conditions?.some(c => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 100));
  }
}

export async function registerWebhooks(name: string, client: WebhookClient): Promise<void> {
  const { validating, mutating } = webhookConfigurations(name, client);
  await K8s(kind.ValidatingWebhookConfiguration as GenericClass).Apply(validating as never, { force: true });
  await K8s(kind.MutatingWebhookConfiguration as GenericClass).Apply(mutating as never, { force: true });
}

export { FIELD_MANAGER };
