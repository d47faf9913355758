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
