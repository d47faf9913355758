import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { RecordingDeployPort } from "../test/deploy/testing";
import { installCommand, type InstallDeps } from "./install";

const kubeconfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "c", server: "https://192.0.2.10:6443" }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  return kc;
};

// The shape of `pepr build`'s dist/pepr-module-lodestone.yaml, cut to a few of its objects.
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: pepr-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pepr-lodestone, namespace: pepr-system}
spec: {replicas: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pepr-lodestone-watcher, namespace: pepr-system}
spec: {replicas: 1}
`;

const DEPLOYMENTS = "/apis/apps/v1/namespaces/pepr-system/deployments";
const DAEMONSET = "/apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker";

/** A cluster that rolls out after `polls` readiness checks: the fake controllers mark the objects ready. */
function harness(readyAfterSleeps: number) {
  const port = new RecordingDeployPort();
  let clock = 0;
  let sleeps = 0;
  const out: string[] = [];
  const err: string[] = [];
  const deps: InstallDeps = {
    loadKubeConfig: kubeconfig,
    port: async () => port,
    readText: async path => {
      if (path !== "dist/pepr-module-lodestone.yaml") throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return MANIFEST;
    },
    sleep: async ms => {
      clock += ms;
      if (++sleeps === readyAfterSleeps) {
        for (const [name, replicas] of [["pepr-lodestone", 2], ["pepr-lodestone-watcher", 1]] as const) {
          const d = port.objects.get(`${DEPLOYMENTS}/${name}`) ?? {};
          port.objects.set(`${DEPLOYMENTS}/${name}`, { ...d, status: { updatedReplicas: replicas, availableReplicas: replicas } });
        }
        port.objects.set(DAEMONSET, { status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } });
      }
    },
    now: () => clock,
    status: async io => {
      io.out("POOLS");
      return 0;
    },
  };
  return { port, deps, out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe("lodestone install", () => {
  it("prepares, applies the controller's manifest, waits for the rollout and prints the status", async () => {
    const h = harness(3);
    expect(await installCommand([], h.io, h.deps)).toBe(0);
    expect(h.err).toEqual([]);
    expect(h.out).toEqual([
      "namespace/metallb-system applied",
      "role.rbac.authorization.k8s.io/lodestone-controller applied",
      "rolebinding.rbac.authorization.k8s.io/lodestone-controller applied",
      "secret/memberlist created (heartbeat key: 32 random bytes; kept from now on, never rotated by lodestone)",
      "role.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
      "rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
      "namespace/pepr-system applied",
      "deployment.apps/pepr-lodestone applied",
      "deployment.apps/pepr-lodestone-watcher applied",
      "ready: the controller and the speakers are rolled out",
      "",
      "POOLS",
    ]);
  });

  it("installs twice without rotating the heartbeat key", async () => {
    const h = harness(1);
    await installCommand([], h.io, h.deps);
    const key = structuredClone(h.port.objects.get("/api/v1/namespaces/metallb-system/secrets/memberlist"));
    const again = harness(1);
    for (const [k, v] of h.port.objects) again.port.objects.set(k, v);
    expect(await installCommand([], again.io, again.deps)).toBe(0);
    expect(again.port.objects.get("/api/v1/namespaces/metallb-system/secrets/memberlist")).toEqual(key);
    expect(again.out[3]).toBe("secret/memberlist kept (it exists: its key is reused, not rotated)");
  });

  it("points the controller's watcher at --speaker-image, so the DaemonSet it applies runs that image", async () => {
    const h = harness(1);
    h.port.objects.clear();
    const withEnv = { ...h.deps, readText: async () => MANIFEST.replace("spec: {replicas: 1}", "spec: {replicas: 1, template: {spec: {containers: [{name: watcher}]}}}") };
    expect(await installCommand(["--speaker-image", "registry.example/speaker:2", "--timeout", "0"], h.io, withEnv)).toBe(0);
    const watcher = h.port.objects.get(`${DEPLOYMENTS}/pepr-lodestone-watcher`) as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
    expect(watcher.spec.template.spec.containers[0]?.env).toEqual([
      { name: "LODESTONE_NAMESPACE", value: "metallb-system" },
      { name: "LODESTONE_SPEAKER_IMAGE", value: "registry.example/speaker:2" },
    ]);
  });

  it("exits 1 naming what is not ready when the timeout passes", async () => {
    const h = harness(1_000);
    expect(await installCommand(["--timeout", "10"], h.io, h.deps)).toBe(1);
    expect(h.err).toEqual([
      "lodestone install: not ready after 10 s:",
      "  Deployment pepr-system/pepr-lodestone: 0 of 2 replicas updated",
      "  Deployment pepr-system/pepr-lodestone-watcher: 0 of 1 replicas updated",
      "  DaemonSet metallb-system/lodestone-speaker: not created yet (the controller's watcher applies it when it starts)",
    ]);
  });

  it("says how to build the manifest when it is missing", async () => {
    const h = harness(1);
    expect(await installCommand(["-f", "nope.yaml"], h.io, h.deps)).toBe(1);
    expect(h.err).toEqual(["lodestone install: nope.yaml not found: build it with npx pepr@1.1.4 build (docs/install.md)"]);
    expect(h.port.calls).toEqual([]);
  });
});
