/**
 * One change of configuration that refuses every Service at once (the L2Advertisement deleted before
 * its BGPAdvertisement is created) writes a bounded number of Events and log lines, not one per Service.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { ServiceVerdict } from "../core/announce/desired";
import type { KubeObject } from "../kube/controller-port";
import { createLogger } from "../observability/log";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import { SpeakerMetrics } from "./metrics";
import { EVENT_BURST, LINES_AT_ONCE, RefusalReporter } from "./refusals";

const NOW = Date.UTC(2026, 11, 7, 1, 0, 0);
const MESSAGE = "no L2Advertisement or BGPAdvertisement of pool bench applies to the service";

function setup() {
  let now = NOW;
  const port = new FakeSpeakerPort();
  const registry = new Registry();
  const lines: string[] = [];
  const log = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) } });
  const reporter = new RefusalReporter({ port, metrics: new SpeakerMetrics(registry), node: "node1", now: () => now, log });
  return { port, registry, lines, reporter, advance: (ms: number) => void (now += ms) };
}

function refused(count: number, from = 0): { verdicts: ServiceVerdict[]; objects: Map<string, KubeObject> } {
  const verdicts: ServiceVerdict[] = [];
  const objects = new Map<string, KubeObject>();
  for (let i = from; i < from + count; i++) {
    const service = `bench/s${i}`;
    verdicts.push({ service, ips: [`198.18.${i >> 8}.${i & 255}`], notAnnounced: { reason: "NoAdvertisement", message: MESSAGE } } as ServiceVerdict);
    objects.set(service, { apiVersion: "v1", kind: "Service", metadata: { name: `s${i}`, namespace: "bench", uid: `uid-${i}`, resourceVersion: "1" } });
  }
  return { verdicts, objects };
}

const refusedTotal = async (registry: Registry): Promise<number> => (await registry.getSingleMetric("lodestone_speaker_refused_total")?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

describe("RefusalReporter", () => {
  it("logs each of a few new refusals on its own line and writes an Event for each", async () => {
    const s = setup();
    const { verdicts, objects } = refused(LINES_AT_ONCE);
    s.reporter.update(verdicts, objects);
    await s.reporter.settled();
    expect(s.lines).toHaveLength(LINES_AT_ONCE);
    expect(s.lines[0]).toBe(`refusing to announce bench/s0 (198.18.0.0) on node node1: NoAdvertisement: ${MESSAGE}`);
    expect(s.port.events.map(e => e.involvedObject.name)).toEqual(verdicts.map(v => v.service.slice("bench/".length)));
    expect(s.port.events[0]?.message).toBe(`not announced from node node1: ${MESSAGE}`);
  });

  it("sums up 10,000 at once in one line, writes EVENT_BURST Events, says how many it did not, and counts all", async () => {
    const s = setup();
    const { verdicts, objects } = refused(10_000);
    s.reporter.update(verdicts, objects);
    await s.reporter.settled();
    expect(s.lines).toEqual([
      `refusing to announce 10000 Services on node node1 (NoAdvertisement), the first bench/s0 (198.18.0.0) on node node1: NoAdvertisement: ${MESSAGE}`,
      `9900 AnnouncementRefused Events not written: this speaker writes at most ${EVENT_BURST} at once and one a second after (lodestone_speaker_refused_total counts every refusal)`,
    ]);
    expect(s.port.events).toHaveLength(EVENT_BURST);
    expect(await refusedTotal(s.registry)).toBe(10_000);

    // The same refusals again: nothing new. Then, 30 s on, 40 more: the budget has refilled by 30.
    s.reporter.update(verdicts, objects);
    s.advance(30_000);
    const more = refused(40, 10_000);
    s.reporter.update([...verdicts, ...more.verdicts], new Map([...objects, ...more.objects]));
    await s.reporter.settled();
    expect(s.port.events).toHaveLength(EVENT_BURST + 30);
    expect(s.lines.slice(2)).toEqual([
      `refusing to announce 40 Services on node node1 (NoAdvertisement), the first bench/s10000 (198.18.39.16) on node node1: NoAdvertisement: ${MESSAGE}`,
      `10 AnnouncementRefused Events not written: this speaker writes at most ${EVENT_BURST} at once and one a second after (lodestone_speaker_refused_total counts every refusal)`,
    ]);
    expect(await refusedTotal(s.registry)).toBe(10_040);
  });
});
