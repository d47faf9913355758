/**
 * The mutable table behind the responder's Ownership: which IPs this node currently owns and on
 * which interfaces each may be announced. The speaker updates it after each election; the
 * responder reads it on every frame, so a lost IP stops being answered at once.
 */
import { solicitedNodeMac } from "../../protocols/l2/ndp";
import type { Ownership } from "../../protocols/l2/responder";

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

  /**
   * The Ethernet groups interface `ifName` must be a member of to hear solicitations for the IPv6
   * addresses it answers for (the packet socket adds these memberships; the speaker diffs the set).
   */
  solicitedNodeMacs(ifName: string): Set<string> {
    const out = new Set<string>();
    for (const ip of this.table.keys()) if (ip.includes(":") && this.allowedOn(ip, ifName)) out.add(solicitedNodeMac(ip));
    return out;
  }

  ips(): string[] {
    return [...this.table.keys()];
  }
}
