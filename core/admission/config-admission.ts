/**
 * Admission of the six metallb.io configuration kinds: the pure decision.
 *
 * The candidate is judged together with the configuration already in the cluster, through the same
 * parseConfig the controller and speakers run, so a set of objects that admission accepts is a set
 * the runtime accepts. Only problems that the candidate introduces are reasons to refuse: a cluster
 * whose existing configuration is already broken (objects written while the webhook was down) must
 * not block the very edits that repair it. Transient problems (a BFDProfile, Secret or Community alias
 * that may simply not exist yet) never refuse: the runtime reports them, as MetalLB does.
 */
import { bfdProfileDeletionProblems, peerUpdateProblems } from "../config/admission-rules";
import { parseConfig } from "../config/parse";
import { formatProblem, type ConfigProblem } from "../config/types";
import type { ReservedRange } from "../net/special";

export interface ConfigObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  spec?: unknown;
  [k: string]: unknown;
}

export interface ConfigAdmissionRequest {
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  kind: string;
  /** The namespace the request targets (from the AdmissionRequest). */
  namespace: string | undefined;
  object: ConfigObject | undefined;
  oldObject: ConfigObject | undefined;
  /** Every metallb.io configuration object currently in the Lodestone namespace (any kind). */
  existing: readonly ConfigObject[];
  /** The Lodestone namespace. */
  lodestoneNamespace: string;
  /** The cluster's Service range as far as the API tells it (k8s/service-range.ts). */
  clusterReserved?: readonly ReservedRange[];
}

export interface AdmissionDecision {
  allowed: boolean;
  message?: string;
  warnings: string[];
}

const nameOf = (o: ConfigObject | undefined): string => (typeof o?.metadata?.name === "string" ? o.metadata.name : "");

function sameObject(a: ConfigObject, kind: string, name: string): boolean {
  return a.kind === kind && nameOf(a) === name;
}

/** Problems of a set, as comparable lines. */
function problemLines(problems: readonly ConfigProblem[]): Set<string> {
  return new Set(problems.filter(p => !p.transient).map(formatProblem));
}

export function reviewConfigChange(req: ConfigAdmissionRequest): AdmissionDecision {
  const name = nameOf(req.object ?? req.oldObject);

  if (req.operation === "DELETE") return reviewDelete(req, name);

  if (req.operation === "CREATE" && req.namespace !== req.lodestoneNamespace) {
    return { allowed: false, message: `${req.kind}/${name}: resource must be created in ${req.lodestoneNamespace} namespace`, warnings: [] };
  }
  const candidate = req.object;
  if (!candidate) return { allowed: false, message: `${req.kind}/${name}: the request carries no object`, warnings: [] };

  const others = req.existing.filter(o => !sameObject(o, req.kind, name));
  const clusterReserved = req.clusterReserved ?? [];
  const before = parseConfig({ namespace: req.lodestoneNamespace, objects: others, clusterReserved });
  const after = parseConfig({ namespace: req.lodestoneNamespace, objects: [...others, candidate], clusterReserved });

  const changeProblems = req.operation === "UPDATE" && req.kind === "BGPPeer" ? peerUpdateProblems(req.oldObject, candidate) : [];
  const known = problemLines(before.problems);
  const introduced = [...problemLines([...changeProblems, ...after.problems])].filter(line => !known.has(line));
  if (introduced.length > 0) return { allowed: false, message: introduced.join("; "), warnings: after.warnings };
  return { allowed: true, warnings: after.warnings };
}

/** Only BFDProfile deletions are reviewed: a profile still referenced by a BGPPeer stays. */
function reviewDelete(req: ConfigAdmissionRequest, name: string): AdmissionDecision {
  if (req.kind !== "BFDProfile") return { allowed: true, warnings: [] };
  const problems = bfdProfileDeletionProblems(name, req.existing);
  if (problems.length === 0) return { allowed: true, warnings: [] };
  return { allowed: false, message: problems.map(p => p.message).join("; "), warnings: [] };
}
