/**
 * BGP metrics with MetalLB's names, so its dashboards and alerts (MetalLBBGPSessionDown) keep
 * working: metallb_bgp_session_up, _updates_total, _announced_prefixes_total,
 * _pending_prefixes_total (label peer), and the per-message counters MetalLB's FRR mode exports
 * (label peer, vrf: the BGPPeer's VRF, "default" outside one). Values are read from the sessions at scrape time.
 */
import type { Registry } from "prom-client";
import { scrapeTimeCounter, scrapeTimeGauge } from "../../observability/scrape-time-metrics";
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
  /** One series a session, labelled by peer, or by peer and VRF as MetalLB's FRR mode does. */
  const byPeer = (value: (s: BgpSession) => number) => () => Array.from(sessions(), ({ peer, session }) => [{ peer }, value(session)] as const);
  const byPeerAndVrf = (value: (s: BgpSession) => number) => () =>
    Array.from(sessions(), ({ peer, vrf, session }) => [{ peer, vrf: vrf ?? "default" }, value(session)] as const);
  const gauge = (name: string, help: string, value: (s: BgpSession) => number) => scrapeTimeGauge(registry, { name, help, labelNames: ["peer"], read: byPeer(value) });
  gauge("metallb_bgp_session_up", "BGP session state (1 is up, 0 is down)", s => (s.state === "Established" ? 1 : 0));
  gauge("metallb_bgp_announced_prefixes_total", "Number of prefixes currently being advertised on the BGP session", s => s.announcedCount);
  gauge("metallb_bgp_pending_prefixes_total", "Number of prefixes that should be advertised on the BGP session", s => s.advertised.length);
  scrapeTimeCounter(registry, { name: "metallb_bgp_updates_total", help: "Number of BGP UPDATE messages sent", labelNames: ["peer"], read: byPeer(s => s.stats.updatesSent) });
  for (const [name, help, pick] of messageCounters) {
    scrapeTimeCounter(registry, { name, help, labelNames: ["peer", "vrf"], read: byPeerAndVrf(s => pick(s.stats)) });
  }
}
