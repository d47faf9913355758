/**
 * The lab's check that status stops naming a dead node (issue 12): after the owner dies, no
 * ServiceL2Status / ServiceBGPStatus may name it, no BGPPeer session entry may show it anything but
 * Idle, and no Service's Announced condition may name it as the announcer.
 */
interface Item {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly status?: unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

export interface LabStatus {
  readonly l2Statuses: readonly Item[];
  readonly bgpStatuses: readonly Item[];
  readonly peers: readonly Item[];
  readonly services: readonly Item[];
}

/** What still names `node` as announcing (empty: the status tells the truth). */
export function stillNaming(s: LabStatus, node: string): string[] {
  const out: string[] = [];
  for (const o of s.l2Statuses) if (obj(o.status).node === node) out.push(`ServiceL2Status ${o.metadata?.name ?? "?"}`);
  for (const o of s.bgpStatuses) if (obj(o.status).node === node) out.push(`ServiceBGPStatus ${o.metadata?.name ?? "?"}`);
  for (const p of s.peers) {
    const e = list(obj(p.status).sessions).find(x => x.node === node);
    if (e && e.state !== "Idle") out.push(`BGPPeer ${p.metadata?.name ?? "?"} session ${String(e.state)}`);
  }
  const announcer = new RegExp(`\\bnode ${node.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`);
  for (const svc of s.services) {
    const c = list(obj(svc.status).conditions).find(x => x.type === "lodestone.dev/Announced");
    if (c && c.status === "True" && typeof c.message === "string" && announcer.test(c.message)) out.push(`Service ${svc.metadata?.namespace ?? ""}/${svc.metadata?.name ?? ""} Announced: ${c.message}`);
  }
  return out;
}
