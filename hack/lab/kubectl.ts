/** The real kubectl against the lab's API server, bounded like every other command of the lab. */
import { run } from "../netns";

export interface Kubectl {
  (args: readonly string[], input?: string): Promise<string>;
  readonly kubeconfig: string;
}

export function kubectlFor(kubeconfig: string, timeoutMs = 20_000): Kubectl {
  const call = async (args: readonly string[], input?: string): Promise<string> =>
    (await run(["kubectl", "--kubeconfig", kubeconfig, ...args], { timeoutMs, ...(input !== undefined ? { input } : {}) })).stdout;
  return Object.assign(call, { kubeconfig });
}
