import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { PromL2Metrics } from "./prom-metrics";

describe("PromL2Metrics", () => {
  it("exposes MetalLB's layer2 counters and the malformed-frame counter", async () => {
    const registry = new Registry();
    const m = new PromL2Metrics(registry);
    m.requestReceived("192.0.2.10");
    m.requestReceived("192.0.2.10");
    m.responseSent("192.0.2.10");
    m.gratuitousSent("2001:db8::10");
    m.malformedDropped("arp-truncated");
    const text = await registry.metrics();
    expect(text).toContain('metallb_layer2_requests_received{ip="192.0.2.10"} 2');
    expect(text).toContain('metallb_layer2_responses_sent{ip="192.0.2.10"} 1');
    expect(text).toContain('metallb_layer2_gratuitous_sent{ip="2001:db8::10"} 1');
    expect(text).toContain('lodestone_layer2_malformed_frames_total{reason="arp-truncated"} 1');
  });
});
