/**
 * The router's kernel routes as `ip -ts monitor route` reports them, to time the moment a dead
 * node's next hop leaves a VIP's ECMP route. The timestamps are the kernel notification's arrival in
 * `ip` (microseconds), so the figure does not depend on how often the lab looks, nor on how loaded
 * the lab process is. `ip` prints one message per change:
 *
 *   [2026-11-22T02:58:21.123456] 198.51.100.161 nhid 41 proto bgp metric 20
 *   	nexthop via 192.0.2.12 dev br0 weight 1
 *   	nexthop via 192.0.2.13 dev br0 weight 1
 *   [2026-11-22T02:58:21.223456] Deleted 198.51.100.160 nhid 40 via 192.0.2.11 dev br0 proto bgp metric 20
 *
 * The timestamp is in the local time of `ip`; the lab runs it with TZ=UTC.
 */
import type { Namespace, Spawned } from "../netns";
import { listeningRouteMonitor } from "../netns/route-monitor";

export interface RouteEvent {
  /** Epoch milliseconds (fractional). */
  readonly atMs: number;
  readonly deleted: boolean;
  /** As printed: `198.51.100.161` (a host route has no /32) or `198.51.100.0/24`. */
  readonly destination: string;
  /** Gateways, in the order printed; empty for a route without a gateway. */
  readonly nextHops: readonly string[];
}

const HEADER = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\] (Deleted )?(\S+)(.*)$/;
const NEXT_HOP = /^\s+nexthop via (\S+) /;
const VIA = / via (\S+) /;

/** Epoch ms of `ip`'s short timestamp read as UTC, or undefined when a field is out of range. */
function utcMs(fields: readonly string[]): number | undefined {
  const [year, month, day, hour, minute, second, micro] = fields.map(Number);
  if ([year, month, day, hour, minute, second, micro].some((n) => n === undefined)) return undefined;
  const ms = Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second);
  const back = new Date(ms);
  // Date.UTC rolls 31 Feb into March; such a line did not come from `ip`.
  if (back.getUTCMonth() !== (month ?? 0) - 1 || back.getUTCDate() !== day || (hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return undefined;
  return ms + (micro ?? 0) / 1000;
}

/** The route messages in `ip -ts monitor route` output; lines that belong to none are skipped. */
export function parseRouteMonitor(lines: readonly string[]): RouteEvent[] {
  const events: RouteEvent[] = [];
  let current: { atMs: number; deleted: boolean; destination: string; nextHops: string[] } | undefined;
  const flush = (): void => {
    if (current) events.push(current);
    current = undefined;
  };
  for (const line of lines) {
    const header = HEADER.exec(line);
    if (header) {
      flush();
      const atMs = utcMs(header.slice(1, 8));
      if (atMs === undefined) continue;
      const rest = `${header[10] ?? ""} `;
      const via = VIA.exec(rest)?.[1];
      current = { atMs, deleted: header[8] !== undefined, destination: header[9] ?? "", nextHops: via !== undefined ? [via] : [] };
      continue;
    }
    const hop = NEXT_HOP.exec(`${line} `);
    if (hop && current) current.nextHops.push(hop[1] ?? "");
    else if (!/^\s/.test(line)) flush();
  }
  flush();
  return events;
}

/** `198.51.100.161/32` and `198.51.100.161` name the same host route. */
const sameDestination = (printed: string, ip: string): boolean => printed === ip || printed === `${ip}/32`;

/**
 * When `gateway` stopped being a next hop of the host route to `ip`: the first event at or after
 * `sinceMs` that deletes the route, or replaces it with next hops that leave `gateway` out.
 * Undefined while no such event has been seen.
 */
export function nextHopRemovedAt(events: readonly RouteEvent[], ip: string, gateway: string, sinceMs: number): RouteEvent | undefined {
  return events.find((e) => e.atMs >= sinceMs && sameDestination(e.destination, ip) && (e.deleted ? e.nextHops.length === 0 || e.nextHops.includes(gateway) : !e.nextHops.includes(gateway)));
}

/** `ip -ts monitor route` running in a namespace, its output kept for parseRouteMonitor. */
export class RouteMonitor {
  private constructor(readonly spawned: Spawned) {}

  /** Starts watching; resolves once `ip` is known to be subscribed (hack/netns/route-monitor.ts), so no later change is missed. */
  static async start(ns: Namespace): Promise<RouteMonitor> {
    return new RouteMonitor(await listeningRouteMonitor(ns));
  }

  events(): RouteEvent[] {
    return parseRouteMonitor(this.spawned.stdoutLines);
  }

  async stop(): Promise<void> {
    await this.spawned.kill(500);
  }
}
