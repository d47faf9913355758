/**
 * What a speaker shows about its BGP part, as pure functions: the text of the nodeAssigned event, this node's entry of a BGPPeer's status.sessions[], and the merge
 * that changes only that entry (every node writes the same list; none may clobber another's).
 */
import type { PeerSessionStatus } from "./bgp";
import type { BgpPeerStatusBody, BgpSessionEntry } from "../kube/speaker-port";

export { bgpAnnouncedMessage } from "../core/announce/announced-condition";

export const bgpNodeAssignedMessage = (node: string): string => `announcing from node ${node} with protocol bgp`;

/** This node's session entry for a BGPPeer, from the data plane's status. */
export function sessionEntry(s: PeerSessionStatus): BgpSessionEntry {
  return {
    node: s.node,
    state: s.state,
    since: s.since,
    ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
    prefixesAdvertised: s.prefixesAdvertised,
  };
}

/**
 * A BGPPeer's whole status from its sessions: the summaries behind `kubectl get bgppeers`'
 * Established and Sessions columns are derived here, so every node's write keeps them true.
 */
export function peerStatus(sessions: BgpSessionEntry[]): BgpPeerStatusBody {
  const established = sessions.filter(s => s.state === "Established").length;
  return {
    sessions,
    established: `${established}/${sessions.length}`,
    summary: sessions.map(s => `${s.node}=${s.state}`).join(","),
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/**
 * The sessions list with this node's entry replaced by `entry` (or removed when undefined), every
 * other node's entry kept as the server has it; sorted by node so the result does not depend on
 * who wrote first. Undefined when nothing would change.
 */
export function mergeSessions(peerObject: unknown, node: string, entry: BgpSessionEntry | undefined): BgpSessionEntry[] | undefined {
  const raw = obj(obj(peerObject).status).sessions;
  // Entries without a node name cannot be anyone's (the schema requires it); writing them back would be refused.
  const current = Array.isArray(raw) ? raw.map(obj).filter(e => typeof e.node === "string") : [];
  const mine = current.find(e => e.node === node);
  if (!entry && !mine) return undefined;
  if (entry && mine && JSON.stringify(sortKeys(mine)) === JSON.stringify(sortKeys(entry as unknown as Obj))) return undefined;
  const others = current.filter(e => e.node !== node) as unknown as BgpSessionEntry[];
  const next = entry ? [...others, entry] : others;
  return next.sort((a, b) => (String(a.node) < String(b.node) ? -1 : String(a.node) > String(b.node) ? 1 : 0));
}

function sortKeys(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
