import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { scrapeTimeCounter, scrapeTimeGauge } from "./scrape-time-metrics";

const series = (text: string): string[] => text.split("\n").filter(l => l !== "" && !l.startsWith("#"));

describe("scrape-time metrics", () => {
  it("a counter shows the totals kept elsewhere as they are at each scrape, and drops a series whose subject is gone", async () => {
    const totals = new Map([["192.0.2.1", 3], ["192.0.2.2", 0]]);
    const registry = new Registry();
    scrapeTimeCounter(registry, { name: "t_sent", help: "sent", labelNames: ["peer"], read: () => Array.from(totals, ([peer, n]) => [{ peer }, n] as const) });
    expect(await registry.metrics()).toBe('# HELP t_sent sent\n# TYPE t_sent counter\nt_sent{peer="192.0.2.1"} 3\nt_sent{peer="192.0.2.2"} 0\n');
    totals.set("192.0.2.1", 5);
    totals.delete("192.0.2.2");
    expect(series(await registry.metrics())).toEqual(['t_sent{peer="192.0.2.1"} 5']);
  });

  it("a gauge shows the state at each scrape, going down as well as up", async () => {
    let up = 1;
    const registry = new Registry();
    scrapeTimeGauge(registry, { name: "t_up", help: "up", labelNames: ["peer", "vrf"], read: () => [[{ peer: "192.0.2.1", vrf: "red" }, up]] });
    expect(await registry.metrics()).toBe('# HELP t_up up\n# TYPE t_up gauge\nt_up{peer="192.0.2.1",vrf="red"} 1\n');
    up = 0;
    expect(series(await registry.metrics())).toEqual(['t_up{peer="192.0.2.1",vrf="red"} 0']);
  });
});
