/**
 * `npx lodestone install`, again with another speaker image (the upgrade), over the speakers' Role of an
 * install from 3a89434 (it narrows it), and `npx lodestone uninstall`,
 * on the installed artifact (`npx tsx e2e/run.ts --artifact`, docs/adr/0008): the commands as a user
 * runs them (bin/lodestone.js), Pepr's pods run as the kubelet would run them (e2e/support/pod.ts), and
 * replaced when their Deployment's template changed or the Deployment is gone (artifact.ts rolloutPod,
 * deletePod), as the kubelet would. There is no kubelet for the speaker: its DaemonSet is only applied, so
 * the upgrade's rollout shows as the DaemonSet's new template (image, generation), not as new pods.
 *
 * Out of cluster (`npx tsx e2e/run.ts` without --artifact) there are no Pepr Deployments to install over,
 * and on a real cluster uninstall would remove the installation under test: this suite runs on the
 * local artifact only. It leaves Lodestone installed, as it found it, for the suites after it.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADMISSION, deletePod, PEPR_NAMESPACE, rolloutPod, WATCHER } from "../support/artifact";
import { applyYaml, isLocalArtifact, kubectl, kubectlOk, LODESTONE_NAMESPACE as NS } from "../support/cluster";

const root = join(__dirname, "..", "..");
const STATE = process.env.LODESTONE_E2E_STATE ?? "";
const MANIFEST = process.env.LODESTONE_E2E_MANIFEST ?? "";
const IMAGE_1 = "registry.example/lodestone/speaker:1.0.0";
const IMAGE_2 = "registry.example/lodestone/speaker:1.0.1";
const CRDS = ["ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "bfdprofiles", "communities", "servicel2statuses", "servicebgpstatuses", "configurationstates"];

/** `npx lodestone ARGS`: the installed command (bin/lodestone.js), on the cluster of KUBECONFIG. */
function lodestone(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin", "lodestone.js"), ...args], { cwd: root, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", d => (out += d));
    child.stderr.on("data", d => (err += d));
    child.on("error", reject);
    child.on("close", code => resolve({ code: code ?? -1, out, err }));
  });
}

const json = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectlOk(["get", ...args, "-o", "json"])) as T;
type DaemonSet = { metadata: { generation: number }; spec: { template: { spec: { containers: { image: string }[]; nodeSelector?: Record<string, string>; volumes?: { name: string; secret?: { secretName?: string } }[] } } } };
type Deployment = { metadata: { generation: number }; spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
const watcherEnv = async (name: string) => (await json<Deployment>(["deployment", WATCHER, "-n", PEPR_NAMESPACE])).spec.template.spec.containers[0]?.env?.find(e => e.name === name)?.value;

/** Waits (kubectl wait, a watch) until the speaker DaemonSet's image is `image`. */
const speakerImage = (image: string) =>
  kubectlOk(["wait", "-n", NS, "daemonset/lodestone-speaker", `--for=jsonpath={.spec.template.spec.containers[0].image}=${image}`, "--timeout=60s"]);

/** The kubelet's part after an install: each Pepr pod whose Deployment changed is replaced. */
async function rollout(): Promise<void> {
  for (const d of [ADMISSION, WATCHER]) await rolloutPod(STATE, d);
}

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lifecycle, namespace: ${NS}}
spec: {addresses: ["203.0.113.240-203.0.113.241"], serviceAllocation: {namespaces: [lifecycle]}}
`;
const WIDE_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lodestone-speaker-secrets, namespace: ${NS}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [list, watch]}]
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: kept, namespace: lifecycle}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`;

