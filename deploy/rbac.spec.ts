/**
 * Every verb Lodestone is granted, to whom and why, checked against what the code does:
 * - no wildcard and no privilege verb anywhere;
 * - no rule of the controller is unused: each resource, verb and name it lists is needed by a call the
 *   controller makes (table below, tied to the ControllerPort's methods), by an object the start-up
 *   routine applies, by Pepr itself, or by a speaker rule the controller must hold to grant it;
 * - the controller holds every speaker rule (else the API server refuses to create the speaker's roles);
 * - Pepr's rule merging leaves the rules exactly as written;
 * - docs/rbac.md is rendered from the same table, and package.json carries the same rules.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import pkg from "../package.json";
import { RestControllerPort } from "../kube/rest-controller-port";
import type { SpeakerPort } from "../kube/speaker-port";
import { refOf, resourceOf } from "./deploy-port";
import { installPlan } from "./install";
import { PEPR_MODULE_NAME } from "./names";
import {
  controllerNamespaceRules,
  controllerRules,
  controllerSecretRules,
  crdNames,
  installerCommands,
  peprRbac,
  PEPR_STORE_CRD,
  speakerClusterRules,
  speakerInstallerRules,
  speakerNamespaceRules,
  type PolicyRule,
} from "./rbac";
import { RBAC_DOC_PATH, renderRbacDoc } from "./rbac-doc";

/** One permission: a verb on a resource of a group, on any object ("*") or on one name. */
interface Need {
  group: string;
  resource: string;
  verb: string;
  name: string;
}

const ANY = "*";
const CONFIG = ["ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "bfdprofiles", "communities"];
/** The speakers' reports the controller turns into the Announced condition. */
const REPORTS = ["servicel2statuses", "servicebgpstatuses"];
const needs = (group: string, resources: string[], verbs: string[], name = ANY): Need[] =>
  resources.flatMap(resource => verbs.map(verb => ({ group, resource, verb, name })));
const atoms = (r: PolicyRule): Need[] =>
  r.apiGroups.flatMap(group => r.resources.flatMap(resource => r.verbs.flatMap(verb => (r.resourceNames ?? [ANY]).map(name => ({ group, resource, verb, name })))));

/**
 * What the controller's code calls, per ControllerPort method (rest-controller-port.ts). A watch in
 * kubernetes-fluent-client lists first, so `watch` needs list too.
 */
const controllerPortCalls: Record<string, Need[]> = {
  list: [
    ...needs("", ["services", "namespaces", "nodes"], ["list"]),
    ...needs("discovery.k8s.io", ["endpointslices"], ["list"]),
    ...needs("metallb.io", [...CONFIG, ...REPORTS], ["list"]),
  ],
  watch: [
    ...needs("", ["services", "namespaces", "nodes"], ["list", "watch"]),
    ...needs("discovery.k8s.io", ["endpointslices"], ["list", "watch"]),
    ...needs("metallb.io", [...CONFIG, ...REPORTS], ["list", "watch"]),
  ],
  listServiceCIDRs: needs("networking.k8s.io", ["servicecidrs"], ["list"]),
  getService: needs("", ["services"], ["get"]),
  patchServiceStatus: needs("", ["services/status"], ["patch"]),
  patchServiceAnnotations: needs("", ["services"], ["patch"]),
  createEvent: needs("", ["events"], ["create"]),
  patchEvent: needs("", ["events"], ["patch"]),
  patchPoolStatus: needs("metallb.io", ["ipaddresspools/status"], ["patch"]),
  writeConfigurationState: [...needs("metallb.io", ["configurationstates"], ["create"]), ...needs("metallb.io", ["configurationstates/status"], ["patch"])],
  // GET /openapi/v3 and /openapi/v2: non-resource URLs that the default ClusterRole system:discovery grants
  // to every authenticated user, so no rule of ours is needed.
  servesIngressIPMode: [],
};

/**
 * What the speaker's code calls, per SpeakerPort method (kube/speaker-port.ts): the keys
 * are the interface's, so a new method fails the type check until it is listed here.
 */
const speakerPortCalls: Record<keyof SpeakerPort, Need[]> = {
  list: [
    ...needs("", ["services", "nodes"], ["list"]),
    ...needs("discovery.k8s.io", ["endpointslices"], ["list"]),
    ...needs("metallb.io", CONFIG, ["list"]),
    ...needs("", ["pods"], ["list"]),
    ...needs("", ["secrets"], ["list"], "memberlist"),
  ],
  watch: [
    ...needs("", ["services", "nodes"], ["list", "watch"]),
    ...needs("discovery.k8s.io", ["endpointslices"], ["list", "watch"]),
    ...needs("metallb.io", CONFIG, ["list", "watch"]),
    ...needs("", ["pods"], ["list", "watch"]),
    ...needs("", ["secrets"], ["list", "watch"], "memberlist"),
  ],
  // The watch supervisor's probe is GET /version, which every client may read (system:public-info-viewer).
  isViewCurrent: [],
  onViewChange: [],
  listL2Statuses: needs("metallb.io", ["servicel2statuses"], ["list"]),
  createL2Status: [...needs("metallb.io", ["servicel2statuses"], ["create"]), ...needs("metallb.io", ["servicel2statuses/status"], ["patch"])],
  updateL2Status: needs("metallb.io", ["servicel2statuses/status"], ["patch"]),
  deleteL2Status: needs("metallb.io", ["servicel2statuses"], ["delete"]),
  watchL2Statuses: needs("metallb.io", ["servicel2statuses"], ["list", "watch"]),
  listBgpStatuses: needs("metallb.io", ["servicebgpstatuses"], ["list"]),
  createBgpStatus: [...needs("metallb.io", ["servicebgpstatuses"], ["create"]), ...needs("metallb.io", ["servicebgpstatuses/status"], ["patch"])],
  updateBgpStatus: needs("metallb.io", ["servicebgpstatuses/status"], ["patch"]),
  deleteBgpStatus: needs("metallb.io", ["servicebgpstatuses"], ["delete"]),
  watchBgpStatuses: needs("metallb.io", ["servicebgpstatuses"], ["list", "watch"]),
  getBgpPeer: needs("metallb.io", ["bgppeers"], ["list"]),
  replaceBgpPeerStatus: needs("metallb.io", ["bgppeers/status"], ["patch"]),
  createEvent: needs("", ["events"], ["create"]),
  writeConfigurationState: [...needs("metallb.io", ["configurationstates"], ["create"]), ...needs("metallb.io", ["configurationstates/status"], ["patch"])],
};

/** The webhooks judge a candidate with the configuration already there and the Service range (existing-config.ts). */
const webhookCalls = [...needs("metallb.io", CONFIG, ["list"]), ...needs("networking.k8s.io", ["servicecidrs"], ["list"]), ...needs("", ["services"], ["get"], "kubernetes")];

/** Pepr 1.1.4 adds these to every scoped ClusterRole (createRBACMap): its store and its store's CRD. */
const PEPR_ADDED: PolicyRule[] = [
  { apiGroups: ["pepr.dev"], resources: ["peprstores"], verbs: ["create", "get", "patch", "watch"] },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["patch", "create"] },
];
const peprCalls = [...needs("pepr.dev", ["peprstores"], ["create", "get", "list", "patch", "watch"]), ...needs("apiextensions.k8s.io", ["customresourcedefinitions"], ["create", "patch"], PEPR_STORE_CRD)];

