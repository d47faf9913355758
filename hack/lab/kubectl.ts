/**
 * The real kubectl against the lab's API server, bounded like every other command of the lab.
 * LODESTONE_KUBECTL names another binary (CI runs the lab again with Debian's kubectl 1.20:
 * hack/kube-apiserver/old-kubectl.ts).
 */
import { run } from "../netns";

export function kubectlBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.LODESTONE_KUBECTL || "kubectl";
}

export interface Kubectl {
  (args: readonly string[], input?: string): Promise<string>;
  readonly kubeconfig: string;
}

export function kubectlFor(kubeconfig: string, timeoutMs = 20_000): Kubectl {
  const call = async (args: readonly string[], input?: string): Promise<string> =>
    (await run([kubectlBinary(), "--kubeconfig", kubeconfig, ...args], { timeoutMs, ...(input !== undefined ? { input } : {}) })).stdout;
  return Object.assign(call, { kubeconfig });
}
