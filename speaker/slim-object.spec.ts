import { describe, expect, it } from "vitest";
import { LAST_APPLIED } from "../kube/without-bookkeeping";
import { slimObject } from "./slim-object";

const managedFields = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];

describe("slimObject", () => {
  it("drops managedFields and kubectl's last-applied copy from every kind, keeping the rest of a Service", () => {
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop", resourceVersion: "7", managedFields, annotations: { [LAST_APPLIED]: "{...}", "metallb.io/loadBalancerIPs": "192.0.2.10" } },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } },
    };
    expect(slimObject("Service", service)).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop", resourceVersion: "7", annotations: { "metallb.io/loadBalancerIPs": "192.0.2.10" } },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } },
    });
    expect(service.metadata.managedFields).toBe(managedFields);
  });

  it("keeps a Node's labels, spec, conditions and addresses, not its image list", () => {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node1", labels: { zone: "a" }, managedFields },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "NetworkUnavailable", status: "False" }],
        addresses: [{ type: "InternalIP", address: "192.0.2.11" }],
        images: [{ names: ["registry.example/app@sha256:..."], sizeBytes: 1 }],
        nodeInfo: { kubeletVersion: "v1.30.0" },
      },
    };
    expect(slimObject("Node", node)).toEqual({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node1", labels: { zone: "a" } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: "NetworkUnavailable", status: "False" }], addresses: [{ type: "InternalIP", address: "192.0.2.11" }] },
    });
  });

  it("keeps an EndpointSlice's endpoints' conditions and nodes only", () => {
    const slice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-x", namespace: "shop", labels: { "kubernetes.io/service-name": "web" }, managedFields },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.5"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node1", zone: "a", targetRef: { kind: "Pod", name: "web-1", uid: "u" } },
        { addresses: ["10.0.0.6"], conditions: { ready: false } },
      ],
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    };
    expect(slimObject("EndpointSlice", slice)).toEqual({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-x", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ conditions: { ready: true, serving: true, terminating: false }, nodeName: "node1" }, { conditions: { ready: false } }],
    });
  });

  it("keeps a speaker Pod's node, phase and IPs, and its deletionTimestamp", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "speaker-x", deletionTimestamp: "2026-12-01T00:00:00Z", managedFields },
      spec: { nodeName: "node1", containers: [{ name: "speaker", image: "x" }] },
      status: { phase: "Running", podIP: "192.0.2.11", podIPs: [{ ip: "192.0.2.11" }], containerStatuses: [{ ready: true }] },
    };
    expect(slimObject("SpeakerPod", pod)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "speaker-x", deletionTimestamp: "2026-12-01T00:00:00Z" },
      spec: { nodeName: "node1" },
      status: { phase: "Running", podIP: "192.0.2.11", podIPs: [{ ip: "192.0.2.11" }] },
    });
  });

  it("leaves an object without metadata or status as it is", () => {
    expect(slimObject("Secret", { kind: "Secret", data: { k: "dg==" } })).toEqual({ kind: "Secret", data: { k: "dg==" } });
    expect(slimObject("Node", { metadata: { name: "n" } })).toEqual({ metadata: { name: "n" }, status: {} });
  });
});
