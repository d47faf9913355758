/**
 * Service admission. Lodestone must never stand between an application and its Service: this
 * webhook only normalises and warns. Problems with Lodestone's annotations come back as admission
 * warnings (kubectl prints them) and, in full, as the Service's condition and events later.
 */
/** The part of a Service this webhook reads and changes (a KubernetesObject). */
export interface AnnotatedObject {
  metadata?: { annotations?: Record<string, string> };
}
import { parseServiceRequest } from "../allocation/service-request";

/** Annotation suffixes MetalLB moved from `metallb.universe.tf/` to `metallb.io/` (0.14.9). */
export const MOVED_ANNOTATIONS = ["loadBalancerIPs", "address-pool", "allow-shared-ip", "ip-allocated-from-pool"] as const;

/**
 * Copies each deprecated `metallb.universe.tf/X` annotation to `metallb.io/X` when the new key is
 * not set, so that every reader (ours, users' tooling) finds one key. The old key stays: removing
 * what the user applied would make `kubectl apply` report a diff forever. Returns the keys copied.
 */
export function copyDeprecatedAnnotations(service: AnnotatedObject): string[] {
  const annotations = service.metadata?.annotations;
  if (!annotations) return [];
  const copied: string[] = [];
  for (const suffix of MOVED_ANNOTATIONS) {
    const oldKey = `metallb.universe.tf/${suffix}`;
    const newKey = `metallb.io/${suffix}`;
    const value = annotations[oldKey];
    if (value !== undefined && annotations[newKey] === undefined) {
      annotations[newKey] = value;
      copied.push(newKey);
    }
  }
  return copied;
}

/**
 * Warnings for a Service's Lodestone annotations: deprecated keys, and requests that can never be
 * satisfied as written (bad IPs, two IPs of one family, both the field and the annotation). The
 * allocator reads the same Service with the same parser, so a warning here and the Service's
 * condition later always say the same thing.
 */
export function serviceAnnotationWarnings(service: unknown, loadBalancerClass?: string): string[] {
  const parsed = parseServiceRequest(service, loadBalancerClass);
  if (!parsed.handled) return [];
  const { request } = parsed;
  const warnings = request.deprecatedAnnotations.map(
    key => `annotation ${key} is deprecated, use ${key.replace("metallb.universe.tf/", "metallb.io/")}`,
  );
  if (request.problem?.reason === "InvalidRequest") {
    warnings.push(`Service ${request.key} will get no load-balancer IP: ${request.problem.message}`);
  }
  return warnings;
}
