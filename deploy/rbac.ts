/**
 * Every permission Lodestone asks for, with the reason, in one table. Three grantees:
 *
 * - the controller: the Pepr module's ServiceAccount (`pepr-lodestone` in pepr-system). Pepr puts
 *   these rules (package.json `pepr.rbac`, `rbacMode: scoped`) into ONE ClusterRole, so every rule
 *   here holds in every namespace; that is why writes are pinned to names with resourceNames.
 * - the speaker: its ClusterRole and Role (both `lodestone-speaker`), which the controller applies at
 *   start-up. Kubernetes lets a subject grant only what it holds itself (the RBAC escalation check),
 *   so the controller also holds every speaker rule; those rows say "granted on to the speaker".
 * - the controller in the Lodestone namespace: its namespaced writes (the speaker's DaemonSet,
 *   ServiceAccount, Role and RoleBinding) come from a Role there (`lodestone-controller`), not from
 *   the ClusterRole: a ClusterRole with resourceNames still grants that name in every namespace, so a
 *   compromised controller could have made a privileged DaemonSet `lodestone-speaker` anywhere.
 *   Pepr makes no Role for a module, so the installer creates it.
 * - the installer: the one grant the controller must not be able to make. The speaker reads Secrets
 *   (the heartbeat key `memberlist`, BGP passwordSecrets) in the Lodestone namespace. For the
 *   controller to grant that, it would need Secret access too, and in a ClusterRole that means every
 *   Secret of the cluster; and `create` on Secrets anywhere (even by name) lets one mint a token for
 *   any ServiceAccount (a `kubernetes.io/service-account-token` Secret). So the Role that lets the
 *   speaker read Secrets, and the heartbeat Secret, are made once by whoever installs (docs/install.md).
 *
 * deploy/rbac.spec.ts checks the table (no wildcards, no unused rule, the controller
 * covers the speaker, Pepr's rule merging changes nothing) and that docs/rbac.md is rendered from it.
 */
import { allCRDs } from "../crds";
import { CONTROLLER_ROLE, DEFAULT_NAMESPACE, HEARTBEAT_SECRET_NAME, PEPR_MODULE_NAME, SPEAKER_NAME, SPEAKER_SECRETS_ROLE, SPEAKER_SELECTOR } from "./names";

/** rbac.authorization.k8s.io/v1 PolicyRule (resource rules only). */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** Who in the controller needs a rule. */
export type ControllerUser = "webhooks" | "allocator" | "start-up" | "pepr" | "speaker-grant";

export interface ControllerRule {
  rule: PolicyRule;
  uses: { by: ControllerUser; why: string }[];
}

export interface ReasonedRule {
  rule: PolicyRule;
  why: string;
}

const METALLB = "metallb.io";
const CONFIG_RESOURCES = ["ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "bfdprofiles", "communities"];
/** Pepr's own store CRD, which the module applies when it starts. */
export const PEPR_STORE_CRD = "peprstores.pepr.dev";

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { apiGroups, resources, resourceNames, verbs } : { apiGroups, resources, verbs };

/** The speaker's cluster-wide rules (ClusterRole `lodestone-speaker`), one per SpeakerPort need. */
export const speakerClusterRules: readonly ReasonedRule[] = [
  { rule: rule([""], ["services"], ["list", "watch"]), why: "which Services have IPs to announce, and how (traffic policy, sharing key, pool)" },
  { rule: rule([""], ["nodes"], ["list", "watch"]), why: "election candidates (labels, NetworkUnavailable, exclude-from-external-load-balancers)" },
  { rule: rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]), why: "ready endpoints per node: externalTrafficPolicy Local announces only from nodes with one" },
  { rule: rule([""], ["events"], ["create"]), why: "nodeAssigned / announceFailed Events on Services" },
];

