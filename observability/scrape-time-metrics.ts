/**
 * Metrics whose values are read from running state when Prometheus scrapes them (prom-client's
 * `collect` hook, https://github.com/siimon/prom-client#custom-metrics) instead of being counted where
 * things happen. The metric is emptied first at every scrape, so the series of a subject that is
 * gone (a deleted peer) leaves the exposition.
 */
import { Counter, Gauge, type Registry } from "prom-client";

export interface ScrapeTimeMetric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Every series at this scrape: its labels and its value. */
  readonly read: () => Iterable<readonly [labels: Readonly<Record<L, string>>, value: number]>;
}

/** The configuration of a metric of kind M whose collect() empties it and records `metric.read()` with `record`. */
function collectedConfig<L extends string, M extends { reset(): void }>(registry: Registry, metric: ScrapeTimeMetric<L>, record: (into: M, labels: Readonly<Record<L, string>>, value: number) => void) {
  return {
    name: metric.name,
    help: metric.help,
    labelNames: metric.labelNames,
    registers: [registry],
    collect(this: M) {
      this.reset();
      for (const [labels, value] of metric.read()) record(this, labels, value);
    },
  };
}

/** A Counter whose values are totals kept elsewhere (a session's message counts), read at scrape time. */
export function scrapeTimeCounter<L extends string>(registry: Registry, metric: ScrapeTimeMetric<L>): Counter<L> {
  return new Counter<L>(collectedConfig(registry, metric, (counter: Counter<L>, labels, value) => counter.inc(labels, value)));
}

/** A Gauge whose values are read from running state (a session's state) at scrape time. */
export function scrapeTimeGauge<L extends string>(registry: Registry, metric: ScrapeTimeMetric<L>): Gauge<L> {
  return new Gauge<L>(collectedConfig(registry, metric, (gauge: Gauge<L>, labels, value) => gauge.set(labels, value)));
}
