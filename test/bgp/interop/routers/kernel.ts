/**
 * Routes as the router namespace's kernel holds them, read with `ip -json route`. FRR installs
 * multipath routes through nexthop objects (`nhid`), so a route's next hops may live in a group that
 * has to be looked up separately.
 */
import type { Namespace } from "../../../../hack/netns";

interface IpRoute {
  readonly dst?: string;
  readonly gateway?: string;
  readonly nhid?: number;
  readonly protocol?: string;
  readonly nexthops?: readonly { readonly gateway?: string }[];
}

interface IpNexthop {
  readonly id?: number;
  readonly gateway?: string;
  readonly group?: readonly { readonly id: number }[];
}

/** Gateways of the kernel route for exactly `prefix` (sorted), or [] when there is none. */
export async function kernelNextHops(ns: Namespace, prefix: string, family: 4 | 6 = 4): Promise<string[]> {
  const { stdout } = await ns.exec(["ip", `-${family}`, "-json", "route", "show", "exact", prefix]);
  const routes = JSON.parse(stdout || "[]") as IpRoute[];
  const gateways: string[] = [];
  for (const r of routes) {
    if (r.nexthops && r.nexthops.length > 0) gateways.push(...r.nexthops.flatMap(n => (n.gateway ? [n.gateway] : [])));
    else if (r.gateway) gateways.push(r.gateway);
    else if (r.nhid !== undefined) gateways.push(...(await nexthopGateways(ns, r.nhid)));
  }
  return gateways.sort();
}

async function nexthopGateways(ns: Namespace, id: number): Promise<string[]> {
  const { stdout } = await ns.exec(["ip", "-json", "nexthop", "show", "id", String(id)]);
  const [nh] = JSON.parse(stdout || "[]") as IpNexthop[];
  if (!nh) return [];
  if (nh.group) return (await Promise.all(nh.group.map(g => nexthopGateways(ns, g.id)))).flat();
  return nh.gateway ? [nh.gateway] : [];
}
