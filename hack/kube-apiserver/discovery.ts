/** Discovery documents (recordings/01-discovery.md): /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>. */
import type { ResourceType } from "./resource";
import type { Json, JsonObject } from "./status";

export const BUILTIN_GROUP_ORDER = ["apps", "events.k8s.io", "rbac.authorization.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io"];

/** The recorded server's /version (01-discovery.md 1); v1.30.0 when playing a server with ingress ipMode. */
export function versionInfo(ipMode = false): JsonObject {
  return {
    major: "1",
    minor: ipMode ? "30" : "26",
    gitVersion: ipMode ? "v1.30.0" : "v1.26.0",
    gitCommit: "lodestone-test-apiserver",
    gitTreeState: "clean",
    buildDate: "2026-11-21T00:00:00Z",
    goVersion: "go1.19.8",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function resourceEntries(types: ResourceType[]): Json[] {
  const out: JsonObject[] = [];
  for (const t of types) {
    const e: JsonObject = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
    if (t.shortNames.length > 0) e.shortNames = t.shortNames;
    if (t.categories.length > 0) e.categories = t.categories;
    if (t.storageVersionHash) e.storageVersionHash = t.storageVersionHash;
    out.push(e);
    const subs: JsonObject[] = [];
    if (t.hasStatus) subs.push({ name: `${t.plural}/status`, singularName: "", namespaced: t.namespaced, kind: t.kind, verbs: ["get", "patch", "update"] });
    for (const s of t.extraSubresources ?? []) {
      const se: JsonObject = { name: `${t.plural}/${s.name}`, singularName: "", namespaced: t.namespaced };
      if (s.group !== undefined) se.group = s.group;
      if (s.version !== undefined) se.version = s.version;
      se.kind = s.kind;
      se.verbs = ["get", "patch", "update"];
      subs.push(se);
    }
    out.push(...subs);
  }
  if (!types.some((t) => t.crd)) out.sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
  return out;
}

export function resourceList(group: string, version: string, types: ResourceType[]): JsonObject {
  const body: JsonObject = { kind: "APIResourceList" };
  if (group) body.apiVersion = "v1";
  body.groupVersion = group ? `${group}/${version}` : version;
  body.resources = resourceEntries(types);
  return body;
}

export interface GroupInfo {
  name: string;
  versions: string[];
}

function groupEntry(g: GroupInfo): JsonObject {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] ?? null };
}

export function groupList(groups: GroupInfo[]): JsonObject {
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map(groupEntry) };
}

export function apiGroup(g: GroupInfo): JsonObject {
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(g) };
}