/** The start-up routine: server-side apply (create + patch, by name) of each planned object, a GET per CRD, and the webhook split. */
function startupCalls(namespace: string): Need[] {
  const plan = installPlan({ namespace, image: "img" });
  const applied = [plan.namespace, ...plan.crds, ...plan.speaker].flatMap(m => {
    const { group, plural } = resourceOf(refOf(m));
    return needs(group, [plural], ["create", "patch"], m.metadata.name);
  });
  const established = plan.crds.flatMap(c => needs("apiextensions.k8s.io", ["customresourcedefinitions"], ["get"], c.metadata.name));
  const split = needs("admissionregistration.k8s.io", ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], ["get", "patch"], PEPR_MODULE_NAME);
  // prerequisites.ts ensureSpeakerSecrets: creates (POST: no name to authorize) and two reads by name,
  // and what it puts into the speakers' Secret Role (the escalation check).
  const speakerSecrets = [
    ...needs("", ["secrets"], ["create"]),
    ...needs("", ["secrets"], ["get"], "memberlist"),
    ...needs("rbac.authorization.k8s.io", ["roles", "rolebindings"], ["create"]),
    ...needs("rbac.authorization.k8s.io", ["rolebindings"], ["get"], "lodestone-speaker-secrets"),
    ...speakerInstallerRules.map(r => r.rule).flatMap(atoms),
  ];
  return [...applied, ...established, ...split, ...speakerSecrets];
}

