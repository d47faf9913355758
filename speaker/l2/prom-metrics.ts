/**
 * L2Metrics backed by prom-client. The three per-IP counters keep MetalLB's names and label so
 * existing dashboards and alerts keep working; the malformed-frame counter is ours.
 */
import { Counter, type Registry } from "prom-client";
import type { MalformedReason } from "../../protocols/l2/drop";
import type { L2Metrics } from "../../protocols/l2/metrics";

export class PromL2Metrics implements L2Metrics {
  private readonly requests: Counter<"ip">;
  private readonly responses: Counter<"ip">;
  private readonly gratuitous: Counter<"ip">;
  private readonly malformed: Counter<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: "metallb_layer2_requests_received", help: "Number of layer2 requests received for owned IPs", labelNames: ["ip"], registers });
    this.responses = new Counter({ name: "metallb_layer2_responses_sent", help: "Number of layer2 responses sent", labelNames: ["ip"], registers });
    this.gratuitous = new Counter({ name: "metallb_layer2_gratuitous_sent", help: "Number of gratuitous layer2 packets sent", labelNames: ["ip"], registers });
    this.malformed = new Counter({ name: "lodestone_layer2_malformed_frames_total", help: "Received ARP/NDP frames dropped as malformed, by reason", labelNames: ["reason"], registers });
  }

  requestReceived(ip: string): void {
    this.requests.inc({ ip });
  }
  responseSent(ip: string): void {
    this.responses.inc({ ip });
  }
  gratuitousSent(ip: string): void {
    this.gratuitous.inc({ ip });
  }
  malformedDropped(reason: MalformedReason): void {
    this.malformed.inc({ reason });
  }
}
