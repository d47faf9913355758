import { parsePartitionPolicy, type PartitionPolicy } from "../core/election/liveness";

/**
 * The namespace Lodestone's configuration lives in. MetalLB's users keep their objects in
 * `metallb-system`, so that is the default; LODESTONE_NAMESPACE moves it.
 */
export const DEFAULT_NAMESPACE = "metallb-system";

export function lodestoneNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODESTONE_NAMESPACE || DEFAULT_NAMESPACE;
}

/** The `spec.loadBalancerClass` this Lodestone handles (MetalLB's `--lb-class`); unset = Services without a class. */
export function loadBalancerClass(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.LODESTONE_LB_CLASS || undefined;
}

/**
 * The speakers' partition policy (docs/adr/0002 §3), from the controller's LODESTONE_PARTITION_POLICY, which
 * the controller hands to the speaker DaemonSet it manages. Unset or empty: the speakers' default.
 */
export function partitionPolicySetting(env: NodeJS.ProcessEnv = process.env): { policy?: PartitionPolicy; error?: string } {
  const text = env.LODESTONE_PARTITION_POLICY;
  if (!text) return {};
  const parsed = parsePartitionPolicy(text, "LODESTONE_PARTITION_POLICY");
  return typeof parsed === "string" ? { policy: parsed } : { error: parsed.error };
}
