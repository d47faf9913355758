/**
 * What the L2 core counts, named after MetalLB's metrics so dashboards carry over:
 * metallb_layer2_requests_received / responses_sent / gratuitous_sent (label ip), plus malformed
 * frames by reason (ours). The speaker backs this with prom-client; tests use CountingL2Metrics.
 *
 * Requests are only counted for addresses this node owns: counting every address asked about would
 * let anyone on the segment grow the label set without bound.
 */
import type { MalformedReason } from "./drop";

export interface L2Metrics {
  requestReceived(ip: string): void;
  responseSent(ip: string): void;
  gratuitousSent(ip: string): void;
  malformedDropped(reason: MalformedReason): void;
}

const bump = <K>(m: Map<K, number>, k: K): void => void m.set(k, (m.get(k) ?? 0) + 1);

export class CountingL2Metrics implements L2Metrics {
  readonly requestsReceived = new Map<string, number>();
  readonly responsesSent = new Map<string, number>();
  readonly gratuitous = new Map<string, number>();
  readonly malformed = new Map<MalformedReason, number>();

  requestReceived(ip: string): void {
    bump(this.requestsReceived, ip);
  }
  responseSent(ip: string): void {
    bump(this.responsesSent, ip);
  }
  gratuitousSent(ip: string): void {
    bump(this.gratuitous, ip);
  }
  malformedDropped(reason: MalformedReason): void {
    bump(this.malformed, reason);
  }
}
