/**
 * The L2 announcer capability: which of the speaker's streams feed the L2 data plane (speaker/l2).
 * A table of bindings, no logic; speaker/speaker.ts makes the streams and composes this table.
 *
 *   stream (each passed on only when it changes)          -> handler
 *   L2 services this node may announce (desired.l2)        -> dataPlane.setServices   (election, ARP/NDP)
 *   the other speakers' heartbeat addresses (peers)        -> dataPlane.setPeers      (heartbeat UDP)
 *   the heartbeat key Secret (heartbeatSecret)             -> dataPlane.setHeartbeatSecret
 */
import type { Observable, Subscription } from "rxjs";
import type { L2DataPlane } from "../../speaker/data-plane";
import type { SpeakerState } from "../../speaker/speaker-state";
import { distinctList, distinctPart } from "../../speaker/state-streams";

export function bindL2Announcer(states: Observable<SpeakerState>, dataPlane: Pick<L2DataPlane, "setServices" | "setPeers" | "setHeartbeatSecret">): Subscription[] {
  return [
    distinctList(states, s => s.desired.l2).subscribe(l2 => dataPlane.setServices(l2)),
    distinctPart(states, s => s.peers).subscribe(peers => dataPlane.setPeers(peers)),
    distinctPart(states, s => s.heartbeatSecret).subscribe(secret => dataPlane.setHeartbeatSecret(secret)),
  ];
}
