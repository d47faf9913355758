/**
 * The admission webhooks, as a table of bindings. No logic lives here: each binding hands the
 * AdmissionRequest to a pure reviewer (config-admission.ts, service-admission.ts). The module process
 * serves this table (controller/admission-server.ts, core/admission/review.ts); `pepr build` reads it
 * through the Pepr capability made from it (capabilities/pepr-build.ts).
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
import { reviewConfigChange, type ConfigObject } from "../../core/admission/config-admission";
import { pointerToken, type AdmissionBinding, type AdmissionRequest, type JsonPatchAdd, type Verdict } from "../../core/admission/review";
import { copyDeprecatedAnnotations, serviceAnnotationWarnings, type AnnotatedObject } from "../../core/admission/service-admission";
import type { ApiRequest } from "../../kube/api-request";
import { listConfigObjects, readClusterReserved } from "../../kube/existing-config";
import { METALLB_GROUP, configKindTable } from "../../kube/metallb-kinds";

/** What the handlers read besides the request: the cluster, and the settings of this installation. */
export interface AdmissionContext {
  api: ApiRequest;
  lodestoneNamespace: string;
  loadBalancerClass?: string;
}

async function reviewConfig(r: AdmissionRequest, context: AdmissionContext): Promise<Verdict> {
  const decision = reviewConfigChange({
    operation: r.operation,
    kind: r.kind.kind,
    namespace: r.namespace,
    object: r.operation === "DELETE" ? undefined : (r.object as ConfigObject),
    oldObject: (r.oldObject ?? undefined) as ConfigObject | undefined,
    existing: await listConfigObjects(context.api, context.lodestoneNamespace),
    lodestoneNamespace: context.lodestoneNamespace,
    // Only pools depend on it; a failed read must not block other kinds (the runtime checks again).
    clusterReserved: r.kind.kind === "IPAddressPool" ? await readClusterReserved(context.api).catch(() => []) : [],
  });
  return { allowed: decision.allowed, ...(decision.message !== undefined ? { message: decision.message } : {}), warnings: decision.warnings };
}

/** The annotations copied from their deprecated keys, as JSON Patch additions (the object has annotations when any is copied). */
function copyDeprecated(r: AdmissionRequest): JsonPatchAdd[] {
  const annotations = (r.object as AnnotatedObject | undefined)?.metadata?.annotations;
  if (typeof annotations !== "object" || annotations === null) return [];
  const copy = { ...annotations };
  return copyDeprecatedAnnotations({ metadata: { annotations: copy } }).map(key => ({ op: "add", path: `/metadata/annotations/${pointerToken(key)}`, value: copy[key] }));
}

const CREATE_UPDATE = ["CREATE", "UPDATE"] as const;

export const ADMISSION_BINDINGS: readonly AdmissionBinding<AdmissionContext>[] = [
  ...configKindTable.flatMap(({ kind }) => [
    { group: METALLB_GROUP, kind, operations: CREATE_UPDATE, validate: reviewConfig },
    ...(kind === "BFDProfile" ? [{ group: METALLB_GROUP, kind, operations: ["DELETE"] as const, validate: reviewConfig }] : []),
  ]),
  {
    group: "",
    kind: "Service",
    operations: CREATE_UPDATE,
    mutate: copyDeprecated,
    validate: (r, context) => ({ allowed: true, warnings: serviceAnnotationWarnings(r.object, context.loadBalancerClass) }),
  },
];
