/**
 * Which pools may serve a Service and in which order (serviceAllocation, as MetalLB documents it:
 * https://metallb.universe.tf/configuration/_advanced_ipaddresspool_configuration/).
 *
 * A pool without serviceAllocation admits every Service. A pool with one admits a Service when the
 * Service's namespace is in the pool's namespace set (the `namespaces` list merged with the
 * namespaces matched by `namespaceSelectors`; no constraint when both are empty) and, if
 * `serviceSelectors` are given, one of them matches the Service's labels.
 *
 * Automatic allocation tries: (1) admitting auto-assign pools that have serviceAllocation, by
 * priority (lower first; 0 means after every pool with a priority); (2) auto-assign pools without
 * serviceAllocation. MetalLB leaves equal priorities (and group 2) in random order; Lodestone orders
 * them by pool name so that the same inputs always give the same IP.
 */
import type { Pool } from "../config/types";
import { matchesSelector } from "../config/selector";

export interface ServiceIdentity {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/** @param namespaceLabels labels of the Service's namespace; undefined when the Namespace is unknown. */
export function poolAdmits(
  pool: Pool,
  service: ServiceIdentity,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  const sa = pool.serviceAllocation;
  if (!sa) return true;
  if (sa.namespaces.length || sa.namespaceSelectors.length) {
    const inSet =
      sa.namespaces.includes(service.namespace) ||
      (namespaceLabels !== undefined && sa.namespaceSelectors.some(s => matchesSelector(s, namespaceLabels)));
    if (!inSet) return false;
  }
  return sa.serviceSelectors.length === 0 || sa.serviceSelectors.some(s => matchesSelector(s, service.labels));
}

const rank = (pool: Pool): number => {
  const priority = pool.serviceAllocation?.priority ?? 0;
  if (!pool.serviceAllocation) return Number.MAX_SAFE_INTEGER; // group 2: after every pinned pool
  return priority > 0 ? priority : Number.MAX_SAFE_INTEGER - 1;
};

/** The auto-assign pools that admit the Service, in the order allocation tries them. */
export function candidatePools<P extends { pool: Pool }>(
  poolsByName: readonly P[],
  service: ServiceIdentity,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): P[] {
  return poolsByName
    .filter(p => p.pool.autoAssign && poolAdmits(p.pool, service, namespaceLabels))
    .sort((a, b) => rank(a.pool) - rank(b.pool) || (a.pool.name < b.pool.name ? -1 : a.pool.name > b.pool.name ? 1 : 0));
}
