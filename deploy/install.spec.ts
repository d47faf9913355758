import { describe, expect, it } from "vitest";
import { ApiError } from "../kube/controller-port";
import { install, installPlan, installWithRetry } from "./install";
import { peprRegistration, RecordingDeployPort } from "../test/deploy/testing";
import { isInClusterWatcher } from "./index";
import { recordingLogger } from "../test/observability/recording-logger";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const crdNames = [
  "ipaddresspools",
  "l2advertisements",
  "bgpadvertisements",
  "bgppeers",
  "bfdprofiles",
  "communities",
  "servicel2statuses",
  "servicebgpstatuses",
  "configurationstates",
].map(p => `${p}.metallb.io`);
const VALIDATING = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/pepr-lodestone";
const MUTATING = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pepr-lodestone";

const opts = { namespace: "metallb-system", image: "ghcr.io/lodestone/speaker:0.1.0", sleep: async () => {} };

function clusterAfterPeprDeploy(): RecordingDeployPort {
  const port = new RecordingDeployPort();
  port.objects.set(VALIDATING, peprRegistration("validate"));
  port.objects.set(MUTATING, peprRegistration("mutate"));
  return port;
}

const SECRET = "/api/v1/namespaces/metallb-system/secrets/memberlist";
const speakerSecretPaths = [
  `GET ${SECRET}`,
  `CREATE ${SECRET}`,
  "CREATE /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/roles/lodestone-speaker-secrets",
  "GET /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker-secrets",
  "CREATE /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker-secrets",
];

const speakerPaths = [
  "APPLY /api/v1/namespaces/metallb-system/serviceaccounts/lodestone-speaker",
  "APPLY /apis/rbac.authorization.k8s.io/v1/clusterroles/lodestone-speaker",
  "APPLY /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/lodestone-speaker",
  "APPLY /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/roles/lodestone-speaker",
  "APPLY /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker",
  "APPLY /apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker",
];

describe("install", () => {
  it("applies namespace, CRDs (then waits for them), the speaker identity before its DaemonSet, and splits Pepr's webhooks", async () => {
    const port = clusterAfterPeprDeploy();
    const done = await install(port, opts);
    expect(port.calls).toEqual([
      "APPLY /api/v1/namespaces/metallb-system",
      ...crdNames.map(n => `APPLY ${CRD_PATH}/${n}`),
      ...crdNames.map(n => `GET ${CRD_PATH}/${n}`),
      ...speakerSecretPaths,
      ...speakerPaths,
      `GET ${VALIDATING}`,
      `GET ${MUTATING}`,
      `MERGE ${VALIDATING}`,
      `MERGE ${MUTATING}`,
    ]);
    expect(done.at(-2)).toBe("split ValidatingWebhookConfiguration pepr-lodestone");
    expect(done).toContain("established 9 CRDs");
    const validating = port.objects.get(VALIDATING) as { webhooks: { name: string; failurePolicy: string }[] };
    expect(validating.webhooks.map(w => `${w.name}=${w.failurePolicy}`)).toEqual(["config.lodestone.dev=Fail", "services.lodestone.dev=Ignore"]);
    const mutating = port.objects.get(MUTATING) as { webhooks: { name: string; failurePolicy: string }[] };
    expect(mutating.webhooks.map(w => `${w.name}=${w.failurePolicy}`)).toEqual(["services.lodestone.dev=Ignore"]);
  });

  it("creates the heartbeat key once, before the DaemonSet, and never rotates it on a restart (issue 14)", async () => {
    const port = clusterAfterPeprDeploy();
    await install(port, { ...opts, newKey: () => Buffer.alloc(32, 0xab) });
    const secret = port.objects.get(SECRET) as { data: Record<string, string> };
    expect(Buffer.from(secret.data["secretkey"] ?? "", "base64").toString()).toBe("ab".repeat(32));
    const done = await install(port, { ...opts, newKey: () => Buffer.alloc(32, 0x01) });
    expect(port.objects.get(SECRET)).toEqual(secret);
    expect(done).toContain("secret/memberlist kept (it exists: its key is reused, not rotated)");
    expect(port.calls.filter(c => c === `CREATE ${SECRET}`)).toHaveLength(1);
  });

  it("reuses MetalLB's memberlist Secret as it is", async () => {
    const port = clusterAfterPeprDeploy();
    const metallb = { apiVersion: "v1", kind: "Secret", metadata: { name: "memberlist", namespace: "metallb-system" }, data: { secretkey: Buffer.from("x".repeat(128)).toString("base64") } };
    port.objects.set(SECRET, structuredClone(metallb));
    await install(port, opts);
    expect(port.objects.get(SECRET)).toEqual(metallb);
    expect(port.calls).not.toContain(`CREATE ${SECRET}`);
  });

  it("without its Role (a bare pepr deploy) says how to make it and installs the rest", async () => {
    const port = clusterAfterPeprDeploy();
    port.failOnce.set(SECRET, new ApiError(403, `POST /api/v1/namespaces/metallb-system/secrets: secrets is forbidden`));
    const { log, messages: logs } = recordingLogger();
    const done = await install(port, { ...opts, log });
    expect(logs).toEqual([
      "lodestone install: the heartbeat Secret and the speakers' Secret Role were not made (POST /api/v1/namespaces/metallb-system/secrets: secrets is forbidden): the Role lodestone-controller is missing or older than this release; run npx lodestone prepare -n metallb-system (docs/install.md)",
    ]);
    expect(port.calls).toContain("APPLY /apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker");
    expect(done.at(-1)).toBe("split MutatingWebhookConfiguration pepr-lodestone");
  });

  it("a second run applies the same objects again and leaves the split registration alone", async () => {
    const port = clusterAfterPeprDeploy();
    await install(port, opts);
    port.calls.length = 0;
    const done = await install(port, opts);
    expect(port.calls.filter(c => c.startsWith("MERGE"))).toEqual([]);
    expect(done.filter(d => d.startsWith("split"))).toEqual([]);
  });

  it("polls a CRD until it is Established", async () => {
    const port = clusterAfterPeprDeploy();
    port.establishAfterGets = 2;
    const slept: number[] = [];
    await install(port, { ...opts, sleep: async ms => void slept.push(ms) });
    expect(port.calls.filter(c => c === `GET ${CRD_PATH}/ipaddresspools.metallb.io`)).toHaveLength(3);
    expect(slept).toHaveLength(2 * crdNames.length);
    expect(new Set(slept)).toEqual(new Set([200]));
  });

  it("gives up on a CRD that never becomes Established, naming it", async () => {
    const port = clusterAfterPeprDeploy();
    port.establishAfterGets = Number.MAX_SAFE_INTEGER;
    await expect(install(port, { ...opts, establishTimeoutMs: 1000 })).rejects.toThrow("CRD ipaddresspools.metallb.io is not Established after 1000 ms");
    expect(port.calls.filter(c => c === `GET ${CRD_PATH}/ipaddresspools.metallb.io`)).toHaveLength(5);
    expect(port.calls.some(c => c.includes("daemonsets"))).toBe(false);
  });

  it("out of cluster (no Pepr registration) installs everything and patches nothing", async () => {
    const port = new RecordingDeployPort();
    const done = await install(port, opts);
    expect(port.calls.filter(c => c.startsWith("MERGE"))).toEqual([]);
    expect(done.at(-1)).toBe("applied DaemonSet metallb-system/lodestone-speaker");
  });
});

