/**
 * The admission webhooks, as a table of Pepr bindings. No logic lives here: each binding hands the
 * AdmissionRequest to a pure reviewer (config-admission.ts, service-admission.ts).
 *
 * | kind                                  | operations       | what                                          |
 * |---------------------------------------|------------------|-----------------------------------------------|
 * | IPAddressPool, L2Advertisement,       | CREATE, UPDATE   | validate with the whole configuration         |
 * | BGPAdvertisement, BGPPeer, Community, |                  | (namespace rule on CREATE)                    |
 * | BFDProfile                            | CREATE, UPDATE   | namespace rule, field checks                  |
 * | BFDProfile                            | DELETE           | refused while a BGPPeer references it         |
 * | Service                               | CREATE, UPDATE   | mutate: copy deprecated metallb.universe.tf/* |
 * |                                       |                  | annotations to metallb.io/*; validate: never  |
 * |                                       |                  | refuses, annotation problems become warnings  |
 */
import { Capability, a, type PeprValidateRequest } from "pepr";
import type { GenericClass, KubernetesObject } from "kubernetes-fluent-client";
import { configKinds } from "../../kube/kinds";
import { reviewConfigChange, type ConfigObject } from "../../core/admission/config-admission";
import { listConfigObjects, readClusterReserved } from "../../kube/existing-config";
import { copyDeprecatedAnnotations, serviceAnnotationWarnings } from "../../core/admission/service-admission";
import { loadBalancerClass, lodestoneNamespace } from "../../kube/settings";

export const Webhooks = new Capability({
  name: "lodestone-webhooks",
  description: "Validates metallb.io configuration and normalises Lodestone's Service annotations",
});

const { When } = Webhooks;

async function reviewConfig(req: PeprValidateRequest<KubernetesObject>) {
  const r = req.Request;
  const decision = reviewConfigChange({
    operation: r.operation,
    kind: r.kind.kind,
    namespace: r.namespace,
    object: r.operation === "DELETE" ? undefined : (r.object as ConfigObject),
    oldObject: r.oldObject as ConfigObject | undefined,
    existing: await listConfigObjects(lodestoneNamespace()),
    lodestoneNamespace: lodestoneNamespace(),
    // Only pools depend on it; a failed read must not block other kinds (the runtime checks again).
    clusterReserved: r.kind.kind === "IPAddressPool" ? await readClusterReserved().catch(() => []) : [],
  });
  return decision.allowed ? req.Approve(decision.warnings) : req.Deny(decision.message, undefined, decision.warnings);
}

for (const { model, kind } of configKinds) {
  const binding = When(model as GenericClass).IsCreatedOrUpdated();
  binding.Validate(reviewConfig);
  if (kind === "BFDProfile") When(model as GenericClass).IsDeleted().Validate(reviewConfig);
}

When(a.Service)
  .IsCreatedOrUpdated()
  .Mutate(req => {
    copyDeprecatedAnnotations(req.Raw);
  })
  .Validate(req => req.Approve(serviceAnnotationWarnings(req.Raw, loadBalancerClass())));
