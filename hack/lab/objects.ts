/**
 * The Kubernetes objects that a real cluster's other components would have written and the lab
 * writes itself: Node objects (the kubelet), one EndpointSlice per Service pointing at every node's
 * backend (the endpoint-slice controller), the heartbeat Secret (the installer's one-time step, docs/install.md), and
 * for --bgp the BGPPeer/BFDProfile/BGPAdvertisement that turn the example's L2 setup into BGP.
 * Pure: objects in, objects out; main.ts applies them with kubectl.
 */
import { stringify } from "yaml";

export interface LabNode {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
}

export type KubeObject = Readonly<Record<string, unknown>>;

export function nodeObject(node: LabNode): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node.name, labels: { "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux" } },
    status: {
      addresses: [
        { type: "InternalIP", address: node.ipv4 },
        { type: "InternalIP", address: node.ipv6 },
        { type: "Hostname", address: node.name },
      ],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
    },
  };
}

/** One ready endpoint per node (the backend listens on the node itself, as a hostNetwork Pod would). */
export function endpointSliceObject(namespace: string, service: string, ports: readonly ServicePort[], nodes: readonly LabNode[]): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${service}-lab`,
      namespace,
      labels: { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "lodestone-lab" },
    },
    addressType: "IPv4",
    endpoints: nodes.map((n) => ({
      addresses: [n.ipv4],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: n.name,
    })),
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? "TCP" })),
  };
}

/** MetalLB's `memberlist` Secret, whose `secretkey` keys the speakers' heartbeats. */
export function heartbeatSecret(namespace: string, key: Buffer): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "memberlist", namespace },
    type: "Opaque",
    data: { secretkey: key.toString("base64") },
  };
}

export interface BgpLab {
  readonly namespace: string;
  readonly pool: string;
  readonly nodeAsn: number;
  readonly routerAsn: number;
  readonly routerAddress: string;
  readonly bfd?: { readonly receiveIntervalMs: number; readonly transmitIntervalMs: number; readonly detectMultiplier: number };
}

export const BFD_PROFILE = "lab-fast";

/** One BGPPeer (every node peers with the router), a BGPAdvertisement of the pool and the BFD profile. */
export function bgpObjects(lab: BgpLab): KubeObject[] {
  const objects: KubeObject[] = [];
  if (lab.bfd) {
    objects.push({
      apiVersion: "metallb.io/v1beta1",
      kind: "BFDProfile",
      metadata: { name: BFD_PROFILE, namespace: lab.namespace },
      spec: { receiveInterval: lab.bfd.receiveIntervalMs, transmitInterval: lab.bfd.transmitIntervalMs, detectMultiplier: lab.bfd.detectMultiplier },
    });
  }
  objects.push(
    {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "lab-router", namespace: lab.namespace },
      spec: {
        myASN: lab.nodeAsn,
        peerASN: lab.routerAsn,
        peerAddress: lab.routerAddress,
        holdTime: "9s",
        ...(lab.bfd ? { bfdProfile: BFD_PROFILE } : {}),
      },
    },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "BGPAdvertisement",
      metadata: { name: "lab-bgp", namespace: lab.namespace },
      spec: { ipAddressPools: [lab.pool] },
    },
  );
  return objects;
}

/** Objects as one multi-document YAML stream for `kubectl apply -f`. */
export function listOf(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}
