/**
 * Joins the L2 data plane (speaker/l2: full IPStatus lists) to the speaker's
 * L2DataPlane contract (per-Service announcing / released / interfaceMissing reports).
 *
 * `statusEvents` is the pure part: from the previous and the current status list it says what
 * changed per Service. A Service counts as announced when at least one of its owned IPs is being
 * answered on an interface; owned IPs with no usable interface mean the node won the election
 * but cannot answer (MetalLB's `announceFailed`).
 *
 * `speakerL2Options` turns the speaker's flags into the data plane's options, so what the flags
 * say (heartbeat port and address, partition policy) reaches the Membership the data plane builds.
 */
import type { AnnouncedService } from "../core/election/announcements";
import type { IPStatus, L2DataPlaneOptions, L2DataPlane as RealL2DataPlane } from "./l2";
import { heartbeatKeysFromSecret } from "../protocols/l2/heartbeat-keys";
import type { HeartbeatPeer } from "./l2/heartbeat-udp";
import type { SpeakerArgs } from "./args";
import type { L2DataPlane, L2DataPlaneEvent } from "./data-plane";
import { logger, type Logger } from "../observability/log";

export type SpeakerL2Args = Pick<SpeakerArgs, "node" | "heartbeatPort" | "bindAddress" | "partitionPolicy">;

/**
 * The L2 data plane's options from the speaker's flags and heartbeat keys (current first, then the
 * previous one still accepted). No peers: the speaker sets them from its speaker Pods, and nothing is
 * announced before (the start-up grace runs from then).
 * `rest` adds what the process owns (metrics, log) and, in tests, the clock and socket seams.
 */
export function speakerL2Options(
  args: SpeakerL2Args,
  keys: readonly Buffer[],
  rest: Omit<L2DataPlaneOptions, "nodeName" | "heartbeat"> = {},
): L2DataPlaneOptions {
  const [key, previousKey] = keys;
  if (!key) throw new Error("no heartbeat key");
  return {
    ...rest,
    nodeName: args.node,
    heartbeat: {
      key,
      ...(previousKey ? { previousKey } : {}),
      port: args.heartbeatPort,
      bindAddress: args.bindAddress,
      partitionPolicy: args.partitionPolicy,
    },
  };
}

type ServiceReport =
  | { type: "announcing"; ips: string[]; interfaces: string[] }
  | { type: "interfaceMissing"; interfaces: string[] };

type ServiceReports = ReadonlyMap<string, ServiceReport>;

function reports(status: readonly IPStatus[], services: readonly AnnouncedService[]): ServiceReports {
  const bySvc = new Map<string, IPStatus[]>();
  for (const s of status) {
    const list = bySvc.get(s.service);
    if (list) list.push(s);
    else bySvc.set(s.service, [s]);
  }
  let byName: Map<string, AnnouncedService> | undefined;
  const out = new Map<string, ServiceReport>();
  for (const [service, list] of bySvc) {
    const answering = list.filter(s => s.interfaces.length > 0);
    if (answering.length > 0) {
      out.set(service, { type: "announcing", ips: answering.map(s => s.ip), interfaces: [...new Set(answering.flatMap(s => s.interfaces))].sort() });
    } else {
      byName ??= new Map(services.map(s => [s.name, s]));
      out.set(service, { type: "interfaceMissing", interfaces: [...(byName.get(service)?.interfaces ?? [])].sort() });
    }
  }
  return out;
}

/** The reports that differ between two status lists, released ones first, then by service name. */
export function statusEvents(
  before: readonly IPStatus[],
  after: readonly IPStatus[],
  services: readonly AnnouncedService[],
): L2DataPlaneEvent[] {
  return reportEvents(reports(before, services), reports(after, services));
}

function reportEvents(prev: ServiceReports, next: ServiceReports): L2DataPlaneEvent[] {
  const out: L2DataPlaneEvent[] = [];
  for (const service of [...prev.keys()].sort()) if (!next.has(service)) out.push({ type: "released", service });
  for (const service of [...next.keys()].sort()) {
    const r = next.get(service);
    if (!r || sameReport(r, prev.get(service))) continue;
    out.push(r.type === "announcing" ? { type: "announcing", service, ips: r.ips, interfaces: r.interfaces } : { type: "interfaceMissing", service, interfaces: r.interfaces });
  }
  return out;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function sameReport(a: ServiceReport, b: ServiceReport | undefined): boolean {
  if (!b || a.type !== b.type || !sameList(a.interfaces, b.interfaces)) return false;
  return a.type !== "announcing" || (b.type === "announcing" && sameList(a.ips, b.ips));
}

/** Wraps a running data plane; a changed heartbeat Secret is handed to its key ring (rotation: ADR 0002 §2a). */
export function adaptL2DataPlane(plane: RealL2DataPlane, log: Logger = logger("l2")): L2DataPlane {
  let services: readonly AnnouncedService[] = [];
  // The reports of the last status, kept rather than made again from it at the next (a pass over
  // every owned IP: at 10,000 Services the status changes with every state).
  let last: ServiceReports = new Map();
  const listeners = new Set<(e: L2DataPlaneEvent) => void>();
  const unsubscribe = plane.onStatus(status => {
    const next = reports(status, services);
    const events = reportEvents(last, next);
    last = next;
    for (const e of events) for (const l of [...listeners]) l(e);
  });
  return {
    setServices(next) {
      services = next;
      plane.setServices(next);
    },
    setPeers(peers: readonly HeartbeatPeer[]) {
      plane.setPeers(peers.map(p => ({ node: p.node, address: p.address })));
    },
    setViewCurrent(current) {
      plane.setViewCurrent(current);
    },
    setHeartbeatSecret(secret) {
      if (!secret) return; // A deleted Secret leaves the keys in use: heartbeats must not stop.
      const keys = heartbeatKeysFromSecret(secret as { data?: Record<string, string> });
      if (!keys.ok) return void log.warn(`heartbeat Secret: ${keys.message}; keeping the keys in use`);
      plane.setHeartbeatKeys(keys.keys);
    },
    async beginHandover() {
      await plane.beginHandover();
    },
    stop() {
      unsubscribe();
      void plane.stop();
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMembership(listener) {
      return plane.onMembership(listener);
    },
  };
}
