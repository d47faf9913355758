/**
 * When an installed Lodestone is ready, as `kubectl rollout status` decides it
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go): the controller's two Deployments have
 * every replica updated and available for their current generation, and the speaker DaemonSet, which
 * the controller's watcher applies once it runs, has a ready, updated pod on every node it schedules.
 */
import type { DeployPort, ManifestRef } from "./deploy-port";
import { PEPR_MODULE_NAME, SPEAKER_NAME } from "./names";

type Obj = Record<string, unknown> | undefined;
const num = (o: Obj, ...path: string[]): number => {
  let v: unknown = o;
  for (const p of path) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === "number" ? v : 0;
};

/** Undefined when rolled out, else what is still awaited. */
export function deploymentPending(d: Obj): string | undefined {
  if (!d) return "not created yet";
  const want = typeof (d["spec"] as Record<string, unknown> | undefined)?.["replicas"] === "number" ? num(d, "spec", "replicas") : 1;
  if (num(d, "status", "observedGeneration") < num(d, "metadata", "generation")) return "waiting for its new generation to be observed";
  if (num(d, "status", "updatedReplicas") < want) return `${num(d, "status", "updatedReplicas")} of ${want} replicas updated`;
  if (num(d, "status", "availableReplicas") < want) return `${num(d, "status", "availableReplicas")} of ${want} replicas available`;
  return undefined;
}

export function daemonSetPending(ds: Obj): string | undefined {
  if (!ds) return "not created yet (the controller's watcher applies it when it starts)";
  if (num(ds, "status", "observedGeneration") < num(ds, "metadata", "generation")) return "waiting for its new generation to be observed";
  const want = num(ds, "status", "desiredNumberScheduled");
  if (num(ds, "status", "updatedNumberScheduled") < want) return `${num(ds, "status", "updatedNumberScheduled")} of ${want} pods updated`;
  if (num(ds, "status", "numberAvailable") < want) return `${num(ds, "status", "numberAvailable")} of ${want} pods available`;
  return undefined;
}

export function rolloutRefs(namespace: string): { ref: ManifestRef; pending: (o: Obj) => string | undefined }[] {
  const deployment = (name: string) => ({ ref: { apiVersion: "apps/v1", kind: "Deployment", name, namespace: "pepr-system" }, pending: deploymentPending });
  return [
    deployment(PEPR_MODULE_NAME),
    deployment(`${PEPR_MODULE_NAME}-watcher`),
    { ref: { apiVersion: "apps/v1", kind: "DaemonSet", name: SPEAKER_NAME, namespace }, pending: daemonSetPending },
  ];
}

/** What is not ready yet, one `<Kind> <ns>/<name>: <reason>` each; empty when everything is. */
export async function notReady(port: Pick<DeployPort, "get">, namespace: string): Promise<string[]> {
  const out: string[] = [];
  for (const { ref, pending } of rolloutRefs(namespace)) {
    const why = pending(await port.get(ref));
    if (why !== undefined) out.push(`${ref.kind} ${ref.namespace ?? ""}/${ref.name}: ${why}`);
  }
  return out;
}
