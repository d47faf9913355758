import { describe, expect, it } from "vitest";
import { watchRemembers, type WatchedResource } from "./controller-port";

describe("watchRemembers", () => {
  it("shares the object the reconciler holds whole (Services, the configuration) and keeps tombstones of the rest", () => {
    const all: WatchedResource[] = ["Service", "Namespace", "IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community", "ServiceL2Status", "ServiceBGPStatus", "EndpointSlice", "Node"];
    expect(Object.fromEntries(all.map(r => [r, watchRemembers(r)]))).toEqual({
      Service: "object",
      Namespace: "identity",
      IPAddressPool: "object",
      L2Advertisement: "object",
      BGPAdvertisement: "object",
      BGPPeer: "object",
      BFDProfile: "object",
      Community: "object",
      ServiceL2Status: "identity",
      ServiceBGPStatus: "identity",
      EndpointSlice: "identity",
      Node: "identity",
    });
  });
});
