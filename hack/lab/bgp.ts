/**
 * --bgp: FRR in the router namespace peers with the three speakers (eBGP, BFD 100 ms x 3) and should
 * install one /32 per Service with the three nodes as ECMP next hops.
 */
import type { Bed } from "../netns";
import { FrrRouter } from "../../test/bgp/interop/routers/frr";
import type { Cleanup } from "./cleanup";
import { BFD_PROFILE, type BgpLab } from "./objects";
import { until } from "./steps";
import { LODESTONE_NAMESPACE } from "./workload";
import { RouteMonitor } from "./routes";
import { logTo } from "./infra";

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

/** `ip -ts monitor route` in the router namespace, to time when a dead node's next hop goes. */
export async function watchRoutes(bed: Bed, cleanup: Cleanup, logFile: string): Promise<RouteMonitor> {
  const monitor = await RouteMonitor.start(bed.router);
  logTo(monitor.spawned, logFile);
  cleanup.add("route monitor", () => monitor.stop());
  return monitor;
}

interface FrrBfdPeer {
  readonly peer?: string;
  readonly status?: string;
  readonly diagnostic?: string;
  readonly "remote-diagnostic"?: string;
  readonly "receive-interval"?: number;
  readonly "transmit-interval"?: number;
  readonly "detect-multiplier"?: number;
  readonly "remote-receive-interval"?: number;
  readonly "remote-transmit-interval"?: number;
  readonly "remote-detect-multiplier"?: number;
}

/** FRR's BFD sessions, one line each: `192.0.2.11 up (rx 100 ms, tx 100 ms, x3; remote rx 100 ms, tx 100 ms, x3; diag ok/ok)`. */
export async function bfdSummary(frr: FrrRouter): Promise<Map<string, string>> {
  const peers = await frr.vtyshJson<FrrBfdPeer[]>("show bfd peers json");
  return new Map(
    peers.flatMap((p) =>
      p.peer === undefined
        ? []
        : [
            [
              p.peer,
              `${p.peer} ${p.status ?? "?"} (rx ${p["receive-interval"] ?? "?"} ms, tx ${p["transmit-interval"] ?? "?"} ms, x${p["detect-multiplier"] ?? "?"}; ` +
                `remote rx ${p["remote-receive-interval"] ?? "?"} ms, tx ${p["remote-transmit-interval"] ?? "?"} ms, x${p["remote-detect-multiplier"] ?? "?"}; ` +
                `diag ${p.diagnostic ?? "?"}/${p["remote-diagnostic"] ?? "?"})`,
            ] as const,
          ],
    ),
  );
}

/** Waits until FRR has BFD up and BGP Established with every one of `peers`: only then does a dead
 * node's next hop go within BFD's detection time rather than BGP's hold time. */
export async function waitForBfdUp(frr: FrrRouter, peers: readonly string[], timeoutMs: number): Promise<{ bfd: Map<string, string>; waitedMs: number; firstSeen?: string }> {
  const start = performance.now();
  let firstSeen: string | undefined;
  const bfd = await until(async () => {
    const [bfd, bgp] = await Promise.all([frr.bfdPeers(), frr.neighborStates()]);
    const notUp = peers.filter((p) => bfd.get(p) !== "up" || bgp.get(p) !== "Established");
    if (notUp.length === 0) return bfdSummary(frr);
    const problem = notUp.map((p) => `${p}: BFD ${bfd.get(p) ?? "no session"}, BGP ${bgp.get(p) ?? "no neighbor"}`).join("; ");
    firstSeen ??= problem;
    throw new Error(problem);
  }, `BFD up and BGP Established with ${peers.join(", ")}`, timeoutMs, 100);
  return { bfd, waitedMs: performance.now() - start, ...(firstSeen !== undefined ? { firstSeen } : {}) };
}
