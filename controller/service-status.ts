/**
 * What the controller writes on a Service, as a pure function of the allocation outcome and the
 * Service as it is now: status.loadBalancer.ingress, the `metallb.io/ip-allocated-from-pool`
 * annotation, the `lodestone.dev/IPAllocated` condition and, from what the speakers report, the
 * `lodestone.dev/Announced` condition. `planServiceWrite` returns only what
 * differs, so a Service that is already right costs no API call.
 */
import type { FailureReason } from "../core/allocation/failures";
import { ANNOUNCED_CONDITION, type AnnouncedText } from "../core/announce/announced-condition";
import { ANNOTATIONS, DEPRECATED_ANNOTATIONS } from "../core/allocation/service-request";
import type { Condition, KubeObject, ServiceStatusPatch } from "../kube/controller-port";
import { rfc3339 } from "../core/clock";

export const CONDITION_TYPE = "lodestone.dev/IPAllocated";

/** What the allocator decided for a handled Service, in the terms the Service shows. */
export type ServiceOutcome =
  | { state: "allocated"; ips: string[]; pool: string; additionalFailure?: string }
  | { state: "failed"; reason: FailureReason | typeof CONFIGURATION_ERROR; message: string };

/**
 * Why a Service has no IP while no valid configuration has ever loaded: the condition reason is the
 * one ConfigurationState uses for the same problem (https://github.com/metallb/metallb/blob/main/api/v1beta1/configurationstate_types.go).
 */
export const CONFIGURATION_ERROR = "ConfigurationError";

/** Either an outcome to show, or "release": remove everything the controller wrote (no longer handled). */
export type ServiceDesired = ServiceOutcome | { state: "released" };

/** Condition reasons (CamelCase, stable) for each allocator failure. */
export const CONDITION_REASONS: Record<FailureReason, string> = {
  InvalidRequest: "InvalidRequest",
  NoClusterIP: "NoClusterIP",
  NotEnoughClusterIPs: "NotEnoughClusterIPs",
  FamilyMismatch: "FamilyMismatch",
  NotAllowedInConfig: "RequestedIPNotInAnyPool",
  DifferentPools: "RequestedIPsInDifferentPools",
  BuggyIP: "BuggyIP",
  ReservedIP: "ReservedIP",
  UnknownPool: "UnknownPool",
  PoolNotCompatible: "PoolNotCompatible",
  NotInRequestedPool: "NotInRequestedPool",
  SharingConflict: "SharingConflict",
  NoPools: "NoPools",
  NoPoolForService: "NoPoolForService",
  NoPoolForFamily: "NoPoolForFamily",
  PoolExhausted: "PoolExhausted",
  NoAvailableIPs: "NoAvailableIPs",
};

export const ALLOCATED_REASON = "Allocated";

export function allocatedMessage(ips: readonly string[], pool: string): string {
  return `allocated ${ips.join(", ")} from pool ${pool}`;
}

