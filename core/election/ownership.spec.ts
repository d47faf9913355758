import { describe, expect, it } from "vitest";
import { OwnershipTable } from "./ownership";

describe("OwnershipTable", () => {
  it("answers owns/allowedOn and lists solicited-node groups per interface", () => {
    const t = new OwnershipTable();
    t.set("192.0.2.10", []);
    t.set("2001:db8::10", ["eth0"]);
    t.set("2001:db8::1:abcd", []);
    expect(t.owns("192.0.2.10")).toBe(true);
    expect(t.allowedOn("192.0.2.10", "anything")).toBe(true);
    expect(t.allowedOn("2001:db8::10", "eth1")).toBe(false);
    expect(t.solicitedNodeMacs("eth0")).toEqual(new Set(["33:33:ff:00:00:10", "33:33:ff:01:ab:cd"]));
    expect(t.solicitedNodeMacs("eth1")).toEqual(new Set(["33:33:ff:01:ab:cd"]));
    t.delete("2001:db8::1:abcd");
    expect(t.owns("2001:db8::1:abcd")).toBe(false);
    expect(t.allowedOn("2001:db8::1:abcd", "eth0")).toBe(false);
    expect(t.ips()).toEqual(["192.0.2.10", "2001:db8::10"]);
  });
});
