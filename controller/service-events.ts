/**
 * Which Events an allocation result raises on its Service (the reasons and types MetalLB's controller
 * raises: https://github.com/metallb/metallb/blob/main/controller/service.go), as a pure
 * function of the result and the outcome the Service showed before. Events mark changes: a result
 * that repeats the previous outcome raises nothing, so watch noise does not spam `kubectl describe`.
 */
import type { AllocationResult } from "../core/allocation/allocator";
import { ANNOTATIONS, DEPRECATED_ANNOTATIONS, type ServiceRequest } from "../core/allocation/service-request";
import { formatProblem, type ConfigProblem } from "../core/config/types";
import { formatIP } from "../core/net/ip";
import type { EventType } from "./event-recorder";
import { CONFIGURATION_ERROR, type ServiceOutcome } from "./service-status";

export interface EventSpec {
  type: EventType;
  reason: string;
  message: string;
}

export function outcomeOf(result: AllocationResult): ServiceOutcome {
  if (!result.ok) return { state: "failed", reason: result.reason, message: result.message };
  const outcome: ServiceOutcome = { state: "allocated", ips: result.ips.map(formatIP), pool: result.pool };
  if (result.additionalFailure) outcome.additionalFailure = result.additionalFailure;
  return outcome;
}

export const sameOutcome = (a: ServiceOutcome | undefined, b: ServiceOutcome): boolean => JSON.stringify(a) === JSON.stringify(b);

const quoted = (ips: readonly string[]): string => JSON.stringify(ips);

/**
 * @param previous what the Service showed before (undefined: unknown, e.g. at start-up)
 * @param heldBefore the IPs the Service held before (for ClearAssignment)
 */
export function eventsFor(result: AllocationResult, request: ServiceRequest, previous: ServiceOutcome | undefined, heldBefore: readonly string[]): EventSpec[] {
  const events: EventSpec[] = [];
  if (result.cleared) {
    events.push({ type: "Normal", reason: "ClearAssignment", message: `clearing ${quoted(heldBefore)}: ${result.cleared}` });
  }
  const outcome = outcomeOf(result);
  if (sameOutcome(previous, outcome)) return events;
  if (result.ok) {
    const prev = previous?.state === "allocated" ? previous : undefined;
    if (result.additional) {
      events.push({ type: "Normal", reason: "IPAllocated", message: `Assigned additional IP ${quoted(result.additional.map(formatIP))}` });
    } else if (!result.restored && (!prev || quoted(prev.ips) !== quoted(outcome.state === "allocated" ? outcome.ips : []) || prev.pool !== result.pool)) {
      events.push({ type: "Normal", reason: "IPAllocated", message: `Assigned IP ${quoted(result.ips.map(formatIP))}` });
    }
    if (result.additionalFailure && prev?.additionalFailure !== result.additionalFailure) {
      events.push({ type: "Normal", reason: "AdditionalAssignFailed", message: result.additionalFailure });
    }
    return events;
  }
  switch (result.reason) {
    case "InvalidRequest":
      events.push({ type: "Warning", reason: "LoadBalancerFailed", message: result.message });
      break;
    case "NotEnoughClusterIPs":
      events.push({ type: "Warning", reason: "not enough clusterips", message: result.message });
      break;
    case "NoClusterIP":
      events.push({ type: "Warning", reason: "noclusterIPsIPFamily", message: result.message });
      break;
    default:
      events.push({ type: "Warning", reason: "AllocationFailed", message: `Failed to allocate IP for "${request.key}": ${result.message}` });
  }
  return events;
}

const NEW_KEY: Record<string, string> = Object.fromEntries(
  (Object.keys(DEPRECATED_ANNOTATIONS) as (keyof typeof DEPRECATED_ANNOTATIONS)[]).map(k => [DEPRECATED_ANNOTATIONS[k], ANNOTATIONS[k]]),
);

/** One Warning per deprecated `metallb.universe.tf/*` annotation the Service uses. */
export function deprecationEvents(request: ServiceRequest): EventSpec[] {
  return request.deprecatedAnnotations.map(key => ({
    type: "Warning",
    reason: "deprecatedAnnotation",
    message: `annotation ${key} is deprecated, use ${NEW_KEY[key] ?? "the metallb.io/ annotation"} instead`,
  }));
}

/**
 * The outcome of a Service that waits for an IP while no valid configuration has loaded: the
 * message names the ConfigurationState that holds the problems, and the problems themselves
 * (one line each there, joined by "; " here).
 */
export function configurationErrorOutcome(namespace: string, stateName: string, problems: readonly ConfigProblem[]): ServiceOutcome {
  return {
    state: "failed",
    reason: CONFIGURATION_ERROR,
    message: `the configuration is invalid (ConfigurationState ${namespace}/${stateName}): ${problems.map(formatProblem).join("; ")}`,
  };
}

/** The Warning such an outcome raises, worded as MetalLB's AllocationFailed (reference 2.7). */
export function configurationErrorEvents(request: ServiceRequest, outcome: ServiceOutcome, previous: ServiceOutcome | undefined): EventSpec[] {
  if (outcome.state !== "failed" || sameOutcome(previous, outcome)) return [];
  return [{ type: "Warning", reason: "AllocationFailed", message: `Failed to allocate IP for "${request.key}": ${outcome.message}` }];
}
