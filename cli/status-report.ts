/**
 * `lodestone status` as a pure function: cluster objects in, the text a user reads out. Everything
 * shown is what Lodestone itself wrote: pool counters, Service ingress, pool annotation and conditions,
 * the speakers' ServiceL2Status/ServiceBGPStatus objects and BGPPeer session status (a dead speaker's
 * objects are removed and its sessions marked Idle by the survivors: docs/adr/0009).
 */
import type { BGPPeer } from "../crds/types/bgppeer";
import type { IPAddressPool } from "../crds/types/ipaddresspool";
import type { ServiceBGPStatus } from "../crds/types/servicebgpstatus";
import type { ServiceL2Status } from "../crds/types/servicel2status";

export interface ServiceView {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] }; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
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

/** What `lodestone status` knows, as data: the text tables and `-o json|yaml` are views of it. */
export interface StatusModel {
  pools: { name: string; addresses: string[]; ipv4?: { used: number; free: number }; ipv6?: { used: number; free: number } }[];
  services: {
    namespace: string;
    name: string;
    ips: string[];
    /** Why no IP was given, from the Service's lodestone.dev/IPAllocated condition; absent when it has IPs. */
    pending?: string;
    pool?: string;
    announcedBy: { node: string; mode: "layer2" | "bgp"; interfaces?: string[]; peers?: string[] }[];
    /** Why nobody announces a Service that has IPs, from the controller's lodestone.dev/Announced condition. */
    notAnnounced?: { reason: string; message: string };
  }[];
  bgpSessions: { peer: string; node: string; state: string; since?: string; prefixesAdvertised: number; lastError?: string }[];
}

export function statusModel(s: ClusterSnapshot): StatusModel {
  const announcers = new Map<string, StatusModel["services"][number]["announcedBy"]>();
  const add = (k: string, a: StatusModel["services"][number]["announcedBy"][number]) => announcers.set(k, [...(announcers.get(k) ?? []), a]);
  for (const l2 of s.l2Statuses) {
    const interfaces = (l2.status?.interfaces ?? []).map(i => i.name);
    add(key(l2.status?.serviceNamespace, l2.status?.serviceName), { node: l2.status?.node ?? "?", mode: "layer2", ...(interfaces.length ? { interfaces } : {}) });
  }
  for (const bgp of s.bgpStatuses) {
    const peers = bgp.status?.peers ?? [];
    add(key(bgp.status?.serviceNamespace, bgp.status?.serviceName), { node: bgp.status?.node ?? "?", mode: "bgp", ...(peers.length ? { peers: [...peers] } : {}) });
  }
  return {
    pools: s.pools.map(p => ({
      name: p.metadata?.name ?? "",
      addresses: [...(p.spec?.addresses ?? [])],
      ...(p.status ? { ipv4: { used: p.status.assignedIPv4, free: p.status.availableIPv4 }, ipv6: { used: p.status.assignedIPv6, free: p.status.availableIPv6 } } : {}),
    })),
    services: s.services
      .filter(svc => svc.spec?.type === "LoadBalancer")
      .map(svc => {
        const ips = (svc.status?.loadBalancer?.ingress ?? []).map(i => i.ip ?? "").filter(Boolean);
        const pending = svc.status?.conditions?.find(c => c.type === "lodestone.dev/IPAllocated" && c.status === "False");
        const pool = svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"];
        const announcedBy = announcers.get(key(svc.metadata?.namespace, svc.metadata?.name)) ?? [];
        // Nobody announces: the controller's Announced condition says why (its reasons: docs/troubleshooting.md).
        const silent = svc.status?.conditions?.find(c => c.type === "lodestone.dev/Announced" && c.status === "False");
        return {
          namespace: svc.metadata?.namespace ?? "",
          name: svc.metadata?.name ?? "",
          ips,
          ...(ips.length === 0 ? { pending: pending?.message ?? "" } : {}),
          ...(pool !== undefined ? { pool } : {}),
          announcedBy,
          ...(ips.length && !announcedBy.length && silent ? { notAnnounced: { reason: silent.reason ?? "NotAnnounced", message: silent.message ?? "" } } : {}),
        };
      }),
    bgpSessions: s.peers.flatMap(p =>
      (p.status?.sessions ?? []).map(sess => ({
        peer: p.metadata?.name ?? "",
        node: sess.node,
        state: sess.state,
        ...(sess.since !== undefined ? { since: sess.since } : {}),
        prefixesAdvertised: sess.prefixesAdvertised ?? 0,
        ...(sess.lastError ? { lastError: sess.lastError } : {}),
      })),
    ),
  };
}

/** The text view: three tables, like kubectl get's. */
export function statusText(m: StatusModel): string[] {
  const out: string[] = ["POOLS"];
  out.push(
    ...table(
      ["NAME", "ADDRESSES", "IPV4 USED/FREE", "IPV6 USED/FREE"],
      m.pools.map(p => [p.name, p.addresses.join(","), p.ipv4 ? `${p.ipv4.used}/${p.ipv4.free}` : "-", p.ipv6 ? `${p.ipv6.used}/${p.ipv6.free}` : "-"]),
    ),
  );
  out.push("", "LOADBALANCER SERVICES");
  const announcer = (a: StatusModel["services"][number]["announcedBy"][number]): string =>
    a.mode === "layer2" ? `${a.node} (layer2${a.interfaces ? ` on ${a.interfaces.join(",")}` : ""})` : `${a.node} (bgp${a.peers ? ` to ${a.peers.join(",")}` : ""})`;
  out.push(
    ...table(
      ["SERVICE", "IPS", "POOL", "ANNOUNCED BY"],
      m.services.map(svc => [
        `${svc.namespace}/${svc.name}`,
        svc.ips.length ? svc.ips.join(",") : `<pending>${svc.pending ? `: ${svc.pending}` : ""}`,
        svc.pool ?? "-",
        svc.announcedBy.length ? svc.announcedBy.map(announcer).join("; ") : svc.notAnnounced ? `- (${svc.notAnnounced.reason}: ${svc.notAnnounced.message})` : "-",
      ]),
    ),
  );
  out.push("", "BGP SESSIONS");
  const sessions = m.bgpSessions.map(sess => [sess.peer, sess.node, sess.state, sess.since ?? "-", String(sess.prefixesAdvertised), sess.lastError ?? ""]);
  out.push(...(sessions.length ? table(["PEER", "NODE", "STATE", "SINCE", "PREFIXES", "LAST ERROR"], sessions) : ["(none)"]));
  return out;
}

export const statusReport = (s: ClusterSnapshot): string[] => statusText(statusModel(s));
