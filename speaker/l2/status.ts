/**
 * What the speaker reports per announced IP (ServiceL2Status.status.interfaces, events): the
 * interfaces it is really answering on, and why an interface an L2Advertisement names is not among
 * them. Pure: from the services, the IPs this node owns and its usable interfaces.
 */
import type { AnnouncedService } from "../../core/election/announcements";
import type { UsableInterface } from "./interfaces";

export interface IPStatus {
  readonly service: string;
  readonly ip: string;
  /** Interfaces answering for the IP (ARP ones for IPv4, NDP ones for IPv6), sorted. */
  readonly interfaces: readonly string[];
  /** "interface X missing on this node" for each named interface that is not usable here. */
  readonly problems: readonly string[];
}

export function announcementStatus(
  services: readonly AnnouncedService[],
  owned: ReadonlySet<string>,
  usable: readonly UsableInterface[],
): IPStatus[] {
  const out: IPStatus[] = [];
  for (const svc of services) {
    for (const ip of svc.ips) {
      if (!owned.has(ip)) continue;
      const v6 = ip.includes(":");
      const capable = usable.filter(u => (v6 ? u.ndp : u.arp)).map(u => u.name);
      const named = [...new Set(svc.interfaces)].sort();
      const interfaces = named.length === 0 ? [...capable].sort() : named.filter(n => capable.includes(n));
      const problems = named.filter(n => !capable.includes(n)).map(n => `interface ${n} missing on this node`);
      out.push({ service: svc.name, ip, interfaces, problems });
    }
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}
