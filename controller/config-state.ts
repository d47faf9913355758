/**
 * The controller's ConfigurationState (as MetalLB's, https://github.com/metallb/metallb/blob/main/api/v1beta1/configurationstate_types.go):
 * `controller` in the
 * Lodestone namespace, saying whether the current metallb.io configuration was accepted and, when
 * not, every problem found. A pure function of the parse result and what was written before.
 */
import type { ConfigProblem } from "../core/config/types";
import { formatProblem } from "../core/config/types";
import type { Condition, ConfigurationStateStatus } from "../kube/controller-port";
import { rfc3339 } from "../core/clock";

export const CONFIGURATION_STATE_NAME = "controller";
export const CONFIGURATION_STATE_LABELS: Record<string, string> = { "metallb.io/component-type": "controller" };

function condition(type: string, problems: readonly ConfigProblem[], previous: ConfigurationStateStatus | undefined, now: number): Condition {
  const ok = problems.length === 0;
  const status = ok ? "True" : "False";
  const before = previous?.conditions.find(c => c.type === type);
  return {
    type,
    status,
    reason: ok ? "Reconciled" : "ConfigurationError",
    message: problems.map(formatProblem).join("\n"),
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : rfc3339(now),
  };
}

/**
 * @param problems every problem of the latest configuration (transient ones included: the
 *   controller does not act on a configuration that refers to objects that do not exist yet)
 */
export function configurationStatus(problems: readonly ConfigProblem[], previous: ConfigurationStateStatus | undefined, now: number): ConfigurationStateStatus {
  return {
    result: problems.length ? "Invalid" : "Valid",
    errorSummary: problems.map(formatProblem).join("\n"),
    conditions: [
      condition("configReconcilerValid", problems, previous, now),
      condition("poolReconcilerValid", problems.filter(p => p.kind === "IPAddressPool"), previous, now),
    ],
  };
}
