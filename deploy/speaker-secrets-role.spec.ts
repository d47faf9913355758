/**
 * An install over a cluster installed from 3a89434 or older: its Role `lodestone-speaker-secrets` let the
 * speakers list and watch every Secret of the namespace (docs/install.md of 3a89434:
 * `kubectl -n metallb-system create role lodestone-speaker-secrets --verb=list,watch --resource=secrets`).
 * Every install way leaves the Role a fresh install makes (plus the passwordSecrets BGPPeers use), on the
 * local API server (hack/kube-apiserver): `lodestone prepare` (the Pepr way: prepare, then pepr deploy, which
 * makes no Role), `lodestone install`, and `lodestone manifests` applied with `kubectl apply --server-side`.
 */
import { execFile } from "node:child_process";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installCommand } from "../cli/install";
import { manifestsCommand } from "../cli/manifests";
import { prepareCommand } from "../cli/prepare";
import { allCRDs } from "../crds";
import { startTestServer, type TestServer } from "../hack/kube-apiserver/testkit";
import { ApiDeployPort } from "./api-deploy-port";
import { KfcApi } from "../kube/kfc-api";
import { convergedSpeakerSecretsRules, grantsEverySecret } from "./speaker-secrets-role";

const NS = "metallb-system";
const WIDE = [{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] }];
const fresh = (...names: string[]) => [{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"], resourceNames: names }];

describe("convergedSpeakerSecretsRules", () => {
  it("narrows the Role that granted every Secret to the heartbeat Secret and the BGPPeers' passwordSecrets", () => {
    expect(convergedSpeakerSecretsRules(WIDE, ["peer-b", "peer-a"], NS)).toEqual({
      rules: fresh("memberlist", "peer-a", "peer-b"),
      change: "narrowed: it let the speakers read every Secret of metallb-system; now only memberlist, peer-a, peer-b (peer-a, peer-b: BGPPeers' passwordSecrets)",
    });
    expect(convergedSpeakerSecretsRules(WIDE, [], NS)).toEqual({ rules: fresh("memberlist"), change: "narrowed: it let the speakers read every Secret of metallb-system; now only memberlist" });
    expect(grantsEverySecret(WIDE)).toBe(true);
    expect(grantsEverySecret([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }])).toBe(true);
  });

  it("keeps the Role a fresh install made, with the passwordSecret names an admin added", () => {
    expect(convergedSpeakerSecretsRules(fresh("memberlist"), ["ignored"], NS)).toEqual({ rules: fresh("memberlist") });
    expect(convergedSpeakerSecretsRules(fresh("memberlist", "bgp-pass"), [], NS)).toEqual({ rules: fresh("memberlist", "bgp-pass") });
    expect(grantsEverySecret(fresh("memberlist"))).toBe(false);
  });

  it("rewrites other rules to the installer's, keeping the Secret names", () => {
    const edited = [
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["bgp-pass"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["list"] },
    ];
    expect(convergedSpeakerSecretsRules(edited, ["not-added"], NS)).toEqual({ rules: fresh("memberlist", "bgp-pass"), change: "rewritten to the installer's rules, Secrets memberlist, bgp-pass" });
  });
});

const ROLE = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/lodestone-speaker-secrets`;
const io = (out: string[], err: string[]) => ({ out: (l: string) => out.push(l), err: (l: string) => err.push(l) });
const NARROWED = "role.rbac.authorization.k8s.io/lodestone-speaker-secrets narrowed: it let the speakers read every Secret of metallb-system; now only memberlist, peer-password (peer-password: BGPPeers' passwordSecrets)";
/** A Pepr module manifest stand-in: install and manifests apply it object by object; its content is not what is tested. */
const PEPR_YAML = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pepr-system\n";

function kubectl(srv: TestServer, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = execFile("kubectl", args, { env: { ...process.env, KUBECONFIG: srv.kubeconfig, HOME: srv.dir }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe("an install over the Role of 3a89434, on the local API server", () => {
  let srv: TestServer;
  const kubeconfig = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(srv.kubeconfig);
    return kc;
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await srv.call(method, path, body);
    expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300);
    return r.json;
  };

  beforeEach(async () => {
    srv = await startTestServer();
    vi.stubEnv("KUBECONFIG", srv.kubeconfig);
    await ok("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    // As 3a89434's docs had it typed (kubectl create role: field manager kubectl-create).
    await ok("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles?fieldManager=kubectl-create`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "lodestone-speaker-secrets", namespace: NS },
      rules: WIDE,
    });
    const bgppeers = allCRDs.find(c => c.metadata.name === "bgppeers.metallb.io");
    await ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bgppeers);
    await ok("POST", `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`, {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "uplink", namespace: NS },
      spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", passwordSecret: { name: "peer-password" } },
    });
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await srv.close();
  });

  const narrowed = async () => expect((await ok("GET", ROLE))["rules"]).toEqual(fresh("memberlist", "peer-password"));

  it("npx lodestone prepare (the Pepr way's first command) narrows it, and a second run keeps it", async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await prepareCommand([], io(out, err), { loadKubeConfig: kubeconfig, port: async () => new ApiDeployPort(new KfcApi().request) })).toBe(0);
    expect(err).toEqual([]);
    expect(out).toContain(NARROWED);
    await narrowed();
    const again: string[] = [];
    expect(await prepareCommand([], io(again, err), { loadKubeConfig: kubeconfig, port: async () => new ApiDeployPort(new KfcApi().request) })).toBe(0);
    expect(again).toContain("role.rbac.authorization.k8s.io/lodestone-speaker-secrets kept (it exists)");
    await narrowed();
  });

  it("npx lodestone install narrows it", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await installCommand(["--timeout", "0"], io(out, err), {
      loadKubeConfig: kubeconfig,
      port: async () => new ApiDeployPort(new KfcApi().request),
      readText: async () => PEPR_YAML,
      sleep: async () => {},
      now: () => 0,
      status: async () => 0,
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toContain(NARROWED);
    await narrowed();
  });

  it("npx lodestone manifests, applied server-side, sets the fresh Role's rules (--force-conflicts: kubectl create owned them)", async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await manifestsCommand([], io(out, err), { readText: async () => PEPR_YAML, env: {} })).toBe(0);
    const conflict = await kubectl(srv, ["apply", "--server-side", "-f", "-"], out.join("\n"));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('conflict with "kubectl-create"');
    expect(conflict.stderr).toContain(".rules");
    const applied = await kubectl(srv, ["apply", "--server-side", "--force-conflicts", "-f", "-"], out.join("\n"));
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("role.rbac.authorization.k8s.io/lodestone-speaker-secrets serverside-applied");
    // The manifest holds what a fresh install makes: the passwordSecrets are the admin's to add (docs/rbac.md).
    expect((await ok("GET", ROLE))["rules"]).toEqual(fresh("memberlist"));
  });
});
