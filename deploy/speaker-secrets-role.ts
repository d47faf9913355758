/**
 * The rules of the speakers' Role `lodestone-speaker-secrets` after an install over an existing one.
 *
 * Before commit c5d87fa narrowed it (installs from 3a89434 and older), the Role let the speakers list and
 * watch every Secret of the Lodestone namespace (`kubectl create role ... --verb=list,watch
 * --resource=secrets`, no resourceNames). A fresh install grants only the heartbeat Secret by name (rbac.ts
 * speakerInstallerRules); an admin adds each BGPPeer passwordSecret to those names (rbac.ts
 * passwordSecretGrant). So an install over an existing Role converges it to the fresh rules, and keeps:
 * - the Secret names an admin added to a Secret rule (their BGP passwords);
 * - when the Role granted every Secret, the passwordSecrets the namespace's BGPPeers name: the speakers
 *   read them today, and taking them away would drop those BGP sessions at the upgrade.
 * Any other rule in the Role is dropped: a fresh install grants nothing else there.
 */
import { isDeepStrictEqual } from "node:util";
import { HEARTBEAT_SECRET_NAME } from "./names";
import { speakerInstallerRules, type PolicyRule } from "./rbac";

export interface ConvergedRole {
  rules: PolicyRule[];
  /** undefined when the existing rules are already the converged ones; else what changed, for one output line. */
  change?: string;
}

const grantsSecrets = (r: Partial<PolicyRule>): boolean =>
  (r.apiGroups ?? []).some(g => g === "" || g === "*") && (r.resources ?? []).some(x => x === "secrets" || x === "*");

/** Whether rules as read grant Secrets without naming them (the Role before c5d87fa). */
export function grantsEverySecret(existing: unknown): boolean {
  return (Array.isArray(existing) ? (existing as Partial<PolicyRule>[]) : []).some(r => grantsSecrets(r) && (r.resourceNames ?? []).length === 0);
}

/** `existing`: the Role's rules as read (unknown shape); `passwordSecrets`: the BGPPeers' passwordSecret names in the namespace. */
export function convergedSpeakerSecretsRules(existing: unknown, passwordSecrets: readonly string[], namespace: string): ConvergedRole {
  const rules = (Array.isArray(existing) ? existing : []) as Partial<PolicyRule>[];
  const wide = grantsEverySecret(rules);
  const names = [HEARTBEAT_SECRET_NAME];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const r of rules) if (grantsSecrets(r)) (r.resourceNames ?? []).forEach(add);
  const kept = names.length - 1;
  if (wide) [...passwordSecrets].sort().forEach(add);
  const converged = speakerInstallerRules.map(({ rule }) => ({ ...rule, resourceNames: names }));
  if (isDeepStrictEqual(rules, converged)) return { rules: converged };
  const fromPeers = names.slice(1 + kept);
  const change = wide
    ? `narrowed: it let the speakers read every Secret of ${namespace}; now only ${names.join(", ")}` +
      (fromPeers.length > 0 ? ` (${fromPeers.join(", ")}: BGPPeers' passwordSecrets)` : "")
    : `rewritten to the installer's rules, Secrets ${names.join(", ")}`;
  return { rules: converged, change };
}
