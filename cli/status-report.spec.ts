import { describe, expect, it } from "vitest";
import { statusReport, type ClusterSnapshot } from "./status-report";

describe("lodestone status report", () => {
  it("shows pools, Services with their pool and announcers, and BGP sessions", () => {
    const snapshot = {
      pools: [
        {
          metadata: { name: "lb-ip-pool" },
          spec: { addresses: ["192.168.172.160-192.168.172.169"] },
          status: { assignedIPv4: 2, availableIPv4: 8, assignedIPv6: 0, availableIPv6: 0 },
        },
      ],
      services: [
        {
          metadata: { name: "nginxlb", namespace: "default", annotations: { "metallb.io/ip-allocated-from-pool": "lb-ip-pool" } },
          spec: { type: "LoadBalancer" },
          status: { loadBalancer: { ingress: [{ ip: "192.168.172.161" }] } },
        },
        {
          metadata: { name: "outside", namespace: "default" },
          spec: { type: "LoadBalancer" },
          status: { conditions: [{ type: "lodestone.dev/IPAllocated", status: "False", message: '"192.168.173.5" is not allowed in config' }] },
        },
        { metadata: { name: "nginxcip", namespace: "default" }, spec: { type: "ClusterIP" } },
      ],
      l2Statuses: [{ status: { node: "node-1", serviceName: "nginxlb", serviceNamespace: "default", interfaces: [{ name: "eth0" }] } }],
      bgpStatuses: [],
      peers: [
        {
          metadata: { name: "router" },
          status: { sessions: [{ node: "node-1", state: "Established", since: "2026-11-22T00:00:00Z", prefixesAdvertised: 3 }] },
        },
      ],
    } as unknown as ClusterSnapshot;
    expect(statusReport(snapshot)).toEqual([
      "POOLS",
      "NAME        ADDRESSES                        IPV4 USED/FREE  IPV6 USED/FREE",
      "lb-ip-pool  192.168.172.160-192.168.172.169  2/8             0/0",
      "",
      "LOADBALANCER SERVICES",
      "SERVICE          IPS                                                  POOL        ANNOUNCED BY",
      "default/nginxlb  192.168.172.161                                      lb-ip-pool  node-1 (layer2 on eth0)",
      'default/outside  <pending>: "192.168.173.5" is not allowed in config  -           -',
      "",
      "BGP SESSIONS",
      "PEER    NODE    STATE        SINCE                 PREFIXES  LAST ERROR",
      "router  node-1  Established  2026-11-22T00:00:00Z  3",
    ]);
  });

  it("after a node died: names only the survivor, says why an IP is not announced, and shows the dead node's session Idle with the reason", () => {
    const since = "2026-11-22T01:00:00Z";
    const snapshot = {
      pools: [],
      services: [
        {
          metadata: { name: "nginxlb", namespace: "default", annotations: { "metallb.io/ip-allocated-from-pool": "lb-ip-pool" } },
          spec: { type: "LoadBalancer" },
          status: { loadBalancer: { ingress: [{ ip: "192.168.172.161" }] } },
        },
        {
          metadata: { name: "idle", namespace: "default", annotations: { "metallb.io/ip-allocated-from-pool": "lb-ip-pool" } },
          spec: { type: "LoadBalancer" },
          status: {
            loadBalancer: { ingress: [{ ip: "192.168.172.162" }] },
            conditions: [{ type: "lodestone.dev/Announced", status: "False", reason: "NoReadyEndpoint", message: "the service has no ready endpoint" }],
          },
        },
      ],
      l2Statuses: [{ status: { node: "node-2", serviceName: "nginxlb", serviceNamespace: "default", interfaces: [{ name: "eth0" }] } }],
      bgpStatuses: [],
      peers: [
        {
          metadata: { name: "router" },
          status: {
            sessions: [
              { node: "node-1", state: "Idle", since, prefixesAdvertised: 0, lastError: `speaker on node node-1 found silent at ${since} (node down, or its speaker stopped or cut off); marked by the surviving speakers` },
              { node: "node-2", state: "Established", since, prefixesAdvertised: 2 },
            ],
          },
        },
      ],
    } as unknown as ClusterSnapshot;
    const report = statusReport(snapshot);
    expect(report.slice(3, 7)).toEqual([
      "LOADBALANCER SERVICES",
      "SERVICE          IPS              POOL        ANNOUNCED BY",
      "default/nginxlb  192.168.172.161  lb-ip-pool  node-2 (layer2 on eth0)",
      "default/idle     192.168.172.162  lb-ip-pool  - (NoReadyEndpoint: the service has no ready endpoint)",
    ]);
    expect(report.slice(8)).toEqual([
      "BGP SESSIONS",
      "PEER    NODE    STATE        SINCE                 PREFIXES  LAST ERROR",
      `router  node-1  Idle         ${since}  0         speaker on node node-1 found silent at ${since} (node down, or its speaker stopped or cut off); marked by the surviving speakers`,
      `router  node-2  Established  ${since}  2`,
    ]);
  });
});
