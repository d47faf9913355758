/**
 * What the speaker-to-speaker heartbeat path reports, and its prom-client export.
 *
 * The UDP edge (heartbeat-udp.ts) reports datagrams sent; Membership (liveness.ts) reports every
 * received datagram's fate (accepted, or refused by the codec or by Membership's judgement) and the
 * peer counts after every change. The counts answer the questions the heartbeat otherwise leaves to
 * logs: are the keys the same on every node (refused `bad-mac`), are the clocks close (refused
 * `stale`), and does this speaker hear every speaker the API says runs (peers alive vs expected).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { HeartbeatObserver, HeartbeatRefusal } from "../../core/election/liveness";

// Declared by their consumer, Membership (a pure core), so that it imports nothing from the speaker.
export type { HeartbeatObserver, HeartbeatRefusal };


/** Every refusal, so each reason's series exists (at 0) from the start and rate() sees its first one. */
export const HEARTBEAT_REFUSALS = [
  "truncated", "bad-magic", "bad-version", "bad-mac", "bad-structure",
  "self", "unknown-peer", "stale", "replay",
] as const satisfies readonly HeartbeatRefusal[];
// Fails to compile when a reason is added to either union but not to the list above.
const allRefusalsListed: [Exclude<HeartbeatRefusal, (typeof HEARTBEAT_REFUSALS)[number]>] extends [never] ? true : never = true;
void allRefusalsListed;


export class PromHeartbeatMetrics implements HeartbeatObserver {
  private readonly sentTotal: Counter;
  private readonly sendErrors: Counter;
  private readonly received: Counter;
  private readonly refusedTotal: Counter<"reason">;
  private readonly alive: Gauge;
  private readonly expected: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sentTotal = new Counter({ name: "lodestone_layer2_heartbeats_sent_total", help: "Heartbeat datagrams sent to peer speakers (one per peer per heartbeat)", registers });
    this.sendErrors = new Counter({ name: "lodestone_layer2_heartbeat_send_errors_total", help: "Heartbeat datagrams whose send to a peer failed", registers });
    this.received = new Counter({ name: "lodestone_layer2_heartbeats_received_total", help: "Heartbeats received and accepted from peer speakers", registers });
    this.refusedTotal = new Counter({ name: "lodestone_layer2_heartbeats_refused_total", help: "Received heartbeat datagrams refused, by reason", labelNames: ["reason"], registers });
    this.alive = new Gauge({ name: "lodestone_layer2_heartbeat_peers_alive", help: "Peer speakers this speaker currently hears", registers });
    this.expected = new Gauge({ name: "lodestone_layer2_heartbeat_peers_expected", help: "Peer speakers the API says run (speaker pods on other nodes)", registers });
    for (const reason of HEARTBEAT_REFUSALS) this.refusedTotal.inc({ reason }, 0);
  }

  sent(): void {
    this.sentTotal.inc();
  }
  sendFailed(): void {
    this.sendErrors.inc();
  }
  accepted(): void {
    this.received.inc();
  }
  refused(reason: HeartbeatRefusal): void {
    this.refusedTotal.inc({ reason });
  }
  peers(alive: number, expected: number): void {
    this.alive.set(alive);
    this.expected.set(expected);
  }
}
