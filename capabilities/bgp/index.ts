/**
 * The BGP capability: which of the speaker's streams feed the BGP data plane (speaker/bgp), and where
 * its sessions are shown (BGPPeer status.sessions, `kubectl get bgppeers`). A table of bindings, no
 * logic; speaker/speaker.ts makes the streams and composes this table.
 *
 *   stream                                                  -> handler
 *   this node's labels and addresses (Node, when it changes) -> bgp.setNode
 *   each new valid configuration (by identity)               -> bgp.setConfig
 *   the BGP announcements of this node (desired.bgp)         -> bgp.setAnnouncements
 *   every state                                              -> BGPPeer status writer (which peers to report)
 *   the data plane's session changes                         -> BGPPeer status writer (status.sessions)
 *   the BGPPeers as the cluster has them (when one changes)  -> BGPPeer status writer (rewrites this node's
 *                                                               entry if someone else changed it)
 *
 * Node first, then config, then announcements: the plane opens sessions only with both of the first two.
 */
import { distinctUntilChanged, filter, map, Subscription, type Observable } from "rxjs";
import type { Config } from "../../core/config/types";
import type { BgpDataPlane } from "../../speaker/bgp";
import { bgpNodeView } from "../../speaker/bgp-node";
import type { BgpStatusWriter } from "../../speaker/bgp-status-writer";
import type { Snapshot } from "../../speaker/cluster-cache";
import type { SpeakerState } from "../../speaker/speaker-state";
import { distinctList, signature } from "../../speaker/state-streams";

export interface BgpStreams {
  /** The cluster cache's snapshots (undefined until listed). */
  readonly snapshots: Observable<Snapshot | undefined>;
  readonly states: Observable<SpeakerState>;
  readonly node: string;
}

export function bindBgp({ snapshots, states, node }: BgpStreams, bgp: BgpDataPlane, writer: Pick<BgpStatusWriter, "update" | "onSessions" | "onPeerObjects">): Subscription[] {
  return [
    new Subscription(bgp.onStatusChange(status => writer.onSessions(status))),
    snapshots
      .pipe(
        map(s => (s ? bgpNodeView(s.Node, node) : undefined)),
        filter(v => v !== undefined),
        distinctUntilChanged((a, b) => signature(a) === signature(b)),
      )
      .subscribe(v => bgp.setNode(v.labels, v.addresses)),
    // By identity: a new parse is a new object (Config holds Maps, which signature() cannot see), a stale one is the same.
    states
      .pipe(
        map(s => s.config),
        distinctUntilChanged(),
        filter((c): c is Config => c !== undefined),
      )
      .subscribe(c => bgp.setConfig(c)),
    distinctList(states, s => s.desired.bgp).subscribe(announcements => bgp.setAnnouncements(announcements)),
    states.subscribe(state => writer.update(state)),
    distinctList(snapshots.pipe(filter((s): s is Snapshot => s !== undefined)), s => s.BGPPeer).subscribe(peers => writer.onPeerObjects(peers)),
  ];
}
