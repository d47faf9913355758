/** Which endpoints of a Service count for announcing it: the L2 election's and BGP's input. */
import type { EndpointSliceView } from "./inputs";

export interface Endpoints {
  /** Whether the service has an endpoint that counts (an endpoint may lack a node name). */
  any: boolean;
  /** The nodes hosting an endpoint that counts. */
  nodes: Set<string>;
}

/**
 * Which endpoints count for announcing a service (reference 2.5). With publishNotReadyAddresses,
 * every endpoint. Otherwise the ready ones; when no endpoint in the cluster is ready, the serving
 * ones (terminating pods still passing their readiness probe), as kube-proxy falls back to them
 * (KEP-1669, https://github.com/kubernetes/enhancements/tree/master/keps/sig-network/1669-proxy-terminating-endpoints).
 * MetalLB counts serving endpoints always, so under externalTrafficPolicy Local a node whose only
 * pod is draining keeps attracting traffic while other nodes have ready pods
 * (https://github.com/metallb/metallb/issues/2577); here it stops as soon as a ready one exists elsewhere.
 */
export function countingEndpoints(slices: readonly EndpointSliceView[], publishNotReadyAddresses: boolean): Endpoints {
  const all = slices.flatMap(s => s.endpoints);
  const counts = publishNotReadyAddresses
    ? all
    : all.some(e => e.ready)
      ? all.filter(e => e.ready)
      : all.filter(e => e.serving);
  return { any: counts.length > 0, nodes: new Set(counts.flatMap(e => (e.nodeName === undefined ? [] : [e.nodeName]))) };
}
