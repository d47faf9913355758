/**
 * The controller's cache of what decides a Service's `lodestone.dev/Announced` condition besides the
 * Service itself: the speakers' ServiceL2Status / ServiceBGPStatus objects (who says it announces),
 * and the EndpointSlices and Nodes (whether anyone may: computeDesired's verdict). Indexed by
 * Service, so a watch event touches only the Services it concerns.
 */
import { readEndpointSlice, readNode, SERVICE_NAME_LABEL, type EndpointSliceView } from "../core/announce";
import type { BgpAnnouncer, L2Announcer } from "../core/announce/announced-condition";
import type { KubeObject, WatchedResource, WatchPhase } from "../kube/controller-port";
import type { ElectionNode } from "../core/election/election";

export const ANNOUNCED_INPUTS = ["ServiceL2Status", "ServiceBGPStatus", "EndpointSlice", "Node"] as const satisfies readonly WatchedResource[];
export type AnnouncedInputResource = (typeof ANNOUNCED_INPUTS)[number];

export const isAnnouncedInput = (r: WatchedResource): r is AnnouncedInputResource => (ANNOUNCED_INPUTS as readonly string[]).includes(r);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const strings = (v: unknown, pick: (x: unknown) => unknown = x => x): string[] =>
  Array.isArray(v) ? v.map(pick).filter((x): x is string => typeof x === "string") : [];

interface Report {
  service: string;
  l2?: L2Announcer;
  bgp?: BgpAnnouncer;
}

/** A speaker's status object as a report; undefined when it does not say which node and Service. */
export function readReport(resource: "ServiceL2Status" | "ServiceBGPStatus", o: KubeObject): Report | undefined {
  const status = obj(o.status);
  const node = str(status.node);
  const name = str(status.serviceName);
  const namespace = str(status.serviceNamespace);
  if (!node || !name || !namespace) return undefined;
  const service = `${namespace}/${name}`;
  return resource === "ServiceL2Status"
    ? { service, l2: { node, interfaces: strings(status.interfaces, i => obj(i).name) } }
    : { service, bgp: { node, peers: strings(status.peers) } };
}

export class AnnouncedInputs {
  /** `resource/namespace/name` -> the report it makes. */
  private readonly reports = new Map<string, Report>();
  private readonly byService = new Map<string, Set<string>>();
  /** slice `namespace/name` -> its Service and view. */
  private readonly slices = new Map<string, EndpointSliceView>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly nodeViews = new Map<string, ElectionNode>();
  /** The Service keys the last apply() concerned. */
  lastAffected: string[] = [];

  apply(resource: AnnouncedInputResource, phase: WatchPhase, o: KubeObject, allServices: () => Iterable<string>): void {
    const md = o.metadata ?? {};
    const id = `${md.namespace ?? ""}/${md.name ?? ""}`;
    if (resource === "Node") {
      const node = phase === "DELETED" ? undefined : readNode(o);
      if (node) this.nodeViews.set(md.name ?? "", node);
      else this.nodeViews.delete(md.name ?? "");
      this.lastAffected = [...allServices()];
      return;
    }
    if (resource === "EndpointSlice") {
      const before = this.slices.get(id)?.serviceKey;
      const view = phase === "DELETED" ? undefined : readEndpointSlice(o);
      this.index(this.slices, this.slicesByService, id, before, view, v => v.serviceKey);
      const label = md.labels?.[SERVICE_NAME_LABEL];
      this.lastAffected = [...new Set([before, view?.serviceKey, label ? `${md.namespace ?? ""}/${label}` : undefined].filter((k): k is string => k !== undefined))];
      return;
    }
    const key = `${resource}/${id}`;
    const before = this.reports.get(key)?.service;
    const report = phase === "DELETED" ? undefined : readReport(resource, o);
    this.index(this.reports, this.byService, key, before, report, r => r.service);
    this.lastAffected = [...new Set([before, report?.service].filter((k): k is string => k !== undefined))];
  }

  private index<T>(items: Map<string, T>, byService: Map<string, Set<string>>, id: string, before: string | undefined, next: T | undefined, serviceOf: (t: T) => string): void {
    if (before !== undefined) {
      const set = byService.get(before);
      set?.delete(id);
      if (set?.size === 0) byService.delete(before);
    }
    if (next === undefined) {
      items.delete(id);
      return;
    }
    items.set(id, next);
    const service = serviceOf(next);
    let set = byService.get(service);
    if (!set) byService.set(service, (set = new Set()));
    set.add(id);
  }

  /** The speakers' reports about one Service. */
  reportsFor(service: string): { l2: L2Announcer[]; bgp: BgpAnnouncer[] } {
    const l2: L2Announcer[] = [];
    const bgp: BgpAnnouncer[] = [];
    for (const id of this.byService.get(service) ?? []) {
      const r = this.reports.get(id);
      if (r?.l2) l2.push(r.l2);
      if (r?.bgp) bgp.push(r.bgp);
    }
    return { l2, bgp };
  }

  slicesFor(service: string): EndpointSliceView[] {
    return [...(this.slicesByService.get(service) ?? [])].map(id => this.slices.get(id)).filter((v): v is EndpointSliceView => v !== undefined);
  }

  nodes(): ElectionNode[] {
    return [...this.nodeViews.values()];
  }
}
