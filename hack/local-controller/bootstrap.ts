/**
 * What `pepr deploy` would have put in the cluster before the module starts, for an out-of-cluster
 * run: the namespaces, Lodestone's CRDs, and the webhook registrations that point at this machine.
 * On the module process's own REST client (kube/rest), so that the process measured by the benches
 * (hack/bench/controller-bundle.ts) loads what the module process in a cluster loads, and no more.
 */
import { allCRDs } from "../../crds";
import { ApiDeployPort } from "../../deploy/api-deploy-port";
import type { Manifest } from "../../deploy/deploy-port";
import { webhookConfigurations, type WebhookClient } from "../../deploy/webhook-configuration";
import { kubeConnection } from "../../kube/rest/kube-connection";
import { RestClient } from "../../kube/rest/rest-client";

const cluster = (): ApiDeployPort => new ApiDeployPort(new RestClient(kubeConnection(), "lodestone-local-controller").request);

export async function bootstrapCluster(namespace: string): Promise<void> {
  const port = cluster();
  for (const name of [namespace, "pepr-system"]) await port.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  for (const crd of allCRDs) await port.apply(crd as unknown as Manifest);
  for (const crd of allCRDs) await waitEstablished(port, String(crd.metadata.name));
}

async function waitEstablished(port: ApiDeployPort, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = (await port.get({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
    if (crd?.status?.conditions?.some(c => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 100));
  }
}

export async function registerWebhooks(name: string, client: WebhookClient): Promise<void> {
  const port = cluster();
  const { validating, mutating } = webhookConfigurations(name, client);
  await port.apply(validating as unknown as Manifest);
  await port.apply(mutating as unknown as Manifest);
}
