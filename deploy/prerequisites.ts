/**
 * What Lodestone needs in its namespace besides what the controller applies (install.ts), in one home
 * for every way of installing: the namespace; the Role and RoleBinding `lodestone-controller` that let
 * the controller write there and nowhere else (Pepr makes no Role for a module, and the controller
 * cannot give itself one); the speakers' heartbeat key (Secret `memberlist`); and the Role and
 * RoleBinding `lodestone-speaker-secrets` that let the speakers read the Secrets they need.
 *
 * - `ensureSpeakerSecrets` creates the Secret and the speakers' Role and RoleBinding, each only when
 *   absent. The controller's watcher runs it at every start (install.ts); `prepare` runs it too, and
 *   converges an existing speakers' Role to the installer's rules (speaker-secrets-role.ts: an install
 *   before c5d87fa let the speakers read every Secret; the watcher cannot read Roles).
 * - `prepare` (`npx lodestone prepare`, and `lodestone install`) first applies the namespace and the
 *   controller's Role and RoleBinding. It replaces the kubectl commands of rbac.ts installerCommands.
 *
 * Creates, never applies (but that Role, in `prepare`): the key is never rotated (an existing Secret, MetalLB's own `memberlist` or
 * one from an earlier run, is kept as it is and only said to be unusable when the speakers would refuse
 * it), and the passwordSecret names an admin added to the speakers' Role (rbac.ts passwordSecretGrant)
 * are kept.
 */
import { randomBytes } from "node:crypto";
import { CURRENT_KEY_FIELD, heartbeatKeysFromSecret } from "../protocols/l2/heartbeat-keys";
import { ApiError } from "../kube/controller-port";
import { refOf, type DeployPort, type Manifest } from "./deploy-port";
import { CONTROLLER_ROLE, HEARTBEAT_SECRET_NAME, PEPR_MODULE_NAME, SPEAKER_LABELS, SPEAKER_NAME, SPEAKER_SECRETS_ROLE } from "./names";
import { controllerNamespaceRules, controllerSecretRules, speakerInstallerRules } from "./rbac";
import { convergedSpeakerSecretsRules, grantsEverySecret } from "./speaker-secrets-role";

const RBAC = "rbac.authorization.k8s.io/v1";

/** The labels of what the installer makes (not the DaemonSet's selector: these are no pods). */
const installerLabels = (): Record<string, string> => ({ "app.kubernetes.io/part-of": SPEAKER_LABELS["app.kubernetes.io/name"], "app.kubernetes.io/managed-by": "lodestone-installer" });

export function namespaceManifest(namespace: string): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "app.kubernetes.io/part-of": SPEAKER_LABELS["app.kubernetes.io/name"] } } };
}

/** The heartbeat Secret with a new key: 32 random bytes, written as 64 hex digits as the docs' command does. */
export function heartbeatSecret(namespace: string, key: Buffer): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: HEARTBEAT_SECRET_NAME, namespace, labels: installerLabels() },
    type: "Opaque",
    data: { [CURRENT_KEY_FIELD]: Buffer.from(key.toString("hex")).toString("base64") },
  };
}

/** The controller's Role and RoleBinding in the Lodestone namespace (its ServiceAccount is Pepr's, in pepr-system). */
export function controllerAccess(namespace: string): Manifest[] {
  const rules = [...controllerNamespaceRules, ...controllerSecretRules].map(r => r.rule);
  return [
    { apiVersion: RBAC, kind: "Role", metadata: { name: CONTROLLER_ROLE, namespace, labels: installerLabels() }, rules },
    {
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: CONTROLLER_ROLE, namespace, labels: installerLabels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CONTROLLER_ROLE },
      subjects: [{ kind: "ServiceAccount", name: PEPR_MODULE_NAME, namespace: "pepr-system" }],
    },
  ];
}

/** The speakers' Role and RoleBinding for their Secrets. */
export function speakerSecretsAccess(namespace: string): Manifest[] {
  return [
    { apiVersion: RBAC, kind: "Role", metadata: { name: SPEAKER_SECRETS_ROLE, namespace, labels: installerLabels() }, rules: speakerInstallerRules.map(r => r.rule) },
    {
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: SPEAKER_SECRETS_ROLE, namespace, labels: installerLabels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: SPEAKER_SECRETS_ROLE },
      subjects: [{ kind: "ServiceAccount", name: SPEAKER_NAME, namespace }],
    },
  ];
}

/** Every RBAC object the installer makes: the controller's, then the speakers'. */
export function secretsAccess(namespace: string): Manifest[] {
  return [...controllerAccess(namespace), ...speakerSecretsAccess(namespace)];
}

/** `kind/name` as kubectl prints it (`secret/memberlist`, `role.rbac.authorization.k8s.io/x`). */
function printed(m: Manifest): string {
  const group = m.apiVersion.includes("/") ? `.${m.apiVersion.split("/")[0] ?? ""}` : "";
  return `${m.kind.toLowerCase()}${group}/${m.metadata.name}`;
}