const speakerRules = [...speakerClusterRules, ...speakerNamespaceRules].map(r => r.rule);
const speakerNeeds = speakerRules.flatMap(atoms);
const allNeeds = (namespace: string) => [...Object.values(controllerPortCalls).flat(), ...webhookCalls, ...peprCalls, ...startupCalls(namespace), ...speakerNeeds];

/** Does a granted atom satisfy a need? A grant on any name satisfies every name. */
const satisfies = (g: Need, n: Need) => g.group === n.group && g.resource === n.resource && g.verb === n.verb && (g.name === ANY || g.name === n.name);

/** Pepr 1.1.4's clusterRole() in scoped mode: custom rules first, merged by `${apiGroups}/${resources}`, verbs unioned, first entry's other fields kept. */
function peprScopedClusterRole(custom: PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  for (const rule of [...custom, ...PEPR_ADDED]) {
    const key = `${rule.apiGroups}/${rule.resources}`;
    const seen = merged.get(key);
    if (seen) seen.verbs = [...new Set([...seen.verbs, ...rule.verbs])];
    else merged.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...merged.values()];
}

/** Parts of the rules (resource x verb, or name) that no need uses. */
function unusedParts(rules: PolicyRule[], need: Need[]): string[] {
  const out: string[] = [];
  // A grant on any name must be needed on any name; otherwise it should have been pinned.
  const used = (a: Need) => need.some(n => satisfies(a, n) && (a.name !== ANY || n.name === ANY));
  for (const r of rules) {
    for (const resource of r.resources) {
      for (const verb of r.verbs) {
        // `get` adds nothing to `list` (a list returns whole objects), so it may ride along with a needed list.
        if (verb === "get" && r.verbs.includes("list") && need.some(n => n.resource === resource && n.verb === "list")) continue;
        if (!(r.resourceNames ?? [ANY]).some(name => r.apiGroups.some(group => used({ group, resource, verb, name })))) out.push(`${resource} ${verb}`);
      }
    }
    for (const name of r.resourceNames ?? []) if (!need.some(n => n.name === name && r.resources.includes(n.resource))) out.push(`name ${name}`);
  }
  return out;
}

/** The controller's grants: its ClusterRole and its Role in the Lodestone namespace. */
const controllerAll = (): PolicyRule[] => [...peprRbac(), ...controllerRole()];
/** The controller's Role `lodestone-controller` in the Lodestone namespace, as prerequisites.ts makes it. */
const controllerRole = (): PolicyRule[] => [...controllerNamespaceRules, ...controllerSecretRules].map(r => r.rule);

