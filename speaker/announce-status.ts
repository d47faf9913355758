/**
 * What a speaker shows about the Services it handles, as pure functions: the
 * `lodestone.dev/Announced` condition it wants on a Service, and the texts of its events.
 *
 * Only the node that announces writes True. False is written for reasons every speaker computes
 * alike (no ready endpoint, no advertisement, ...), so all speakers want the same text and, seeing
 * it already on the Service, write nothing; a node that merely lost the election writes nothing.
 */
import type { ServiceVerdict } from "../capabilities/announce";
import { rfc3339 } from "../capabilities/controller/clock";
import type { Condition } from "../capabilities/k8s/controller-port";

export const ANNOUNCED_CONDITION = "lodestone.dev/Announced";
export const ANNOUNCED_REASON = "Announced";
export const INTERFACE_MISSING_REASON = "InterfaceMissing";

export const EVENT_NODE_ASSIGNED = "nodeAssigned";
export const EVENT_ANNOUNCE_FAILED = "announceFailed";

/** What this node knows about its own part in announcing a Service by layer 2. */
export type L2Part =
  | { readonly state: "announcing"; readonly interfaces: readonly string[] }
  | { readonly state: "interfaceMissing"; readonly interfaces: readonly string[] }
  | { readonly state: "none" };

export function announcedMessage(node: string, interfaces: readonly string[]): string {
  return interfaces.length ? `announced by node ${node} on ${interfaces.join(", ")} (layer2)` : `announced by node ${node} (layer2)`;
}

export function interfaceMissingMessage(node: string, interfaces: readonly string[]): string {
  return interfaces.length
    ? `node ${node} was elected but has none of the interfaces ${interfaces.join(", ")} (layer2)`
    : `node ${node} was elected but has no usable interface (layer2)`;
}

export const nodeAssignedMessage = (node: string): string => `announcing from node ${node} with protocol layer2`;

/** The condition this node wants on the Service, without time; undefined when it has nothing to say. */
export function wantedCondition(node: string, verdict: ServiceVerdict | undefined, part: L2Part): Pick<Condition, "status" | "reason" | "message"> | undefined {
  if (part.state === "announcing") return { status: "True", reason: ANNOUNCED_REASON, message: announcedMessage(node, part.interfaces) };
  if (part.state === "interfaceMissing") return { status: "False", reason: INTERFACE_MISSING_REASON, message: interfaceMissingMessage(node, part.interfaces) };
  if (!verdict) return undefined;
  // BGP-only services get their condition from the BGP speaker.
  const reason = verdict.notAnnounced ?? (verdict.l2 && "reason" in verdict.l2 && !verdict.bgp ? verdict.l2 : undefined);
  return reason ? { status: "False", reason: reason.reason, message: reason.message } : undefined;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** The Service's current Announced condition, as the watch shows it. */
export function currentCondition(service: unknown): Obj | undefined {
  const list = obj(obj(service).status).conditions;
  if (!Array.isArray(list)) return undefined;
  return list.map(obj).find(c => c.type === ANNOUNCED_CONDITION);
}

/**
 * The condition to write, or undefined when the Service already shows what this node wants.
 * lastTransitionTime is kept while the status does not flip.
 */
export function conditionToWrite(
  wanted: Pick<Condition, "status" | "reason" | "message"> | undefined,
  current: Obj | undefined,
  generation: number | undefined,
  now: number,
): Condition | undefined {
  if (!wanted) return undefined;
  if (current && current.status === wanted.status && current.reason === wanted.reason && current.message === wanted.message) return undefined;
  const kept = current && current.status === wanted.status && typeof current.lastTransitionTime === "string" ? current.lastTransitionTime : undefined;
  return { type: ANNOUNCED_CONDITION, ...wanted, lastTransitionTime: kept ?? rfc3339(now), ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}
