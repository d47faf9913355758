import { describe, expect, it } from "vitest";
import { stillNaming } from "./status-truth";

describe("stillNaming", () => {
  it("lists every object that still names the dead node as announcing, and nothing else", () => {
    const status = {
      l2Statuses: [
        { metadata: { name: "l2-aaaaa" }, status: { node: "node3", serviceName: "nginxlb" } },
        { metadata: { name: "l2-bbbbb" }, status: { node: "node2", serviceName: "nginxlb2" } },
      ],
      bgpStatuses: [{ metadata: { name: "bgp-ccccc" }, status: { node: "node3" } }],
      peers: [
        { metadata: { name: "router" }, status: { sessions: [{ node: "node3", state: "Established" }, { node: "node13", state: "Established" }] } },
        { metadata: { name: "other" }, status: { sessions: [{ node: "node3", state: "Idle" }] } },
      ],
      services: [
        { metadata: { name: "nginxlb", namespace: "default" }, status: { conditions: [{ type: "lodestone.dev/Announced", status: "True", message: "announced by node node3 on eth0 (layer2)" }] } },
        { metadata: { name: "nginxlb2", namespace: "default" }, status: { conditions: [{ type: "lodestone.dev/Announced", status: "True", message: "announced by node node13 on eth0 (layer2)" }] } },
      ],
    };
    expect(stillNaming(status, "node3")).toEqual([
      "ServiceL2Status l2-aaaaa",
      "ServiceBGPStatus bgp-ccccc",
      "BGPPeer router session Established",
      "Service default/nginxlb Announced: announced by node node3 on eth0 (layer2)",
    ]);
    expect(stillNaming({ l2Statuses: [], bgpStatuses: [], peers: [], services: [] }, "node3")).toEqual([]);
  });
});
