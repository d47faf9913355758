/**
 * The allocation capability's public surface (see README.md for how the reconciler drives it).
 * Everything here is pure: no Kubernetes calls, no clock, no randomness.
 */
export {
  Allocator,
  formatIPs,
  type AllocationResult,
  type AllocationSuccess,
  type ClearedService,
  type ConfigChange,
  type PoolMetrics,
} from "./allocator";
export { messages, type AllocationFailure, type FailureReason } from "./failures";
export { capInt64, INT64_MAX, type PoolCounters } from "./pool-state";
export { poolAdmits, candidatePools } from "./pool-order";
export {
  ANNOTATIONS,
  DEPRECATED_ANNOTATIONS,
  parseServiceRequest,
  type FamilyPolicy,
  type ParsedService,
  type ServicePort,
  type ServiceRequest,
} from "./service-request";
