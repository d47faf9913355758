/**
 * Builders for tests and the benchmark: Pools from address text (as a user writes `spec.addresses`)
 * and Service objects as the API server returns them. Not used by production code.
 */
import type { LabelSelector, Pool, ServiceAllocation } from "../../core/config/types";
import { cidrRange, parseCidr, parseIP, rangeToCidrs, type IPFamily, type IPRange } from "../../core/net/ip";
import { reservedCidr } from "../../core/net/special";
import { parseServiceRequest, type ServiceRequest } from "../../core/allocation/service-request";

export interface PoolOptions {
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: Partial<ServiceAllocation>;
  /** CIDRs of the cluster's Service range that the pool must skip. */
  clusterReserved?: string[];
}

function parseBlock(text: string): IPRange {
  const cidr = parseCidr(text);
  if (cidr) return cidrRange(cidr);
  const [a, b] = text.split("-").map(t => t.trim());
  const first = a === undefined ? undefined : parseIP(a);
  const last = b === undefined ? undefined : parseIP(b);
  if (!first || !last || first.family !== last.family) throw new Error(`bad pool block ${text}`);
  return { family: first.family, first: first.value, last: last.value };
}

export function makePool(name: string, addresses: string[], options: PoolOptions = {}): Pool {
  const blocks = addresses.map(text => {
    const range = parseBlock(text);
    return { text, range, cidrs: rangeToCidrs(range) };
  });
  const families: IPFamily[] = (["IPv4", "IPv6"] as const).filter(f => blocks.some(b => b.range.family === f));
  const pool: Pool = {
    name,
    labels: {},
    blocks,
    autoAssign: options.autoAssign ?? true,
    avoidBuggyIPs: options.avoidBuggyIPs ?? false,
    families,
  };
  if (options.clusterReserved) pool.clusterReserved = options.clusterReserved.map(c => reservedCidr(c, "the cluster's Service range"));
  if (options.serviceAllocation) {
    pool.serviceAllocation = {
      priority: 0,
      namespaces: [],
      namespaceSelectors: [],
      serviceSelectors: [],
      ...options.serviceAllocation,
    };
  }
  return pool;
}

export const selector = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels, matchExpressions: [] });

export interface ServiceOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  loadBalancerIP?: string;
  /** Default one IPv4 ClusterIP. */
  clusterIPs?: string[];
  policy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  /** `tcp/80` style; default tcp/80. */
  ports?: string[];
  etpLocal?: boolean;
  selector?: Record<string, string>;
  statusIPs?: string[];
  type?: string;
  loadBalancerClass?: string;
}

export function makeService(name: string, o: ServiceOptions = {}): Record<string, unknown> {
  const clusterIPs = o.clusterIPs ?? ["10.96.0.10"];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: o.namespace ?? "default", labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: {
      type: o.type ?? "LoadBalancer",
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
      ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
      clusterIP: clusterIPs[0],
      clusterIPs,
      ipFamilies: clusterIPs.map(ip => (ip.includes(":") ? "IPv6" : "IPv4")),
      ipFamilyPolicy: o.policy ?? "SingleStack",
      externalTrafficPolicy: o.etpLocal ? "Local" : "Cluster",
      selector: o.selector ?? { app: name },
      ports: (o.ports ?? ["tcp/80"]).map(p => {
        const [protocol, port] = p.split("/");
        return { protocol: (protocol ?? "tcp").toUpperCase(), port: Number(port) };
      }),
    },
    status: { loadBalancer: { ingress: (o.statusIPs ?? []).map(ip => ({ ip })) } },
  };
}

/** A handled Service's request; throws when the object would not be handled (test misuse). */
export function requestOf(name: string, o: ServiceOptions = {}): ServiceRequest {
  const parsed = parseServiceRequest(makeService(name, o));
  if (!parsed.handled) throw new Error(`service ${name} is not handled: ${parsed.message}`);
  return parsed.request;
}
