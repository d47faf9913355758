/**
 * What the speaker keeps of a watched object: only the fields it reads, cut at the watch edge so
 * that its copy of the cluster holds no more than it uses (the speaker runs on every node).
 *
 * Every kind loses metadata.managedFields and kubectl's last-applied-configuration annotation
 * (kube/without-bookkeeping.ts, as in the controller). Nodes
 * keep their conditions and addresses (not the image list a kubelet reports, kilobytes per node);
 * speaker Pods keep their node and IPs (core/announce/inputs.ts readNode, speaker-state.ts
 * peersFromPods); EndpointSlice endpoints keep their conditions and node (readEndpointSlice), not
 * their addresses, target references, zones or hints, nor the slice its ports. Services, Secrets and
 * the metallb.io kinds are kept whole.
 */
import type { KubeObject, SpeakerResource } from "../kube/speaker-port";
import { withoutBookkeeping } from "../kube/without-bookkeeping";
import { pickFields } from "../kube/pick-fields";

type Json = Record<string, unknown>;

export function slimObject(resource: SpeakerResource, object: KubeObject): KubeObject {
  const base = withoutBookkeeping(object) as KubeObject & Json;
  switch (resource) {
    case "Node":
      return { ...pickFields(base, ["apiVersion", "kind", "metadata", "spec"]), status: pickFields(base["status"], ["conditions", "addresses"]) ?? {} } as KubeObject;
    case "EndpointSlice": {
      const endpoints = Array.isArray(base["endpoints"]) ? base["endpoints"].map(e => pickFields(e, ["conditions", "nodeName"]) ?? {}) : undefined;
      return { ...pickFields(base, ["apiVersion", "kind", "metadata", "addressType"]), ...(endpoints ? { endpoints } : {}) } as KubeObject;
    }
    case "SpeakerPod":
      return { ...pickFields(base, ["apiVersion", "kind", "metadata"]), spec: pickFields(base["spec"], ["nodeName"]) ?? {}, status: pickFields(base["status"], ["phase", "podIP", "podIPs"]) ?? {} } as KubeObject;
    default:
      return base;
  }
}