/** The speaker's rules in the Lodestone namespace (Role `lodestone-speaker`). */
export const speakerNamespaceRules: readonly ReasonedRule[] = [
  { rule: rule([METALLB], CONFIG_RESOURCES, ["list", "watch"]), why: "the configuration: pools, advertisements, peers, BFD profiles, communities" },
  { rule: rule([""], ["pods"], ["list", "watch"]), why: `the other speakers' pods (labels ${Object.entries(SPEAKER_SELECTOR).map(([k, v]) => `${k}=${v}`).join(", ")}): their addresses are the heartbeat peers` },
  { rule: rule([METALLB], ["servicel2statuses"], ["create", "delete", "list", "watch"]), why: "ServiceL2Status: one per Service this node announces, removed when it stops, written back when someone else removes it" },
  { rule: rule([METALLB], ["servicel2statuses/status"], ["patch"]), why: "its status (node, service, interfaces)" },
  { rule: rule([METALLB], ["servicebgpstatuses"], ["create", "delete", "list", "watch"]), why: "ServiceBGPStatus: one per Service this node advertises by BGP, removed when it stops, written back when someone else removes it" },
  { rule: rule([METALLB], ["servicebgpstatuses/status"], ["patch"]), why: "its status (node, service, peers)" },
  { rule: rule([METALLB], ["bgppeers/status"], ["patch"]), why: "this node's entry of each BGPPeer's status.sessions (state, since, last error, prefixes)" },
  { rule: rule([METALLB], ["configurationstates"], ["create"]), why: "ConfigurationState `speaker-<node>`, made once per node" },
  { rule: rule([METALLB], ["configurationstates/status"], ["patch"]), why: "whether this node's speaker accepted the configuration, and why not" },
];

/** What the installer grants the speaker (Role `lodestone-speaker-secrets`), and why the controller cannot. */
export const speakerInstallerRules: readonly ReasonedRule[] = [
  {
    rule: rule([""], ["secrets"], ["list", "watch"], [HEARTBEAT_SECRET_NAME]),
    why:
      "the heartbeat key (Secret `memberlist`), read by name (fieldSelector metadata.name), so no other Secret of the namespace is readable; " +
      "each BGPPeer passwordSecret is added to resourceNames by the installer (passwordSecretGrant). Granted by the installer because the controller would need Secret access to grant it",
  },
];

/**
 * The rest of the controller's Role `lodestone-controller` in the Lodestone namespace: what its watcher
 * needs to make the heartbeat Secret and the speakers' Secret Role when they are absent (capabilities/
 * deploy/prerequisites.ts), in that namespace only, as MetalLB's controller Role does. Not in the
 * ClusterRole: `create` cannot be pinned to a name, and `create` on Secrets in every namespace would let
 * the controller mint a token for any ServiceAccount. Creates only (never apply): the key is never
 * rotated, and the passwordSecret names added to the speakers' Role (passwordSecretGrant) are kept.
 */
export const controllerSecretRules: readonly ReasonedRule[] = [
  { rule: rule([""], ["secrets"], ["create"]), why: `creates the heartbeat key (Secret \`${HEARTBEAT_SECRET_NAME}\`, 32 random bytes) when it is absent: a create, so an existing one is never overwritten` },
  {
    rule: rule([""], ["secrets"], ["get", "list", "watch"], [HEARTBEAT_SECRET_NAME]),
    why: "get: whether the heartbeat Secret exists (MetalLB's is reused) and holds a key the speakers accept; list, watch: granted on to the speakers (the escalation check). No other Secret is readable",
  },
  {
    rule: rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], ["create"]),
    why: `creates the speakers' Role and RoleBinding \`${SPEAKER_SECRETS_ROLE}\` when absent (a create cannot be pinned to a name; the escalation check still limits the Role to rules the controller holds)`,
  },
  {
    rule: rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["get"], [SPEAKER_SECRETS_ROLE]),
    why:
      `whether the RoleBinding \`${SPEAKER_SECRETS_ROLE}\` exists, before creating it: the API server refuses (403) the create of an existing one ` +
      "when its Role grants more than the controller holds (passwordSecret names added by an admin), before it would answer 409",
  },
];

/** Names of the CRDs the controller applies: Lodestone's and Pepr's store. */
export function crdNames(): string[] {
  return [...allCRDs.map(c => c.metadata.name), PEPR_STORE_CRD];
}

const grant = (why: string) => ({ by: "speaker-grant" as const, why });