describe("installWithRetry", () => {
  it("retries after a failure with a doubling delay and logs why", async () => {
    const port = clusterAfterPeprDeploy();
    port.failOnce.set("/apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker", "daemonsets.apps is forbidden");
    const slept: number[] = [];
    const { log, messages: logs } = recordingLogger();
    const done = await installWithRetry(port, { ...opts, sleep: async ms => void slept.push(ms), log });
    expect(slept).toEqual([1000]);
    expect(logs).toEqual(["lodestone install: daemonsets.apps is forbidden; retrying in 1000 ms", "lodestone install: 22 steps done (2 webhook registrations split)"]);
    expect(done).toHaveLength(22);
  });

  it("starts what needs the CRDs once, as soon as they are Established, even when a later step fails", async () => {
    const port = clusterAfterPeprDeploy();
    port.failOnce.set("/apis/apps/v1/namespaces/metallb-system/daemonsets/lodestone-speaker", "daemonsets.apps is forbidden");
    const events: string[] = [];
    await installWithRetry(port, {
      ...opts,
      sleep: async () => void events.push("retry"),
      onCRDsEstablished: () => void events.push(`controller started after ${port.calls.filter(c => c.startsWith("GET")).length} CRD checks`),
    });
    expect(events).toEqual(["controller started after 9 CRD checks", "retry"]);
  });
});

describe("installPlan", () => {
  it("labels the namespace and carries every CRD and the speaker objects, DaemonSet last", () => {
    const plan = installPlan({ namespace: "lb", image: "i" });
    expect(plan.namespace).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "lb", labels: { "app.kubernetes.io/part-of": "lodestone" } } });
    expect(plan.crds.map(c => c.metadata.name)).toEqual(crdNames);
    expect(plan.speaker.map(m => m.kind)).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "DaemonSet"]);
  });
});

describe("isInClusterWatcher", () => {
  it("is true only in Pepr's watcher Deployment", () => {
    expect(isInClusterWatcher({ PEPR_WATCH_MODE: "true" })).toBe(true);
    expect(isInClusterWatcher({ PEPR_WATCH_MODE: "false" })).toBe(false);
    expect(isInClusterWatcher({})).toBe(false);
    expect(isInClusterWatcher({ PEPR_WATCH_MODE: "true", PEPR_MODE: "dev" })).toBe(false);
  });
});
