/** Which resources are served at which group-versions: the built-in kinds plus every established CRD. */
import type { ResourceType } from "./resource";
import { serviceType } from "./service";
import {
  configMapType,
  daemonSetType,
  deploymentType,
  endpointSliceType,
  endpointsType,
  leaseType,
  mutatingWebhookType,
  namespaceType,
  nodeType,
  podType,
  secretType,
  validatingWebhookType,
} from "./builtins";
import { coreEventType, eventsEventType } from "./events";
import { crdType } from "./crd";
import { clusterRoleBindingType, clusterRoleType, roleBindingType, roleType, serviceAccountType } from "./rbac";
import { BUILTIN_GROUP_ORDER, type GroupInfo } from "./discovery";

export const BUILTIN_TYPES: ResourceType[] = [
  configMapType,
  endpointsType,
  coreEventType,
  namespaceType,
  nodeType,
  podType,
  secretType,
  serviceAccountType,
  serviceType,
  daemonSetType,
  deploymentType,
  eventsEventType,
  clusterRoleBindingType,
  clusterRoleType,
  roleBindingType,
  roleType,
  validatingWebhookType,
  mutatingWebhookType,
  crdType,
  leaseType,
  endpointSliceType,
];

export class Registry {
  private readonly custom = new Map<string, ResourceType>();

  /** All types served at group/version. */
  typesAt(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.versions.includes(version));
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  byStorageKey(key: string): ResourceType | undefined {
    return this.all().find((t) => t.storageKey === key);
  }

  servesGroupVersion(group: string, version: string): boolean {
    return this.typesAt(group, version).length > 0;
  }

  all(): ResourceType[] {
    return [...BUILTIN_TYPES, ...this.custom.values()];
  }

  /** Registers (or re-registers) a CRD's resource under the CRD's name. */
  addCustom(crdName: string, t: ResourceType): void {
    this.custom.set(crdName, t);
  }

  removeCustom(crdName: string): ResourceType | undefined {
    const t = this.custom.get(crdName);
    this.custom.delete(crdName);
    return t;
  }

  customType(crdName: string): ResourceType | undefined {
    return this.custom.get(crdName);
  }

  groups(): GroupInfo[] {
    const out: GroupInfo[] = BUILTIN_GROUP_ORDER.map((name) => ({ name, versions: ["v1"] }));
    for (const t of this.custom.values()) {
      const g = out.find((x) => x.name === t.group);
      if (g) {
        for (const v of t.versions) if (!g.versions.includes(v)) g.versions.push(v);
      } else out.push({ name: t.group, versions: [...t.versions] });
    }
    return out;
  }
}