export interface PrepareResult {
  /** One line per object, kubectl style: `secret/memberlist created`. */
  lines: string[];
  /** Why an existing heartbeat Secret would stop the speakers; undefined when it is usable. */
  secretProblem?: string;
}

/**
 * The heartbeat Secret, then the speakers' Role and RoleBinding, each created only when absent (an
 * existing Secret is checked). What the controller's watcher runs at start, and `prepare` after its own.
 */
export async function ensureSpeakerSecrets(
  port: DeployPort,
  namespace: string,
  newKey: () => Buffer = () => randomBytes(32),
  role: "create" | "converge" = "create",
): Promise<PrepareResult> {
  const lines: string[] = [];
  const ref = { apiVersion: "v1", kind: "Secret", name: HEARTBEAT_SECRET_NAME, namespace };
  let existing = await port.get(ref);
  if (existing === undefined) {
    const secret = heartbeatSecret(namespace, newKey());
    if (await port.create(secret)) lines.push(`${printed(secret)} created (heartbeat key: 32 random bytes; kept from now on, never rotated by lodestone)`);
    // Someone else created it between the read and the create: theirs is kept, as any existing one.
    else existing = await port.get(ref);
  }
  let secretProblem: string | undefined;
  if (existing !== undefined) {
    const keys = heartbeatKeysFromSecret(existing as { data?: Record<string, string> });
    if (!keys.ok) secretProblem = `Secret ${namespace}/${HEARTBEAT_SECRET_NAME}: ${keys.message}: the speakers will not start; delete it and run this again to create a new one`;
    lines.push(`secret/${HEARTBEAT_SECRET_NAME} kept (it exists: ${keys.ok ? "its key is reused, not rotated" : "unusable, see below"})`);
  }
  for (const m of speakerSecretsAccess(namespace)) {
    if (await createWhenAbsent(port, m)) lines.push(`${printed(m)} created`);
    else lines.push(`${printed(m)} ${m.kind === "Role" && role === "converge" ? await convergeRole(port, m) : "kept (it exists)"}`);
  }
  return secretProblem === undefined ? { lines } : { lines, secretProblem };
}

/**
 * An existing speakers' Role converged to the installer's rules (speaker-secrets-role.ts): the Role of an
 * install before c5d87fa let the speakers read every Secret of the namespace. Server-side
 * apply with force: `rules` is an atomic list, so the applied rules replace the old ones whole.
 */
async function convergeRole(port: DeployPort, m: Manifest): Promise<string> {
  const existing = await port.get(refOf(m));
  if (existing === undefined) return "kept (it exists)";
  const namespace = m.metadata.namespace ?? "";
  const peers = grantsEverySecret(existing["rules"]) ? await port.list({ apiVersion: BGPPEER_API_VERSION, kind: "BGPPeer", namespace }) : [];
  const converged = convergedSpeakerSecretsRules(existing["rules"], passwordSecretsOf(peers, namespace), namespace);
  if (converged.change === undefined) return "kept (it exists)";
  await port.apply({ ...m, rules: converged.rules });
  return converged.change;
}

const BGPPEER_API_VERSION = "metallb.io/v1beta2";

/** The passwordSecret names of BGPPeers, those in `namespace` (where the speakers read them). */
function passwordSecretsOf(peers: Record<string, unknown>[], namespace: string): string[] {
  return peers.flatMap(p => {
    const ref = (p["spec"] as { passwordSecret?: { name?: unknown; namespace?: unknown } } | undefined)?.passwordSecret;
    return typeof ref?.name === "string" && ref.name !== "" && (ref.namespace === undefined || ref.namespace === "" || ref.namespace === namespace) ? [ref.name] : [];
  });
}

/**
 * Creates `m` unless it exists. The RoleBinding is read first: creating one is refused (403) before its
 * existence is looked at when its Role grants more than the controller holds (the API server's escalation
 * check, https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update),
 * which is the case once an admin has added passwordSecret names to the Role (rbac.ts passwordSecretGrant).
 * A controller Role made before it could read the binding (403 on the read) gets the create, as before.
 */
async function createWhenAbsent(port: DeployPort, m: Manifest): Promise<boolean> {
  if (m.kind === "RoleBinding") {
    try {
      if ((await port.get(refOf(m))) !== undefined) return false;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403)) throw e;
    }
  }
  return port.create(m);
}

/** `lodestone prepare`: the namespace and the controller's Role and RoleBinding, then ensureSpeakerSecrets. */
export async function prepare(port: DeployPort, namespace: string, newKey: () => Buffer = () => randomBytes(32)): Promise<PrepareResult> {
  const lines: string[] = [];
  for (const m of [namespaceManifest(namespace), ...controllerAccess(namespace)]) {
    await port.apply(m);
    lines.push(`${printed(m)} applied`);
  }
  const rest = await ensureSpeakerSecrets(port, namespace, newKey, "converge");
  return { ...rest, lines: [...lines, ...rest.lines] };
}
