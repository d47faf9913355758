/**
 * This node as the BGP data plane sees it: its labels (BGPPeer nodeSelectors) and its addresses
 * (InternalIP and ExternalIP from status.addresses; the first of each family becomes the next hop).
 */
import type { KubeObject } from "../kube/controller-port";

export interface BgpNodeView {
  labels: Record<string, string>;
  addresses: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** The view of `name` among the watched Nodes; undefined while the Node is not known. */
export function bgpNodeView(nodes: readonly KubeObject[], name: string): BgpNodeView | undefined {
  const node = nodes.find(n => n.metadata?.name === name);
  if (!node) return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) if (typeof v === "string") labels[k] = v;
  const list = obj(node.status).addresses;
  const addresses: string[] = [];
  for (const a of Array.isArray(list) ? list.map(obj) : []) {
    if ((a.type === "InternalIP" || a.type === "ExternalIP") && typeof a.address === "string" && !addresses.includes(a.address)) addresses.push(a.address);
  }
  return { labels, addresses };
}
