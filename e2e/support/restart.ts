/**
 * Restarts Lodestone's controller: the local process when the suite runs on the local control
 * plane (the watcher pod's process for the installed artifact), the Pepr watcher Deployment on a real cluster.
 */
import { kubectlOk, isLocalArtifact, isLocalControlPlane } from "./cluster";
import { startLocalController, stopLocalController } from "./local-controller";
import { podDir, WATCHER } from "./artifact";
import { startPod, stopPod } from "./pod";

export async function restartController(): Promise<void> {
  if (isLocalArtifact()) {
    const dir = podDir(process.env.LODESTONE_E2E_STATE!, WATCHER);
    await stopPod(dir);
    await startPod(dir);
    return;
  }
  if (isLocalControlPlane()) {
    const stateDir = process.env.LODESTONE_E2E_STATE!;
    await stopLocalController(stateDir);
    await startLocalController({ stateDir, kubeconfig: process.env.KUBECONFIG! });
    return;
  }
  await kubectlOk(["rollout", "restart", "deployment/pepr-lodestone-watcher", "-n", "pepr-system"]);
  await kubectlOk(["rollout", "status", "deployment/pepr-lodestone-watcher", "-n", "pepr-system", "--timeout=120s"]);
}
