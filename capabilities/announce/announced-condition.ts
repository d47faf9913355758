/**
 * The Service's `lodestone.dev/Announced` condition, as a pure function of what the speakers wrote
 * (their ServiceL2Status / ServiceBGPStatus objects: who announces, on which interfaces, to which
 * peers) and the Service's verdict (computeDesired: why nobody may announce it). The controller
 * writes it (docs/adr/0009); speakers write only their own status objects, so none needs to patch
 * Services.
 *
 * The texts are those the speakers used to write: one announcing node reads exactly as before.
 */
import type { ServiceVerdict } from "./desired";

export const ANNOUNCED_CONDITION = "lodestone.dev/Announced";
export const ANNOUNCED_REASON = "Announced";
/** The Service may be announced but no speaker says it announces it (yet: election, start-up; or the elected node cannot). */
export const NOT_ANNOUNCED_REASON = "NotAnnounced";

export function announcedMessage(node: string, interfaces: readonly string[]): string {
  return interfaces.length ? `announced by node ${node} on ${interfaces.join(", ")} (layer2)` : `announced by node ${node} (layer2)`;
}

export const bgpAnnouncedMessage = (node: string, peers: readonly string[]): string =>
  peers.length ? `announced by node ${node} to peers ${peers.join(",")} (bgp)` : `announced by node ${node} (bgp)`;

/** One speaker's ServiceL2Status for the Service. */
export interface L2Announcer {
  readonly node: string;
  readonly interfaces: readonly string[];
}

/** One speaker's ServiceBGPStatus for the Service. */
export interface BgpAnnouncer {
  readonly node: string;
  readonly peers: readonly string[];
}

export interface AnnouncedInput {
  /** undefined: the verdict is not known (no valid configuration yet). */
  readonly verdict: ServiceVerdict | undefined;
  readonly l2: readonly L2Announcer[];
  readonly bgp: readonly BgpAnnouncer[];
}

export interface AnnouncedText {
  readonly status: "True" | "False";
  readonly reason: string;
  readonly message: string;
}

const byNode = <T extends { node: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));

/** "announced by node a on eth0 (layer2)"; with several nodes (a moment of overlap, a partition) each is named. */
function joined(parts: string[], protocol: string): string {
  return `announced by ${parts.join(", ")} (${protocol})`;
}

export function announcedCondition(input: AnnouncedInput): AnnouncedText {
  // Layer 2 first: a Service announced both ways was described by its L2 announcer before, too.
  if (input.l2.length > 0) {
    const parts = byNode(input.l2).map(a => announcedMessage(a.node, a.interfaces).replace(/^announced by | \(layer2\)$/g, ""));
    return { status: "True", reason: ANNOUNCED_REASON, message: joined(parts, "layer2") };
  }
  if (input.bgp.length > 0) {
    const parts = byNode(input.bgp).map(a => bgpAnnouncedMessage(a.node, a.peers).replace(/^announced by | \(bgp\)$/g, ""));
    return { status: "True", reason: ANNOUNCED_REASON, message: joined(parts, "bgp") };
  }
  const v = input.verdict;
  const why = v ? (v.notAnnounced ?? (v.l2 && "reason" in v.l2 && !v.bgp ? v.l2 : undefined)) : undefined;
  if (why) return { status: "False", reason: why.reason, message: why.message };
  return { status: "False", reason: NOT_ANNOUNCED_REASON, message: "no node announces the service yet" };
}
