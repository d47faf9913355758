/**
 * What a speaker says about the Services it handles: the texts of its events. The Service's
 * `lodestone.dev/Announced` condition is the controller's to write, from the speakers'
 * ServiceL2Status / ServiceBGPStatus objects (core/announce/announced-condition.ts), so
 * no speaker needs to patch Services.
 */
export const EVENT_NODE_ASSIGNED = "nodeAssigned";
export const EVENT_ANNOUNCE_FAILED = "announceFailed";

/** What this node knows about its own part in announcing a Service by layer 2. */
export type L2Part =
  | { readonly state: "announcing"; readonly interfaces: readonly string[] }
  | { readonly state: "interfaceMissing"; readonly interfaces: readonly string[] }
  | { readonly state: "none" };

export function interfaceMissingMessage(node: string, interfaces: readonly string[]): string {
  return interfaces.length
    ? `node ${node} was elected but has none of the interfaces ${interfaces.join(", ")} (layer2)`
    : `node ${node} was elected but has no usable interface (layer2)`;
}

export const nodeAssignedMessage = (node: string): string => `announcing from node ${node} with protocol layer2`;
