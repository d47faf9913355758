/**
 * When two Services may hold the same IP (MetalLB's rules): both carry the same non-empty sharing
 * key, their backend keys are equal (both externalTrafficPolicy Cluster, or both Local with the
 * same pod selector), and no protocol/port pair appears in both.
 */
import type { IPAddress } from "../net/ip";
import { messages } from "./failures";
import type { ServicePort } from "./service-request";

/** What sharing needs to know about a Service. */
export interface SharingProfile {
  key: string;
  sharingKey: string;
  backendKey: string;
  ports: readonly ServicePort[];
}

const portName = (p: ServicePort): string => `${p.protocol}/${p.port}`;

/**
 * Why `candidate` may not take `ip` while `holders` hold it (undefined: it may).
 * `heldBefore` says the candidate held this IP until its own change; a key mismatch is then
 * reported as a refused key change.
 */
export function sharingConflict(
  ip: IPAddress,
  candidate: SharingProfile,
  holders: readonly SharingProfile[],
  heldBefore: boolean,
): string | undefined {
  const others = holders.filter(h => h.key !== candidate.key).sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const other of others) {
    if (candidate.sharingKey === "") return messages.notShareableByNew(ip, other.key);
    if (other.sharingKey === "") return messages.notShareableByOther(ip, other.key);
    if (other.sharingKey !== candidate.sharingKey) {
      return heldBefore
        ? messages.sharingKeyChange(candidate.key, others.map(o => o.key))
        : messages.sharingKeyMismatch(ip, other.key, other.sharingKey, candidate.sharingKey);
    }
    if (other.backendKey !== candidate.backendKey) {
      return messages.backendMismatch(ip, other.key, other.backendKey, candidate.backendKey);
    }
    const taken = new Set(other.ports.map(portName));
    const clash = candidate.ports.find(p => taken.has(portName(p)));
    if (clash) return messages.portInUse(portName(clash), ip, other.key);
  }
  return undefined;
}
