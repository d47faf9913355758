/**
 * docs/rbac.md, rendered from the table in rbac.ts so the document cannot drift from the grants
 * (rbac.spec.ts fails when it does). Regenerate with `npx tsx deploy/rbac-doc.ts --write`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONTROLLER_ROLE, PEPR_MODULE_NAME, SPEAKER_NAME, SPEAKER_SECRETS_ROLE } from "./names";
import {
  controllerNamespaceRules,
  controllerRules,
  controllerSecretRules,
  installerCommands,
  passwordSecretGrant,
  peprRbac,
  speakerClusterRules,
  speakerInstallerRules,
  speakerNamespaceRules,
  type PolicyRule,
  type ReasonedRule,
} from "./rbac";

export const RBAC_DOC_PATH = "docs/rbac.md";

const code = (values: string[]) => values.map(v => `\`${v === "" ? '""' : v}\``).join(", ");
const cells = (r: PolicyRule) => [code(r.apiGroups), code(r.resources), r.resourceNames ? code(r.resourceNames) : "any", code(r.verbs)];
const row = (values: string[]) => `| ${values.map(v => v.replaceAll("|", "\\|")).join(" | ")} |`;
const HEADER = ["| API groups | resources | names | verbs | why |", "|---|---|---|---|---|"];

function reasonedTable(rules: readonly ReasonedRule[]): string[] {
  return [...HEADER, ...rules.map(r => row([...cells(r.rule), r.why]))];
}

export function renderRbacDoc(): string {
  const controller = controllerRules().map(r => row([...cells(r.rule), r.uses.map(u => (u.by === "speaker-grant" ? `granted on to the speaker (${u.why})` : `${u.by}: ${u.why}`)).join("; ")]));
  return [
    "<!-- Generated from deploy/rbac.ts by deploy/rbac-doc.ts; do not edit. -->",
    "# Lodestone's permissions",
    "",
    "Every permission Lodestone holds, who holds it and why. No wildcard, no `escalate`, `bind` or",
    "`impersonate`, and no rule without a use: `deploy/rbac.spec.ts` checks all of that on the",
    "same table this page is rendered from.",
    "",
    "## How it is put together",
    "",
    `- **The controller** is the Pepr module. \`pepr build\` / \`pepr deploy\` with \`rbacMode: scoped\` write the rules`,
    `  below (package.json \`pepr.rbac\`) into one ClusterRole, \`${PEPR_MODULE_NAME}\`, bound to the ServiceAccount`,
    `  \`${PEPR_MODULE_NAME}\` in \`pepr-system\`. Pepr has no namespaced Role for a module, so every rule holds in every`,
    "  namespace; that is why every write of the start-up routine is pinned to one name (the names column). (Pepr's default",
    "  `rbacMode: admin` would grant `*` on `*`.)",
    `- **The controller's namespaced writes** (the speaker's DaemonSet, ServiceAccount, Role and RoleBinding) are`,
    `  not in that ClusterRole: a ClusterRole pinned to a name still grants that name in every namespace. They come`,
    `  from the Role \`${CONTROLLER_ROLE}\` in the Lodestone namespace, which the installer makes (Pepr cannot).`,
    "- **The speaker's** ClusterRole and Role are applied by the controller at start-up. Kubernetes only lets a",
    "  subject grant permissions it holds (the RBAC escalation check), so the controller holds every speaker",
    "  rule too (rows marked *granted on to the speaker*).",
    "- **Secrets are the exception.** The speaker reads Secrets in the Lodestone namespace by name only (the",
    "  heartbeat key `memberlist` and BGPPeer `passwordSecret`s, with `fieldSelector=metadata.name=...`, which",
    "  Kubernetes authorizes against a Role's `resourceNames`), so its Role names them. For the controller to grant that it would need Secret access",
    "  in its ClusterRole, that is, to every Secret of the cluster; and `create` on Secrets anywhere, even for one",
    "  name, lets its holder mint a token for any ServiceAccount (a `kubernetes.io/service-account-token` Secret).",
    `  So the ClusterRole holds no Secret permission: the controller's Secret rules are in the Role \`${CONTROLLER_ROLE}\`,`,
    "  in the Lodestone namespace only, as MetalLB's controller Role is. With them its watcher creates at every start,",
    `  when absent, the heartbeat Secret (32 random bytes; an existing one, MetalLB's included, is kept and never`,
    `  rotated) and the Role and RoleBinding \`${SPEAKER_SECRETS_ROLE}\` (names added to it later are kept).`,
    "- **Who makes that Role.** `npx lodestone prepare`, `npx lodestone install` and `npx lodestone manifests` do. A",
    "  bare `npx pepr@1.1.4 deploy` cannot: Pepr applies one ClusterRole and its store Role for a module, nothing else",
    "  (node_modules/pepr/src/lib/assets/deploy.ts, setupRBAC), and the controller cannot give itself a Role (the",
    "  escalation check). Without it the watcher logs the one command to run and installs everything else.",
    `- **Upgrades.** Installs from commit 3a89434 and older made \`${SPEAKER_SECRETS_ROLE}\` grant every Secret of the`,
    "  namespace. `lodestone prepare` and `lodestone install` narrow it to the rules above, keeping the names an admin",
    "  added and the passwordSecrets the namespace's BGPPeers name (deploy/speaker-secrets-role.ts).",
    "- **What the DaemonSet grant means.** Managing the speaker DaemonSet (host network, NET_RAW) is power over",
    "  every node; the rule is pinned to the one DaemonSet name in the one namespace, and the image comes from",
    "  the controller's configuration (`LODESTONE_SPEAKER_IMAGE`), never from user input.",
    "- Rules are never split across two entries with the same API groups and resources: Pepr merges such",
    "  entries into one, keeping the first one's `resourceNames`, which would silently widen or narrow them.",
    "",
    `## Controller: ClusterRole \`${PEPR_MODULE_NAME}\``,
    "",
    ...HEADER,
    ...controller,
    "",
    `## Controller: Role \`${CONTROLLER_ROLE}\` in the Lodestone namespace (made by the installer)`,
    "",
    ...reasonedTable([...controllerNamespaceRules, ...controllerSecretRules]),
    "",
    `## Speaker: ClusterRole \`${SPEAKER_NAME}\` (applied by the controller)`,
    "",
    ...reasonedTable(speakerClusterRules),
    "",
    `## Speaker: Role \`${SPEAKER_NAME}\` in the Lodestone namespace (applied by the controller)`,
    "",
    ...reasonedTable(speakerNamespaceRules),
    "",
    `## Speaker: Role \`${SPEAKER_SECRETS_ROLE}\` in the Lodestone namespace (made by the installer)`,
    "",
    ...reasonedTable(speakerInstallerRules),
    "",
    "## What the installer runs",
    "",
    "Once, before `pepr deploy` (a MetalLB cluster already has the namespace and the `memberlist` Secret:",
    "skip those two):",
    "",
    "```sh",
    ...installerCommands(),
    "```",
    "",
    "The speakers read no other Secret. Each Secret a BGPPeer names in `passwordSecret` is added to the Role once",
    "(until then the speaker logs that it cannot read it and its ConfigurationState reports the Secret as not found):",
    "",
    "```sh",
    passwordSecretGrant("<passwordSecret>"),
    "```",
    "",
    "## package.json",
    "",
    "```json",
    JSON.stringify({ rbacMode: "scoped", rbac: peprRbac() }, null, 2),
    "```",
    "",
  ].join("\n");
}

if (process.argv[1]?.endsWith("rbac-doc.ts") && process.argv.includes("--write")) {
  writeFileSync(join(__dirname, "..", RBAC_DOC_PATH), renderRbacDoc());
  console.log(`wrote ${RBAC_DOC_PATH}`);
}