/** The controller's rules, for package.json `pepr.rbac`. `namespace` is the Lodestone namespace it may create. */
export function controllerRules(namespace: string = DEFAULT_NAMESPACE): ControllerRule[] {
  return [
    {
      rule: rule([""], ["services"], ["get", "list", "watch", "patch"]),
      uses: [
        { by: "allocator", why: "lists and watches Services in every namespace (kube-system too) and re-reads one before it writes" },
        { by: "allocator", why: "patch: the metallb.io/ip-allocated-from-pool annotation" },
        grant("list, watch"),
      ],
    },
    {
      rule: rule([""], ["services/status"], ["patch"]),
      uses: [
        {
          by: "allocator",
          why: "status.loadBalancer.ingress, the IPAllocated condition, and the Announced condition it derives from the speakers' ServiceL2Status/ServiceBGPStatus (speakers hold no Service write: docs/adr/0009)",
        },
      ],
    },
    {
      rule: rule([""], ["namespaces", "nodes", "pods"], ["list", "watch"]),
      uses: [
        { by: "allocator", why: "namespaces: pools' serviceAllocation.namespaceSelectors match on namespace labels" },
        { by: "allocator", why: "nodes: whether any node may announce a Service (the Announced condition's reason)" },
        grant("nodes, pods: list, watch"),
      ],
    },
    {
      rule: rule([""], ["namespaces"], ["create", "patch"], [namespace]),
      uses: [{ by: "start-up", why: `server-side apply of the Lodestone namespace (${namespace}) that holds the configuration and the speaker` }],
    },
    {
      rule: rule([""], ["events"], ["create", "patch"]),
      uses: [{ by: "allocator", why: "Events on Services (IPAllocated, AllocationFailed, ...); patch is the recorder's repeat count" }, grant("create")],
    },
    {
      rule: rule([METALLB], CONFIG_RESOURCES, ["list", "watch"]),
      uses: [
        { by: "webhooks", why: "a candidate object is judged together with the configuration already in the namespace" },
        { by: "allocator", why: "lists and watches the configuration" },
        grant("list, watch"),
      ],
    },
    {
      rule: rule([METALLB], ["ipaddresspools/status"], ["patch"]),
      uses: [{ by: "allocator", why: "assigned and available counters" }],
    },
    {
      rule: rule([METALLB], ["configurationstates"], ["create"]),
      uses: [{ by: "allocator", why: "creates ConfigurationState `controller` when missing" }, grant("create")],
    },
    {
      rule: rule([METALLB], ["configurationstates/status"], ["patch"]),
      uses: [{ by: "allocator", why: "whether the controller accepted the configuration, and why not" }, grant("patch")],
    },
    {
      rule: rule([METALLB], ["servicel2statuses"], ["create", "delete", "list", "watch"]),
      uses: [{ by: "allocator", why: "list, watch: which node announces a Service by layer 2, for its Announced condition" }, grant("create, delete, list")],
    },
    {
      rule: rule([METALLB], ["servicel2statuses/status"], ["patch"]),
      uses: [grant("patch")],
    },
    {
      rule: rule([METALLB], ["servicebgpstatuses"], ["create", "delete", "list", "watch"]),
      uses: [{ by: "allocator", why: "list, watch: which nodes advertise a Service by BGP, for its Announced condition" }, grant("create, delete, list")],
    },
    {
      rule: rule([METALLB], ["servicebgpstatuses/status"], ["patch"]),
      uses: [grant("patch")],
    },
    {
      rule: rule([METALLB], ["bgppeers/status"], ["patch"]),
      uses: [grant("patch")],
    },
    {
      rule: rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
      uses: [{ by: "allocator", why: "whether a Service has a ready endpoint (the Announced condition's reason)" }, grant("list, watch")],
    },
    {
      rule: rule(["networking.k8s.io"], ["servicecidrs"], ["list"]),
      uses: [
        { by: "allocator", why: "the cluster's Service (ClusterIP) range, never handed out (read at start-up)" },
        { by: "webhooks", why: "a pool wholly inside the Service range is refused" },
      ],
    },
    {
      rule: rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], ["create", "get", "patch"], crdNames()),
      uses: [
        { by: "start-up", why: "server-side apply of the nine metallb.io CRDs, then waits until each is Established" },
        { by: "pepr", why: `Pepr applies its store CRD (${PEPR_STORE_CRD}) when the module starts` },
      ],
    },
    {
      rule: rule(["pepr.dev"], ["peprstores"], ["create", "get", "list", "patch", "watch"]),
      uses: [{ by: "pepr", why: "Pepr's module store (its watch lists first, hence list)" }],
    },
    {
      rule: rule(["rbac.authorization.k8s.io"], ["clusterroles", "clusterrolebindings"], ["create", "patch"], [SPEAKER_NAME]),
      uses: [{ by: "start-up", why: "server-side apply of the speaker's ClusterRole and its binding (only rules the controller holds itself); cluster-scoped, so the name pins them exactly" }],
    },
    {
      rule: rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], ["get", "patch"], [PEPR_MODULE_NAME]),
      uses: [{ by: "start-up", why: "reads Pepr's single-policy registration and rewrites it: metallb.io kinds Fail, Services Ignore" }],
    },
  ];
}

