/**
 * The REST paths of the objects Lodestone reads and writes by hand (the writes the fluent API
 * cannot express). metallb.io paths come from the kinds table in metallb-kinds.ts, so a kind's version
 * and plural are written down once: BGPPeer is served at v1beta2, everything else at v1beta1.
 */
import type { ObjectRef, WatchedResource } from "./controller-port";
import { configKindTable, statusKindTable, type MetallbKindName } from "./metallb-kinds";

export type { MetallbKindName } from "./metallb-kinds";

const seg = encodeURIComponent;

/** The collection of a metallb.io kind in `namespace`, or one object of it when `name` is given. */
export function metallbPath(kindName: MetallbKindName, namespace: string, name?: string): string {
  const k = [...configKindTable, ...statusKindTable].find(c => c.kind === kindName);
  if (!k) throw new Error(`unknown metallb.io kind ${kindName}`);
  return `/apis/metallb.io/${k.version}/namespaces/${seg(namespace)}/${k.plural}${name === undefined ? "" : `/${seg(name)}`}`;
}

/**
 * Where the controller lists and watches a resource: Services, Namespaces, EndpointSlices and Nodes
 * across the cluster, the metallb.io kinds in the Lodestone namespace (controller-port.ts
 * isListedClusterWide says the same).
 */
export function watchedCollectionPath(resource: WatchedResource, namespace: string): string {
  switch (resource) {
    case "Service":
      return "/api/v1/services";
    case "Namespace":
      return "/api/v1/namespaces";
    case "EndpointSlice":
      return "/apis/discovery.k8s.io/v1/endpointslices";
    case "Node":
      return "/api/v1/nodes";
    default:
      return metallbPath(resource, namespace);
  }
}

export const servicePath = (ref: ObjectRef): string => `/api/v1/namespaces/${seg(ref.namespace)}/services/${seg(ref.name)}`;

/** The core/v1 Events of `namespace`, or one Event when `name` is given. */
export const eventsPath = (namespace: string, name?: string): string =>
  `/api/v1/namespaces/${seg(namespace)}/events${name === undefined ? "" : `/${seg(name)}`}`;
