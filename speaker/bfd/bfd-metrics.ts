/**
 * BFD metrics with the names MetalLB's FRR mode exports (reference 5): metallb_bfd_session_up,
 * _control_packet_input, _control_packet_output, _echo_packet_input, _echo_packet_output (our echoes
 * sent and come back), _session_up_events, _session_down_events, labels
 * peer and vrf (the BGPPeer's VRF, "default" outside one). Counters live per peer for the life of the process, so replacing a
 * session (a BFDProfile edit) never makes a counter go backwards; values are read at scrape time.
 */
import type { Registry } from "prom-client";
import { scrapeTimeCounter, scrapeTimeGauge } from "../../observability/scrape-time-metrics";

export interface BfdCounters {
  controlPacketInput: number;
  controlPacketOutput: number;
  echoPacketInput: number;
  echoPacketOutput: number;
  sessionUpEvents: number;
  sessionDownEvents: number;
}

export const newBfdCounters = (): BfdCounters => ({ controlPacketInput: 0, controlPacketOutput: 0, echoPacketInput: 0, echoPacketOutput: 0, sessionUpEvents: 0, sessionDownEvents: 0 });

export interface BfdMetricsSource {
  /** Every peer with counters (running or not), with its VRF ("default" when absent). */
  counters(): Iterable<readonly [peer: string, counters: BfdCounters, vrf?: string]>;
  /** The peers with a running BFD session, and whether it is Up. */
  sessions(): Iterable<readonly [peer: string, up: boolean, vrf?: string]>;
}

const counters: [name: string, help: string, pick: (c: BfdCounters) => number][] = [
  ["metallb_bfd_control_packet_input", "Number of received BFD control packets", c => c.controlPacketInput],
  ["metallb_bfd_control_packet_output", "Number of sent BFD control packets", c => c.controlPacketOutput],
  ["metallb_bfd_echo_packet_input", "Number of received BFD echo packets", c => c.echoPacketInput],
  ["metallb_bfd_echo_packet_output", "Number of sent BFD echo packets", c => c.echoPacketOutput],
  ["metallb_bfd_session_up_events", "Number of times the BFD session went up", c => c.sessionUpEvents],
  ["metallb_bfd_session_down_events", "Number of times the BFD session went down", c => c.sessionDownEvents],
];

export function registerBfdMetrics(registry: Registry, source: BfdMetricsSource): void {
  const labelNames = ["peer", "vrf"] as const;
  scrapeTimeGauge(registry, {
    name: "metallb_bfd_session_up",
    help: "BFD session state (1 is up, 0 is down)",
    labelNames,
    read: () => Array.from(source.sessions(), ([peer, up, vrf]) => [{ peer, vrf: vrf ?? "default" }, up ? 1 : 0] as const),
  });
  for (const [name, help, pick] of counters) {
    scrapeTimeCounter(registry, {
      name,
      help,
      labelNames,
      read: () => Array.from(source.counters(), ([peer, c, vrf]) => [{ peer, vrf: vrf ?? "default" }, pick(c)] as const),
    });
  }
}
