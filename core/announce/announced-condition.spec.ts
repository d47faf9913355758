import { describe, expect, it } from "vitest";
import { announcedCondition } from "./announced-condition";
import type { ServiceVerdict } from "./desired";

const verdict = (over: Partial<ServiceVerdict> = {}): ServiceVerdict => ({ service: "shop/web", ips: ["192.0.2.10"], pool: "p1", l2: { candidates: ["node-a"] }, ...over });

describe("announcedCondition", () => {
  it("names the announcing node exactly as the speakers used to", () => {
    expect(announcedCondition({ verdict: verdict(), l2: [{ node: "node-a", interfaces: ["eth0"] }], bgp: [] })).toEqual({
      status: "True",
      reason: "Announced",
      message: "announced by node node-a on eth0 (layer2)",
    });
    expect(announcedCondition({ verdict: verdict(), l2: [], bgp: [{ node: "node-a", peers: ["r1", "r2"] }] })).toEqual({
      status: "True",
      reason: "Announced",
      message: "announced by node node-a to peers r1,r2 (bgp)",
    });
  });

  it("names every node when several announce, sorted; layer 2 first when both protocols do", () => {
    expect(announcedCondition({ verdict: verdict(), l2: [], bgp: [{ node: "node-c", peers: ["r1"] }, { node: "node-a", peers: [] }] }).message).toBe(
      "announced by node node-a, node node-c to peers r1 (bgp)",
    );
    expect(
      announcedCondition({ verdict: verdict(), l2: [{ node: "node-b", interfaces: ["eth0"] }, { node: "node-a", interfaces: ["eth0", "eth1"] }], bgp: [{ node: "node-c", peers: ["r1"] }] })
        .message,
    ).toBe("announced by node node-a on eth0, eth1, node node-b on eth0 (layer2)");
  });

  it("says why nobody may announce, from the verdict; or that nobody does yet", () => {
    expect(announcedCondition({ verdict: verdict({ notAnnounced: { reason: "NoReadyEndpoint", message: "the service has no ready endpoint" } }), l2: [], bgp: [] })).toEqual({
      status: "False",
      reason: "NoReadyEndpoint",
      message: "the service has no ready endpoint",
    });
    expect(announcedCondition({ verdict: verdict({ l2: { reason: "NoEligibleNode", message: "no node may announce the service: node-a (NetworkUnavailable)" } }), l2: [], bgp: [] }).reason).toBe(
      "NoEligibleNode",
    );
    expect(announcedCondition({ verdict: verdict(), l2: [], bgp: [] })).toEqual({ status: "False", reason: "NotAnnounced", message: "no node announces the service yet" });
    expect(announcedCondition({ verdict: undefined, l2: [], bgp: [] }).reason).toBe("NotAnnounced");
  });
});
