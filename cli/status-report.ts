/**
 * `lodestone status` as a pure function: cluster objects in, the text a user reads out. Everything
 * shown is what Lodestone itself wrote: pool counters, Service ingress and pool annotation, the
 * speakers' ServiceL2Status/ServiceBGPStatus objects and BGPPeer session status.
 */
import type { BGPPeer } from "../crds/types/bgppeer";
import type { IPAddressPool } from "../crds/types/ipaddresspool";
import type { ServiceBGPStatus } from "../crds/types/servicebgpstatus";
import type { ServiceL2Status } from "../crds/types/servicel2status";

export interface ServiceView {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] }; conditions?: { type?: string; status?: string; message?: string }[] };
}

export interface ClusterSnapshot {
  pools: IPAddressPool[];
  services: ServiceView[];
  l2Statuses: ServiceL2Status[];
  bgpStatuses: ServiceBGPStatus[];
  peers: BGPPeer[];
}

/** Left-aligned columns, two spaces apart, like kubectl's tables. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? ""}/${name ?? ""}`;

export function statusReport(s: ClusterSnapshot): string[] {
  const out: string[] = ["POOLS"];
  out.push(
    ...table(
      ["NAME", "ADDRESSES", "IPV4 USED/FREE", "IPV6 USED/FREE"],
      s.pools.map(p => [
        p.metadata?.name ?? "",
        (p.spec?.addresses ?? []).join(","),
        p.status ? `${p.status.assignedIPv4}/${p.status.availableIPv4}` : "-",
        p.status ? `${p.status.assignedIPv6}/${p.status.availableIPv6}` : "-",
      ]),
    ),
  );

  const announcers = new Map<string, string[]>();
  const add = (k: string, what: string) => announcers.set(k, [...(announcers.get(k) ?? []), what]);
  for (const l2 of s.l2Statuses) {
    const ifs = (l2.status?.interfaces ?? []).map(i => i.name).join(",");
    add(key(l2.status?.serviceNamespace, l2.status?.serviceName), `${l2.status?.node ?? "?"} (layer2${ifs ? ` on ${ifs}` : ""})`);
  }
  for (const bgp of s.bgpStatuses) {
    const peers = (bgp.status?.peers ?? []).join(",");
    add(key(bgp.status?.serviceNamespace, bgp.status?.serviceName), `${bgp.status?.node ?? "?"} (bgp${peers ? ` to ${peers}` : ""})`);
  }

  out.push("", "LOADBALANCER SERVICES");
  const lbs = s.services.filter(svc => svc.spec?.type === "LoadBalancer");
  out.push(
    ...table(
      ["SERVICE", "IPS", "POOL", "ANNOUNCED BY"],
      lbs.map(svc => {
        const k = key(svc.metadata?.namespace, svc.metadata?.name);
        const ips = (svc.status?.loadBalancer?.ingress ?? []).map(i => i.ip ?? "").filter(Boolean);
        const pending = svc.status?.conditions?.find(c => c.type === "lodestone.dev/IPAllocated" && c.status === "False");
        return [
          k,
          ips.length ? ips.join(",") : `<pending>${pending?.message ? `: ${pending.message}` : ""}`,
          svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"] ?? "-",
          (announcers.get(k) ?? ["-"]).join("; "),
        ];
      }),
    ),
  );

  out.push("", "BGP SESSIONS");
  const sessions = s.peers.flatMap(p =>
    (p.status?.sessions ?? []).map(sess => [
      p.metadata?.name ?? "",
      sess.node,
      sess.state,
      sess.since ?? "-",
      String(sess.prefixesAdvertised ?? 0),
      sess.lastError ?? "",
    ]),
  );
  out.push(...(sessions.length ? table(["PEER", "NODE", "STATE", "SINCE", "PREFIXES", "LAST ERROR"], sessions) : ["(none)"]));
  return out;
}
