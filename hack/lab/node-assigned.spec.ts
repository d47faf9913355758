import { describe, expect, it } from "vitest";
import { movedAtStart, nodeAssignments, type CoreEventView } from "./node-assigned";

const assigned = (name: string, node: string, protocol = "layer2"): CoreEventView => ({
  reason: "nodeAssigned",
  message: `announcing from node ${node} with protocol ${protocol}`,
  count: 1,
  involvedObject: { kind: "Service", namespace: "default", name },
});

describe("nodeAssigned events at a cold lab start", () => {
  it("one per Service in layer 2 is no move; a second one is, and says where the IP went", () => {
    const events = [
      assigned("nginxlb", "node3"),
      assigned("nginxlb2", "node2"),
      assigned("nginxlb2", "node3"),
      { reason: "IPAllocated", message: "Assigned IP", involvedObject: { kind: "Service", namespace: "default", name: "nginxlb" } },
    ];
    const found = nodeAssignments(events);
    expect(found).toEqual(new Map([["default/nginxlb", ["node3"]], ["default/nginxlb2", ["node2", "node3"]]]));
    expect(movedAtStart(found, "l2")).toEqual(["default/nginxlb2: node2 -> node3"]);
  });

  it("with BGP every node announces: one per Service and node, and an aggregated repeat counts", () => {
    const found = nodeAssignments([assigned("web", "node1", "bgp"), assigned("web", "node2", "bgp"), { ...assigned("web", "node3", "bgp"), count: 2 }]);
    expect(movedAtStart(found, "bgp")).toEqual(["default/web: node1 -> node2 -> node3 -> node3"]);
    expect(movedAtStart(nodeAssignments([assigned("web", "node1", "bgp"), assigned("web", "node2", "bgp")]), "bgp")).toEqual([]);
  });
});