describe.runIf(isLocalArtifact())("install, upgrade and uninstall on the local artifact", () => {
  afterAll(async () => {
    // Lodestone as the run installed it, for the suites after this one.
    const again = await lodestone(["install", "-f", MANIFEST, "--timeout", "0"]);
    expect(again.err).toBe("");
    await rollout();
    await kubectl(["delete", "namespace", "lifecycle", "--wait=false"]);
    await kubectl(["delete", "ipaddresspool", "lifecycle", "-n", NS]);
  }, 180_000);

  it("installs over Pepr's manifest with one command and points the speaker at the image named", async () => {
    const r = await lodestone(["install", "-f", MANIFEST, "--timeout", "0", "--speaker-image", IMAGE_1]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("role.rbac.authorization.k8s.io/lodestone-controller applied");
    expect(r.out).toContain("deployment.apps/pepr-lodestone-watcher applied");
    expect(await watcherEnv("LODESTONE_SPEAKER_IMAGE")).toBe(IMAGE_1);
    await rollout();
    await speakerImage(IMAGE_1);
    await kubectlOk(["wait", "validatingwebhookconfiguration/pepr-lodestone", "--for=jsonpath={.webhooks[1].name}=services.lodestone.dev", "--timeout=60s"]);
  }, 180_000);

  it("upgrades when run again with another image and pod settings: the DaemonSet's template changes, the heartbeat key does not", async () => {
    const key = (await json<{ data: Record<string, string> }>(["secret", "memberlist", "-n", NS])).data;
    const before = await json<DaemonSet>(["daemonset", "lodestone-speaker", "-n", NS]);
    const settings = ["--speaker-node-selector", "lb.example.com/speaker=yes", "--speaker-metrics-tls-secret", "speaker-metrics-tls"];
    const r = await lodestone(["install", "-f", MANIFEST, "--timeout", "0", "--speaker-image", IMAGE_2, ...settings]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("secret/memberlist kept (it exists: its key is reused, not rotated)");
    await rollout();
    await speakerImage(IMAGE_2);
    const after = await json<DaemonSet>(["daemonset", "lodestone-speaker", "-n", NS]);
    expect(before.spec.template.spec.containers[0]?.image).toBe(IMAGE_1);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    // The watcher applied them from its env (the pod settings' flags, cli/install-settings.ts).
    expect(after.spec.template.spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux", "lb.example.com/speaker": "yes" });
    expect(after.spec.template.spec.volumes?.find(v => v.name === "metrics-tls")?.secret?.secretName).toBe("speaker-metrics-tls");
    expect((await json<{ data: Record<string, string> }>(["secret", "memberlist", "-n", NS])).data).toEqual(key);
  }, 180_000);

  it("narrows the speakers' Role of an install from 3a89434, which let them read every Secret", async () => {
    // The Role 3a89434's docs/install.md had typed (`kubectl create role lodestone-speaker-secrets
    // --verb=list,watch --resource=secrets`, which sends protobuf: the local API server reads JSON and YAML).
    await kubectlOk(["delete", "role", "lodestone-speaker-secrets", "-n", NS]);
    expect((await applyYaml(WIDE_ROLE)).code).toBe(0);
    const r = await lodestone(["install", "-f", MANIFEST, "--timeout", "0", "--speaker-image", IMAGE_2]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`role.rbac.authorization.k8s.io/lodestone-speaker-secrets narrowed: it let the speakers read every Secret of ${NS}; now only memberlist`);
    const role = await json<{ rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] }>(["role", "lodestone-speaker-secrets", "-n", NS]);
    expect(role.rules.map(rule => ({ ...rule, resourceNames: rule.resourceNames?.slice(0, 1) }))).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"], resourceNames: ["memberlist"] }]);
  }, 180_000);

  it("uninstalls what install made and keeps the users' objects and the Services' IPs", async () => {
    await kubectlOk(["create", "namespace", "lifecycle"]);
    expect((await applyYaml(POOL)).code).toBe(0);
    expect((await applyYaml(SERVICE)).code).toBe(0);
    await kubectlOk(["wait", "-n", "lifecycle", "svc/kept", "--for=jsonpath={.status.loadBalancer.ingress[0].ip}=203.0.113.240", "--timeout=30s"]);

    const r = await lodestone(["uninstall"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.split("\n")).toContain("daemonset.apps/lodestone-speaker deleted");
    for (const d of [WATCHER, ADMISSION]) await deletePod(STATE, d);

    const gone = async (args: string[]) => expect((await kubectl(["get", ...args])).stderr, args.join(" ")).toMatch(/NotFound|not found/);
    await gone(["validatingwebhookconfiguration", "pepr-lodestone"]);
    await gone(["mutatingwebhookconfiguration", "pepr-lodestone"]);
    await gone(["deployment", WATCHER, "-n", PEPR_NAMESPACE]);
    await gone(["deployment", ADMISSION, "-n", PEPR_NAMESPACE]);
    await gone(["daemonset", "lodestone-speaker", "-n", NS]);
    await gone(["role", "lodestone-speaker-secrets", "-n", NS]);
    await gone(["clusterrole", "lodestone-speaker"]);
    await gone(["role", `${ADMISSION}-store`, "-n", PEPR_NAMESPACE]);

    for (const crd of CRDS) await kubectlOk(["get", "crd", `${crd}.metallb.io`]);
    await kubectlOk(["get", "namespace", NS]);
    await kubectlOk(["get", "secret", "memberlist", "-n", NS]);
    await kubectlOk(["get", "ipaddresspool", "lifecycle", "-n", NS]);
    const svc = await json<{ status: { loadBalancer: { ingress?: { ip: string }[] } } }>(["svc", "kept", "-n", "lifecycle"]);
    expect(svc.status.loadBalancer.ingress).toEqual([{ ip: "203.0.113.240" }]);
  }, 180_000);
});
