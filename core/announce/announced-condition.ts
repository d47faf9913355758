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

const l2Part = (node: string, interfaces: readonly string[]): string => (interfaces.length ? `node ${node} on ${interfaces.join(", ")}` : `node ${node}`);
const bgpPart = (node: string, peers: readonly string[]): string => (peers.length ? `node ${node} to peers ${peers.join(",")}` : `node ${node}`);

export const announcedMessage = (node: string, interfaces: readonly string[]): string => `announced by ${l2Part(node, interfaces)} (layer2)`;

export const bgpAnnouncedMessage = (node: string, peers: readonly string[]): string => `announced by ${bgpPart(node, peers)} (bgp)`;

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

export function announcedCondition(input: AnnouncedInput): AnnouncedText {
  // Layer 2 first: a Service announced both ways was described by its L2 announcer before, too.
  // With several nodes (a moment of overlap, a partition; every node with BGP) each is named.
  if (input.l2.length > 0) {
    const parts = byNode(input.l2).map(a => l2Part(a.node, a.interfaces));
    return { status: "True", reason: ANNOUNCED_REASON, message: `announced by ${parts.join(", ")} (layer2)` };
  }
  if (input.bgp.length > 0) {
    const parts = byNode(input.bgp).map(a => bgpPart(a.node, a.peers));
    return { status: "True", reason: ANNOUNCED_REASON, message: `announced by ${parts.join(", ")} (bgp)` };
  }
  const v = input.verdict;
  const why = v ? (v.notAnnounced ?? (v.l2 && "reason" in v.l2 && !v.bgp ? v.l2 : undefined)) : undefined;
  if (why) return { status: "False", reason: why.reason, message: why.message };
  return { status: "False", reason: NOT_ANNOUNCED_REASON, message: "no node announces the service yet" };
}
