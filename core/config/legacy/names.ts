/**
 * Kubernetes object names for the converted resources.
 *
 * Legacy pools and BFD profiles had names that other things refer to (a Service's
 * `metallb.universe.tf/address-pool` annotation, a peer's `bfd-profile`), so those names are kept
 * exactly, and a name that cannot be a Kubernetes object name is a problem rather than being quietly
 * rewritten. Names the converter makes up itself (advertisements beyond the first, peers) are
 * derived from stable inputs and made unique per kind.
 */
import { q } from "../problems";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Undefined when `name` is a valid object name, else why not. */
export function objectNameProblem(name: string): string | undefined {
  if (name.length > 253) return `${q(name)} is longer than 253 characters, the limit for a Kubernetes object name`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `${q(name)} cannot be a Kubernetes object name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** Hands out names unique within one kind, appending -2, -3... when a name is already taken. */
export class NameAllocator {
  private readonly taken = new Set<string>();

  /** A free name based on `base`. */
  derive(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}-${n}`;
    this.taken.add(name);
    return name;
  }
}

/** `peer-10.0.0.1`, `peer-2001-db8--1`: an IP address made into an object name. */
export function peerObjectName(address: string): string {
  const base = `peer-${address.toLowerCase().replace(/[^a-z0-9.-]/g, "-")}`;
  return /[a-z0-9]$/.test(base) ? base : `${base}0`;
}
