/**
 * --bgp: FRR in the router namespace peers with the three speakers (eBGP, BFD 100 ms x 3) and should
 * install one /32 per Service with the three nodes as ECMP next hops.
 */
import type { Bed } from "../netns";
import { FrrRouter } from "../../capabilities/bgp/interop/routers/frr";
import type { Cleanup } from "./cleanup";
import { BFD_PROFILE, type BgpLab } from "./objects";
import { until } from "./steps";
import { LODESTONE_NAMESPACE } from "./workload";

export const BGP_LAB: Omit<BgpLab, "pool"> = {
  namespace: LODESTONE_NAMESPACE,
  nodeAsn: 64500,
  routerAsn: 64501,
  routerAddress: "192.0.2.1",
  bfd: { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 },
};

export async function startFrr(bed: Bed, cleanup: Cleanup): Promise<FrrRouter> {
  const bfd = BGP_LAB.bfd;
  const frr = await FrrRouter.start(bed.router, {
    asn: BGP_LAB.routerAsn,
    routerId: BGP_LAB.routerAddress,
    neighbors: bed.nodes.map((n) => ({ address: n.ipv4, remoteAs: BGP_LAB.nodeAsn, ...(bfd ? { bfdProfile: BFD_PROFILE } : {}) })),
    ...(bfd ? { bfdProfiles: [{ name: BFD_PROFILE, ...bfd }] } : {}),
  });
  cleanup.add("FRR", () => frr.stop());
  return frr;
}

/** The kernel route's next hops for `ip`/32 in the router namespace (FRR's zebra installed it). */
export async function kernelNextHops(bed: Bed, ip: string): Promise<string[]> {
  const routes = JSON.parse((await bed.router.exec(["ip", "-json", "route", "show", `${ip}/32`])).stdout) as { gateway?: string; nexthops?: { gateway?: string }[] }[];
  const route = routes[0];
  if (!route) return [];
  return (route.nexthops ?? [route]).map((h) => h.gateway ?? "?").sort();
}

/** Waits until the route to `ip` has `count` next hops; on timeout says how FRR's sessions stand. */
export async function waitForEcmp(bed: Bed, frr: FrrRouter, ip: string, count: number, timeoutMs: number): Promise<string[]> {
  return until(async () => {
    const hops = await kernelNextHops(bed, ip);
    if (hops.length >= count) return hops;
    const sessions = [...(await frr.neighborStates())].map(([peer, state]) => `${peer} ${state}`).join(", ");
    throw new Error(`route to ${ip}/32 has ${hops.length} next hops; BGP sessions: ${sessions || "none"}`);
  }, `ECMP route to ${ip} with ${count} next hops`, timeoutMs, 100);
}
