/**
 * What the controller keeps of an object it reads from the API server: the object without the two
 * copies Kubernetes keeps of its own history, cut where objects enter the controller (its port), so
 * that its copy of every Service holds no more than it uses.
 *
 * - metadata.managedFields: server-side apply's bookkeeping, one entry per writer; on a Service the
 *   allocator has written it is about as large as the rest of the object
 *   (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
 * - the kubectl.kubernetes.io/last-applied-configuration annotation: `kubectl apply`'s copy of the
 *   object as last applied (https://kubernetes.io/docs/reference/labels-annotations-taints/).
 *
 * Nothing in the controller reads either; every other field is kept as it came.
 */
import type { KubeObject } from "./controller-port";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export function withoutBookkeeping(object: KubeObject): KubeObject {
  const metadata = object.metadata as (KubeObject["metadata"] & { managedFields?: unknown }) | undefined;
  if (metadata === undefined || metadata === null) return object;
  const annotations = metadata.annotations;
  const hasLastApplied = annotations !== undefined && annotations !== null && LAST_APPLIED in annotations;
  if (metadata.managedFields === undefined && !hasLastApplied) return object;
  const { managedFields: _managed, ...rest } = metadata;
  if (hasLastApplied) {
    const { [LAST_APPLIED]: _applied, ...kept } = annotations;
    rest.annotations = kept;
  }
  return { ...object, metadata: rest };
}
