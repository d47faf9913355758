import { describe, expect, it } from "vitest";
import type { AnnouncedService } from "../capabilities/l2/announcements";
import type { IPStatus } from "../capabilities/l2/dataplane";
import { statusEvents } from "./l2-adapter";

const svc = (name: string, ips: string[], interfaces: string[] = []): AnnouncedService => ({
  name,
  ips,
  interfaces,
  election: { nodes: [], advertisements: [], externalTrafficPolicy: "Cluster", endpointNodes: new Set(), anyReadyEndpoint: true },
});
const st = (service: string, ip: string, interfaces: string[], problems: string[] = []): IPStatus => ({ service, ip, interfaces, problems });

describe("statusEvents", () => {
  const services = [svc("shop/web", ["192.0.2.10", "2001:db8::10"]), svc("shop/db", ["192.0.2.11"], ["eth5"])];

  it("reports a service announced on the union of its IPs' interfaces", () => {
    expect(statusEvents([], [st("shop/web", "192.0.2.10", ["eth0"]), st("shop/web", "2001:db8::10", ["eth1"])], services)).toEqual([
      { type: "announcing", service: "shop/web", ips: ["192.0.2.10", "2001:db8::10"], interfaces: ["eth0", "eth1"] },
    ]);
  });

  it("reports nothing when nothing changed for a service", () => {
    const s = [st("shop/web", "192.0.2.10", ["eth0"])];
    expect(statusEvents(s, [...s], services)).toEqual([]);
  });

  it("reports interfaceMissing with the named interfaces when owned IPs answer nowhere", () => {
    expect(statusEvents([], [st("shop/db", "192.0.2.11", [], ["interface eth5 missing on this node"])], services)).toEqual([
      { type: "interfaceMissing", service: "shop/db", interfaces: ["eth5"] },
    ]);
  });

  it("reports released services first, then changes in name order", () => {
    const before = [st("shop/web", "192.0.2.10", ["eth0"])];
    const after = [st("shop/db", "192.0.2.11", ["eth0"])];
    expect(statusEvents(before, after, services)).toEqual([
      { type: "released", service: "shop/web" },
      { type: "announcing", service: "shop/db", ips: ["192.0.2.11"], interfaces: ["eth0"] },
    ]);
  });

  it("reports a change of interfaces", () => {
    expect(statusEvents([st("shop/web", "192.0.2.10", ["eth0"])], [st("shop/web", "192.0.2.10", ["eth0", "eth1"])], services)).toEqual([
      { type: "announcing", service: "shop/web", ips: ["192.0.2.10"], interfaces: ["eth0", "eth1"] },
    ]);
  });
});
