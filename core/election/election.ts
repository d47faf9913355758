/**
 * Who announces a service IP in layer 2 mode. Every speaker runs this on the same inputs and gets
 * the same ordered list, so no lock, lease or API write is needed: the first node owns the IP and
 * the second is the next owner (the one a leaving owner hands over to).
 *
 * Ordering is rendezvous hashing as MetalLB does it: sha256(node + "#" + firstIP), lowest first,
 * after the preferred-node score (highest first). Each node's rank depends only on its own hash, so
 * removing a node that is not the owner never moves the IP, and adding one moves it only to the
 * newcomer. All IPs of a dual-stack service share the first IP's key and so one owner.
 */
import { createHash } from "node:crypto";
import type { LabelSelector } from "../config/types";
import { matchesSelector } from "./node-selector";

/** kubeadm puts this on control-plane nodes; such nodes never announce (unless told to ignore it). */
export const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

export interface ElectionNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Node condition NetworkUnavailable is True. */
  readonly networkUnavailable: boolean;
}

/** The parts of an L2Advertisement (one that applies to the service) the election needs. */
export interface ElectionAdvertisement {
  readonly nodeSelectors: readonly LabelSelector[];
  readonly preferredNodeSelectors?: readonly { readonly weight: number; readonly preference: LabelSelector }[];
}

export interface ElectionInput {
  /** The service's first ingress IP, canonical text: the hashing key. */
  readonly firstIP: string;
  readonly nodes: readonly ElectionNode[];
  /** Nodes whose speaker the liveness layer considers alive and not leaving. */
  readonly liveSpeakers: ReadonlySet<string>;
  /** L2Advertisements applying to the service (pool matched, serviceSelectors matched). */
  readonly advertisements: readonly ElectionAdvertisement[];
  readonly externalTrafficPolicy: "Cluster" | "Local";
  /** Nodes hosting an endpoint of the service that counts (ready; serving when none is ready; any with publishNotReadyAddresses: core/announce/endpoints.ts). */
  readonly endpointNodes: ReadonlySet<string>;
  /** Whether any endpoint counts anywhere (an endpoint may lack a node name). */
  readonly anyReadyEndpoint: boolean;
  /** The speaker's --ignore-exclude-lb. */
  readonly ignoreExcludeLB?: boolean;
}

export type ExclusionReason =
  | "no-live-speaker"
  | "node-selector"
  | "network-unavailable"
  | "exclude-from-external-load-balancers"
  | "no-local-endpoint";

export interface ElectionResult {
  /** Candidates, owner first. Empty when nobody may announce. */
  readonly ordered: readonly string[];
  readonly excluded: readonly { readonly node: string; readonly reason: ExclusionReason }[];
  /** Why nobody announces, when `ordered` is empty for a service-wide reason. */
  readonly pending?: "no-advertisement" | "no-ready-endpoint";
}

export function rendezvousHash(node: string, firstIP: string): string {
  return createHash("sha256").update(`${node}#${firstIP}`).digest("hex");
}

function exclusion(node: ElectionNode, input: ElectionInput): ExclusionReason | undefined {
  if (!input.liveSpeakers.has(node.name)) return "no-live-speaker";
  const selected = input.advertisements.some(
    ad => ad.nodeSelectors.length === 0 || ad.nodeSelectors.some(s => matchesSelector(s, node.labels)),
  );
  if (!selected) return "node-selector";
  if (node.networkUnavailable) return "network-unavailable";
  if (!input.ignoreExcludeLB && Object.hasOwn(node.labels, EXCLUDE_LB_LABEL)) return "exclude-from-external-load-balancers";
  if (input.externalTrafficPolicy === "Local" && !input.endpointNodes.has(node.name)) return "no-local-endpoint";
  return undefined;
}

function preferenceScore(node: ElectionNode, ads: readonly ElectionAdvertisement[]): number {
  let score = 0;
  for (const ad of ads) {
    for (const p of ad.preferredNodeSelectors ?? []) if (matchesSelector(p.preference, node.labels)) score += p.weight;
  }
  return score;
}

export function elect(input: ElectionInput): ElectionResult {
  if (input.advertisements.length === 0) return { ordered: [], excluded: [], pending: "no-advertisement" };
  if (!input.anyReadyEndpoint) return { ordered: [], excluded: [], pending: "no-ready-endpoint" };
  const excluded: { node: string; reason: ExclusionReason }[] = [];
  const ranked: { name: string; score: number; hash: string }[] = [];
  const seen = new Set<string>();
  for (const node of input.nodes) {
    if (seen.has(node.name)) continue;
    seen.add(node.name);
    const reason = exclusion(node, input);
    if (reason) excluded.push({ node: node.name, reason });
    else ranked.push({ name: node.name, score: preferenceScore(node, input.advertisements), hash: rendezvousHash(node.name, input.firstIP) });
  }
  ranked.sort((a, b) => b.score - a.score || cmp(a.hash, b.hash) || cmp(a.name, b.name));
  excluded.sort((a, b) => cmp(a.node, b.node));
  return { ordered: ranked.map(r => r.name), excluded };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The owner of the IP, if any. */
export const electedOwner = (input: ElectionInput): string | undefined => elect(input).ordered[0];

/** Who would own the IP if `self` left: the first candidate once self is not a live speaker. */
export function nextOwnerWithout(input: ElectionInput, self: string): string | undefined {
  const live = new Set(input.liveSpeakers);
  live.delete(self);
  return elect({ ...input, liveSpeakers: live }).ordered[0];
}