describe("RBAC table", () => {
  const everyRule = [...peprRbac(), ...controllerRole(), ...speakerRules, ...speakerInstallerRules.map(r => r.rule)];

  it("grants no wildcard and no privilege verb, to anyone", () => {
    for (const r of everyRule) {
      for (const field of [r.apiGroups, r.resources, r.verbs, r.resourceNames ?? []]) expect(field).not.toContain("*");
      expect(r.verbs.filter(v => ["escalate", "bind", "impersonate", "deletecollection", "update"].includes(v))).toEqual([]);
      expect(r.resources.some(res => res.includes("*"))).toBe(false);
      expect(r.verbs.length).toBeGreaterThan(0);
    }
  });

  it("gives every controller rule a reason", () => {
    for (const r of controllerRules()) {
      expect(r.uses.length).toBeGreaterThan(0);
      for (const u of r.uses) expect(u.why.length).toBeGreaterThan(u.by === "speaker-grant" ? 0 : 10);
    }
    for (const r of [...controllerNamespaceRules, ...controllerSecretRules, ...speakerClusterRules, ...speakerNamespaceRules, ...speakerInstallerRules]) expect(r.why.length).toBeGreaterThan(10);
  });

  it("knows every call the controller port makes", () => {
    const methods = Object.getOwnPropertyNames(RestControllerPort.prototype).filter(m => m !== "constructor" && !["settings", "request"].includes(m));
    expect(methods.sort()).toEqual(Object.keys(controllerPortCalls).sort());
  });

  it("covers every need: the controller's calls, the webhooks, Pepr, the start-up routine and the speaker's rules", () => {
    const granted = controllerAll().flatMap(atoms);
    const missing = allNeeds("metallb-system").filter(n => !granted.some(g => satisfies(g, n)));
    expect(missing).toEqual([]);
  });

  it("has no unused resource, verb or name in any controller rule", () => {
    expect(unusedParts(controllerAll(), allNeeds("metallb-system"))).toEqual([]);
  });

  it("would catch an unused verb, resource or name, or a grant that should have been pinned", () => {
    const need = allNeeds("metallb-system");
    expect(
      unusedParts(
        [
          { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "delete"] },
          { apiGroups: ["apps"], resources: ["daemonsets"], resourceNames: ["lodestone-speaker", "speaker"], verbs: ["create"] },
          { apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"] },
          { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["create"] },
        ],
        need,
      ),
    ).toEqual(["services delete", "name speaker", "deployments patch", "serviceaccounts create"]);
  });

  it("lets no speaker write any Service: the Announced condition is the controller's (one compromised node cannot rewrite Service IPs)", () => {
    const speakerAll = [...speakerRules, ...speakerInstallerRules.map(r => r.rule)].flatMap(atoms);
    expect(speakerAll.filter(a => a.group === "" && (a.resource === "services" || a.resource.startsWith("services/")) && a.verb !== "list" && a.verb !== "watch")).toEqual([]);
  });

  it("gives the speaker exactly what its port calls: each call covered, no rule part unused", () => {
    const speakerAll = [...speakerRules, ...speakerInstallerRules.map(r => r.rule)];
    const calls = Object.values(speakerPortCalls).flat();
    const granted = speakerAll.flatMap(atoms);
    expect(calls.filter(n => !granted.some(g => satisfies(g, n)))).toEqual([]);
    expect(unusedParts(speakerAll, calls)).toEqual([]);
  });

  it("holds every speaker rule, so the API server lets the controller grant them (escalation check)", () => {
    const granted = peprRbac().flatMap(atoms);
    expect(speakerNeeds.filter(n => !granted.some(g => satisfies(g, n)))).toEqual([]);
  });

  it("holds no Secret permission in the controller's ClusterRole; its Role holds what it grants the speakers", () => {
    expect(peprRbac().filter(r => r.resources.includes("secrets"))).toEqual([]);
    // The escalation check: the controller holds what it puts into lodestone-speaker-secrets.
    const roleGrants = controllerRole().flatMap(atoms);
    expect(speakerInstallerRules.map(r => r.rule).flatMap(atoms).filter(n => !roleGrants.some(g => satisfies(g, n)))).toEqual([]);
    expect(speakerInstallerRules.map(r => r.rule)).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["memberlist"], verbs: ["list", "watch"] }]);
    expect(installerCommands("lb")).toEqual([
      "kubectl create namespace lb",
      `kubectl -n lb create secret generic memberlist --from-literal=secretkey="$(openssl rand -hex 32)"`,
      "kubectl -n lb create role lodestone-controller --verb=create,patch --resource=daemonsets.apps,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io --resource-name=lodestone-speaker",
      "kubectl -n lb create rolebinding lodestone-controller --role=lodestone-controller --serviceaccount=pepr-system:pepr-lodestone",
      "kubectl -n lb create role lodestone-speaker-secrets --verb=list,watch --resource=secrets --resource-name=memberlist",
      "kubectl -n lb create rolebinding lodestone-speaker-secrets --role=lodestone-speaker-secrets --serviceaccount=lb:lodestone-speaker",
    ]);
  });

  it("writes namespaced objects only through the Role in the Lodestone namespace, never the ClusterRole", () => {
    const namespaced = ["daemonsets", "serviceaccounts", "roles", "rolebindings"];
    expect(peprRbac().filter(r => r.resources.some(res => namespaced.includes(res)))).toEqual([]);
    expect(controllerNamespaceRules.flatMap(r => r.rule.resources).sort()).toEqual([...namespaced].sort());
    for (const r of controllerNamespaceRules) expect(r.rule.resourceNames).toEqual(["lodestone-speaker"]);
  });

  // The exact grants of every subject: adding, widening or dropping any rule fails here until this
  // list and docs/rbac.md (with its reason) are updated on purpose.
  it("grants exactly this set of rules, per subject", () => {
    const compact = (rules: readonly PolicyRule[]) =>
      rules.map(r => `${r.apiGroups.join(",") || '""'} ${r.resources.join(",")}${r.resourceNames ? ` [${r.resourceNames.join(",")}]` : ""}: ${r.verbs.join(",")}`);
    expect({
      controllerClusterRole: compact(peprRbac()),
      controllerRole: compact(controllerRole()),
      speakerClusterRole: compact(speakerClusterRules.map(r => r.rule)),
      speakerRole: compact(speakerNamespaceRules.map(r => r.rule)),
      speakerSecretsRole: compact(speakerInstallerRules.map(r => r.rule)),
    }).toEqual({
      controllerClusterRole: [
        '"" services: get,list,watch,patch',
        '"" services/status: patch',
        '"" namespaces,nodes,pods: list,watch',
        '"" namespaces [metallb-system]: create,patch',
        '"" events: create,patch',
        "metallb.io ipaddresspools,l2advertisements,bgpadvertisements,bgppeers,bfdprofiles,communities: list,watch",
        "metallb.io ipaddresspools/status: patch",
        "metallb.io configurationstates: create",
        "metallb.io configurationstates/status: patch",
        "metallb.io servicel2statuses: create,delete,list,watch",
        "metallb.io servicel2statuses/status: patch",
        "metallb.io servicebgpstatuses: create,delete,list,watch",
        "metallb.io servicebgpstatuses/status: patch",
        "metallb.io bgppeers/status: patch",
        "discovery.k8s.io endpointslices: list,watch",
        "networking.k8s.io servicecidrs: list",
        `apiextensions.k8s.io customresourcedefinitions [${crdNames().join(",")}]: create,get,patch`,
        "pepr.dev peprstores: create,get,list,patch,watch",
        "rbac.authorization.k8s.io clusterroles,clusterrolebindings [lodestone-speaker]: create,patch",
        "admissionregistration.k8s.io validatingwebhookconfigurations,mutatingwebhookconfigurations [pepr-lodestone]: get,patch",
      ],
      controllerRole: [
        "apps daemonsets [lodestone-speaker]: create,patch",
        '"" serviceaccounts [lodestone-speaker]: create,patch',
        "rbac.authorization.k8s.io roles,rolebindings [lodestone-speaker]: create,patch",
        '"" secrets: create',
        '"" secrets [memberlist]: get,list,watch',
        "rbac.authorization.k8s.io roles,rolebindings: create",
        "rbac.authorization.k8s.io rolebindings [lodestone-speaker-secrets]: get",
      ],
      speakerClusterRole: [
        '"" services: list,watch',
        '"" nodes: list,watch',
        "discovery.k8s.io endpointslices: list,watch",
        '"" events: create',
      ],
      speakerRole: [
        "metallb.io ipaddresspools,l2advertisements,bgpadvertisements,bgppeers,bfdprofiles,communities: list,watch",
        '"" pods: list,watch',
        "metallb.io servicel2statuses: create,delete,list,watch",
        "metallb.io servicel2statuses/status: patch",
        "metallb.io servicebgpstatuses: create,delete,list,watch",
        "metallb.io servicebgpstatuses/status: patch",
        "metallb.io bgppeers/status: patch",
        "metallb.io configurationstates: create",
        "metallb.io configurationstates/status: patch",
      ],
      speakerSecretsRole: ['"" secrets [memberlist]: list,watch'],
    });
  });

  it("pins every write of the start-up routine to the names it applies", () => {
    const writes = peprRbac().filter(r => r.verbs.includes("create") && r.resourceNames === undefined);
    expect(writes.map(r => r.resources.join(","))).toEqual(["events", "configurationstates", "servicel2statuses", "servicebgpstatuses", "peprstores"]);
    const crds = peprRbac().find(r => r.resources.includes("customresourcedefinitions"));
    expect(crds?.resourceNames).toEqual(crdNames());
    expect(crds?.resourceNames).toHaveLength(10);
  });

  it("survives Pepr's merging unchanged (one entry per API groups + resources)", () => {
    expect(peprScopedClusterRole(peprRbac())).toEqual(peprRbac());
    const keys = peprRbac().map(r => `${r.apiGroups}/${r.resources}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("would be widened by Pepr's merging if a name-pinned rule came second (why the rules stay one per key)", () => {
    const pinned = { apiGroups: [""], resources: ["namespaces"], resourceNames: ["metallb-system"], verbs: ["create"] };
    const read = { apiGroups: [""], resources: ["namespaces"], verbs: ["list"] };
    expect(peprScopedClusterRole([read, pinned])[0]).toEqual({ apiGroups: [""], resources: ["namespaces"], verbs: ["list", "create"] });
  });

  it("docs/rbac.md is rendered from this table", () => {
    const doc = readFileSync(join(__dirname, "..", RBAC_DOC_PATH), "utf8");
    expect(doc, "run `npx tsx deploy/rbac-doc.ts --write`").toBe(renderRbacDoc());
  });

  const peprConfig = pkg.pepr as Record<string, unknown>;
  it("package.json pepr.rbac and rbacMode are the table's", () => {
    expect(peprConfig.rbacMode).toBe("scoped");
    expect(peprConfig.rbac).toEqual(peprRbac());
  });
});
