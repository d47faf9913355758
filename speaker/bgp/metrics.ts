/**
 * BGP metrics with MetalLB's names, so its dashboards and alerts (MetalLBBGPSessionDown) keep
 * working: metallb_bgp_session_up, _updates_total, _announced_prefixes_total,
 * _pending_prefixes_total (label peer), and the per-message counters MetalLB's FRR mode exports
 * (label peer, vrf: the BGPPeer's VRF, "default" outside one). Values are read from the sessions at scrape time.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { BgpSession, SessionStats } from "../../protocols/bgp/session";

export interface NamedSession {
  /** The peer label: the peer's address (an unnumbered peer's interface), as MetalLB uses. */
  readonly peer: string;
  /** The VRF label of the FRR-mode counters; "default" when absent. */
  readonly vrf?: string;
  readonly session: BgpSession;
}

const messageCounters: [name: string, help: string, pick: (s: SessionStats) => number][] = [
  ["metallb_bgp_opens_sent", "OPEN messages sent", s => s.opensSent],
  ["metallb_bgp_opens_received", "OPEN messages received", s => s.opensReceived],
  ["metallb_bgp_notifications_sent", "NOTIFICATION messages sent", s => s.notificationsSent],
  ["metallb_bgp_updates_total_received", "UPDATE messages received", s => s.updatesReceived],
  ["metallb_bgp_keepalives_sent", "KEEPALIVE messages sent", s => s.keepalivesSent],
  ["metallb_bgp_keepalives_received", "KEEPALIVE messages received", s => s.keepalivesReceived],
  ["metallb_bgp_total_sent", "BGP messages sent", s => s.opensSent + s.updatesSent + s.keepalivesSent + s.notificationsSent],
  [
    "metallb_bgp_total_received",
    "BGP messages received",
    s => s.opensReceived + s.updatesReceived + s.keepalivesReceived + s.notificationsReceived + s.routeRefreshReceived,
  ],
];

export function registerBgpMetrics(registry: Registry, sessions: () => Iterable<NamedSession>): void {
  const gauge = (name: string, help: string, value: (s: BgpSession) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["peer"],
      registers: [registry],
      collect() {
        this.reset();
        for (const { peer, session } of sessions()) this.set({ peer }, value(session));
      },
    });
  gauge("metallb_bgp_session_up", "BGP session state (1 is up, 0 is down)", s => (s.state === "Established" ? 1 : 0));
  gauge("metallb_bgp_announced_prefixes_total", "Number of prefixes currently being advertised on the BGP session", s => s.announcedCount);
  gauge("metallb_bgp_pending_prefixes_total", "Number of prefixes that should be advertised on the BGP session", s => s.advertised.length);
  new Counter({
    name: "metallb_bgp_updates_total",
    help: "Number of BGP UPDATE messages sent",
    labelNames: ["peer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { peer, session } of sessions()) this.inc({ peer }, session.stats.updatesSent);
    },
  });
  for (const [name, help, pick] of messageCounters) {
    new Counter({
      name,
      help,
      labelNames: ["peer", "vrf"],
      registers: [registry],
      collect() {
        this.reset();
        for (const { peer, vrf, session } of sessions()) this.inc({ peer, vrf: vrf ?? "default" }, pick(session.stats));
      },
    });
  }
}
