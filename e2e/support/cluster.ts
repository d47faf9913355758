/**
 * What the end-to-end suites use to talk to the cluster named by KUBECONFIG: the real kubectl, as
 * users drive Lodestone, and kubernetes-fluent-client, as Lodestone itself does.
 */
import { spawn } from "node:child_process";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with optional standard input; never throws on a non-zero exit. */
export function kubectl(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", args, { stdio: ["pipe", "pipe", "pipe"], env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", d => (stdout += d));
    child.stderr.on("data", d => (stderr += d));
    child.on("error", reject);
    child.on("close", code => resolve({ code: code ?? -1, stdout, stderr }));
    // A kubectl that does not read stdin may exit before the write lands (EPIPE): its exit code says how it went.
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** kubectl that must succeed: returns stdout, or throws with kubectl's own words. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const run = await kubectl(args, input);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
}

export const applyYaml = (yaml: string, extra: string[] = []) => kubectl(["apply", "-f", "-", ...extra], yaml);

/** True when the suite runs against the local control plane that `npm run e2e` started. */
export const isLocalControlPlane = (): boolean => process.env.LODESTONE_E2E_LOCAL === "1";

/** True when Lodestone runs there as the installed artifact (`npm run e2e -- --artifact`), not out of cluster. */
export const isLocalArtifact = (): boolean => isLocalControlPlane() && process.env.LODESTONE_E2E_ARTIFACT === "1";

export const LODESTONE_NAMESPACE = process.env.LODESTONE_NAMESPACE || "metallb-system";
