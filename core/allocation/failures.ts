/**
 * Why an allocation did not happen: a stable machine reason (for the Service condition's `reason`
 * and for metrics) and a human message that says exactly what is wrong (for the condition's
 * `message` and the `AllocationFailed` event). Every message is built here so that tests, docs
 * and the reconciler agree on the wording.
 */
import { formatIP, type IPAddress, type IPFamily } from "../net/ip";
import type { ReservedRange } from "../net/special";

export type FailureReason =
  /** The Service's own fields or annotations are unusable (bad IP text, both field and annotation, ...). */
  | "InvalidRequest"
  /** The Service has no ClusterIP, so its IP family is unknown. */
  | "NoClusterIP"
  /** `RequireDualStack` with a single ClusterIP. */
  | "NotEnoughClusterIPs"
  /** A requested IP is of a family the Service does not have. */
  | "FamilyMismatch"
  /** A requested IP lies outside every pool. */
  | "NotAllowedInConfig"
  /** The requested IPs lie in different pools (a Service's IPs come from one pool). */
  | "DifferentPools"
  /** A requested IP ends in .0 or .255 and its pool has avoidBuggyIPs set. */
  | "BuggyIP"
  /** A requested IP is special-purpose (loopback, multicast, ...) or in the cluster's Service range. */
  | "ReservedIP"
  /** The `metallb.io/address-pool` annotation names a pool that does not exist. */
  | "UnknownPool"
  /** The pool's serviceAllocation does not select this Service. */
  | "PoolNotCompatible"
  /** A requested IP is not in the requested pool. */
  | "NotInRequestedPool"
  /** The address is held by Services this one may not share it with. */
  | "SharingConflict"
  /** No pool is configured at all. */
  | "NoPools"
  /** No auto-assign pool admits the Service (serviceAllocation rules out all of them). */
  | "NoPoolForService"
  /** Pools admit the Service but none holds addresses of its family. */
  | "NoPoolForFamily"
  /** The only candidate (or requested) pool is full. */
  | "PoolExhausted"
  /** Every candidate pool is full. */
  | "NoAvailableIPs";

export interface AllocationFailure {
  ok: false;
  reason: FailureReason;
  message: string;
}

export const fail = (reason: FailureReason, message: string): AllocationFailure => ({
  ok: false,
  reason,
  message,
});

const q = (text: string): string => JSON.stringify(text);
const qip = (ip: IPAddress): string => q(formatIP(ip));

export const messages = {
  noPools: (): string => "no IPAddressPool is configured",
  noPoolForService: (namespace: string, name: string): string =>
    `no pool with autoAssign admits service "${namespace}/${name}" (every pool's serviceAllocation excludes it)`,
  noAutoAssignPool: (): string =>
    "no pool has autoAssign enabled: request a pool (metallb.io/address-pool) or an IP (spec.loadBalancerIP, metallb.io/loadBalancerIPs)",
  noPoolForFamily: (family: IPFamily): string =>
    `no pool that admits this service has ${family} addresses`,
  poolLacksFamily: (pool: string, family: IPFamily): string => `pool ${q(pool)} has no ${family} addresses`,
  noPoolForDualStack: (): string =>
    "RequireDualStack: no pool that admits this service has both IPv4 and IPv6 addresses",
  poolExhausted: (pool: string): string => `no available IPs in pool ${q(pool)}`,
  noAvailableIPs: (): string => "no available IPs",
  notAllowedInConfig: (ip: IPAddress): string => `${qip(ip)} is not allowed in config`,
  buggyIP: (ip: IPAddress, pool: string): string =>
    `${qip(ip)} is not allowed in config: it ends in .0 or .255 and its pool ${q(pool)} has avoidBuggyIPs set`,
  reservedIP: (ip: IPAddress, reserved: ReservedRange): string =>
    `${qip(ip)} is never handed out: it lies in ${reserved.text} (${reserved.what})`,
  differentPools: (a: IPAddress, pa: string, b: IPAddress, pb: string): string =>
    `requested IPs ${qip(a)} (pool ${q(pa)}) and ${qip(b)} (pool ${q(pb)}) must come from one pool`,
  unknownPool: (pool: string): string => `unknown pool ${q(pool)}`,
  poolNotCompatible: (pool: string, namespace: string, name: string): string =>
    `pool ${q(pool)} not compatible for ip assignment: its serviceAllocation does not select service "${namespace}/${name}"`,
  notInRequestedPool: (ip: IPAddress, pool: string): string =>
    `requested IP ${qip(ip)} is not in the requested pool ${q(pool)}`,
  familyMismatch: (ip: IPAddress, families: readonly IPFamily[]): string =>
    `requested IP ${qip(ip)} is ${ip.family} but the service's IP families are [${families.join(", ")}]`,
  requireDualStackIPs: (count: number): string =>
    `RequireDualStack needs one requested IPv4 and one requested IPv6 address, got ${count} requested IP${count === 1 ? "" : "s"}`,
  // Sharing (see sharing.ts for when each applies).
  portInUse: (port: string, ip: IPAddress, other: string): string =>
    `port ${port} is already in use on ${qip(ip)} by ${q(other)}`,
  sharingKeyChange: (service: string, others: readonly string[]): string =>
    `can't change sharing key for ${q(service)}, address also in use by ${others.map(q).join(", ")}`,
  notShareableByNew: (ip: IPAddress, other: string): string =>
    `${qip(ip)} is already in use by ${q(other)} and this service has no metallb.io/allow-shared-ip key`,
  notShareableByOther: (ip: IPAddress, other: string): string =>
    `${qip(ip)} is already in use by ${q(other)}, which does not allow sharing`,
  sharingKeyMismatch: (ip: IPAddress, other: string, otherKey: string, key: string): string =>
    `${qip(ip)} is already in use by ${q(other)} with sharing key ${q(otherKey)}, not ${q(key)}`,
  backendMismatch: (ip: IPAddress, other: string, otherBackend: string, backend: string): string =>
    `${qip(ip)} is already in use by ${q(other)} with backend key ${q(otherBackend)}, not ${q(backend)} ` +
    "(services sharing an IP must both use externalTrafficPolicy Cluster, or Local with the same selector)",
  // Reasons a held IP is dropped (ClearAssignment) that no fresh-allocation message covers.
  requestChanged: (): string => "the requested IPs changed",
  familiesChanged: (): string => "the held IPs no longer match the service's IP families",
  dualStackPoolLost: (pool: string): string =>
    `pool ${q(pool)} no longer holds both IP families`,
  additionalFailed: (family: IPFamily, pool: string): string =>
    `no available ${family} address in pool ${q(pool)} for the second IP of this PreferDualStack service`,
};
