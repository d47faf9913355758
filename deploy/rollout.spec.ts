import { describe, expect, it } from "vitest";
import { daemonSetPending, deploymentPending, notReady } from "./rollout";
import { RecordingDeployPort } from "../test/deploy/testing";

const deployment = (generation: number, status: Record<string, number>, replicas = 2) => ({ metadata: { generation }, spec: { replicas }, status });

describe("rollout", () => {
  it("takes a Deployment as ready once every replica of its current generation is updated and available", () => {
    expect(deploymentPending(undefined)).toBe("not created yet");
    expect(deploymentPending(deployment(2, { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }))).toBe("waiting for its new generation to be observed");
    expect(deploymentPending(deployment(2, { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 2 }))).toBe("1 of 2 replicas updated");
    expect(deploymentPending(deployment(2, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 }))).toBe("1 of 2 replicas available");
    expect(deploymentPending(deployment(2, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBeUndefined();
  });

  it("takes the speaker DaemonSet as ready once every scheduled pod is updated and available", () => {
    expect(daemonSetPending(undefined)).toBe("not created yet (the controller's watcher applies it when it starts)");
    const ds = (status: Record<string, number>) => ({ metadata: { generation: 3 }, status: { observedGeneration: 3, desiredNumberScheduled: 3, ...status } });
    expect(daemonSetPending(ds({ updatedNumberScheduled: 2, numberAvailable: 3 }))).toBe("2 of 3 pods updated");
    expect(daemonSetPending(ds({ updatedNumberScheduled: 3, numberAvailable: 2 }))).toBe("2 of 3 pods available");
    expect(daemonSetPending(ds({ updatedNumberScheduled: 3, numberAvailable: 3 }))).toBeUndefined();
  });

  it("names what is not ready", async () => {
    const port = new RecordingDeployPort();
    port.objects.set("/apis/apps/v1/namespaces/pepr-system/deployments/pepr-lodestone", deployment(1, { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }));
    expect(await notReady(port, "metallb-system")).toEqual([
      "Deployment pepr-system/pepr-lodestone-watcher: not created yet",
      "DaemonSet metallb-system/lodestone-speaker: not created yet (the controller's watcher applies it when it starts)",
    ]);
  });
});
