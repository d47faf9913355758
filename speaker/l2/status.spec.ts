import { describe, expect, it } from "vitest";
import { agentService } from "../../test/l2/agent-config";
import type { UsableInterface } from "./interfaces";
import { announcementStatus } from "./status";

const eth0: UsableInterface = { index: 2, name: "eth0", mac: "02:00:00:00:00:01", arp: true, ndp: true };
const eth1: UsableInterface = { index: 3, name: "eth1", mac: "02:00:00:00:00:02", arp: true, ndp: false };
const nodes = ["node1", "node2"];

describe("announcementStatus", () => {
  it("lists every usable interface of the IP's family when the advertisement names none", () => {
    const svc = agentService("default/web", ["192.0.2.100", "2001:db8::100"], [], nodes);
    expect(announcementStatus([svc], new Set(["192.0.2.100", "2001:db8::100"]), [eth1, eth0])).toEqual([
      { service: "default/web", ip: "192.0.2.100", interfaces: ["eth0", "eth1"], problems: [] },
      { service: "default/web", ip: "2001:db8::100", interfaces: ["eth0"], problems: [] },
    ]);
  });

  it("reports a named interface that is missing on this node", () => {
    const svc = agentService("default/web", ["192.0.2.100"], ["eth1", "bond0"], nodes);
    expect(announcementStatus([svc], new Set(["192.0.2.100"]), [eth0, eth1])).toEqual([
      { service: "default/web", ip: "192.0.2.100", interfaces: ["eth1"], problems: ["interface bond0 missing on this node"] },
    ]);
  });

  it("an interface without NDP is missing for an IPv6 address", () => {
    const svc = agentService("default/web", ["2001:db8::100"], ["eth1"], nodes);
    expect(announcementStatus([svc], new Set(["2001:db8::100"]), [eth0, eth1])).toEqual([
      { service: "default/web", ip: "2001:db8::100", interfaces: [], problems: ["interface eth1 missing on this node"] },
    ]);
  });

  it("says nothing about IPs this node does not own", () => {
    const svc = agentService("default/web", ["192.0.2.100"], [], nodes);
    expect(announcementStatus([svc], new Set(), [eth0])).toEqual([]);
  });
});
