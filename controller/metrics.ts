/**
 * The controller's Prometheus metrics, with MetalLB's names (https://metallb.universe.tf/prometheus-metrics/) so existing
 * dashboards and alerts keep working. Registered in the registry the caller passes.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { PoolMetrics } from "../core/allocation/allocator";

export class ControllerMetrics {
  private readonly addressesTotal: Gauge<"pool">;
  private readonly ipv4Total: Gauge<"pool">;
  private readonly ipv6Total: Gauge<"pool">;
  private readonly inUseTotal: Gauge<"pool">;
  private readonly ipv4InUse: Gauge<"pool">;
  private readonly ipv6InUse: Gauge<"pool">;
  private readonly servicesAllocated: Gauge<"pool">;
  readonly updates: Counter;
  readonly updateErrors: Counter;
  readonly configLoaded: Gauge;
  readonly configStale: Gauge;
  private pools = new Set<string>();

  /** A controller restarted in the same process (same registry) takes over the metrics already registered. */
  constructor(registry: Registry) {
    const registers = [registry];
    const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
    const gauge = (name: string, help: string): Gauge<"pool"> =>
      existing<Gauge<"pool">>(name) ?? new Gauge({ name, help, labelNames: ["pool"], registers });
    this.addressesTotal = gauge("metallb_allocator_addresses_total", "Number of usable IP addresses, per pool");
    this.ipv4Total = gauge("metallb_allocator_ipv4_addresses_total", "Number of usable IPv4 addresses, per pool");
    this.ipv6Total = gauge("metallb_allocator_ipv6_addresses_total", "Number of usable IPv6 addresses, per pool");
    this.inUseTotal = gauge("metallb_allocator_addresses_in_use_total", "Number of IP addresses in use, per pool");
    this.ipv4InUse = gauge("metallb_allocator_ipv4_addresses_in_use_total", "Number of IPv4 addresses in use, per pool");
    this.ipv6InUse = gauge("metallb_allocator_ipv6_addresses_in_use_total", "Number of IPv6 addresses in use, per pool");
    this.servicesAllocated = gauge("metallb_allocator_services_allocated_total", "Number of Services holding addresses of the pool");
    this.updates = existing<Counter>("metallb_k8s_client_updates_total") ?? new Counter({ name: "metallb_k8s_client_updates_total", help: "Number of Kubernetes object updates processed", registers });
    this.updateErrors = existing<Counter>("metallb_k8s_client_update_errors_total") ?? new Counter({ name: "metallb_k8s_client_update_errors_total", help: "Number of Kubernetes writes that failed", registers });
    this.configLoaded = existing<Gauge>("metallb_k8s_client_config_loaded_bool") ?? new Gauge({ name: "metallb_k8s_client_config_loaded_bool", help: "1 once a configuration has been loaded", registers });
    this.configStale = existing<Gauge>("metallb_k8s_client_config_stale_bool") ?? new Gauge({ name: "metallb_k8s_client_config_stale_bool", help: "1 while running on an older configuration because the latest one is invalid", registers });
  }

  /** Sets the allocator gauges; pools that disappeared lose their series. */
  setPools(pools: readonly PoolMetrics[]): void {
    const seen = new Set<string>();
    for (const p of pools) {
      seen.add(p.pool);
      const labels = { pool: p.pool };
      // Gauges are doubles: an IPv6 /64 reads as 1.8446744073709552e19, as in MetalLB (float64).
      this.addressesTotal.set(labels, Number(p.addressesTotal.IPv4 + p.addressesTotal.IPv6));
      this.ipv4Total.set(labels, Number(p.addressesTotal.IPv4));
      this.ipv6Total.set(labels, Number(p.addressesTotal.IPv6));
      this.inUseTotal.set(labels, Number(p.addressesInUse.IPv4 + p.addressesInUse.IPv6));
      this.ipv4InUse.set(labels, Number(p.addressesInUse.IPv4));
      this.ipv6InUse.set(labels, Number(p.addressesInUse.IPv6));
      this.servicesAllocated.set(labels, p.servicesAllocated);
    }
    for (const gone of [...this.pools].filter(p => !seen.has(p))) {
      for (const g of [this.addressesTotal, this.ipv4Total, this.ipv6Total, this.inUseTotal, this.ipv4InUse, this.ipv6InUse, this.servicesAllocated]) {
        g.remove({ pool: gone });
      }
    }
    this.pools = seen;
  }
}