/**
 * The controller's rules in the Lodestone namespace only (Role `lodestone-controller`, made by the
 * installer): everything it applies there. One verb set and one name, so one `kubectl create role`.
 */
export const controllerNamespaceRules: readonly ReasonedRule[] = [
  { rule: rule(["apps"], ["daemonsets"], ["create", "patch"], [SPEAKER_NAME]), why: "server-side apply of the speaker DaemonSet, in this namespace only" },
  { rule: rule([""], ["serviceaccounts"], ["create", "patch"], [SPEAKER_NAME]), why: "server-side apply of the speaker's ServiceAccount" },
  {
    rule: rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], ["create", "patch"], [SPEAKER_NAME]),
    why: "server-side apply of the speaker's Role and RoleBinding (only rules the controller holds itself)",
  },
];

/** The rules as package.json `pepr.rbac` takes them. */
export function peprRbac(namespace: string = DEFAULT_NAMESPACE): PolicyRule[] {
  return controllerRules(namespace).map(r => r.rule);
}

/** The command that lets the speakers read one more BGPPeer passwordSecret (run once per Secret a BGPPeer names). */
export function passwordSecretGrant(secret: string, namespace: string = DEFAULT_NAMESPACE): string {
  return `kubectl -n ${namespace} patch role ${SPEAKER_SECRETS_ROLE} --type=json -p='[{"op":"add","path":"/rules/0/resourceNames/-","value":"${secret}"}]'`;
}

/** kubectl commands the installer runs once (before `pepr deploy`); also printed in docs/install.md. */
export function installerCommands(namespace: string = DEFAULT_NAMESPACE): string[] {
  const verbs = speakerInstallerRules.flatMap(r => r.rule.verbs).join(",");
  const resources = speakerInstallerRules.flatMap(r => r.rule.resources).join(",");
  const names = speakerInstallerRules.flatMap(r => r.rule.resourceNames ?? []).join(",");
  const controllerVerbs = [...new Set(controllerNamespaceRules.flatMap(r => r.rule.verbs))].join(",");
  const controllerResources = controllerNamespaceRules.flatMap(r => r.rule.resources.map(res => (r.rule.apiGroups[0] ? `${res}.${r.rule.apiGroups[0]}` : res))).join(",");
  return [
    `kubectl create namespace ${namespace}`,
    `kubectl -n ${namespace} create secret generic ${HEARTBEAT_SECRET_NAME} --from-literal=secretkey="$(openssl rand -hex 32)"`,
    `kubectl -n ${namespace} create role ${CONTROLLER_ROLE} --verb=${controllerVerbs} --resource=${controllerResources} --resource-name=${SPEAKER_NAME}`,
    `kubectl -n ${namespace} create rolebinding ${CONTROLLER_ROLE} --role=${CONTROLLER_ROLE} --serviceaccount=pepr-system:${PEPR_MODULE_NAME}`,
    `kubectl -n ${namespace} create role ${SPEAKER_SECRETS_ROLE} --verb=${verbs} --resource=${resources} --resource-name=${names}`,
    `kubectl -n ${namespace} create rolebinding ${SPEAKER_SECRETS_ROLE} --role=${SPEAKER_SECRETS_ROLE} --serviceaccount=${namespace}:${SPEAKER_NAME}`,
  ];
}
