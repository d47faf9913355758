import { describe, expect, it } from "vitest";
import { fail } from "../core/allocation/failures";
import { requestOf } from "../test/allocation/testing";
import { parseIP, type IPAddress } from "../core/net/ip";
import { deprecationEvents, eventsFor, outcomeOf } from "./service-events";

const ip = (t: string): IPAddress => parseIP(t) as IPAddress;
const req = requestOf("web", { namespace: "shop" });

describe("eventsFor", () => {
  it("announces a new assignment, and nothing when the outcome repeats", () => {
    const result = { ok: true as const, ips: [ip("192.0.2.1")], pool: "blue", changed: true };
    expect(eventsFor(result, req, undefined, [])).toEqual([{ type: "Normal", reason: "IPAllocated", message: 'Assigned IP ["192.0.2.1"]' }]);
    expect(eventsFor({ ...result, changed: false }, req, outcomeOf(result), [])).toEqual([]);
  });

  it("is silent for IPs restored at start-up", () => {
    expect(eventsFor({ ok: true, ips: [ip("192.0.2.1")], pool: "blue", changed: false, restored: true }, req, undefined, [])).toEqual([]);
  });

  it("says ClearAssignment before the new assignment, and Assigned additional IP for PreferDualStack", () => {
    const before = outcomeOf({ ok: true, ips: [ip("192.0.2.1")], pool: "blue", changed: true });
    expect(eventsFor({ ok: true, ips: [ip("192.0.2.9")], pool: "green", changed: true, cleared: "the requested IPs changed" }, req, before, ["192.0.2.1"])).toEqual([
      { type: "Normal", reason: "ClearAssignment", message: 'clearing ["192.0.2.1"]: the requested IPs changed' },
      { type: "Normal", reason: "IPAllocated", message: 'Assigned IP ["192.0.2.9"]' },
    ]);
    const dual = { ok: true as const, ips: [ip("192.0.2.1"), ip("2001:db8::1")], pool: "blue", changed: true, additional: [ip("2001:db8::1")] };
    expect(eventsFor(dual, req, before, [])).toEqual([{ type: "Normal", reason: "IPAllocated", message: 'Assigned additional IP ["2001:db8::1"]' }]);
    const noRoom = { ok: true as const, ips: [ip("192.0.2.1")], pool: "blue", changed: false, additionalFailure: 'no available IPv6 address in pool "blue" for the second IP of this PreferDualStack service' };
    expect(eventsFor(noRoom, req, before, [])).toEqual([{ type: "Normal", reason: "AdditionalAssignFailed", message: noRoom.additionalFailure }]);
  });

  it("maps failures to MetalLB's reasons", () => {
    expect(eventsFor(fail("PoolExhausted", 'no available IPs in pool "blue"'), req, undefined, [])).toEqual([
      { type: "Warning", reason: "AllocationFailed", message: 'Failed to allocate IP for "shop/web": no available IPs in pool "blue"' },
    ]);
    expect(eventsFor(fail("InvalidRequest", 'invalid IP "x" in spec.loadBalancerIP'), req, undefined, [])).toEqual([
      { type: "Warning", reason: "LoadBalancerFailed", message: 'invalid IP "x" in spec.loadBalancerIP' },
    ]);
    expect(eventsFor(fail("NotEnoughClusterIPs", "m"), req, undefined, [])[0]?.reason).toBe("not enough clusterips");
    expect(eventsFor(fail("NoClusterIP", "m"), req, undefined, [])[0]?.reason).toBe("noclusterIPsIPFamily");
  });
});

describe("deprecationEvents", () => {
  it("names the old and the new annotation", () => {
    const old = requestOf("web", { annotations: { "metallb.universe.tf/allow-shared-ip": "k", "metallb.universe.tf/loadBalancerIPs": "192.0.2.1" } });
    expect(deprecationEvents(old)).toEqual([
      { type: "Warning", reason: "deprecatedAnnotation", message: "annotation metallb.universe.tf/allow-shared-ip is deprecated, use metallb.io/allow-shared-ip instead" },
      { type: "Warning", reason: "deprecatedAnnotation", message: "annotation metallb.universe.tf/loadBalancerIPs is deprecated, use metallb.io/loadBalancerIPs instead" },
    ]);
  });
});
