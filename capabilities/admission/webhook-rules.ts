/**
 * What each of Lodestone's webhooks admits, as data: the rules of the split registration.
 *
 * This is a table and not something read from the capability's bindings because Pepr registers
 * Validate and Mutate bindings only in the processes that serve admission: in its watcher
 * (`PEPR_WATCH_MODE=true`) `Capability.When(...).Validate()` pushes nothing
 * (node_modules/pepr/src/lib/core/capability.ts, `registerAdmission`). The watcher is the process
 * that splits the registration, so rules derived from its bindings were empty (issue 12, finding 1).
 * webhook-rules.spec.ts checks that the bindings of capabilities/admission give exactly these rules.
 */
import { METALLB_GROUP, configKindTable } from "../../kube/metallb-kinds";

export interface WebhookRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

export type WebhookType = "mutate" | "validate";

/** Which webhook of the split: Lodestone's own kinds (fail closed) or Services (fail open). */
export type WebhookPart = "config" | "services";

const rule = (group: string, version: string, resource: string, operations: string[]): WebhookRule => ({
  apiGroups: [group],
  apiVersions: [version],
  operations,
  resources: [resource],
});

const CREATE_UPDATE = ["CREATE", "UPDATE"];
const services = rule("", "v1", "services", CREATE_UPDATE);

/** The rules of every webhook, per registration type. An empty list means that webhook is not registered. */
export const WEBHOOK_RULES: Readonly<Record<WebhookType, Readonly<Record<WebhookPart, readonly WebhookRule[]>>>> = {
  validate: {
    // Every configuration kind on CREATE and UPDATE; BFDProfile also on DELETE (refused while a BGPPeer names it).
    config: configKindTable.flatMap(k => [
      rule(METALLB_GROUP, k.version, k.plural, CREATE_UPDATE),
      ...(k.kind === "BFDProfile" ? [rule(METALLB_GROUP, k.version, k.plural, ["DELETE"])] : []),
    ]),
    services: [services],
  },
  mutate: {
    config: [],
    services: [services],
  },
};
