/**
 * The speaker's own metrics, with MetalLB's names so dashboards and alerts carry over:
 * metallb_speaker_announced{service,protocol,node,ip} (1 per IP this node announces: desired state)
 * and the k8s client counters and config gauges (reference 5).
 */
import { Counter, Gauge, type Registry } from "prom-client";

export class SpeakerMetrics {
  private readonly announced: Gauge<"service" | "protocol" | "node" | "ip">;
  private readonly updates: Counter;
  private readonly updateErrors: Counter;
  private readonly configLoaded: Gauge;
  private readonly configStale: Gauge;
  private readonly refusedTotal: Counter<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.announced = new Gauge({ name: "metallb_speaker_announced", help: "Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.", labelNames: ["service", "protocol", "node", "ip"], registers });
    this.updates = new Counter({ name: "metallb_k8s_client_updates_total", help: "Number of k8s object updates that have been processed.", registers });
    this.updateErrors = new Counter({ name: "metallb_k8s_client_update_errors_total", help: "Number of k8s object updates that failed for some reason.", registers });
    this.configLoaded = new Gauge({ name: "metallb_k8s_client_config_loaded_bool", help: "1 if the MetalLB configuration was successfully loaded at least once.", registers });
    this.configStale = new Gauge({ name: "metallb_k8s_client_config_stale_bool", help: "1 if running on a stale configuration, because the latest config failed to load.", registers });
    this.refusedTotal = new Counter({
      name: "lodestone_speaker_refused_total",
      help: "Services this speaker refused to announce because their IPs are not granted by a pool and an applicable advertisement, by reason.",
      labelNames: ["reason"],
      registers,
    });
  }

  /** Sets the announced IPs of one service and protocol (removing the ones in `previous` not in `ips`). */
  setAnnounced(service: string, protocol: "layer2" | "bgp", node: string, ips: readonly string[], previous: readonly string[]): void {
    for (const ip of previous) if (!ips.includes(ip)) this.announced.remove({ service, protocol, node, ip });
    for (const ip of ips) this.announced.set({ service, protocol, node, ip }, 1);
  }

  /** A Service refused (speaker/refusals.ts). */
  refused(reason: string): void {
    this.refusedTotal.inc({ reason });
  }

  update(): void {
    this.updates.inc();
  }

  updateError(): void {
    this.updateErrors.inc();
  }

  config(loaded: boolean, stale: boolean): void {
    this.configLoaded.set(loaded ? 1 : 0);
    this.configStale.set(stale ? 1 : 0);
  }
}
