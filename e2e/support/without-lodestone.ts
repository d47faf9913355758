/**
 * Runs a set-up while Lodestone's controller is not running, then starts it: the state of a cluster
 * that MetalLB ran, at the moment Lodestone is installed (MetalLB's controller and speakers removed,
 * its CRs and Services left in place).
 *
 * On the local control plane the controller process is stopped and its webhook configurations are
 * deleted (as before an install: nothing would answer them, and the ones for Lodestone's own kinds
 * fail closed); starting the controller registers them again. On a real cluster the Pepr watcher
 * (which runs the controller) is scaled to zero and back; admission keeps running there. The installed
 * artifact on the local control plane does the same: its watcher process stops, admission runs on.
 */
import { isLocalArtifact, isLocalControlPlane, kubectlOk } from "./cluster";
import { startLocalController, stopLocalController } from "./local-controller";
import { podDir, WATCHER as WATCHER_DEPLOYMENT } from "./artifact";
import { startPod, stopPod } from "./pod";

/** The name hack/local-controller registers its webhook configurations under. */
const LOCAL_WEBHOOKS = "lodestone";
const WATCHER = ["deployment/pepr-lodestone-watcher", "-n", "pepr-system"];

function stateDir(): string {
  const dir = process.env.LODESTONE_E2E_STATE;
  if (!dir) throw new Error("LODESTONE_E2E_STATE is not set: run the suites with `npm run e2e`");
  return dir;
}

async function stop(): Promise<void> {
  if (isLocalArtifact()) return stopPod(podDir(stateDir(), WATCHER_DEPLOYMENT));
  if (isLocalControlPlane()) {
    await stopLocalController(stateDir());
    for (const kind of ["validatingwebhookconfiguration", "mutatingwebhookconfiguration"]) {
      await kubectlOk(["delete", kind, LOCAL_WEBHOOKS, "--ignore-not-found"]);
    }
    return;
  }
  await kubectlOk(["scale", ...WATCHER, "--replicas=0"]);
  await kubectlOk(["wait", "pods", "-n", "pepr-system", "-l", "pepr.dev/controller=watcher", "--for=delete", "--timeout=120s"]);
}

async function start(): Promise<void> {
  if (isLocalArtifact()) {
    await startPod(podDir(stateDir(), WATCHER_DEPLOYMENT));
    return;
  }
  if (isLocalControlPlane()) {
    await startLocalController({ stateDir: stateDir(), kubeconfig: process.env.KUBECONFIG ?? "" });
    return;
  }
  await kubectlOk(["scale", ...WATCHER, "--replicas=1"]);
  await kubectlOk(["rollout", "status", ...WATCHER, "--timeout=120s"]);
}

/** Stops Lodestone's controller, runs `setup`, and starts the controller again (also when `setup` fails). */
export async function withoutLodestone(setup: () => Promise<void>): Promise<void> {
  await stop();
  try {
    await setup();
  } finally {
    await start();
  }
}

