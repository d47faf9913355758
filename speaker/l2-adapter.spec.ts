import { describe, expect, it } from "vitest";
import type { AnnouncedService } from "../capabilities/l2/announcements";
import type { IPStatus, L2DataPlane as RealL2DataPlane } from "../capabilities/l2/dataplane";
import { adaptL2DataPlane, statusEvents } from "./l2-adapter";

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

describe("adaptL2DataPlane: the heartbeat Secret", () => {
  const key = (fill: string): string => Buffer.alloc(32, fill).toString("base64");
  function adapted(): { plane: ReturnType<typeof adaptL2DataPlane>; keys: string[][]; logs: string[] } {
    const keys: string[][] = [];
    const logs: string[] = [];
    const real = {
      onStatus: () => () => {},
      setHeartbeatKeys: (k: readonly Buffer[]) => void keys.push(k.map(b => b.toString("base64"))),
    } as unknown as RealL2DataPlane;
    return { plane: adaptL2DataPlane(real, m => void logs.push(m)), keys, logs };
  }

  it("hands every reading of the Secret to the data plane's key ring, current key first", () => {
    const { plane, keys, logs } = adapted();
    plane.setHeartbeatSecret({ data: { secretkey: key("a") } });
    plane.setHeartbeatSecret({ data: { secretkey: key("b"), previouskey: key("a") } });
    expect(keys).toEqual([[key("a")], [key("b"), key("a")]]);
    expect(logs).toEqual([]);
  });

  it("keeps the keys in use when the Secret is deleted or unusable, and says why", () => {
    const { plane, keys, logs } = adapted();
    plane.setHeartbeatSecret(undefined);
    plane.setHeartbeatSecret({ data: { secretkey: Buffer.from("short").toString("base64") } });
    plane.setHeartbeatSecret({ data: {} });
    expect(keys).toEqual([]);
    expect(logs).toEqual([
      "heartbeat Secret: data.secretkey must decode to at least 16 bytes, got 5; keeping the keys in use",
      "heartbeat Secret: Secret has no data.secretkey; keeping the keys in use",
    ]);
  });
});
