/**
 * Restarts Lodestone's controller: the local process when the suite runs on the local control
 * plane, the Pepr watcher Deployment on a real cluster.
 */
import { kubectlOk, isLocalControlPlane } from "./cluster";
import { startLocalController, stopLocalController } from "./local-controller";

export async function restartController(): Promise<void> {
  if (isLocalControlPlane()) {
    const stateDir = process.env.LODESTONE_E2E_STATE!;
    await stopLocalController(stateDir);
    await startLocalController({ stateDir, kubeconfig: process.env.KUBECONFIG! });
    return;
  }
  await kubectlOk(["rollout", "restart", "deployment/pepr-lodestone-watcher", "-n", "pepr-system"]);
  await kubectlOk(["rollout", "status", "deployment/pepr-lodestone-watcher", "-n", "pepr-system", "--timeout=120s"]);
}
