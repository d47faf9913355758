/**
 * The edge that reads the configuration already in the cluster, for admission. Listing happens per
 * request (not from a cache) so that two quick writes in a row are judged against each other.
 */
import { K8s, type GenericClass } from "kubernetes-fluent-client";
import { isNotFound, type KubeObject } from "./controller-port";
import { KfcApi } from "./kfc-api";
import { configKinds } from "./kinds";
import { clusterServiceRanges, SERVICE_CIDR_PATH } from "./service-range";
import type { ReservedRange } from "../core/net/special";
import type { ConfigObject } from "../core/admission/config-admission";

export async function listConfigObjects(namespace: string): Promise<ConfigObject[]> {
  const lists = await Promise.all(
    configKinds.map(async ({ model, kind, version }) => {
      const list = await K8s(model as GenericClass).InNamespace(namespace).Get();
      // Lists carry no kind/apiVersion per item; parseConfig needs them to tell the kinds apart.
      return list.items.map(item => ({ ...(item as ConfigObject), kind, apiVersion: `metallb.io/${version}` }));
    }),
  );
  return lists.flat();
}

const api = new KfcApi();

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
export async function readClusterReserved(): Promise<ReservedRange[]> {
  const [cidrs, kubernetes] = await Promise.all([
    maybe(api.request<{ items?: KubeObject[] }>("GET", SERVICE_CIDR_PATH)),
    maybe(api.request<KubeObject>("GET", "/api/v1/namespaces/default/services/kubernetes")),
  ]);
  return clusterServiceRanges(cidrs?.items ?? [], kubernetes);
}
