/**
 * The edge that reads the configuration already in the cluster, for admission. Listing happens per
 * request (not from a cache) so that two quick writes in a row are judged against each other.
 */
import { K8s, type GenericClass } from "kubernetes-fluent-client";
import { configKinds } from "../k8s/kinds";
import type { ConfigObject } from "./config-admission";

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
