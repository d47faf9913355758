/**
 * The cluster's Service (ClusterIP) range, as far as the API tells it, as blocks the allocator must
 * skip (net/special.ts).
 *
 * Kubernetes 1.31+ publishes it as ServiceCIDR objects (networking.k8s.io, `spec.cidrs`,
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/service-cidr-v1/). Older
 * API servers keep it in a flag no client can read; there the ClusterIP of Service
 * `default/kubernetes` (always the range's first usable address) is the one address known, so it
 * is reserved and a pool holding it is warned about: the rest of the range is probably nearby.
 */
import { parseCidr, parseIP } from "../core/net/ip";
import { reservedCidr, type ReservedRange } from "../core/net/special";
import type { KubeObject } from "./controller-port";

export const SERVICE_CIDR_PATH = "/apis/networking.k8s.io/v1/servicecidrs";
export const KUBERNETES_SERVICE_KEY = "default/kubernetes";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

export function clusterServiceRanges(serviceCIDRs: readonly KubeObject[], kubernetesService: KubeObject | undefined): ReservedRange[] {
  const out: ReservedRange[] = [];
  for (const obj of serviceCIDRs) {
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    for (const text of strings(spec.cidrs)) {
      if (parseCidr(text)) out.push(reservedCidr(text, `the cluster's Service range, ServiceCIDR ${obj.metadata?.name ?? ""}`));
    }
  }
  if (out.length > 0) return out;
  const spec = (kubernetesService?.spec ?? {}) as Record<string, unknown>;
  const ips = strings(spec.clusterIPs).length ? strings(spec.clusterIPs) : strings([spec.clusterIP]);
  for (const text of ips) {
    const ip = parseIP(text);
    if (ip) out.push(reservedCidr(`${text}/${ip.family === "IPv4" ? 32 : 128}`, "the ClusterIP of Service default/kubernetes, near which the cluster's Service range probably lies"));
  }
  return out;
}
