/**
 * The edge that reads the configuration already in the cluster, for admission. Listing happens per
 * request (not from a cache) so that two quick writes in a row are judged against each other.
 */
import { isNotFound, type KubeObject } from "./controller-port";
import type { ApiRequest } from "./api-request";
import { metallbPath } from "./api-paths";
import { configKindTable } from "./metallb-kinds";
import { clusterServiceRanges, SERVICE_CIDR_PATH } from "./service-range";
import type { ReservedRange } from "../core/net/special";
import type { ConfigObject } from "../core/admission/config-admission";

export async function listConfigObjects(request: ApiRequest, namespace: string): Promise<ConfigObject[]> {
  const lists = await Promise.all(
    configKindTable.map(async ({ kind, version }) => {
      const list = await request<{ items?: ConfigObject[] | null }>("GET", metallbPath(kind, namespace));
      // Lists carry no kind/apiVersion per item; parseConfig needs them to tell the kinds apart.
      return (list.items ?? []).map(item => ({ ...item, kind, apiVersion: `metallb.io/${version}` }));
    }),
  );
  return lists.flat();
}

/** A read that may find nothing: 404 (not served, or no such object) is undefined. */
async function maybe<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The cluster's Service range (ServiceCIDRs, else the kubernetes Service's ClusterIP), per request like the objects. */
export async function readClusterReserved(request: ApiRequest): Promise<ReservedRange[]> {
  const [cidrs, kubernetes] = await Promise.all([
    maybe(request<{ items?: KubeObject[] }>("GET", SERVICE_CIDR_PATH)),
    maybe(request<KubeObject>("GET", "/api/v1/namespaces/default/services/kubernetes")),
  ]);
  return clusterServiceRanges(cidrs?.items ?? [], kubernetes);
}