export interface ServiceWrite {
  status?: ServiceStatusPatch;
  /** Annotation changes (`null` deletes). */
  annotations?: Record<string, string | null>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The ingress IPs as written; an entry whose `ip` is not a string counts as "" (never coerced: it may not even stringify). */
export function ingressIPs(service: KubeObject): string[] {
  return arr(obj(obj(service.status).loadBalancer).ingress).map(e => {
    const ip = obj(e).ip;
    return typeof ip === "string" ? ip : "";
  });
}

function conditions(service: KubeObject): Obj[] {
  return arr(obj(service.status).conditions).map(obj);
}

/** Whether the Service carries anything this controller writes (so that releasing it has work to do). */
export function carriesOurMarks(service: KubeObject): boolean {
  const annotations = service.metadata?.annotations ?? {};
  return (
    ANNOTATIONS.allocatedFromPool in annotations ||
    DEPRECATED_ANNOTATIONS.allocatedFromPool in annotations ||
    conditions(service).some(c => c.type === CONDITION_TYPE || c.type === ANNOUNCED_CONDITION)
  );
}

/** The condition for an outcome; lastTransitionTime is kept from `previous` when the status did not flip. */
export function conditionFor(outcome: ServiceOutcome, previous: Obj | undefined, generation: number | undefined, now: number): Condition {
  const status = outcome.state === "allocated" ? "True" : "False";
  const kept = previous && previous.status === status && typeof previous.lastTransitionTime === "string" ? previous.lastTransitionTime : undefined;
  const condition: Condition = {
    type: CONDITION_TYPE,
    status,
    reason: outcome.state === "allocated" ? ALLOCATED_REASON : outcome.reason === CONFIGURATION_ERROR ? CONFIGURATION_ERROR : CONDITION_REASONS[outcome.reason],
    message: outcome.state === "allocated" ? allocatedMessage(outcome.ips, outcome.pool) : outcome.message,
    lastTransitionTime: kept ?? rfc3339(now),
  };
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

const sameCondition = (a: Obj | undefined, b: Condition): boolean =>
  a !== undefined &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.message === b.message &&
  a.lastTransitionTime === b.lastTransitionTime &&
  (a.observedGeneration ?? undefined) === b.observedGeneration;

/** The Announced condition for `wanted`; lastTransitionTime is kept from `previous` when the status did not flip. */
export function announcedConditionFor(wanted: AnnouncedText, previous: Obj | undefined, generation: number | undefined, now: number): Condition {
  const kept = previous && previous.status === wanted.status && typeof previous.lastTransitionTime === "string" ? previous.lastTransitionTime : undefined;
  const condition: Condition = { type: ANNOUNCED_CONDITION, ...wanted, lastTransitionTime: kept ?? rfc3339(now) };
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

/** The conditions list with the condition of `type` replaced by `next` (appended when new, removed when undefined). */
function withCondition(list: Obj[], type: string, next: Condition | undefined): Obj[] {
  const at = list.findIndex(c => c.type === type);
  // Duplicates of the type (hand-written) go too: one write must converge.
  const rest = list.filter((c, i) => c.type !== type || (i === at && next !== undefined));
  if (at < 0) return next ? [...list, next as unknown as Obj] : list;
  return next ? rest.map(c => (c.type === type ? (next as unknown as Obj) : c)) : rest;
}

/** Whether every ingress entry says `ipMode: VIP`. */
const allVIP = (service: KubeObject): boolean => arr(obj(obj(service.status).loadBalancer).ingress).every(e => obj(e).ipMode === "VIP");

/**
 * The writes that bring `service` to `desired`; empty when it is already there. `announced` is the
 * Announced condition's text for an allocated Service (announced-condition.ts); a Service without
 * IPs carries none. With `ipMode`, where the API server serves the field, each ingress entry says
 * `ipMode: VIP`: the IP is delivered to the node with the VIP as destination, so kube-proxy may
 * short-circuit in-cluster traffic to it (as it does by default); elsewhere nothing is written,
 * since the server would drop it and the status would never converge.
 */
export function planServiceWrite(service: KubeObject, desired: ServiceDesired, now: number, announced?: AnnouncedText, opts: { ipMode?: boolean } = {}): ServiceWrite {
  const current = conditions(service);
  const ours = current.find(c => c.type === CONDITION_TYPE);
  const theirs = current.find(c => c.type === ANNOUNCED_CONDITION);
  const generation = typeof service.metadata?.generation === "number" ? service.metadata.generation : undefined;

  const ips = desired.state === "allocated" ? desired.ips : [];
  const condition = desired.state === "released" ? undefined : conditionFor(desired, ours, generation, now);
  const announcedNext = desired.state === "allocated" && announced ? announcedConditionFor(announced, theirs, generation, now) : undefined;
  const ingressChanged = JSON.stringify(ingressIPs(service)) !== JSON.stringify(ips) || (opts.ipMode === true && !allVIP(service));
  const conditionChanged = condition ? !sameCondition(ours, condition) : ours !== undefined;
  const announcedChanged = announcedNext ? !sameCondition(theirs, announcedNext) : theirs !== undefined;

  const write: ServiceWrite = {};
  if (ingressChanged || conditionChanged || announcedChanged) {
    const list = withCondition(withCondition(current, CONDITION_TYPE, condition), ANNOUNCED_CONDITION, announcedNext) as unknown as Condition[];
    write.status = {
      ingress: ips.length ? ips.map(ip => (opts.ipMode ? { ip, ipMode: "VIP" as const } : { ip })) : null,
      conditions: list.length ? list : null,
    };
  }

  const annotations = service.metadata?.annotations ?? {};
  const changes: Record<string, string | null> = {};
  const pool = desired.state === "allocated" ? desired.pool : undefined;
  if (pool !== undefined && annotations[ANNOTATIONS.allocatedFromPool] !== pool) changes[ANNOTATIONS.allocatedFromPool] = pool;
  if (pool === undefined && ANNOTATIONS.allocatedFromPool in annotations) changes[ANNOTATIONS.allocatedFromPool] = null;
  // The old key is what MetalLB before 0.14.9 wrote; once Lodestone writes the new one it is stale.
  if (DEPRECATED_ANNOTATIONS.allocatedFromPool in annotations) changes[DEPRECATED_ANNOTATIONS.allocatedFromPool] = null;
  if (Object.keys(changes).length) write.annotations = changes;
  return write;
}

/**
 * Whether the Service already shows `outcome` in its condition: after a restart the condition is
 * the record of what was last decided, so the same decision raises no Events again.
 */
export function showsOutcome(service: KubeObject, outcome: ServiceOutcome): boolean {
  const ours = conditions(service).find(c => c.type === CONDITION_TYPE);
  if (!ours) return false;
  const expected = conditionFor(outcome, undefined, undefined, 0);
  return ours.status === expected.status && ours.reason === expected.reason && ours.message === expected.message;
}
