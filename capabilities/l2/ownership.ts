/**
 * The mutable table behind the responder's Ownership: which IPs this node currently owns and on
 * which interfaces each may be announced. The speaker updates it after each election; the
 * responder reads it on every frame, so a lost IP stops being answered at once.
 */
import type { Ownership } from "./responder";

export class OwnershipTable implements Ownership {
  /** ip -> allowed interface names; an empty set means every interface. */
  private readonly table = new Map<string, ReadonlySet<string>>();

  set(ip: string, interfaces: readonly string[]): void {
    this.table.set(ip, new Set(interfaces));
  }

  delete(ip: string): void {
    this.table.delete(ip);
  }

  owns(ip: string): boolean {
    return this.table.has(ip);
  }

  allowedOn(ip: string, ifName: string): boolean {
    const allowed = this.table.get(ip);
    return allowed !== undefined && (allowed.size === 0 || allowed.has(ifName));
  }

  ips(): string[] {
    return [...this.table.keys()];
  }
}
